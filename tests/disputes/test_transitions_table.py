"""A generated walk of the whole transitions table.

For every row: the event succeeds for an allowed role from a source state (reaching the row's target), and is
refused — with a clear message and nothing written — for every other persona and from a wrong state. A row
added to the table without a recipe here fails `test_every_transition_has_a_recipe`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from disputes import permissions
from disputes.exceptions import GuardFailed, NotPermitted, TransitionError, WrongState
from disputes.lifecycle.transitions import SYSTEM, TRANSITIONS
from disputes.models import Appointment, AppointmentStatus, Case, Deadline, DeadlineStatus, Filing, Message
from disputes.services.events import case_apply_event

PERSONA_NAMES = ("clara", "rafael", "ada", "otto", "greta", "uma")


def _act(case: Case, event: str, actor: Any, payload: dict[str, Any] | None = None, **kw: Any) -> None:
    case_apply_event(case_id=case.pk, event=event, actor=actor, payload=payload or {}, **kw)
    case.refresh_from_db()


def _push_past(case: Case, key: str) -> None:
    Deadline.objects.filter(case=case, key=key, status=DeadlineStatus.OPEN).update(
        due_at=timezone.now() - timedelta(hours=1)
    )


def _award_pdf() -> list[Any]:
    return [SimpleUploadedFile("award.pdf", b"%PDF-1.4 award", content_type="application/pdf")]


@dataclass
class Recipe:
    start: str
    actor: str  # persona name, or "system"
    payload: Callable[[Case, Any], dict[str, Any]] = lambda case, p: {}
    setup: Callable[[Case, Any], None] = lambda case, p: None
    expect_state: str | None = None  # None: the row's own target
    documents: bool = False
    check: Callable[[Case, Any], None] = lambda case, p: None
    extra: dict[str, Any] = field(default_factory=dict)


def _appoint(case: Case, p: Any) -> None:
    _act(case, "appoint_arbitrator", p.greta, {"arbitrator": p.ada.pk})


def _appoint_and_disclose(case: Case, p: Any) -> None:
    _appoint(case, p)
    _act(
        case, "file_declaration", p.ada, {"independent": True, "disclosures": "I advised a party's affiliate in 2019."}
    )


def _challenge(case: Case, p: Any) -> None:
    _act(case, "challenge_arbitrator", p.clara, {"reasons": "Undisclosed consultancy for the respondent."})


def _claim(case: Case, p: Any) -> None:
    _act(case, "file_statement_of_claim", p.clara, {"title": "Statement of Claim"})


def _claim_then_lapse(case: Case, p: Any) -> None:
    _claim(case, p)
    _push_past(case, "statement_of_defence")


def _claimant_evidence_period(case: Case, p: Any) -> None:
    _act(case, "set_evidence_period", p.ada, {"side": "claimant", "days": 10, "description": "Expert reports"})


def _request_correction(case: Case, p: Any) -> None:
    _act(case, "request_correction", p.clara, {"title": "Correction of a computational error"})


def _mark_clean_declaration(case: Case, p: Any) -> None:
    _appoint(case, p)
    Appointment.objects.filter(case=case).update(declared_at=timezone.now(), declared_independent=True)


def _suspended(case: Case, p: Any) -> None:
    _act(case, "suspend", p.greta, {"reasons": "Settlement talks"})


def _deficient(case: Case, p: Any) -> None:
    _act(case, "mark_deficient", p.greta, {"reasons": "The arbitration agreement is missing."})


def _future_hearing(case: Case, p: Any) -> dict[str, Any]:
    starts = timezone.localtime(timezone.now() + timedelta(days=30)).strftime("%Y-%m-%dT10:00")
    return {"starts_at": starts, "days": 2, "video_link": "https://video.example/room"}


def _check_deadline_met(key: str) -> Callable[[Case, Any], None]:
    def check(case: Case, p: Any) -> None:
        assert case.deadlines.filter(key=key, status=DeadlineStatus.MET).exists()

    return check


RECIPES: dict[str, Recipe] = {
    "submit": Recipe("draft", "clara", check=lambda c, p: c.reference.startswith("AIP-")),
    "mark_deficient": Recipe("submitted", "greta", lambda c, p: {"reasons": "Agreement missing."}),
    "cure": Recipe("submitted", "clara", lambda c, p: {"title": "Cure"}, setup=_deficient),
    "deem_withdrawn": Recipe("submitted", SYSTEM, setup=lambda c, p: (_deficient(c, p), _push_past(c, "cure"))),
    "serve_notice": Recipe("submitted", "greta", check=lambda c, p: c.invitations.count() == 1),
    "request_extension": Recipe(
        "notified", "rafael", check=lambda c, p: c.deadlines.get(key="answer").extension_count == 1
    ),
    "file_answer": Recipe("notified", "rafael", lambda c, p: {"title": "Answer"}, check=_check_deadline_met("answer")),
    "answer_lapsed": Recipe(
        "notified",
        SYSTEM,
        setup=lambda c, p: _push_past(c, "answer"),
        check=lambda c, p: c.respondent_in_default,
    ),
    "nominate_arbitrator": Recipe("tribunal_formation", "clara", lambda c, p: {"arbitrator": p.ada.pk}),
    "appoint_arbitrator": Recipe(
        "tribunal_formation",
        "greta",
        lambda c, p: {"arbitrator": p.ada.pk},
        check=lambda c, p: c.appointments.get().status == AppointmentStatus.AWAITING_DECLARATION,
    ),
    "file_declaration": Recipe(
        "tribunal_formation",
        "ada",
        lambda c, p: {"independent": True},
        setup=_appoint,
        expect_state="procedural_setup",
    ),
    "constitute_tribunal": Recipe(
        "tribunal_formation",
        SYSTEM,
        lambda c, p: {"appointment": c.appointments.get().pk},
        setup=_mark_clean_declaration,
    ),
    "confirm_appointment": Recipe("tribunal_formation", "greta", setup=_appoint_and_disclose),
    "reject_appointment": Recipe(
        "tribunal_formation",
        "greta",
        lambda c, p: {"reasons": "Conflict."},
        setup=_appoint_and_disclose,
        check=lambda c, p: c.appointments.get().status == AppointmentStatus.REJECTED,
    ),
    "challenge_arbitrator": Recipe("procedural_setup", "clara", lambda c, p: {"reasons": "Bias."}),
    "uphold_challenge": Recipe(
        "procedural_setup",
        "greta",
        lambda c, p: {"reasons": "Upheld."},
        setup=_challenge,
        check=lambda c, p: not c.participants.active().filter(role="arbitrator").exists(),
    ),
    "reject_challenge": Recipe("procedural_setup", "greta", lambda c, p: {"reasons": "No basis."}, setup=_challenge),
    "hold_case_conference": Recipe(
        "procedural_setup",
        "ada",
        lambda c, p: {"held_on": timezone.localdate().isoformat()},
        check=_check_deadline_met("case_conference"),
    ),
    "issue_po1": Recipe(
        "procedural_setup",
        "ada",
        lambda c, p: {"title": "Procedural Order No. 1"},
        check=lambda c, p: c.deadlines.filter(key="statement_of_claim", status="open").exists(),
    ),
    "issue_procedural_order": Recipe("written_submissions", "ada", lambda c, p: {"title": "PO2"}),
    "file_statement_of_claim": Recipe(
        "written_submissions", "clara", lambda c, p: {"title": "SoC"}, check=_check_deadline_met("statement_of_claim")
    ),
    "file_statement_of_defence": Recipe(
        "written_submissions",
        "rafael",
        lambda c, p: {"title": "SoD"},
        setup=_claim,
        check=lambda c, p: c.deadlines.filter(key="closure", status="open").exists(),
    ),
    "defence_lapsed": Recipe("written_submissions", SYSTEM, setup=_claim_then_lapse),
    "set_evidence_period": Recipe(
        "evidence",
        "ada",
        lambda c, p: {"side": "respondent", "days": 20, "description": "Source code review"},
        check=lambda c, p: c.deadlines.filter(key="evidence_period", responsible="respondent").exists(),
    ),
    "file_evidence": Recipe(
        "evidence",
        "clara",
        lambda c, p: {"title": "Expert report"},
        setup=_claimant_evidence_period,
        check=_check_deadline_met("evidence_period"),
    ),
    "schedule_hearing": Recipe("evidence", "ada", _future_hearing, check=lambda c, p: c.hearings.count() == 1),
    "close_proceedings": Recipe("hearing", "ada", check=lambda c, p: c.deadlines.filter(key="award").exists()),
    "issue_award": Recipe("deliberation", "ada", lambda c, p: {"title": "Award", "body": "Granted."}, documents=True),
    "request_correction": Recipe("award_issued", "clara", lambda c, p: {"title": "Correction"}),
    "issue_correction": Recipe(
        "award_issued",
        "ada",
        lambda c, p: {"title": "Correction"},
        setup=_request_correction,
        check=_check_deadline_met("correction_response"),
    ),
    "close_case": Recipe(
        "award_issued",
        "greta",
        setup=lambda c, p: _push_past(c, "correction"),
        check=lambda c, p: c.retention_until is not None,
    ),
    "suspend": Recipe(
        "evidence",
        "greta",
        lambda c, p: {"reasons": "Settlement talks"},
        check=lambda c, p: c.suspended_state == "evidence"
        and not c.deadlines.filter(status="open", paused_at=None).exists(),
    ),
    "resume": Recipe("evidence", "greta", setup=_suspended, expect_state="evidence"),
    "extend_deadline": Recipe(
        "evidence",
        "ada",
        lambda c, p: {"deadline": c.deadlines.get(key="closure").pk, "days": 5, "reasons": "Expert unavailable"},
        check=lambda c, p: c.deadlines.get(key="closure").extension_count == 1,
    ),
    "settle": Recipe("evidence", "ada", check=lambda c, p: not c.deadlines.filter(status="open").exists()),
    "withdraw": Recipe("evidence", "clara", lambda c, p: {"reasons": "Withdrawn."}),
    "dismiss": Recipe("evidence", "greta", lambda c, p: {"reasons": "No agreement."}),
    "join_case": Recipe("notified", "rafael", extra={"as_role": "respondent"}),
    "file_submission": Recipe(
        "evidence",
        "rafael",
        lambda c, p: {"title": "Letter"},
        check=lambda c, p: Filing.objects.filter(case=c, title="Letter").exists(),
    ),
    "post_message": Recipe(
        "evidence",
        "rafael",
        lambda c, p: {"addressed_to": "tribunal", "subject": "Hearing dates", "body": "We propose…"},
        check=lambda c, p: Message.objects.filter(case=c, subject="Hearing dates").exists(),
    ),
}

BY_EVENT = {t.event: t for t in TRANSITIONS}


def test_every_transition_has_a_recipe():
    assert set(RECIPES) == set(BY_EVENT), "add a recipe for each new row of the transitions table"


def _snapshot(case: Case) -> tuple[Any, ...]:
    case.refresh_from_db()
    return (
        case.state,
        case.audit_length,
        case.audit_head,
        Deadline.objects.filter(case=case).count(),
        list(Deadline.objects.filter(case=case).order_by("id").values_list("status", "due_at")),
        Filing.objects.filter(case=case).count(),
        Message.objects.filter(case=case).count(),
        Appointment.objects.filter(case=case).count(),
    )


def _prepare(recipe: Recipe, case_at: Any, personas: Any) -> Case:
    case = case_at(recipe.start)
    recipe.setup(case, personas)
    case.refresh_from_db()
    return case


def _fire(recipe: Recipe, event: str, case: Case, personas: Any, actor_name: str) -> None:
    actor = None if actor_name == SYSTEM else getattr(personas, actor_name)
    kwargs: dict[str, Any] = dict(recipe.extra)
    if actor_name == SYSTEM:
        kwargs["as_role"] = SYSTEM
    documents = _award_pdf() if recipe.documents else None
    case_apply_event(
        case_id=case.pk, event=event, actor=actor, payload=recipe.payload(case, personas), documents=documents, **kwargs
    )


@pytest.mark.django_db
@pytest.mark.parametrize("event", sorted(RECIPES))
def test_allowed_role_applies_the_event(event, case_at, personas):
    recipe, transition = RECIPES[event], BY_EVENT[event]
    case = _prepare(recipe, case_at, personas)
    assert case.state in transition.sources
    before = case.audit_length
    _fire(recipe, event, case, personas, recipe.actor)
    case.refresh_from_db()
    expected = recipe.expect_state or transition.target_for(recipe.start, case.suspended_state or recipe.start)
    assert case.state == expected
    assert case.events.filter(name=event).exists()
    assert case.audit_length > before
    recipe.check(case, personas)


@pytest.mark.django_db
@pytest.mark.parametrize("event", sorted(e for e in RECIPES if e != "join_case"))
def test_other_roles_are_refused_and_nothing_is_written(event, case_at, personas):
    recipe, transition = RECIPES[event], BY_EVENT[event]
    case = _prepare(recipe, case_at, personas)
    refused = 0
    for name in PERSONA_NAMES:
        user = getattr(personas, name)
        roles = permissions.case_roles(user, case)
        if roles & transition.roles:
            continue
        before = _snapshot(case)
        with pytest.raises(NotPermitted) as caught:
            case_apply_event(case_id=case.pk, event=event, actor=user, payload=recipe.payload(case, personas))
        assert str(caught.value)
        if not permissions.can_see_case(user, case):
            assert caught.value.code == "not_found", "outsiders must not learn that the case exists"
        assert _snapshot(case) == before
        refused += 1
    assert refused >= 2  # at least the unrelated user and one other persona


@pytest.mark.django_db
@pytest.mark.parametrize("event", sorted(RECIPES))
def test_wrong_state_is_refused_and_nothing_is_written(event, case_at, personas):
    transition = BY_EVENT[event]
    wrong = next(s for s in ("draft", "submitted", "evidence", "deliberation") if s not in transition.sources)
    case = case_at(wrong)
    before = _snapshot(case)
    role = sorted(transition.roles)[0]
    with pytest.raises(WrongState) as caught:
        case_apply_event(case_id=case.pk, event=event, actor=personas.greta, payload={}, as_role=role)
    assert "not possible while the case is" in str(caught.value)
    assert _snapshot(case) == before


@pytest.mark.django_db
def test_guard_failure_explains_and_writes_nothing(case_at, personas):
    case = case_at("notified")
    _act(case, "request_extension", personas.rafael)
    before = _snapshot(case)
    with pytest.raises(GuardFailed, match="already been taken"):
        case_apply_event(case_id=case.pk, event="request_extension", actor=personas.rafael)
    assert _snapshot(case) == before


@pytest.mark.django_db
def test_incomplete_request_cannot_be_filed(personas):
    from disputes.services.cases import case_draft_create

    case = case_draft_create(user=personas.clara, title="Half-written")
    with pytest.raises(GuardFailed) as caught:
        case_apply_event(case_id=case.pk, event="submit", actor=personas.clara)
    assert "the respondent's name" in str(caught.value)
    case.refresh_from_db()
    assert case.state == "draft" and case.reference is None and case.audit_length == 0


@pytest.mark.django_db
def test_invalid_payload_lists_field_errors(case_at, personas):
    from disputes.exceptions import InvalidPayload

    case = case_at("evidence")
    with pytest.raises(InvalidPayload) as caught:
        case_apply_event(
            case_id=case.pk,
            event="set_evidence_period",
            actor=personas.ada,
            payload={"side": "claimant", "days": 90, "description": "Too long"},
        )
    assert "days" in caught.value.errors
    assert not case.deadlines.filter(key="evidence_period").exists()


@pytest.mark.django_db
def test_award_requires_a_document(case_at, personas):
    case = case_at("deliberation")
    with pytest.raises(TransitionError, match="needs at least one document"):
        case_apply_event(case_id=case.pk, event="issue_award", actor=personas.ada, payload={"title": "A", "body": "B"})


@pytest.mark.django_db
def test_expedited_case_skips_statement_of_claim(case_at, personas):
    case = case_at("written_submissions", rule_pack="expedited")
    assert not case.deadlines.filter(key="statement_of_claim").exists()
    defence = case.deadlines.get(key="statement_of_defence", status="open")
    po1 = case.events.get(name="issue_po1")
    assert (defence.deemed_receipt - po1.occurred_at.date()).days <= 3
    assert (defence.due_at.date() - defence.deemed_receipt).days >= 20
    with pytest.raises(GuardFailed, match="filed with the Request"):
        case_apply_event(case_id=case.pk, event="file_statement_of_claim", actor=personas.clara, payload={"title": "x"})


@pytest.mark.django_db
def test_joint_nomination_appoints_and_declaration_conflict_goes_to_registrar(case_at, personas):
    case = case_at("tribunal_formation")
    personas.ada.affiliations = "Copycat Holdings Ltd"  # an affiliate of the respondent
    personas.ada.save()
    _act(case, "nominate_arbitrator", personas.clara, {"arbitrator": personas.ada.pk})
    assert not case.appointments.exists()
    _act(case, "nominate_arbitrator", personas.rafael, {"arbitrator": personas.ada.pk})
    appointment = case.appointments.get()
    assert appointment.method == Appointment.Method.JOINT_NOMINATION
    assert case.deadlines.get(key="nomination").status == DeadlineStatus.MET
    _act(case, "file_declaration", personas.ada, {"independent": True})
    appointment.refresh_from_db()
    assert case.state == "tribunal_formation"
    assert appointment.status == AppointmentStatus.AWAITING_REGISTRAR
    assert appointment.conflict_hits and appointment.conflict_hits[0]["matched"] == "Copycat Holdings"
    _act(case, "confirm_appointment", personas.greta, {"note": "Remote affiliation; parties informed."})
    assert case.state == "procedural_setup"
    assert case.participants.active().filter(user=personas.ada, role="arbitrator").exists()
