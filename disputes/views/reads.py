"""Read queries the pages need that the shared selectors do not offer (yet). Each is scoped to the user."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.models import User
from disputes import permissions, selectors
from disputes.models import (
    Appointment,
    AppointmentStatus,
    Case,
    Challenge,
    Deadline,
    FilingDocument,
    Notification,
    Role,
)


def my_cases(*, user: Any) -> QuerySet[Case]:
    """Cases the user takes part in (a registrar's list of every case is the case list, not this)."""
    return (
        selectors.case_list(user=user).filter(participants__user=user, participants__revoked_at__isnull=True).distinct()
    )


def pending_declarations(*, user: Any) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(arbitrator=user, status=AppointmentStatus.AWAITING_DECLARATION)
        .select_related("case")
        .order_by("appointed_at")
    )


def tribunal_deadlines(*, user: Any) -> QuerySet[Deadline]:
    """Open deadlines the tribunal owes on cases where this user sits as arbitrator."""
    return selectors.deadlines_for_user(user=user).filter(
        responsible="tribunal",
        case__participants__user=user,
        case__participants__role=Role.ARBITRATOR,
        case__participants__revoked_at__isnull=True,
    )


def appointments_to_review(*, user: Any) -> QuerySet[Appointment]:
    """Declarations with disclosures or conflict-check hits, waiting for the registrar."""
    return (
        Appointment.objects.filter(
            case__in=permissions.visible_cases(user), status=AppointmentStatus.AWAITING_REGISTRAR
        )
        .select_related("case", "arbitrator")
        .order_by("declared_at")
    )


def challenges_to_decide(*, user: Any) -> QuerySet[Challenge]:
    return (
        Challenge.objects.filter(case__in=permissions.visible_cases(user), decided_at__isnull=True)
        .select_related("case", "appointment__arbitrator")
        .order_by("filed_at")
    )


def case_document(*, case: Case, document_id: int) -> FilingDocument | None:
    return FilingDocument.objects.filter(pk=document_id, filing__case_id=case.pk).first()


def notifications_for(*, user: Any) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).select_related("case").order_by("-created_at", "-id")


def unread_notification_count(*, user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def user_for_calendar_token(*, token: str) -> User | None:
    if not token:
        return None
    return User.objects.filter(calendar_token=token, is_active=True).first()
