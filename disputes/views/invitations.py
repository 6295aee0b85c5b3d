"""Accepting an emailed invitation. The token is the secret: until it is accepted, the visitor learns only the
case reference, the parties' names and the role offered (what the invitation email itself said), never more."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from disputes.exceptions import TransitionError
from disputes.services.invitations import invitation_accept as accept_invitation
from disputes.services.invitations import invitation_find


def _problem(request: HttpRequest, title: str, message: str, status: int) -> HttpResponse:
    return render(request, "disputes/invitation_problem.html", {"title": title, "message": message}, status=status)


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    if not request.user.is_authenticated:
        # Nothing about the case before signing in; allauth brings the user back here afterwards (?next=).
        return render(request, "disputes/invitation_anonymous.html", {"next": request.get_full_path()})
    invitation = invitation_find(token=token)
    if invitation is None:
        return _problem(request, "This link is not valid", "Check that you copied the whole link from the email.", 404)
    if invitation.accepted_at is not None:
        if invitation.accepted_by_id == request.user.pk:
            return redirect("case_detail", pk=invitation.case_id)
        return _problem(request, "This invitation has already been used", "Ask the registry for a new one.", 410)
    if invitation.expires_at < timezone.now():
        return _problem(request, "This invitation has expired", "Ask the registry for a new one.", 410)

    error = ""
    if request.method == "POST":
        try:
            accept_invitation(token=token, user=request.user)
        except TransitionError as exc:
            error = str(exc)
        else:
            messages.success(request, f"You have joined {invitation.case.display_reference}.")
            return redirect("case_detail", pk=invitation.case_id)
    case = invitation.case
    context = {
        "invitation": invitation,
        "reference": case.display_reference,
        "claimant": case.claimant_party,
        "respondent": case.respondent_party,
        "email_differs": invitation.email.lower() != request.user.email.lower(),
        "error": error,
    }
    return render(request, "disputes/invitation.html", context, status=409 if error else 200)
