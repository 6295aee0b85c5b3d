"""The home page: what needs doing, by role. One user may hold several roles, so sections stack."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from disputes import permissions, selectors
from disputes.lifecycle.states import State
from disputes.views import reads
from disputes.views.types import AuthenticatedRequest

DASHBOARD_ROWS = 10


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
    if context["is_registrar"]:
        screening = list(selectors.case_list(user=user, state=State.SUBMITTED).order_by("submitted_at", "id")[:25])
        to_review = list(reads.appointments_to_review(user=user))
        challenges = list(reads.challenges_to_decide(user=user))
        context |= {
            "screening": [(case, selectors.next_deadline(case)) for case in screening],
            "overdue_count": selectors.deadline_board(user=user, window="overdue").count(),
            "stage_counts": [row for row in selectors.stage_counts(user=user) if row[2]],
            "to_review": to_review,
            "challenges": challenges,
            "to_decide": len(to_review) + len(challenges),
        }
    return render(request, "disputes/dashboard.html", context)
