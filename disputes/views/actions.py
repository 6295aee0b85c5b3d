"""One page per event of the transitions table: the event's form, its description, and the service call.

The page never decides whether an event is allowed: disputes.services.events does, and its TransitionError
message is shown as it is. The list of available actions only hides what cannot apply.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from disputes import permissions, selectors
from disputes.exceptions import InvalidPayload, TransitionError
from disputes.lifecycle.payloads import PayloadForm
from disputes.lifecycle.transitions import Transition, transition_for
from disputes.models import Case
from disputes.services.events import case_apply_event
from disputes.views.types import AuthenticatedRequest

CONFIRM_FIELD = "confirm"
DOCUMENTS_FIELD = "documents"
NOT_PAYLOAD = {"csrfmiddlewaretoken", CONFIRM_FIELD}

# Where the user lands after the event: the tab that shows what they just did.
RESULT_TAB = {"post_message": "messages"}


def _result_tab(transition: Transition) -> str:
    if transition.event in RESULT_TAB:
        return RESULT_TAB[transition.event]
    return "docket" if transition.files else "timeline"


def _form(transition: Transition, case: Case, user: Any, data: Any = None) -> PayloadForm | None:
    if transition.form is None:
        return None
    initial = {}
    if transition.event == "file_declaration":
        initial["affiliations"] = user.affiliations  # what the conflict check will use; the arbitrator confirms it
    return transition.form(data=data, case=case, initial=initial)


def _render(
    request: AuthenticatedRequest,
    case: Case,
    transition: Transition,
    form: PayloadForm | None,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    available = any(
        a.transition.event == transition.event for a in selectors.available_actions(user=request.user, case=case)
    )
    context = {
        "case": case,
        "transition": transition,
        "form": form,
        "error": error,
        "available": available,
        "takes_documents": transition.documents != "none",
        "documents_required": transition.documents == "required",
        "confirm_field": CONFIRM_FIELD,
        "documents_field": DOCUMENTS_FIELD,
    }
    return render(request, "disputes/case_action.html", context, status=status)


@login_required
def case_action(request: AuthenticatedRequest, pk: int, event: str) -> HttpResponse:
    case = permissions.case_for_user_or_404(request.user, pk)
    transition = transition_for(event)
    if transition is None or transition.is_system_only or event == "join_case":
        raise Http404("No such action.")
    if request.method != "POST":
        return _render(request, case, transition, _form(transition, case, request.user))

    form = _form(transition, case, request.user, data=request.POST)
    if transition.danger and not request.POST.get(CONFIRM_FIELD):
        if form is not None:
            form.is_valid()  # show any field errors together with the confirmation request
        return _render(request, case, transition, form, error="Tick the box to confirm this step.", status=400)
    payload = {key: value for key, value in request.POST.items() if key not in NOT_PAYLOAD}
    try:
        case_apply_event(
            case_id=case.pk,
            event=event,
            actor=request.user,
            payload=payload,
            documents=request.FILES.getlist(DOCUMENTS_FIELD),
        )
    except TransitionError as exc:
        if form is not None:
            form.is_valid()
            if isinstance(exc, InvalidPayload):
                for field, errors in exc.errors.items():
                    if field in form.fields and field not in form.errors:
                        for error in errors:
                            form.add_error(field, error)
        return _render(request, case, transition, form, error=str(exc), status=exc.status_code)
    messages.success(request, f"Done: {transition.label}.")
    permissions.forget_roles(request.user)
    if not permissions.can_see_case(request.user, case):
        # e.g. a declaration with conflict-check hits: the candidate waits for the registry, outside the case file.
        return redirect("dashboard")
    return redirect(f"{reverse('case_detail', args=[case.pk])}?tab={_result_tab(transition)}")
