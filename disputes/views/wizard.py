"""The Request for Arbitration wizard. Every step saves the draft, so leaving and coming back resumes.

Only the draft's owner may use it (`disputes.edit_draft`); anyone else gets a 404, and a filed case sends its
owner to the case page. Filing is the lifecycle event 'submit', whose guard lists whatever is still missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from disputes import permissions
from disputes.exceptions import TransitionError
from disputes.forms import RULE_PACK_HELP, AISystemFormSet, BaseAISystemFormSet, ClaimsForm, DisputeForm, PartiesForm
from disputes.lifecycle.states import State
from disputes.models import Case, DisputeType, Party, RulePackChoice
from disputes.services.cases import case_draft_create, case_draft_discard, case_draft_update
from disputes.services.events import case_apply_event
from disputes.views.types import AuthenticatedRequest


@dataclass(frozen=True)
class Step:
    number: int
    title: str
    template: str


STEPS = (
    Step(1, "Parties", "disputes/wizard/parties.html"),
    Step(2, "Dispute", "disputes/wizard/dispute.html"),
    Step(3, "AI systems", "disputes/wizard/systems.html"),
    Step(4, "Claims", "disputes/wizard/claims.html"),
    Step(5, "Review and file", "disputes/wizard/review.html"),
)
LAST_STEP = len(STEPS)


def _draft_or_404(request: AuthenticatedRequest, pk: int) -> Case:
    case = permissions.case_for_user_or_404(request.user, pk, queryset=Case.objects.prefetch_related("parties"))
    if not request.user.has_perm("disputes.edit_draft", case):
        raise Http404("No such draft.")
    return case


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request: AuthenticatedRequest) -> HttpResponse:
    """GET explains what a Request needs; POST opens the draft (a GET must not create anything)."""
    if request.method == "POST":
        case = case_draft_create(user=request.user)
        return redirect("request_step", pk=case.pk, step=1)
    return render(request, "disputes/wizard/start.html", {"steps": STEPS})


@login_required
@require_http_methods(["GET", "POST"])
def request_step(request: AuthenticatedRequest, pk: int, step: int) -> HttpResponse:
    case = permissions.case_for_user_or_404(request.user, pk, queryset=Case.objects.prefetch_related("parties"))
    if case.state != State.DRAFT:
        return redirect("case_detail", pk=case.pk)
    if not request.user.has_perm("disputes.edit_draft", case):
        raise Http404("No such draft.")
    if not 1 <= step <= LAST_STEP:
        raise Http404("No such step.")
    handler = {1: _parties, 2: _dispute, 3: _systems, 4: _claims, 5: _review}[step]
    return handler(request, case)


def _next(request: AuthenticatedRequest, case: Case, step: int) -> HttpResponse:
    """After a save: onwards, unless the user chose to stay (“Save draft”) or go back."""
    target = {"back": step - 1, "stay": step}.get(request.POST.get("go", ""), step + 1)
    if request.POST.get("go") == "stay":
        messages.success(request, "Draft saved. You can leave and come back to it at any time.")
    return redirect("request_step", pk=case.pk, step=max(1, min(target, LAST_STEP)))


def _back_without_saving(request: AuthenticatedRequest, case: Case, step: int) -> HttpResponse | None:
    """“Back” never traps the user behind validation errors: what is invalid is simply not saved."""
    if request.POST.get("go") == "back":
        return redirect("request_step", pk=case.pk, step=max(1, step - 1))
    return None


def _page(
    request: AuthenticatedRequest, case: Case, step: int, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    current = STEPS[step - 1]
    base = {"case": case, "steps": STEPS, "step": current, "is_last": step == LAST_STEP}
    return render(request, current.template, base | context, status=status)


def _parties(request: AuthenticatedRequest, case: Case) -> HttpResponse:
    form = PartiesForm(request.POST or None, initial=PartiesForm.initial_from(case))
    if request.method == "POST" and form.is_valid():
        case_draft_update(
            case_id=case.pk,
            claimant=form.party_values("claimant"),
            respondent=form.party_values("respondent"),
            step=2,
        )
        return _next(request, case, 1)
    if request.method == "POST" and (back := _back_without_saving(request, case, 1)):
        return back
    return _page(request, case, 1, {"form": form}, status=400 if form.errors else 200)


def _dispute(request: AuthenticatedRequest, case: Case) -> HttpResponse:
    form = DisputeForm(request.POST or None, initial=DisputeForm.initial_from(case))
    if request.method == "POST" and form.is_valid():
        case_draft_update(case_id=case.pk, fields=form.cleaned_data, step=3)
        return _next(request, case, 2)
    if request.method == "POST" and (back := _back_without_saving(request, case, 2)):
        return back
    return _page(request, case, 2, {"form": form}, status=400 if form.errors else 200)


def _systems(request: AuthenticatedRequest, case: Case) -> HttpResponse:
    """A small formset; “Add another system” saves what is there and comes back with one more empty row."""
    if request.method == "POST":
        formset = AISystemFormSet(request.POST, prefix="systems")
        assert isinstance(formset, BaseAISystemFormSet)
        if formset.is_valid():
            case_draft_update(case_id=case.pk, fields={"ai_systems": formset.systems()}, step=4)
            if request.POST.get("go") == "add":
                return redirect(f"{request.path}?add=1")
            return _next(request, case, 3)
        return _back_without_saving(request, case, 3) or _page(request, case, 3, {"formset": formset}, status=400)
    initial = list(case.ai_systems) or [{}]
    if request.GET.get("add"):
        initial.append({})
    formset = AISystemFormSet(prefix="systems", initial=initial)
    return _page(request, case, 3, {"formset": formset})


def _claims(request: AuthenticatedRequest, case: Case) -> HttpResponse:
    form = ClaimsForm(request.POST or None, initial=ClaimsForm.initial_from(case))
    if request.method == "POST" and form.is_valid():
        case_draft_update(case_id=case.pk, fields=form.cleaned_data, step=5)
        return _next(request, case, 4)
    if request.method == "POST" and (back := _back_without_saving(request, case, 4)):
        return back
    context = {"form": form, "rule_pack_help": RULE_PACK_HELP}
    return _page(request, case, 4, context, status=400 if form.errors else 200)


def _review(request: AuthenticatedRequest, case: Case) -> HttpResponse:
    error = ""
    if request.method == "POST":
        if request.POST.get("go") == "back":
            return redirect("request_step", pk=case.pk, step=LAST_STEP - 1)
        try:
            case_apply_event(case_id=case.pk, event="submit", actor=request.user)
        except TransitionError as exc:
            error = str(exc)
        else:
            case.refresh_from_db(fields=["reference"])
            messages.success(request, f"Your Request was filed as {case.reference}. The registry will screen it.")
            return redirect("case_detail", pk=case.pk)
    parties: dict[str, Party] = {party.side: party for party in case.parties.all()}
    type_labels = dict(DisputeType.choices)
    context = {
        "claimant": parties.get("claimant"),
        "respondent": parties.get("respondent"),
        "dispute_types": [type_labels.get(value, value) for value in case.dispute_types],
        "error": error,
        "rule_pack_help": RULE_PACK_HELP.get(RulePackChoice(case.rule_pack), ""),
    }
    return _page(request, case, 5, context, status=409 if error else 200)


@login_required
@require_POST
def request_discard(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    case = _draft_or_404(request, pk)
    try:
        case_draft_discard(case_id=case.pk)
    except TransitionError as exc:
        messages.error(request, str(exc))
        return redirect("case_detail", pk=case.pk)
    messages.success(request, "The draft was discarded.")
    return redirect("dashboard")
