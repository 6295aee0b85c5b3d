"""Side effects travel through a real broker to a real worker process, as in production (no eager mode)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from disputes.lifecycle.states import State
from disputes.models import Case, Deadline, DeadlineReminder, DeadlineStatus, Notification
from disputes.services.events import case_apply_event
from disputes.tasks import sweep_deadlines

pytestmark = pytest.mark.worker


def _mail_to(live_worker, address: str, subject_part: str):
    return [m for m in live_worker.sent_mail() if address in m["To"] and subject_part in str(m["Subject"])]


def test_serving_notice_emails_the_respondent_from_the_worker(live_worker, case_at, personas, settings):
    case = case_at("submitted")

    case_apply_event(case_id=case.pk, event="serve_notice", actor=personas.greta)

    invitation = live_worker.wait_for(
        lambda: _mail_to(live_worker, personas.rafael.email, "Notice of arbitration"),
        what="the notice of arbitration to the respondent's counsel",
    )
    text = invitation[0].get_payload(0).get_payload(decode=True).decode()
    assert f"{settings.SITE_URL}/invitations/" in text
    event = case.events.get(name="serve_notice")
    notified = live_worker.wait_for(
        lambda: list(Notification.objects.filter(dedupe_key=f"event:{event.pk}", emailed_at__isnull=False)),
        what="the serve_notice notifications to be emailed",
    )
    assert personas.clara.pk in {n.user_id for n in notified}
    assert _mail_to(live_worker, personas.clara.email, "Accept and serve notice")
    # Nothing went through the test process's own (locmem) backend: the worker sent it all.
    assert mail.outbox == []


def test_deadline_sweep_reminds_once_through_the_worker(live_worker, case_at, personas):
    case = case_at("notified")
    answer = Deadline.objects.get(case=case, key="answer", status=DeadlineStatus.OPEN)
    Deadline.objects.filter(pk=answer.pk).update(due_at=timezone.now() + timedelta(days=2, hours=1))

    sweep_deadlines.delay()
    live_worker.wait_for(
        lambda: _mail_to(live_worker, personas.rafael.email, "Reminder"), what="the 3-day reminder email"
    )
    assert list(DeadlineReminder.objects.filter(deadline=answer).values_list("kind", flat=True)) == ["3d"]

    expected = live_worker.received() + 1
    sweep_deadlines.delay()
    live_worker.wait_for(lambda: live_worker.idle(expected), what="the second sweep to finish")
    assert len(_mail_to(live_worker, personas.rafael.email, "Reminder")) == 1
    assert mail.outbox == []


def test_deadline_sweep_lapses_an_overdue_answer_and_escalates(live_worker, case_at, personas):
    case = case_at("notified")
    Deadline.objects.filter(case=case, key="answer", status=DeadlineStatus.OPEN).update(
        due_at=timezone.now() - timedelta(hours=1)
    )

    sweep_deadlines.delay()

    live_worker.wait_for(
        lambda: Case.objects.get(pk=case.pk).state == State.TRIBUNAL_FORMATION,
        what="the answer_lapsed event applied by the worker",
    )
    assert case.events.filter(name="answer_lapsed", actor__isnull=True).exists()
    live_worker.wait_for(
        lambda: _mail_to(live_worker, personas.greta.email, "OVERDUE"), what="the escalation to the registrar"
    )
