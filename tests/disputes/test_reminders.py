"""The periodic sweep: reminders at 7/3/1 days, the 75 % warning, lapses, escalation — and idempotency."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from disputes.models import Deadline, DeadlineReminder, DeadlineStatus, Notification
from disputes.services.reminders import deadlines_sweep


def _due_in(deadline: Deadline, delta: timedelta) -> None:
    Deadline.objects.filter(pk=deadline.pk).update(due_at=timezone.now() + delta)


@pytest.mark.django_db
def test_reminder_sent_once_even_when_the_sweep_runs_twice(case_at, personas):
    case = case_at("notified")
    answer = case.deadlines.get(key="answer")
    _due_in(answer, timedelta(days=6, hours=12))
    mail.outbox.clear()
    first = deadlines_sweep()
    sent = [m for m in mail.outbox if "Reminder" in m.subject]
    assert first.reminders == 1
    assert [m.to for m in sent] == [[personas.rafael.email]]
    assert "due in 7 day(s)" in sent[0].subject
    mail.outbox.clear()
    second = deadlines_sweep()
    assert second.reminders == 0 and not mail.outbox


@pytest.mark.django_db
def test_each_threshold_reminds_once_as_the_deadline_approaches(case_at, personas):
    case = case_at("notified")
    answer = case.deadlines.get(key="answer")
    for delta, kind in ((timedelta(days=6), "7d"), (timedelta(days=2), "3d"), (timedelta(hours=20), "1d")):
        _due_in(answer, delta)
        deadlines_sweep()
        deadlines_sweep()
        assert DeadlineReminder.objects.filter(deadline=answer, kind=kind).count() == 1
    assert Notification.objects.filter(user=personas.rafael, kind="reminder").count() == 3


@pytest.mark.django_db
def test_overdue_answer_lapses_flags_default_and_escalates_once(case_at, personas):
    case = case_at("notified")
    answer = case.deadlines.get(key="answer")
    _due_in(answer, -timedelta(minutes=5))
    mail.outbox.clear()
    report = deadlines_sweep()
    case.refresh_from_db()
    answer.refresh_from_db()
    assert case.state == "tribunal_formation" and case.respondent_in_default
    assert answer.status == DeadlineStatus.LAPSED
    assert case.deadlines.filter(key="nomination", status="open").exists()
    escalations = [m for m in mail.outbox if "OVERDUE" in m.subject]
    assert [m.to for m in escalations] == [[personas.greta.email]]
    assert report.lapses and report.escalations == 1
    mail.outbox.clear()
    again = deadlines_sweep()
    assert again.escalations == 0 and not again.lapses
    assert not [m for m in mail.outbox if "OVERDUE" in m.subject]


@pytest.mark.django_db
def test_overdue_duty_without_lapse_event_escalates_to_registrar(case_at, personas):
    case = case_at("procedural_setup")
    po1 = case.deadlines.get(key="po1")
    _due_in(po1, -timedelta(hours=1))
    mail.outbox.clear()
    deadlines_sweep()
    case.refresh_from_db()
    assert case.state == "procedural_setup"  # nothing automatic: the registrar chases the tribunal
    assert any("OVERDUE" in m.subject and m.to == [personas.greta.email] for m in mail.outbox)


@pytest.mark.django_db
def test_closure_warns_at_75_percent(case_at, personas):
    case = case_at("evidence")
    closure = case.deadlines.get(key="closure")
    span = closure.due_at - closure.opened_at
    Deadline.objects.filter(pk=closure.pk).update(
        opened_at=timezone.now() - span * 0.8, due_at=timezone.now() + span * 0.2
    )
    mail.outbox.clear()
    report = deadlines_sweep()
    assert report.warnings == 1
    warned = [m for m in mail.outbox if "75%" in m.subject]
    assert {m.to[0] for m in warned} == {personas.ada.email, personas.greta.email}
    assert deadlines_sweep().warnings == 0


@pytest.mark.django_db
def test_paused_deadlines_are_not_reminded(case_at, personas):
    case = case_at("notified")
    answer = case.deadlines.get(key="answer")
    from disputes.services.events import case_apply_event

    case_apply_event(case_id=case.pk, event="suspend", actor=personas.greta, payload={"reasons": "Talks"})
    _due_in(answer, -timedelta(days=1))
    report = deadlines_sweep()
    case.refresh_from_db()
    assert case.state == "suspended" and report.reminders == 0 and not report.lapses


@pytest.mark.django_db
def test_correction_window_lapse_closes_the_case(case_at, personas):
    case = case_at("award_issued")
    Deadline.objects.filter(case=case, key="correction").update(due_at=timezone.now() - timedelta(minutes=1))
    deadlines_sweep()
    case.refresh_from_db()
    assert case.state == "closed" and case.retention_until is not None
