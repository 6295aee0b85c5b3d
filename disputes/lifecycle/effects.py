"""Effects: the writes an event makes besides its state change and audit row. Run under the case row lock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from disputes.conflicts import find_conflicts
from disputes.lifecycle.context import EventContext
from disputes.lifecycle.rulepacks import Period
from disputes.models import (
    Appointment,
    AppointmentStatus,
    Challenge,
    Deadline,
    DeadlineStatus,
    Hearing,
    Message,
    Nomination,
    Participant,
    ReferenceCounter,
    Role,
    Side,
)
from disputes.services import deadlines as deadline_service
from disputes.services.invitations import invitation_create

Effect = Callable[[EventContext], None]


def assign_reference(ctx: EventContext) -> None:
    case = ctx.case
    if not case.reference:
        year = timezone.localtime(ctx.now).year
        counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(year=year)
        counter.last += 1
        counter.save(update_fields=["last"])
        case.reference = f"AIP-{year}-{counter.last:04d}"
    case.rule_pack_version = ctx.pack.pinned
    case.submitted_at = ctx.now


def serve_notice(ctx: EventContext) -> None:
    case = ctx.case
    case.commencement_at = ctx.now
    respondent = case.respondent_party
    if respondent is None or not respondent.counsel_email:
        return
    invitation, token = invitation_create(case=case, email=respondent.counsel_email, role=Role.RESPONDENT, now=ctx.now)

    def send() -> None:
        from disputes.tasks import send_invitation

        send_invitation.delay(invitation.pk, token)

    ctx.after_commit.append(send)


def extend_answer(ctx: EventContext) -> None:
    deadline = Deadline.objects.open().get(case=ctx.case, key="answer")
    deadline_service.deadline_extend(
        deadline=deadline,
        days=ctx.pack.answer_extension_days,
        reason="Automatic extension requested by the respondent",
        by=ctx.actor_role,
        now=ctx.now,
    )


def flag_default(ctx: EventContext) -> None:
    ctx.case.respondent_in_default = True


def nominate(ctx: EventContext) -> None:
    arbitrator_id = ctx.payload["arbitrator"]
    side = ctx.actor_side
    Nomination.objects.filter(case=ctx.case, side=side, withdrawn_at__isnull=True).update(withdrawn_at=ctx.now)
    Nomination.objects.create(case=ctx.case, arbitrator_id=arbitrator_id, side=side, created_at=ctx.now)
    other = Side.RESPONDENT if side == Side.CLAIMANT else Side.CLAIMANT
    if Nomination.objects.filter(
        case=ctx.case, side=other, arbitrator_id=arbitrator_id, withdrawn_at__isnull=True
    ).exists():
        _appoint(ctx, arbitrator_id, Appointment.Method.JOINT_NOMINATION)


def appoint(ctx: EventContext) -> None:
    _appoint(ctx, ctx.payload["arbitrator"], Appointment.Method.REGISTRAR)


def _appoint(ctx: EventContext, arbitrator_id: int, method: str) -> None:
    Appointment.objects.create(case=ctx.case, arbitrator_id=arbitrator_id, method=method, appointed_at=ctx.now)
    assert ctx.event is not None
    deadline_service.deadlines_close(
        case=ctx.case, keys=("nomination",), status=DeadlineStatus.MET, event=ctx.event, now=ctx.now
    )


def record_declaration(ctx: EventContext) -> None:
    assert ctx.actor is not None
    appointment = Appointment.objects.get(
        case=ctx.case, arbitrator=ctx.actor, status=AppointmentStatus.AWAITING_DECLARATION
    )
    affiliations_text = ctx.cleaned.get("affiliations") or ""
    if affiliations_text.strip():
        ctx.actor.affiliations = affiliations_text
        ctx.actor.save(update_fields=["affiliations"])
    parties = [(p.side, p.name, p.affiliate_list()) for p in ctx.case.parties.all()]
    hits = find_conflicts(ctx.actor.affiliation_list(), parties)
    appointment.declared_at = ctx.now
    appointment.declared_independent = bool(ctx.cleaned.get("independent"))
    appointment.disclosures = ctx.cleaned.get("disclosures") or ""
    appointment.conflict_hits = [hit.as_dict() for hit in hits]
    clean = appointment.declared_independent and not hits and not appointment.disclosures.strip()
    appointment.status = AppointmentStatus.AWAITING_DECLARATION if clean else AppointmentStatus.AWAITING_REGISTRAR
    appointment.save()
    if clean:
        ctx.follow_ups.append(("constitute_tribunal", {"appointment": appointment.pk}))


def make_appointment_effective(ctx: EventContext) -> None:
    appointment = (
        Appointment.objects.filter(
            case=ctx.case, status__in=[AppointmentStatus.AWAITING_DECLARATION, AppointmentStatus.AWAITING_REGISTRAR]
        )
        .exclude(declared_at__isnull=True)
        .get()
    )
    appointment.status = AppointmentStatus.EFFECTIVE
    appointment.effective_at = ctx.now
    appointment.save(update_fields=["status", "effective_at"])
    Participant.objects.get_or_create(
        case=ctx.case,
        user_id=appointment.arbitrator_id,
        role=Role.ARBITRATOR,
        revoked_at=None,
        defaults={"is_presiding": True, "is_outside_counsel": False},
    )
    ctx.case.tribunal_constituted_at = ctx.now


def reject_appointment(ctx: EventContext) -> None:
    Appointment.objects.filter(case=ctx.case, status=AppointmentStatus.AWAITING_REGISTRAR).update(
        status=AppointmentStatus.REJECTED, ended_at=ctx.now
    )


def record_challenge(ctx: EventContext) -> None:
    appointment = Appointment.objects.get(case=ctx.case, status=AppointmentStatus.EFFECTIVE)
    Challenge.objects.create(
        case=ctx.case, appointment=appointment, side=ctx.actor_side, reasons=ctx.payload["reasons"], filed_at=ctx.now
    )


def uphold_challenge(ctx: EventContext) -> None:
    challenge = Challenge.objects.select_related("appointment").get(case=ctx.case, decided_at__isnull=True)
    challenge.decided_at, challenge.upheld = ctx.now, True
    challenge.save(update_fields=["decided_at", "upheld"])
    appointment = challenge.appointment
    appointment.status, appointment.ended_at = AppointmentStatus.REMOVED, ctx.now
    appointment.save(update_fields=["status", "ended_at"])
    Participant.objects.active().filter(case=ctx.case, user_id=appointment.arbitrator_id, role=Role.ARBITRATOR).update(
        revoked_at=ctx.now
    )
    Nomination.objects.filter(case=ctx.case, withdrawn_at__isnull=True).update(withdrawn_at=ctx.now)
    ctx.case.tribunal_constituted_at = None
    assert ctx.event is not None
    # The tribunal's own clocks stop with it; a new tribunal starts them again.
    deadline_service.deadlines_close(
        case=ctx.case, keys=None, status=DeadlineStatus.CANCELLED, event=ctx.event, now=ctx.now, responsible="tribunal"
    )


def reject_challenge(ctx: EventContext) -> None:
    Challenge.objects.filter(case=ctx.case, decided_at__isnull=True).update(decided_at=ctx.now, upheld=False)


def mark_defence(ctx: EventContext) -> None:
    ctx.case.defence_at = ctx.now


def open_evidence_period(ctx: EventContext) -> None:
    assert ctx.event is not None
    deadline_service.deadline_open(
        case=ctx.case,
        pack=ctx.pack,
        key="evidence_period",
        event=ctx.event,
        now=ctx.now,
        period=Period(days=int(ctx.cleaned["days"])),
        responsible=ctx.cleaned["side"],
        label=f"Evidence: {ctx.cleaned['description']}",
    )


def close_own_evidence_period(ctx: EventContext) -> None:
    assert ctx.event is not None
    deadline_service.deadlines_close(
        case=ctx.case,
        keys=("evidence_period",),
        status=DeadlineStatus.MET,
        event=ctx.event,
        now=ctx.now,
        responsible=ctx.actor_side,
    )


def schedule_hearing(ctx: EventContext) -> None:
    Hearing.objects.create(
        case=ctx.case,
        starts_at=ctx.cleaned["starts_at"],
        days=ctx.cleaned["days"],
        location=ctx.cleaned.get("location") or "",
        video_link=ctx.cleaned.get("video_link") or "",
    )


def set_retention(ctx: EventContext) -> None:
    ctx.case.closed_at = ctx.now
    retention_years = settings.TRIBUNAL_RETENTION_YEARS
    ctx.case.retention_until = (timezone.localtime(ctx.now) + timedelta(days=365 * retention_years)).date()


def end_case(ctx: EventContext) -> None:
    ctx.case.closed_at = ctx.now
    ctx.case.suspended_state = ""


def suspend(ctx: EventContext) -> None:
    ctx.case.suspended_state = ctx.from_state
    deadline_service.deadlines_pause(case=ctx.case, now=ctx.now)


def resume(ctx: EventContext) -> None:
    ctx.case.suspended_state = ""
    deadline_service.deadlines_resume(case=ctx.case, now=ctx.now)


def extend_deadline(ctx: EventContext) -> None:
    deadline = Deadline.objects.open().get(case=ctx.case, pk=ctx.payload["deadline"])
    deadline_service.deadline_extend(
        deadline=deadline, days=int(ctx.cleaned["days"]), reason=ctx.cleaned["reasons"], by=ctx.actor_role, now=ctx.now
    )


def post_message(ctx: EventContext) -> None:
    assert ctx.actor is not None
    Message.objects.create(
        case=ctx.case,
        author=ctx.actor,
        author_role=ctx.actor_role,
        addressed_to=ctx.cleaned["addressed_to"],
        subject=ctx.cleaned["subject"],
        body=ctx.cleaned["body"],
        created_at=ctx.now,
        event=ctx.event,
    )
