"""The registry's deadlines board: every open deadline of every case, with counts and time in stage."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from disputes import selectors
from disputes.forms import BoardFilterForm
from disputes.views.types import AuthenticatedRequest

DEADLINES_PER_PAGE = 50


@login_required
@require_GET
def deadline_board(request: AuthenticatedRequest) -> HttpResponse:
    if not request.user.has_perm("disputes.view_board"):
        raise Http404("No such page.")
    filters = BoardFilterForm(request.GET or None)
    criteria = {"window": "", "case_ref": "", "responsible": "", "stage": ""}
    if filters.is_valid():
        data = filters.cleaned_data
        criteria = {
            "window": data["window"],
            "case_ref": data["case"].strip(),
            "responsible": data["responsible"],
            "stage": data["stage"],
        }
    now = timezone.now()
    deadlines = selectors.deadline_board(user=request.user, now=now, **criteria)
    page = Paginator(deadlines, DEADLINES_PER_PAGE).get_page(request.GET.get("page"))
    rows = [(deadline, selectors.deadline_progress(deadline, now)) for deadline in page.object_list]
    context = {
        "filters": filters,
        "page": page,
        "rows": rows,
        "now": now,
        "overdue_count": selectors.deadline_board(user=request.user, window="overdue", now=now).count(),
        "stage_counts": selectors.stage_counts(user=request.user),
        "time_in_stage": selectors.time_in_stage(user=request.user),
    }
    return render(request, "disputes/board.html", context)
