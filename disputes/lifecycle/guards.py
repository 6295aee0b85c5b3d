"""Guards: each returns None when the event may proceed, or a sentence telling the user why not."""

from __future__ import annotations

from collections.abc import Callable

from disputes.lifecycle.context import EventContext
from disputes.models import Appointment, AppointmentStatus, Challenge, Deadline, DeadlineStatus, FilingKind, Side

Guard = Callable[[EventContext], str | None]


def request_complete(ctx: EventContext) -> str | None:
    case = ctx.case
    missing = []
    parties = {party.side: party for party in case.parties.all()}
    claimant, respondent = parties.get(Side.CLAIMANT), parties.get(Side.RESPONDENT)
    if not case.title.strip():
        missing.append("a short title")
    if claimant is None or not claimant.name.strip():
        missing.append("the claimant's name")
    if respondent is None or not respondent.name.strip():
        missing.append("the respondent's name")
    if respondent is not None and not respondent.counsel_email:
        missing.append("the email of the respondent's counsel")
    if not case.dispute_types:
        missing.append("at least one dispute type")
    if not case.ai_systems:
        missing.append("the AI systems involved")
    for label, value in (
        ("the facts", case.facts),
        ("the relief sought", case.relief_sought),
        ("the arbitration agreement relied on", case.arbitration_agreement),
    ):
        if not value.strip():
            missing.append(label)
    if missing:
        return "The Request cannot be filed yet: add " + ", ".join(missing) + "."
    return None


def _open_deadline(ctx: EventContext, key: str) -> Deadline | None:
    return Deadline.objects.filter(case=ctx.case, key=key, status=DeadlineStatus.OPEN).order_by("-id").first()


def answer_not_yet_extended(ctx: EventContext) -> str | None:
    deadline = _open_deadline(ctx, "answer")
    if deadline is None:
        return "There is no open deadline for the Answer to extend."
    if deadline.extension_count:
        return "The automatic extension of the Answer deadline has already been taken."
    if deadline.due_at < ctx.now:
        return "The Answer deadline has already passed; it can no longer be extended."
    return None


def deadline_has_passed(key: str) -> Guard:
    def guard(ctx: EventContext) -> str | None:
        deadline = _open_deadline(ctx, key)
        if deadline is None or deadline.due_at >= ctx.now:
            return "The time limit has not passed yet."
        return None

    guard.__name__ = f"deadline_has_passed_{key}"
    return guard


def within_window(key: str, what: str) -> Guard:
    def guard(ctx: EventContext) -> str | None:
        deadline = _open_deadline(ctx, key)
        if deadline is None or deadline.due_at < ctx.now:
            return f"The time to {what} has ended."
        return None

    guard.__name__ = f"within_window_{key}"
    return guard


def no_open_appointment(ctx: EventContext) -> str | None:
    if Appointment.objects.filter(
        case=ctx.case,
        status__in=[
            AppointmentStatus.AWAITING_DECLARATION,
            AppointmentStatus.AWAITING_REGISTRAR,
            AppointmentStatus.EFFECTIVE,
        ],
    ).exists():
        return "An arbitrator has already been appointed; wait for the declaration or the registrar's decision."
    return None


def appointment_awaiting_registrar(ctx: EventContext) -> str | None:
    if not Appointment.objects.filter(case=ctx.case, status=AppointmentStatus.AWAITING_REGISTRAR).exists():
        return "No declaration is waiting for the registrar's decision."
    return None


def declaration_pending_for_actor(ctx: EventContext) -> str | None:
    if not Appointment.objects.filter(
        case=ctx.case, arbitrator=ctx.actor, status=AppointmentStatus.AWAITING_DECLARATION
    ).exists():
        return "You have no appointment in this case awaiting an independence declaration."
    return None


def clean_declaration_on_file(ctx: EventContext) -> str | None:
    appointment_id = ctx.payload.get("appointment")
    appointment = Appointment.objects.filter(case=ctx.case, pk=appointment_id).first() if appointment_id else None
    if appointment is None or appointment.declared_independent is not True or appointment.conflict_hits:
        return "The tribunal is constituted only after a clean independence declaration or the registrar's decision."
    return None


def no_pending_challenge(ctx: EventContext) -> str | None:
    if Challenge.objects.filter(case=ctx.case, decided_at__isnull=True).exists():
        return "A challenge is already pending before the registrar."
    return None


def challenge_pending(ctx: EventContext) -> str | None:
    if not Challenge.objects.filter(case=ctx.case, decided_at__isnull=True).exists():
        return "No challenge is pending."
    return None


def claim_due_separately(ctx: EventContext) -> str | None:
    if ctx.pack.claim_filed_with_request:
        return "Under the expedited rules the Statement of Claim was filed with the Request."
    if ctx.case.filings.filter(kind=FilingKind.STATEMENT_OF_CLAIM).exists():
        return "The Statement of Claim has already been filed."
    return None


def claim_on_file(ctx: EventContext) -> str | None:
    if ctx.pack.claim_filed_with_request or ctx.case.filings.filter(kind=FilingKind.STATEMENT_OF_CLAIM).exists():
        return None
    return "The Statement of Defence answers the Statement of Claim, which has not been filed yet."


def hearing_within_limit(ctx: EventContext) -> str | None:
    limit = ctx.pack.max_hearing_days
    if limit is not None and int(ctx.cleaned.get("days", 1)) > limit:
        return f"Under the {ctx.pack.title.lower()} a hearing lasts at most {limit} days."
    return None


def evidence_period_within_limit(ctx: EventContext) -> str | None:
    limit = ctx.pack.max_evidence_period_days
    if int(ctx.cleaned.get("days", 0)) > limit:
        return f"An evidence period is at most {limit} days."
    return None


def correction_window_over(ctx: EventContext) -> str | None:
    window = _open_deadline(ctx, "correction")
    if window is not None and window.due_at >= ctx.now:
        return "The window for correction requests is still open."
    if _open_deadline(ctx, "correction_response") is not None:
        return "A request for correction is still awaiting the tribunal's decision."
    return None
