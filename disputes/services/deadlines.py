"""Opening, closing, pausing, resuming and extending deadlines. Called from the event service only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from disputes import clock
from disputes.lifecycle.rulepacks import Anchor, DeadlineRule, Period, RulePack
from disputes.models import Case, CaseEvent, Deadline, DeadlineStatus


def _anchor_instant(case: Case, rule: DeadlineRule, event_at: datetime) -> datetime:
    if rule.anchor == Anchor.CONSTITUTION and case.tribunal_constituted_at:
        return case.tribunal_constituted_at
    if rule.anchor == Anchor.LATER_OF_DEFENCE_AND_CONSTITUTION:
        candidates = [t for t in (case.defence_at, case.tribunal_constituted_at) if t is not None]
        return max(candidates, default=event_at)
    return event_at


def deadline_open(
    *,
    case: Case,
    pack: RulePack,
    key: str,
    event: CaseEvent,
    now: datetime,
    period: Period | None = None,
    responsible: str | None = None,
    label: str | None = None,
) -> Deadline:
    rule = pack.rule(key)
    anchor = _anchor_instant(case, rule, event.occurred_at)
    receipt = clock.deemed_receipt(anchor)
    due = clock.due_instant(clock.due_date_for(receipt, period or rule.period))
    return Deadline.objects.create(
        case=case,
        key=key,
        label=label or rule.label,
        rule_ref=rule.rule_ref if period is None else f"{rule.rule_ref}; set at {period.describe()}",
        responsible=responsible or rule.responsible,
        trigger_event=event,
        deemed_receipt=receipt,
        due_at=due,
        is_window=rule.is_window,
        on_lapse=rule.on_lapse,
        warn_fraction=rule.warn_fraction,
        opened_at=now,
    )


def deadlines_close(
    *, case: Case, keys: tuple[str, ...] | None, status: str, event: CaseEvent, now: datetime, **filters: Any
) -> int:
    """Close open deadlines (all of them when keys is None). Returns how many were closed."""
    queryset = Deadline.objects.open().filter(case=case, **filters)
    if keys is not None:
        queryset = queryset.filter(key__in=keys)
    return queryset.update(status=status, closed_at=now, closed_by_event=event, paused_at=None)


def deadline_extend(*, deadline: Deadline, days: int, reason: str, by: str, now: datetime) -> Deadline:
    previous = deadline.due_at
    deadline.due_at = clock.extend(deadline.due_at, days)
    deadline.extension_count += 1
    deadline.history = [
        *deadline.history,
        {
            "type": "extension",
            "days": days,
            "reason": reason,
            "by": by,
            "at": now.isoformat(),
            "from": previous.isoformat(),
            "to": deadline.due_at.isoformat(),
        },
    ]
    deadline.save(update_fields=["due_at", "extension_count", "history"])
    return deadline


def deadlines_pause(*, case: Case, now: datetime) -> None:
    for deadline in Deadline.objects.open().filter(case=case, paused_at__isnull=True):
        deadline.paused_at = now
        deadline.history = [*deadline.history, {"type": "pause", "at": now.isoformat()}]
        deadline.save(update_fields=["paused_at", "history"])


def deadlines_resume(*, case: Case, now: datetime) -> None:
    for deadline in Deadline.objects.open().filter(case=case, paused_at__isnull=False):
        assert deadline.paused_at is not None
        previous = deadline.due_at
        deadline.due_at = clock.resume_due(deadline.due_at, deadline.paused_at, now)
        deadline.history = [
            *deadline.history,
            {
                "type": "resume",
                "at": now.isoformat(),
                "paused_at": deadline.paused_at.isoformat(),
                "from": previous.isoformat(),
                "to": deadline.due_at.isoformat(),
            },
        ]
        deadline.paused_at = None
        deadline.save(update_fields=["paused_at", "due_at", "history"])


__all__ = [
    "DeadlineStatus",
    "deadline_extend",
    "deadline_open",
    "deadlines_close",
    "deadlines_pause",
    "deadlines_resume",
]
