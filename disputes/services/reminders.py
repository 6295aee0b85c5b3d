"""The periodic deadline sweep: reminders at 7, 3 and 1 days, the 75 % warning, lapses and escalation.

Idempotent: a DeadlineReminder row (unique per deadline and kind) is written before anything is sent, so running
the sweep twice — or two sweeps at once — sends nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from disputes import notifications
from disputes.models import Deadline, DeadlineReminder
from disputes.services.events import lapse_event_apply

logger = logging.getLogger(__name__)


@dataclass
class SweepReport:
    reminders: int = 0
    warnings: int = 0
    escalations: int = 0
    lapses: list[str] = field(default_factory=list)


def _claim(deadline: Deadline, kind: str) -> bool:
    try:
        with transaction.atomic():
            DeadlineReminder.objects.create(deadline=deadline, kind=kind)
    except IntegrityError:
        return False
    return True


def _send(deadline: Deadline, kind: str, users: list[Any], notification_kind: str) -> None:
    subject, body = notifications.deadline_message(deadline, kind)
    notifications.notify(
        users=users,
        case=deadline.case,
        key=f"deadline:{deadline.pk}:{kind}",
        kind=notification_kind,
        subject=subject,
        body=body,
        url=notifications.case_url(deadline.case),
    )


def _reminder_kind(deadline: Deadline, now: datetime) -> str | None:
    remaining = deadline.due_at - now
    for days in sorted(settings.TRIBUNAL_REMINDER_DAYS):
        if remaining <= timedelta(days=days):
            return f"{days}d"
    return None


def deadlines_sweep(*, now: datetime | None = None) -> SweepReport:
    now = now or timezone.now()
    report = SweepReport()
    horizon = now + timedelta(days=max(settings.TRIBUNAL_REMINDER_DAYS))
    active = Deadline.objects.open().filter(paused_at__isnull=True).select_related("case")

    # Reminders for duties falling due within the horizon: only the most urgent threshold reached is sent.
    for deadline in active.filter(is_window=False, due_at__gt=now, due_at__lte=horizon):
        kind = _reminder_kind(deadline, now)
        if kind and _claim(deadline, kind):
            _send(deadline, kind, notifications.deadline_owners(deadline), "reminder")
            report.reminders += 1

    for deadline in active.filter(is_window=False, warn_fraction__isnull=False, due_at__gt=now):
        assert deadline.warn_fraction is not None
        span = deadline.due_at - deadline.opened_at
        if now >= deadline.opened_at + span * deadline.warn_fraction and _claim(deadline, "75pct"):
            _send(deadline, "75pct", notifications.deadline_owners(deadline) + notifications.registrars(), "warning")
            report.warnings += 1

    # Past due: fire the rule's lapse event if it has one; escalate unmet duties to the registry once.
    for deadline in active.filter(due_at__lte=now).order_by("due_at"):
        if deadline.on_lapse and lapse_event_apply(case_id=deadline.case_id, event=deadline.on_lapse) is not None:
            report.lapses.append(f"{deadline.case}:{deadline.on_lapse}")
        if not deadline.is_window and _claim(deadline, "overdue"):
            deadline.refresh_from_db()
            _send(deadline, "overdue", notifications.registrars(), "escalation")
            report.escalations += 1
    return report
