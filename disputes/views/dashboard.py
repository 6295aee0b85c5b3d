"""The home page: what needs doing, by role. One user may hold several roles, so sections stack."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from disputes import permissions, selectors
from disputes.lifecycle.states import State
from disputes.models import Filing
from disputes.views import cases, reads
from disputes.views.types import AuthenticatedRequest
from evidence.views.presenters import job_summary

DASHBOARD_ROWS = 10
ANALYSES_WINDOW = timedelta(days=14)


def _docket_page(filing: Filing) -> int:
    """The Docket tab page that shows this filing (newest first, numbers without gaps)."""
    newest: int = filing.docket_newest  # type: ignore[attr-defined]  # annotated by reads.unread_filings
    return (newest - filing.number) // cases.ROWS_PER_TAB_PAGE + 1


@login_required
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    my_cases = list(reads.my_cases(user=user)[:DASHBOARD_ROWS])
    context: dict[str, Any] = {
        "my_cases": [(case, selectors.next_deadline(case)) for case in my_cases],
        "declarations": list(reads.pending_declarations(user=user)),
        "tribunal_deadlines": list(reads.tribunal_deadlines(user=user)[:DASHBOARD_ROWS]),
        "is_registrar": permissions.is_registrar(user),
    }
    if my_cases or not context["is_registrar"]:
        unread = reads.unread_filings(user=user)
        # Every listed job is one the user may see (evidence.selectors.job_list per case), so the count is too.
        analyses = reads.finished_analyses(user=user, since=timezone.now() - ANALYSES_WINDOW)
        context |= {
            "show_activity": True,
            "unread_filings": [(filing, _docket_page(filing)) for filing in unread[:DASHBOARD_ROWS]],
            "unread_count": unread.count(),
            "analyses": [(job, job_summary(job)) for job in analyses[:DASHBOARD_ROWS]],
            "analyses_count": analyses.count(),
            "analyses_days": ANALYSES_WINDOW.days,
        }
    if context["is_registrar"]:
        screening = list(selectors.case_list(user=user, state=State.SUBMITTED).order_by("submitted_at", "id")[:25])
        to_review = list(reads.appointments_to_review(user=user))
        challenges = list(reads.challenges_to_decide(user=user))
        context |= {
            "screening": [(case, selectors.next_deadline(case)) for case in screening],
            "overdue_count": selectors.deadline_board(user=user, window="overdue").count(),
            "stage_counts": [row for row in selectors.stage_counts(user=user) if row[2]],
            "time_in_stage": selectors.time_in_stage(user=user),  # cached: the board draws the same chart
            "to_review": to_review,
            "challenges": challenges,
            "to_decide": len(to_review) + len(challenges),
        }
    return render(request, "disputes/dashboard.html", context)
