"""Reads. Every list is scoped by the permission layer and fetched with a constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from django.core.cache import cache
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from disputes import permissions
from disputes.lifecycle.rulepacks import rule_pack_for
from disputes.lifecycle.states import MAIN_PATH, State
from disputes.lifecycle.transitions import SYSTEM, TRANSITIONS, Transition
from disputes.models import (
    Appointment,
    Case,
    CaseEvent,
    Deadline,
    DeadlineStatus,
    EventVisibility,
    Filing,
    FilingDocument,
    Message,
    Participant,
    Party,
)


def case_list(*, user: Any, state: str = "", search: str = "") -> QuerySet[Case]:
    cases = permissions.visible_cases(user)
    if state:
        cases = cases.filter(state=state)
    if search:
        # EXISTS rather than a join: a join needs DISTINCT over every column of the case (JSON included) to undo
        # the duplicates, and so did the page's COUNT (docs/performance.md, "Load").
        party = Party.objects.filter(case_id=OuterRef("pk"), name__icontains=search)
        cases = cases.filter(Q(reference__icontains=search) | Q(title__icontains=search) | Q(Exists(party)))
    next_deadlines = Deadline.objects.open().filter(is_window=False).order_by("due_at")
    return cases.prefetch_related(
        Prefetch("parties", queryset=Party.objects.order_by("side")),
        Prefetch("deadlines", queryset=next_deadlines, to_attr="open_deadlines"),
    ).order_by("-id")


def case_detail(*, user: Any, pk: int) -> Case:
    queryset = Case.objects.prefetch_related(
        Prefetch("parties", queryset=Party.objects.order_by("side")),
        Prefetch(
            "participants", queryset=Participant.objects.active().select_related("user"), to_attr="active_participants"
        ),
        Prefetch("deadlines", queryset=Deadline.objects.order_by("status", "due_at"), to_attr="all_deadlines"),
        Prefetch("appointments", queryset=Appointment.objects.select_related("arbitrator"), to_attr="all_appointments"),
        "hearings",
    )
    return permissions.case_for_user_or_404(user, pk, queryset=queryset)


def case_timeline(*, user: Any, case: Case) -> QuerySet[CaseEvent]:
    events = case.events.select_related("actor").order_by("-seq")
    if not permissions.is_tribunal_side(user, case):
        events = events.filter(visibility=EventVisibility.ALL)
    return events


def case_docket(*, case: Case) -> QuerySet[Filing]:
    return (
        Filing.objects.filter(case=case)
        .select_related("filed_by")
        .prefetch_related(Prefetch("documents", queryset=FilingDocument.objects.order_by("id")))
        .order_by("-number")
    )


def case_messages(*, case: Case) -> QuerySet[Message]:
    return Message.objects.filter(case=case).select_related("author").order_by("-created_at", "-id")


def next_deadline(case: Case) -> Deadline | None:
    candidates = getattr(case, "open_deadlines", None)
    if candidates is None:
        candidates = list(Deadline.objects.open().filter(case=case, is_window=False).order_by("due_at")[:1])
    return candidates[0] if candidates else None


@dataclass(frozen=True)
class AvailableAction:
    transition: Transition
    role: str


def available_actions(*, user: Any, case: Case) -> list[AvailableAction]:
    """The events this user may try now (guards are checked when applied, with a clear message if they fail)."""
    roles = permissions.case_roles(user, case)
    actions = []
    for transition in TRANSITIONS:
        if case.state not in transition.sources or transition.is_system_only:
            continue
        if transition.event in {"join_case"}:
            continue
        allowed = (roles & transition.roles) - {SYSTEM}
        if allowed:
            actions.append(AvailableAction(transition=transition, role=sorted(allowed)[0]))
    return actions


# --- Registrar board ------------------------------------------------------------------------------------------------

WINDOWS = {"overdue": None, "7": 7, "30": 30}


def deadline_board(
    *,
    user: Any,
    window: str = "",
    case_ref: str = "",
    responsible: str = "",
    stage: str = "",
    now: datetime | None = None,
) -> QuerySet[Deadline]:
    now = now or timezone.now()
    deadlines = Deadline.objects.open().filter(_of_visible_filed_cases(user))
    if window == "overdue":
        deadlines = deadlines.filter(due_at__lt=now, is_window=False)
    elif WINDOWS.get(window):
        deadlines = deadlines.filter(due_at__lt=now + timedelta(days=WINDOWS[window] or 0))
    if case_ref:
        deadlines = deadlines.filter(case__reference__icontains=case_ref)
    if responsible:
        deadlines = deadlines.filter(responsible=responsible)
    if stage:
        deadlines = deadlines.filter(case__state=stage)
    return deadlines.select_related("case").order_by("due_at")


def _of_visible_filed_cases(user: Any) -> Q:
    """Deadlines (or other rows with a `case`) of the filed cases `user` may see.

    A registrar sees every filed case, so the membership test of permissions.visible_cases would only cost a
    subquery per row (the board's COUNT over every open deadline was 10x slower with it; docs/performance.md).
    """
    filed = ~Q(case__state=State.DRAFT)
    if permissions.is_registrar(user):
        return filed
    return filed & Q(case__in=permissions.visible_cases(user))


def stage_counts(*, user: Any) -> list[tuple[str, str, int]]:
    counts = dict(
        permissions.visible_cases(user).values_list("state").annotate(n=Count("id")).values_list("state", "n")
    )
    return [(state.value, state.label, counts.get(state.value, 0)) for state in State if state != State.DRAFT]


# An average over up to 2000 cases' histories moves slowly: the board recomputes it at most this often per user.
TIME_IN_STAGE_CACHE_SECONDS = 300


def time_in_stage(*, user: Any, limit_cases: int = 2000) -> list[dict[str, Any]]:
    """Average days spent in each main-path stage, from the audit log of the most recent cases (cached a while:
    reading ~15 000 events made it the most expensive part of the board; docs/performance.md)."""
    key = f"tribunal:time-in-stage:{getattr(user, 'pk', None)}:{limit_cases}"
    figures = cache.get_or_set(
        key, lambda: _time_in_stage(user=user, limit_cases=limit_cases), TIME_IN_STAGE_CACHE_SECONDS
    )
    return cast(list[dict[str, Any]], figures)


def _time_in_stage(*, user: Any, limit_cases: int) -> list[dict[str, Any]]:
    recent = permissions.visible_cases(user).exclude(state=State.DRAFT).order_by("-id").values("id")[:limit_cases]
    events = (
        CaseEvent.objects.filter(case_id__in=recent)
        .exclude(from_state=F("to_state"))  # only changes of state count
        .values_list("case_id", "from_state", "to_state", "occurred_at")
        .order_by("case_id", "seq")
    )
    totals: dict[str, float] = {}
    counts: dict[str, int] = {}
    entered: dict[int, tuple[str, datetime]] = {}
    now = timezone.now()
    for case_id, from_state, to_state, at in events:
        if from_state == to_state:
            continue
        previous = entered.get(case_id)
        if previous is not None and previous[0] == from_state:
            totals[from_state] = totals.get(from_state, 0.0) + (at - previous[1]).total_seconds()
            counts[from_state] = counts.get(from_state, 0) + 1
        entered[case_id] = (to_state, at)
    for state, at in entered.values():
        if state in MAIN_PATH and state not in {State.CLOSED}:
            totals[state] = totals.get(state, 0.0) + (now - at).total_seconds()
            counts[state] = counts.get(state, 0) + 1
    return [
        {"state": s.value, "label": s.label, "days": round(totals[s] / counts[s] / 86400, 1) if counts.get(s) else 0.0}
        for s in MAIN_PATH
        if s not in {State.DRAFT, State.CLOSED}
    ]


def deadline_progress(deadline: Deadline, now: datetime | None = None) -> float:
    now = now or timezone.now()
    total = (deadline.due_at - deadline.opened_at).total_seconds()
    if total <= 0:
        return 1.0
    return max(0.0, min(1.0, (now - deadline.opened_at).total_seconds() / total))


def deadlines_for_user(*, user: Any) -> QuerySet[Deadline]:
    """Open deadlines the user owes or tracks: used by the dashboard and the iCalendar feed."""
    visible = _of_visible_filed_cases(user)
    return Deadline.objects.filter(visible, status=DeadlineStatus.OPEN).select_related("case").order_by("due_at")


def rule_pack_of(case: Case) -> Any:
    return rule_pack_for(case.rule_pack, case.rule_pack_version)
