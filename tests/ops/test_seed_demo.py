"""seed_demo builds the embedded demo through the real services, once, and never in production."""

from __future__ import annotations

from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from disputes.audit import verify_chain
from disputes.lifecycle.states import State
from disputes.management.commands.seed_demo import DEMO_PASSWORD, EVIDENCE_CASE_TITLE, PEOPLE, SCREENING_CASE_TITLE
from disputes.models import Case, CaseEvent, Participant, Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    # PBKDF2 costs ~1 s per demo user; the hasher is not what these tests are about.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_demo_case_reaches_evidence_through_the_event_service():
    _seed()
    case = Case.objects.get(title=EVIDENCE_CASE_TITLE)
    assert case.state == State.EVIDENCE
    walked = list(case.events.order_by("pk").values_list("name", flat=True))
    for event in (
        "submit",
        "serve_notice",
        "join_case",
        "file_answer",
        "appoint_arbitrator",
        "file_declaration",
        "issue_po1",
        "file_statement_of_claim",
        "file_statement_of_defence",
    ):
        assert event in walked
    roles = set(case.participants.values_list("user__email", "role"))
    assert ("rafael@respondent-law.example", Role.RESPONDENT) in roles
    assert ("ada@arbitrators.example", Role.ARBITRATOR) in roles
    assert ("eli@forensic-experts.example", Role.EXPERT) in roles


def test_screening_queue_has_a_submitted_case():
    _seed()
    assert Case.objects.get(title=SCREENING_CASE_TITLE).state == State.SUBMITTED


def test_every_demo_login_works_with_a_verified_address(client):
    out = _seed()
    for person in PEOPLE:
        user = User.objects.get(email=person.email)
        assert user.check_password(DEMO_PASSWORD)
        assert EmailAddress.objects.filter(user=user, email=person.email, verified=True, primary=True).exists()
        assert person.email in out
    assert DEMO_PASSWORD in out
    assert User.objects.get(email="greta@tribunal.example").is_registrar
    assert User.objects.get(email="ada@arbitrators.example").on_arbitrator_roster


def test_running_twice_changes_nothing():
    _seed()
    counts = (User.objects.count(), Case.objects.count(), CaseEvent.objects.count(), Participant.objects.count())
    _seed()
    assert (
        User.objects.count(),
        Case.objects.count(),
        CaseEvent.objects.count(),
        Participant.objects.count(),
    ) == counts


def test_audit_chain_of_the_demo_case_verifies():
    _seed()
    case = Case.objects.get(title=EVIDENCE_CASE_TITLE)
    assert verify_chain(case) is None


def test_refuses_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo")
    assert not User.objects.exists()
