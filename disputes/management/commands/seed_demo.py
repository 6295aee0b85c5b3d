"""Load the embedded demo: five people and two cases, walked through the real services.

The demo case goes through the same `case_apply_event` calls a user's clicks make, so what the demo shows is what
the product does (deadlines, audit chain, docket, notifications). Running the command again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from disputes.models import Case, Participant, Role
from disputes.services.cases import case_draft_create, case_draft_update
from disputes.services.events import case_apply_event
from disputes.services.invitations import invitation_accept, invitation_create

# Embedded mode only (the command refuses to run in production), so a fixed, printed password is acceptable.
DEMO_PASSWORD = "tribunal-demo-password"


@dataclass(frozen=True)
class DemoPerson:
    key: str
    email: str
    full_name: str
    label: str
    organisation: str = ""
    is_registrar: bool = False
    on_arbitrator_roster: bool = False
    affiliations: str = ""


PEOPLE = (
    DemoPerson("registrar", "greta@tribunal.example", "Greta Registrar", "registrar", "Tribunal Registry", True),
    DemoPerson("claimant", "clara@claimant-law.example", "Clara Claimant-Counsel", "claimant counsel", "Hale & Moss"),
    DemoPerson(
        "respondent", "rafael@respondent-law.example", "Rafael Respondent-Counsel", "respondent counsel", "Ortiz LLP"
    ),
    DemoPerson(
        "arbitrator",
        "ada@arbitrators.example",
        "Ada Arbiter",
        "arbitrator",
        "Independent",
        on_arbitrator_roster=True,
        affiliations="University of Somewhere",
    ),
    DemoPerson("expert", "eli@forensic-experts.example", "Eli Expert", "tribunal expert", "Forensic Experts Ltd"),
)

EVIDENCE_CASE_TITLE = "Frontier Labs v. Copycat AI"
SCREENING_CASE_TITLE = "Northwind Models v. Distill Co."


class Command(BaseCommand):
    help = "Create the demo users and cases (idempotent). Embedded mode only."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default=DEMO_PASSWORD, help="Password given to demo users when created.")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_demo creates users with a known password; it refuses to run in production mode.")
        password: str = options["password"]
        # One transaction: an interrupted seed leaves nothing half-built, so the next run starts clean.
        with transaction.atomic():
            people = {person.key: _demo_user(person, password=password) for person in PEOPLE}
            evidence_case = _evidence_case(people)
            screening_case = _screening_case(people)
        # Evidence after the cases commit: uploads queue their jobs on commit, like a user's would.
        from evidence.demo import demo_evidence

        for exhibit in demo_evidence(case=evidence_case, people=people):
            self.stdout.write(f"  filed {exhibit}")

        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        for case in (evidence_case, screening_case):
            self.stdout.write(f"  {case.display_reference}  {case.title}  [{case.get_state_display()}]")
        self.stdout.write(f"Demo logins (password for all: {password}):")
        for person in PEOPLE:
            self.stdout.write(f"  {person.label:<19} {person.email}")


def _demo_user(person: DemoPerson, *, password: str) -> User:
    user, created = User.objects.get_or_create(
        email=person.email,
        defaults={
            "full_name": person.full_name,
            "organisation": person.organisation,
            "is_registrar": person.is_registrar,
            "on_arbitrator_roster": person.on_arbitrator_roster,
            "affiliations": person.affiliations,
        },
    )
    if created:
        # Only on creation: hashing costs ~1 s a user on every `make run`, and a changed password is the user's own.
        user.set_password(password)
        user.save(update_fields=["password"])
    # allauth requires a verified address before an email login (ACCOUNT_EMAIL_VERIFICATION = mandatory).
    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    return user


def _draft(*, people: dict[str, User], title: str, claimant: dict[str, str], respondent: dict[str, str]) -> Case:
    case = case_draft_create(user=people["claimant"], title=title, rule_pack="standard")
    return case_draft_update(
        case_id=case.pk,
        fields={
            "dispute_types": ["weight_copying", "api_extraction"],
            "ai_systems": [{"name": "Frontier-7B", "version": "2.1", "endpoint": "https://api.frontier.example/v1"}],
            "facts": (
                "The respondent's public model reproduces the claimant's Frontier-7B weights up to a permutation of "
                "hidden units, and its API logs show 41 accounts querying Frontier-7B at volume before its release."
            ),
            "relief_sought": "A declaration of infringement, an order to cease distribution, and damages.",
            "arbitration_agreement": "Clause 17 of the Frontier API Terms of Service (2025 edition).",
        },
        claimant={**claimant, "counsel_email": people["claimant"].email},
        respondent={**respondent, "counsel_email": people["respondent"].email},
    )


def _existing(*, title: str, people: dict[str, User]) -> Case | None:
    return Case.objects.filter(title=title, created_by=people["claimant"]).first()


def _evidence_case(people: dict[str, User]) -> Case:
    existing = _existing(title=EVIDENCE_CASE_TITLE, people=people)
    if existing is not None:
        return existing
    case = _draft(
        people=people,
        title=EVIDENCE_CASE_TITLE,
        claimant={"name": "Frontier Labs Ltd", "jurisdiction": "England and Wales"},
        respondent={"name": "Copycat AI Inc.", "jurisdiction": "Delaware", "affiliates": "Copycat Holdings"},
    )
    registrar, claimant, respondent, arbitrator = (
        people["registrar"],
        people["claimant"],
        people["respondent"],
        people["arbitrator"],
    )

    def apply(event: str, actor: User, payload: dict[str, Any] | None = None) -> None:
        case_apply_event(case_id=case.pk, event=event, actor=actor, payload=payload or {})

    apply("submit", claimant)
    apply("serve_notice", registrar)
    # serve_notice emails the respondent a single-use link whose token is never stored; the demo issues its own
    # invitation so it can accept it the way the respondent's click would.
    _accept_invitation(case=case, user=respondent, role=Role.RESPONDENT)
    apply("file_answer", respondent, {"title": "Answer to the Request", "body": "The respondent denies copying."})
    apply("appoint_arbitrator", registrar, {"arbitrator": arbitrator.pk})
    apply("file_declaration", arbitrator, {"independent": True})
    apply(
        "issue_po1",
        arbitrator,
        {"title": "Procedural Order No. 1", "body": "Timetable, protective order and forensic protocol."},
    )
    apply("file_statement_of_claim", claimant, {"title": "Statement of Claim", "body": "Weights and logs."})
    apply("file_statement_of_defence", respondent, {"title": "Statement of Defence", "body": "Independent training."})
    _accept_invitation(case=case, user=people["expert"], role=Role.EXPERT)
    case.refresh_from_db()
    return case


def _screening_case(people: dict[str, User]) -> Case:
    existing = _existing(title=SCREENING_CASE_TITLE, people=people)
    if existing is not None:
        return existing
    case = _draft(
        people=people,
        title=SCREENING_CASE_TITLE,
        claimant={"name": "Northwind Models plc", "jurisdiction": "England and Wales"},
        respondent={"name": "Distill Co.", "jurisdiction": "Singapore"},
    )
    case_apply_event(case_id=case.pk, event="submit", actor=people["claimant"])
    case.refresh_from_db()
    return case


def _accept_invitation(*, case: Case, user: User, role: str) -> None:
    if Participant.objects.active().filter(case=case, user=user, role=role).exists():
        return
    _, token = invitation_create(case=case, email=user.email, role=role, now=timezone.now())
    invitation_accept(token=token, user=user)
