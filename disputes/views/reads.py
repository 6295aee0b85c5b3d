"""Read queries the pages need that the shared selectors do not offer (yet). Each is scoped to the user."""

from __future__ import annotations

import operator
from datetime import datetime
from functools import reduce
from typing import Any

import rules
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts.models import User
from disputes import permissions, selectors
from disputes.models import (
    Appointment,
    AppointmentStatus,
    Case,
    Challenge,
    Deadline,
    DocketRead,
    Filing,
    FilingDocument,
    Notification,
    Role,
)
from evidence import selectors as evidence_selectors
from evidence.models import AnalysisJob, JobStatus


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


def unread_filings(*, user: Any) -> QuerySet[Filing]:
    """Docket filings on the user's cases filed, by someone else, after the user last opened that case's Docket tab
    (disputes.services.reading keeps the mark). One query however many cases: the mark is a correlated subquery."""
    read_up_to = DocketRead.objects.filter(user_id=user.pk, case_id=OuterRef("case_id")).values("last_number")[:1]
    # The docket lists newest first and numbers have no gaps, so the newest number gives a filing's page there.
    newest = Filing.objects.filter(case_id=OuterRef("case_id")).order_by("-number").values("number")[:1]
    cases = list(my_cases(user=user))
    permissions.prime_case_roles(user, [case.pk for case in cases])
    # rules.has_perm, not user.has_perm: the latter unwraps request.user's lazy object, whose role cache was primed.
    readable = [case.pk for case in cases if rules.has_perm("disputes.view_docket", user, case)]
    return (
        Filing.objects.filter(case_id__in=readable)
        .exclude(filed_by_id=user.pk)
        .annotate(read_up_to=Coalesce(Subquery(read_up_to), 0))
        .filter(number__gt=F("read_up_to"))
        .annotate(docket_newest=Subquery(newest))
        .select_related("case", "filed_by")
        .order_by("-filed_at", "-id")
    )


ANALYSIS_STATUSES = [JobStatus.SUCCEEDED, JobStatus.FAILED]


def finished_analyses(*, user: Any, since: datetime) -> QuerySet[AnalysisJob]:
    """Analyses that succeeded or failed since `since` on the user's cases, as the Analyses tab lists them: each case's
    jobs come from evidence.selectors.job_list, so a job over an exhibit the user may not see is not among them.
    The roles on every case are loaded in one go first, so the tier checks run from the cache, not per case."""
    case_ids = list(
        AnalysisJob.objects.filter(case__in=my_cases(user=user), status__in=ANALYSIS_STATUSES, finished_at__gte=since)
        .values_list("case_id", flat=True)
        .distinct()
    )
    if not case_ids:
        return AnalysisJob.objects.none()
    permissions.prime_case_roles(user, case_ids)
    cases = list(Case.objects.filter(pk__in=case_ids))
    per_case = [evidence_selectors.job_list(user=user, case=case) for case in cases]
    return (
        reduce(operator.or_, per_case)
        .filter(status__in=ANALYSIS_STATUSES, finished_at__gte=since)
        .select_related("case")
        .order_by("-finished_at", "-id")
    )
