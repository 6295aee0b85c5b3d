"""seed_load builds the load benchmark's dataset in bulk: the asked-for counts, valid hash chains, real logins."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from accounts.models import User
from disputes.lifecycle.states import State
from disputes.management.commands.seed_load import LOAD_PASSWORD, LOGINS
from disputes.models import Case, CaseEvent, Deadline, DeadlineStatus, Participant, ReferenceCounter, Role
from disputes.selectors import case_list, deadline_board
from evidence.custody import custody_append, custody_verify
from evidence.models import CustodyEvent, Exhibit, ExhibitFile

pytestmark = pytest.mark.django_db

CASES, PER_CASE, CUSTODY = 40, 3, 4


def _seed(**options: int) -> str:
    out = StringIO()
    sizes = {"cases": CASES, "exhibits_per_case": PER_CASE, "custody_per_exhibit": CUSTODY} | options
    call_command("seed_load", stdout=out, **sizes)
    return out.getvalue()


def test_counts_match_the_sizes_asked_for_and_every_chain_verifies():
    _seed()
    assert Case.objects.count() == CASES
    assert Exhibit.objects.count() == CASES * PER_CASE
    assert ExhibitFile.objects.count() == CASES * PER_CASE
    assert CustodyEvent.objects.count() == CASES * PER_CASE * CUSTODY
    states = set(Case.objects.values_list("state", flat=True))
    assert {State.DRAFT, State.EVIDENCE, State.CLOSED} <= states
    assert Deadline.objects.filter(status=DeadlineStatus.OPEN).exists()
    assert Deadline.objects.filter(status=DeadlineStatus.MET).exists()
    out = StringIO()
    call_command("verify_audit", stdout=out)
    filed = Case.objects.exclude(state=State.DRAFT).count()
    assert f"OK: {CASES} case audit chain(s) verified." in out.getvalue()
    assert CaseEvent.objects.values("case").distinct().count() == filed
    sealed = 0
    for exhibit in Exhibit.objects.all():
        assert custody_verify(exhibit) is None, exhibit.pk
        assert exhibit.custody_length + exhibit.sealed_custody_length == CUSTODY
        sealed += exhibit.sealed_custody_length
    assert sealed > 0  # every 10th exhibit has a row on the tribunal-only chain


def test_a_tampered_seeded_row_is_caught():
    # The check above must be able to fail: alter one seeded event and one custody row.
    _seed()
    event = CaseEvent.objects.filter(seq=2).first()
    assert event is not None
    CaseEvent.objects.filter(pk=event.pk).update(name="tampered")
    with pytest.raises(CommandError, match="1 of"):
        call_command("verify_audit", stdout=StringIO(), stderr=StringIO())
    row = CustodyEvent.objects.filter(seq=2, sealed=False).first()
    assert row is not None
    CustodyEvent.objects.filter(pk=row.pk).update(actor_role="tampered")
    assert "content altered" in str(custody_verify(row.exhibit))


def test_new_rows_continue_the_seeded_chains_and_sequences():
    _seed()
    exhibit = Exhibit.objects.filter(custody_length__gt=0).first()
    assert exhibit is not None
    custody_append(exhibit_id=exhibit.pk, action="viewed", actor_role="registrar")
    exhibit.refresh_from_db()
    assert custody_verify(exhibit) is None
    # Ids were given out explicitly: the next ordinary insert must not collide with them.
    User.objects.create_user(email="after-the-seed@example.org")
    year, last = ReferenceCounter.objects.order_by("-last").values_list("year", "last").first() or (0, 0)
    assert Case.objects.filter(reference=f"AIP-{year}-{last:04d}").exists()


def test_logins_see_scoped_lists_and_can_sign_in():
    _seed()
    registrar = User.objects.get(email=LOGINS["registrar"][0])
    claimant = User.objects.get(email=LOGINS["claimant"][0])
    filed = Case.objects.exclude(state=State.DRAFT).count()
    assert case_list(user=registrar).count() == filed
    mine = Participant.objects.filter(user=claimant, role=Role.CLAIMANT).values("case").distinct().count()
    assert mine == CASES // 10
    assert case_list(user=claimant).count() == mine
    assert deadline_board(user=registrar).exists()
    client = Client()
    assert client.login(email=LOGINS["arbitrator"][0], password=LOAD_PASSWORD)
    assert client.get("/cases/").status_code == 200


def test_refuses_to_seed_twice():
    _seed()
    with pytest.raises(CommandError, match="already"):
        _seed()
    assert Case.objects.count() == CASES


@pytest.mark.parametrize(
    ("options", "message"),
    [({"cases": 0}, "--cases"), ({"custody_per_exhibit": 1}, "at least 2"), ({"exhibits_per_case": -1}, "--cases")],
)
def test_bad_sizes_are_refused(options, message):
    with pytest.raises(CommandError, match=message):
        _seed(**options)
    assert not Case.objects.exists()


def test_refuses_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        _seed()
    assert not User.objects.exists()
