"""Celery tasks: thin wrappers that take ids and call services."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from disputes import notifications
from disputes.services.reminders import deadlines_sweep


@shared_task(acks_late=True)
def notify_event(event_id: int) -> int:
    return notifications.notify_about_event(event_id)


@shared_task(acks_late=True)
def send_invitation(invitation_id: int, token: str) -> None:
    notifications.send_invitation_email(invitation_id=invitation_id, token=token)


@shared_task(acks_late=True)
def sweep_deadlines() -> dict[str, Any]:
    report = deadlines_sweep()
    return {
        "reminders": report.reminders,
        "warnings": report.warnings,
        "escalations": report.escalations,
        "lapses": report.lapses,
    }


@shared_task(acks_late=True)
def send_digests() -> int:
    return notifications.send_daily_digests()
