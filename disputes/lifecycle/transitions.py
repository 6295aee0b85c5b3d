"""THE transitions table: every way a case can change. One service (disputes.services.events) applies these rows.

Columns: event, label, from-states, to-state (SAME stays, PREVIOUS returns from suspension), roles that may fire it,
guards, deadlines opened and closed, the payload form, the docket entry it files, and effects. docs/lifecycle.md is
generated from this table (`python manage.py lifecycle_doc`).
"""

from __future__ import annotations

from dataclasses import dataclass

from disputes.lifecycle import effects, guards
from disputes.lifecycle import payloads as p
from disputes.lifecycle.effects import Effect
from disputes.lifecycle.guards import Guard
from disputes.lifecycle.states import ACTIVE_STATES, TRIBUNAL_STATES, State
from disputes.models import DeadlineStatus, FilingKind

SAME = "(same)"
PREVIOUS = "(state before suspension)"

CLAIMANT, RESPONDENT, ARBITRATOR, REGISTRAR, SYSTEM = "claimant", "respondent", "arbitrator", "registrar", "system"
CANDIDATE = "candidate"  # an appointed arbitrator who has not yet filed the independence declaration
EXPERT = "expert"
PARTIES = frozenset({CLAIMANT, RESPONDENT})
EVERYONE = frozenset({CLAIMANT, RESPONDENT, ARBITRATOR, EXPERT, REGISTRAR})
LIVE = ACTIVE_STATES | {State.SUSPENDED}


@dataclass(frozen=True)
class Opens:
    key: str
    only_if_claim_with_request: bool | None = None  # None: always; True/False: only under such a rule pack


@dataclass(frozen=True)
class Transition:
    event: str
    label: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    description: str = ""
    guards: tuple[Guard, ...] = ()
    opens: tuple[Opens, ...] = ()
    closes: tuple[str, ...] = ()
    close_all: bool = False
    close_as: str = DeadlineStatus.MET
    form: type[p.PayloadForm] | None = None
    files: str | None = None  # FilingKind of the docket entry this event makes
    documents: str = "none"  # none | optional | required
    effects: tuple[Effect, ...] = ()
    notify: bool = True
    danger: bool = False  # shown with a confirmation step in the UI

    def target_for(self, current: str, suspended_state: str) -> str:
        if self.target == SAME:
            return current
        if self.target == PREVIOUS:
            return suspended_state
        return self.target

    @property
    def is_system_only(self) -> bool:
        return self.roles <= {SYSTEM}


def _t(*args: object, **kwargs: object) -> Transition:
    return Transition(*args, **kwargs)  # type: ignore[arg-type]


TRANSITIONS: tuple[Transition, ...] = (
    # --- Filing and screening -----------------------------------------------------------------------------------
    _t(
        "submit",
        "File the Request",
        frozenset({State.DRAFT}),
        State.SUBMITTED,
        frozenset({CLAIMANT}),
        "File the Request for Arbitration with the registry.",
        guards=(guards.request_complete,),
        opens=(Opens("screening"),),
        effects=(effects.assign_reference,),
        files=FilingKind.REQUEST,
    ),
    _t(
        "mark_deficient",
        "Mark deficient",
        frozenset({State.SUBMITTED}),
        State.DEFICIENT,
        frozenset({REGISTRAR}),
        "Return the Request to the claimant with the defects to cure.",
        closes=("screening",),
        opens=(Opens("cure"),),
        form=p.ReasonsForm,
    ),
    _t(
        "cure",
        "Cure the defects",
        frozenset({State.DEFICIENT}),
        State.SUBMITTED,
        frozenset({CLAIMANT}),
        "Re-file the Request with the defects cured.",
        closes=("cure",),
        opens=(Opens("screening"),),
        form=p.DocumentFilingForm,
        files=FilingKind.SUBMISSION,
        documents="optional",
    ),
    _t(
        "deem_withdrawn",
        "Deem withdrawn",
        frozenset({State.DEFICIENT}),
        State.WITHDRAWN,
        frozenset({SYSTEM, REGISTRAR}),
        "The defects were not cured in time.",
        guards=(guards.deadline_has_passed("cure"),),
        close_all=True,
        close_as=DeadlineStatus.LAPSED,
        effects=(effects.end_case,),
    ),
    _t(
        "serve_notice",
        "Accept and serve notice",
        frozenset({State.SUBMITTED}),
        State.NOTIFIED,
        frozenset({REGISTRAR}),
        "Accept the Request and serve notice on the respondent's counsel (commencement).",
        closes=("screening",),
        opens=(Opens("answer"),),
        effects=(effects.serve_notice,),
    ),
    # --- Answer ------------------------------------------------------------------------------------------------
    _t(
        "request_extension",
        "Take the automatic extension",
        frozenset({State.NOTIFIED}),
        SAME,
        frozenset({RESPONDENT}),
        "Extend the Answer deadline once by the rule pack's automatic extension.",
        guards=(guards.answer_not_yet_extended,),
        effects=(effects.extend_answer,),
    ),
    _t(
        "file_answer",
        "File the Answer",
        frozenset({State.NOTIFIED}),
        State.TRIBUNAL_FORMATION,
        frozenset({RESPONDENT}),
        "File the Answer to the Request.",
        closes=("answer",),
        opens=(Opens("nomination"),),
        form=p.DocumentFilingForm,
        files=FilingKind.ANSWER,
        documents="optional",
    ),
    _t(
        "answer_lapsed",
        "Record that the Answer is late",
        frozenset({State.NOTIFIED}),
        State.TRIBUNAL_FORMATION,
        frozenset({SYSTEM, REGISTRAR}),
        "The respondent is in default; the case goes on.",
        guards=(guards.deadline_has_passed("answer"),),
        closes=("answer",),
        close_as=DeadlineStatus.LAPSED,
        opens=(Opens("nomination"),),
        effects=(effects.flag_default,),
    ),
    # --- Tribunal formation -----------------------------------------------------------------------------------
    _t(
        "nominate_arbitrator",
        "Nominate the sole arbitrator",
        frozenset({State.TRIBUNAL_FORMATION}),
        SAME,
        PARTIES,
        "Propose an arbitrator from the roster; the same name proposed by both sides is a joint nomination.",
        guards=(guards.no_open_appointment,),
        form=p.ArbitratorForm,
        effects=(effects.nominate,),
    ),
    _t(
        "appoint_arbitrator",
        "Appoint the arbitrator",
        frozenset({State.TRIBUNAL_FORMATION}),
        SAME,
        frozenset({REGISTRAR}),
        "Appoint a sole arbitrator from the roster (the parties did not agree in time).",
        guards=(guards.no_open_appointment,),
        form=p.ArbitratorForm,
        effects=(effects.appoint,),
    ),
    _t(
        "file_declaration",
        "File the independence declaration",
        frozenset({State.TRIBUNAL_FORMATION}),
        SAME,
        frozenset({CANDIDATE}),
        "Declare impartiality and independence; runs the automatic conflict check.",
        guards=(guards.declaration_pending_for_actor,),
        form=p.DeclarationForm,
        effects=(effects.record_declaration,),
    ),
    _t(
        "constitute_tribunal",
        "Constitute the tribunal",
        frozenset({State.TRIBUNAL_FORMATION}),
        State.PROCEDURAL_SETUP,
        frozenset({SYSTEM}),
        "A clean declaration makes the appointment effective.",
        guards=(guards.clean_declaration_on_file,),
        effects=(effects.make_appointment_effective,),
        opens=(Opens("challenge"), Opens("case_conference"), Opens("po1")),
    ),
    _t(
        "confirm_appointment",
        "Confirm the appointment",
        frozenset({State.TRIBUNAL_FORMATION}),
        State.PROCEDURAL_SETUP,
        frozenset({REGISTRAR}),
        "Confirm the arbitrator after reviewing the declaration's disclosures and conflict-check hits.",
        guards=(guards.appointment_awaiting_registrar,),
        form=p.OptionalNoteForm,
        effects=(effects.make_appointment_effective,),
        opens=(Opens("challenge"), Opens("case_conference"), Opens("po1")),
    ),
    _t(
        "reject_appointment",
        "Do not confirm the appointment",
        frozenset({State.TRIBUNAL_FORMATION}),
        SAME,
        frozenset({REGISTRAR}),
        "Decline to confirm the arbitrator; appoint someone else.",
        guards=(guards.appointment_awaiting_registrar,),
        form=p.ReasonsForm,
        effects=(effects.reject_appointment,),
    ),
    _t(
        "challenge_arbitrator",
        "Challenge the arbitrator",
        TRIBUNAL_STATES,
        SAME,
        PARTIES,
        "Challenge the arbitrator's impartiality or independence (within 15 days of the appointment).",
        guards=(guards.within_window("challenge", "challenge the arbitrator"), guards.no_pending_challenge),
        form=p.ReasonsForm,
        effects=(effects.record_challenge,),
        files=FilingKind.CHALLENGE,
    ),
    _t(
        "uphold_challenge",
        "Uphold the challenge",
        TRIBUNAL_STATES,
        State.TRIBUNAL_FORMATION,
        frozenset({REGISTRAR}),
        "Remove the arbitrator; a new one is nominated or appointed.",
        guards=(guards.challenge_pending,),
        form=p.ReasonsForm,
        effects=(effects.uphold_challenge,),
        opens=(Opens("nomination"),),
        danger=True,
    ),
    _t(
        "reject_challenge",
        "Reject the challenge",
        TRIBUNAL_STATES,
        SAME,
        frozenset({REGISTRAR}),
        "The arbitrator stays.",
        guards=(guards.challenge_pending,),
        form=p.ReasonsForm,
        effects=(effects.reject_challenge,),
    ),
    # --- Procedure ------------------------------------------------------------------------------------------------
    _t(
        "hold_case_conference",
        "Record the case conference",
        frozenset({State.PROCEDURAL_SETUP}),
        SAME,
        frozenset({ARBITRATOR}),
        "Record that the preparatory conference took place.",
        closes=("case_conference",),
        form=p.ConferenceForm,
    ),
    _t(
        "issue_po1",
        "Issue Procedural Order No. 1",
        frozenset({State.PROCEDURAL_SETUP}),
        State.WRITTEN_SUBMISSIONS,
        frozenset({ARBITRATOR}),
        "Timetable, protective order and forensic protocol.",
        closes=("po1", "case_conference"),
        form=p.DocumentFilingForm,
        files=FilingKind.PROCEDURAL_ORDER,
        documents="optional",
        opens=(
            Opens("statement_of_claim", only_if_claim_with_request=False),
            Opens("statement_of_defence", only_if_claim_with_request=True),
        ),
    ),
    _t(
        "issue_procedural_order",
        "Issue a procedural order",
        TRIBUNAL_STATES | {State.AWARD_ISSUED},
        SAME,
        frozenset({ARBITRATOR}),
        "Any further procedural order.",
        form=p.DocumentFilingForm,
        files=FilingKind.PROCEDURAL_ORDER,
        documents="optional",
    ),
    _t(
        "file_statement_of_claim",
        "File the Statement of Claim",
        frozenset({State.WRITTEN_SUBMISSIONS}),
        SAME,
        frozenset({CLAIMANT}),
        "File the Statement of Claim.",
        guards=(guards.claim_due_separately,),
        closes=("statement_of_claim",),
        opens=(Opens("statement_of_defence"),),
        form=p.DocumentFilingForm,
        files=FilingKind.STATEMENT_OF_CLAIM,
        documents="optional",
    ),
    _t(
        "file_statement_of_defence",
        "File the Statement of Defence",
        frozenset({State.WRITTEN_SUBMISSIONS}),
        State.EVIDENCE,
        frozenset({RESPONDENT}),
        "File the Statement of Defence.",
        guards=(guards.claim_on_file,),
        closes=("statement_of_defence",),
        effects=(effects.mark_defence,),
        opens=(Opens("closure"),),
        form=p.DocumentFilingForm,
        files=FilingKind.STATEMENT_OF_DEFENCE,
        documents="optional",
    ),
    _t(
        "defence_lapsed",
        "Record that the Defence is late",
        frozenset({State.WRITTEN_SUBMISSIONS}),
        State.EVIDENCE,
        frozenset({SYSTEM, REGISTRAR}),
        "The Defence was not filed in time; the case goes on.",
        guards=(guards.deadline_has_passed("statement_of_defence"),),
        closes=("statement_of_defence",),
        close_as=DeadlineStatus.LAPSED,
        effects=(effects.mark_defence,),
        opens=(Opens("closure"),),
    ),
    _t(
        "set_evidence_period",
        "Set an evidence period",
        frozenset({State.EVIDENCE}),
        SAME,
        frozenset({ARBITRATOR}),
        "Give a party (or both) a written evidence period of at most 45 days.",
        guards=(guards.evidence_period_within_limit,),
        form=p.EvidencePeriodForm,
        effects=(effects.open_evidence_period,),
    ),
    _t(
        "file_evidence",
        "File written evidence",
        frozenset({State.EVIDENCE}),
        SAME,
        PARTIES,
        "File written evidence; meets your side's open evidence period.",
        form=p.DocumentFilingForm,
        files=FilingKind.EVIDENCE,
        documents="optional",
        effects=(effects.close_own_evidence_period,),
    ),
    _t(
        "schedule_hearing",
        "Schedule the hearing",
        frozenset({State.EVIDENCE}),
        State.HEARING,
        frozenset({ARBITRATOR}),
        "Fix the hearing date, length and video link.",
        guards=(guards.hearing_within_limit,),
        form=p.HearingForm,
        effects=(effects.schedule_hearing,),
        closes=("evidence_period",),
        close_as=DeadlineStatus.CANCELLED,
    ),
    _t(
        "close_proceedings",
        "Close the proceedings",
        frozenset({State.EVIDENCE, State.HEARING}),
        State.DELIBERATION,
        frozenset({ARBITRATOR}),
        "Declare the proceedings closed; the award clock starts.",
        closes=("closure", "evidence_period"),
        opens=(Opens("award"),),
        form=p.OptionalNoteForm,
    ),
    _t(
        "issue_award",
        "Issue the award",
        frozenset({State.DELIBERATION}),
        State.AWARD_ISSUED,
        frozenset({ARBITRATOR}),
        "Issue the final award (attach the signed award document).",
        closes=("award",),
        opens=(Opens("correction"),),
        form=p.AwardForm,
        files=FilingKind.AWARD,
        documents="required",
    ),
    _t(
        "request_correction",
        "Request a correction",
        frozenset({State.AWARD_ISSUED}),
        SAME,
        PARTIES,
        "Ask the tribunal to correct a clerical, typographical or computational error.",
        guards=(guards.within_window("correction", "request a correction"),),
        opens=(Opens("correction_response"),),
        form=p.DocumentFilingForm,
        files=FilingKind.CORRECTION_REQUEST,
        documents="optional",
    ),
    _t(
        "issue_correction",
        "Decide the correction request",
        frozenset({State.AWARD_ISSUED}),
        SAME,
        frozenset({ARBITRATOR}),
        "Issue the correction, or the decision refusing it.",
        closes=("correction_response",),
        form=p.DocumentFilingForm,
        files=FilingKind.CORRECTION,
        documents="optional",
    ),
    _t(
        "close_case",
        "Close the case",
        frozenset({State.AWARD_ISSUED}),
        State.CLOSED,
        frozenset({REGISTRAR, SYSTEM}),
        "The post-award window has ended; the file goes into retention.",
        guards=(guards.correction_window_over,),
        close_all=True,
        close_as=DeadlineStatus.MET,
        effects=(effects.set_retention,),
    ),
    # --- From any live state --------------------------------------------------------------------------------------
    _t(
        "suspend",
        "Suspend the proceedings",
        ACTIVE_STATES,
        State.SUSPENDED,
        frozenset({ARBITRATOR, REGISTRAR}),
        "Pause every clock; resuming restores the time that remained.",
        form=p.ReasonsForm,
        effects=(effects.suspend,),
        danger=True,
    ),
    _t(
        "resume",
        "Resume the proceedings",
        frozenset({State.SUSPENDED}),
        PREVIOUS,
        frozenset({ARBITRATOR, REGISTRAR}),
        "Restart the clocks with the time that remained.",
        form=p.OptionalNoteForm,
        effects=(effects.resume,),
    ),
    _t(
        "extend_deadline",
        "Extend a deadline",
        ACTIVE_STATES,
        SAME,
        frozenset({ARBITRATOR, REGISTRAR}),
        "Extend one open deadline, with reasons.",
        form=p.ExtendDeadlineForm,
        effects=(effects.extend_deadline,),
    ),
    _t(
        "settle",
        "Record a settlement",
        LIVE,
        State.SETTLED,
        frozenset({ARBITRATOR, REGISTRAR}),
        "The parties have settled; all clocks stop.",
        form=p.OptionalNoteForm,
        close_all=True,
        close_as=DeadlineStatus.CANCELLED,
        effects=(effects.end_case,),
        danger=True,
    ),
    _t(
        "withdraw",
        "Withdraw the case",
        LIVE,
        State.WITHDRAWN,
        frozenset({CLAIMANT, REGISTRAR}),
        "The claimant withdraws its claims; all clocks stop.",
        form=p.ReasonsForm,
        close_all=True,
        close_as=DeadlineStatus.CANCELLED,
        effects=(effects.end_case,),
        danger=True,
    ),
    _t(
        "dismiss",
        "Dismiss the case",
        LIVE,
        State.DISMISSED,
        frozenset({ARBITRATOR, REGISTRAR}),
        "Dismiss the case (e.g. no valid arbitration agreement); all clocks stop.",
        form=p.ReasonsForm,
        close_all=True,
        close_as=DeadlineStatus.CANCELLED,
        effects=(effects.end_case,),
        danger=True,
    ),
    # --- Record-only events (no state change) ---------------------------------------------------------------------
    _t(
        "join_case",
        "Join the case",
        frozenset(State.values) - {State.DRAFT},
        SAME,
        frozenset({CLAIMANT, RESPONDENT, EXPERT}),
        "Counsel accepted an invitation.",
        notify=True,
    ),
    _t(
        "file_submission",
        "File a submission",
        LIVE | {State.CLOSED},
        SAME,
        frozenset({CLAIMANT, RESPONDENT, ARBITRATOR, REGISTRAR}),
        "Put a message with documents on the docket; every participant is notified.",
        form=p.SubmissionForm,
        files=FilingKind.SUBMISSION,
        documents="optional",
    ),
    _t(
        "post_message",
        "Post a message",
        LIVE | {State.CLOSED},
        SAME,
        EVERYONE,
        "Anything addressed to the tribunal goes to all parties.",
        form=p.MessageForm,
        effects=(effects.post_message,),
    ),
)

BY_EVENT: dict[str, Transition] = {t.event: t for t in TRANSITIONS}
assert len(BY_EVENT) == len(TRANSITIONS), "duplicate event in the transitions table"


def transition_for(event: str) -> Transition | None:
    return BY_EVENT.get(event)
