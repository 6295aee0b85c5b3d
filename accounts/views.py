"""The user's own profile: name, organisation, time zone, email frequency, affiliations and the calendar feed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from disputes.forms import ProfilePageForm
from disputes.views.types import AuthenticatedRequest
from disputes.views.writes import calendar_token_regenerate


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthenticatedRequest) -> HttpResponse:
    form = ProfilePageForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your profile was saved.")
        return redirect("profile")
    feed_url = request.build_absolute_uri(reverse("calendar_feed", args=[request.user.calendar_token]))
    return render(
        request, "accounts/profile.html", {"form": form, "feed_url": feed_url}, status=400 if form.errors else 200
    )


@login_required
@require_POST
def calendar_regenerate(request: AuthenticatedRequest) -> HttpResponse:
    calendar_token_regenerate(user_id=request.user.pk)
    messages.success(
        request, "Your calendar feed has a new address. Subscribe again with it; the old one has stopped working."
    )
    return redirect("profile")
