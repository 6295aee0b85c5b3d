"""The hash-chained audit log: intact chains verify; altering, deleting, inserting or reordering is detected."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from disputes.audit import verify_chain
from disputes.models import CaseEvent


def _raw(sql: str, params: list) -> None:
    # Tampering goes around the ORM, as an attacker with database access would.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _delete_event(pk: int) -> None:
    # Detach rows that point at the event first, so only the audit chain itself is damaged.
    _raw("UPDATE disputes_deadline SET trigger_event_id = NULL WHERE trigger_event_id = %s", [pk])
    _raw("UPDATE disputes_deadline SET closed_by_event_id = NULL WHERE closed_by_event_id = %s", [pk])
    _raw("UPDATE disputes_filing SET event_id = NULL WHERE event_id = %s", [pk])
    _raw("UPDATE disputes_message SET event_id = NULL WHERE event_id = %s", [pk])
    _raw("DELETE FROM disputes_caseevent WHERE id = %s", [pk])


@pytest.fixture
def chained_case(case_at):
    case = case_at("written_submissions")
    assert case.events.count() >= 6
    return case


@pytest.mark.django_db
def test_intact_chain_verifies(chained_case, capsys):
    assert verify_chain(chained_case) is None
    call_command("verify_audit", "--case", chained_case.reference)
    assert "1 case audit chain(s) verified" in capsys.readouterr().out


@pytest.mark.django_db
def test_altered_payload_is_detected(chained_case):
    event = chained_case.events.get(seq=3)
    _raw("UPDATE disputes_caseevent SET payload = %s WHERE id = %s", ['{"title": "Forged"}', event.pk])
    problem = verify_chain(chained_case)
    assert problem is not None and problem.seq == 3 and "altered" in problem.reason


@pytest.mark.django_db
def test_altered_actor_or_time_is_detected(chained_case):
    event = chained_case.events.get(seq=2)
    _raw(
        "UPDATE disputes_caseevent SET occurred_at = occurred_at + INTERVAL '1 minute' WHERE id = %s"
        if connection.vendor == "postgresql"
        else "UPDATE disputes_caseevent SET occurred_at = datetime(occurred_at, '+1 minute') WHERE id = %s",
        [event.pk],
    )
    problem = verify_chain(chained_case)
    assert problem is not None and problem.seq == 2


@pytest.mark.django_db
def test_deleted_middle_event_is_detected(chained_case):
    event = chained_case.events.get(seq=4)
    _delete_event(event.pk)
    problem = verify_chain(chained_case)
    assert problem is not None and problem.seq == 4 and "missing" in problem.reason


@pytest.mark.django_db
def test_deleted_last_event_is_detected(chained_case):
    last = chained_case.events.order_by("-seq").first()
    _delete_event(last.pk)
    problem = verify_chain(chained_case)
    assert problem is not None and problem.seq is None and "head" in problem.reason


@pytest.mark.django_db
def test_inserted_event_is_detected(chained_case):
    # Shift later events up and insert a forged one with a plausible (but not chained) hash.
    last = chained_case.audit_length
    for seq in range(last, 2, -1):
        _raw("UPDATE disputes_caseevent SET seq = %s WHERE case_id = %s AND seq = %s", [seq + 1, chained_case.pk, seq])
    previous = chained_case.events.get(seq=2)
    CaseEvent.objects.create(
        case=chained_case,
        seq=3,
        name="serve_notice",
        from_state="submitted",
        to_state="notified",
        actor=None,
        actor_role="registrar",
        occurred_at=previous.occurred_at,
        payload={},
        prev_hash=previous.hash,
        hash="f" * 64,
    )
    problem = verify_chain(chained_case)
    assert problem is not None and problem.seq == 3


@pytest.mark.django_db
def test_reordered_events_are_detected(chained_case):
    a, b = chained_case.events.get(seq=2), chained_case.events.get(seq=3)
    _raw("UPDATE disputes_caseevent SET seq = 1000 WHERE id = %s", [a.pk])
    _raw("UPDATE disputes_caseevent SET seq = 2 WHERE id = %s", [b.pk])
    _raw("UPDATE disputes_caseevent SET seq = 3 WHERE id = %s", [a.pk])
    problem = verify_chain(chained_case)
    assert problem is not None and problem.seq == 2


@pytest.mark.django_db
def test_command_reports_the_broken_case_and_fails(chained_case, case_at, capsys):
    healthy = case_at("submitted")
    event = chained_case.events.get(seq=2)
    _raw("UPDATE disputes_caseevent SET name = %s WHERE id = %s", ["dismiss", event.pk])
    with pytest.raises(CommandError, match="1 of 2"):
        call_command("verify_audit")
    err = capsys.readouterr().err
    assert chained_case.reference in err and "event #2" in err and healthy.reference not in err
