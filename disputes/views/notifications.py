"""The user's in-app notifications (the same rows the emails were sent from)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from disputes.views import reads, writes
from disputes.views.types import AuthenticatedRequest

NOTIFICATIONS_PER_PAGE = 30


@login_required
@require_GET
def notification_list(request: AuthenticatedRequest) -> HttpResponse:
    page = Paginator(reads.notifications_for(user=request.user), NOTIFICATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "disputes/notifications.html", {"page": page})


@login_required
@require_POST
def notification_mark_read(request: AuthenticatedRequest) -> HttpResponse:
    raw = request.POST.get("notification", "")
    if raw.isdigit():
        writes.notifications_mark_read(user_id=request.user.pk, notification_id=int(raw))
    elif request.POST.get("all"):
        writes.notifications_mark_read(user_id=request.user.pk)
    return redirect("notifications")
