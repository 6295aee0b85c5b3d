"""factory_boy factories and a builder that walks a case through the real services to any state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import factory
from django.utils import timezone

from accounts.models import User
from disputes.models import Case, Participant, Role
from disputes.services.cases import case_draft_create, case_draft_update
from disputes.services.events import case_apply_event
from disputes.services.invitations import invitation_accept, invitation_create


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Faker("name")
    password = factory.django.Password("correct-horse-battery")


@dataclass
class Personas:
    clara: User  # claimant's counsel
    rafael: User  # respondent's counsel
    ada: User  # arbitrator on the roster
    otto: User  # another arbitrator on the roster (sits on other cases)
    greta: User  # registrar
    uma: User  # unrelated user

    @classmethod
    def create(cls) -> Personas:
        return cls(
            clara=UserFactory(email="clara@claimant-law.example", full_name="Clara Claimant-Counsel"),
            rafael=UserFactory(email="rafael@respondent-law.example", full_name="Rafael Respondent-Counsel"),
            ada=UserFactory(
                email="ada@arbitrators.example",
                full_name="Ada Arbiter",
                on_arbitrator_roster=True,
                affiliations="University of Somewhere",
            ),
            otto=UserFactory(email="otto@arbitrators.example", full_name="Otto Other", on_arbitrator_roster=True),
            greta=UserFactory(email="greta@registry.example", full_name="Greta Registrar", is_registrar=True),
            uma=UserFactory(email="uma@elsewhere.example", full_name="Uma Unrelated"),
        )


def complete_draft(personas: Personas, *, rule_pack: str = "standard", respondent_email: str | None = None) -> Case:
    case = case_draft_create(user=personas.clara, title="Frontier Labs v. Copycat AI", rule_pack=rule_pack)
    return case_draft_update(
        case_id=case.pk,
        fields={
            "dispute_types": ["weight_copying", "api_extraction"],
            "ai_systems": [{"name": "Frontier-7B", "version": "2.1", "endpoint": "https://api.frontier.example/v1"}],
            "facts": "The respondent's model reproduces our weights up to a permutation.",
            "relief_sought": "A declaration of infringement and damages.",
            "arbitration_agreement": "Clause 17 of the API Terms of Service (2025).",
        },
        claimant={
            "name": "Frontier Labs Ltd",
            "jurisdiction": "England and Wales",
            "counsel_email": personas.clara.email,
        },
        respondent={
            "name": "Copycat AI Inc.",
            "jurisdiction": "Delaware",
            "counsel_email": respondent_email or personas.rafael.email,
            "affiliates": "Copycat Holdings",
        },
    )


# The main path, each step as (event, actor attribute, payload).
MAIN_PATH_STEPS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("submitted", "submit", "clara", {}),
    ("notified", "serve_notice", "greta", {}),
    ("tribunal_formation", "file_answer", "rafael", {"title": "Answer", "body": "We deny everything."}),
    ("procedural_setup", "appoint_arbitrator+declare", "greta", {}),
    ("written_submissions", "issue_po1", "ada", {"title": "Procedural Order No. 1", "body": "Timetable."}),
    ("written_submissions*", "file_statement_of_claim", "clara", {"title": "Statement of Claim"}),
    ("evidence", "file_statement_of_defence", "rafael", {"title": "Statement of Defence"}),
    ("hearing", "schedule_hearing", "ada", {"days": 2, "location": "London", "video_link": "https://video.example/h"}),
    ("deliberation", "close_proceedings", "ada", {}),
    ("award_issued", "issue_award", "ada", {"title": "Final Award", "body": "The claim succeeds in part."}),
]
ORDER = ["draft"] + [step[0] for step in MAIN_PATH_STEPS]


def _upload(name: str = "award.pdf") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, b"%PDF-1.4 signed award", content_type="application/pdf")


def case_at_state(state: str, *, personas: Personas, rule_pack: str = "standard") -> Case:
    """Walk a fresh case along the main path (through the real event service) until it reaches `state`."""
    case = complete_draft(personas, rule_pack=rule_pack)
    if state == "draft":
        return case
    for target, event, actor_name, payload in MAIN_PATH_STEPS:
        if rule_pack == "expedited" and event == "file_statement_of_claim":
            continue
        actor = getattr(personas, actor_name)
        if event == "serve_notice":
            case_apply_event(case_id=case.pk, event=event, actor=actor)
            _join_respondent(case, personas)
        elif event == "appoint_arbitrator+declare":
            case_apply_event(
                case_id=case.pk, event="appoint_arbitrator", actor=actor, payload={"arbitrator": personas.ada.pk}
            )
            case_apply_event(
                case_id=case.pk, event="file_declaration", actor=personas.ada, payload={"independent": True}
            )
        elif event == "schedule_hearing":
            starts = timezone.localtime(timezone.now() + timedelta(days=20)).strftime("%Y-%m-%dT10:00")
            case_apply_event(case_id=case.pk, event=event, actor=actor, payload={**payload, "starts_at": starts})
        elif event == "issue_award":
            case_apply_event(case_id=case.pk, event=event, actor=actor, payload=payload, documents=[_upload()])
        else:
            case_apply_event(case_id=case.pk, event=event, actor=actor, payload=payload)
        case.refresh_from_db()
        if target.rstrip("*") == state and not target.endswith("*"):
            return case
    case.refresh_from_db()
    if case.state != state:
        raise ValueError(f"cannot build a case in state {state} along the main path")
    return case


def _join_respondent(case: Case, personas: Personas) -> None:
    if Participant.objects.filter(case=case, user=personas.rafael).exists():
        return
    _, token = invitation_create(case=case, email=personas.rafael.email, role=Role.RESPONDENT, now=timezone.now())
    invitation_accept(token=token, user=personas.rafael)
