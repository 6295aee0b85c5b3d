"""The Exhibits and Analyses tabs of the case page (disputes.views.cases calls these for their context).

Both lists come from evidence.selectors, which scope them through the tier layer: a sealed exhibit of the other
side, and any job that read one, are simply not in the querysets — so not in the rows, the counts or the pages.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest

from disputes.models import Case
from evidence import permissions, selectors
from evidence.forms import ExhibitFilterForm
from evidence.models import ExhibitFile
from evidence.views.presenters import job_summary

EXHIBITS_PER_PAGE = 50
JOBS_PER_PAGE = 30


def exhibits_tab_context(request: HttpRequest, case: Case) -> dict[str, Any]:
    filters = ExhibitFilterForm(request.GET or None)
    kind = side = query = ""
    if filters.is_valid():
        kind, side, query = filters.cleaned_data["kind"], filters.cleaned_data["side"], filters.cleaned_data["q"]
    if query.strip():
        exhibits = selectors.exhibit_search(user=request.user, case=case, query=query)
        exhibits = exhibits.filter(**{k: v for k, v in (("kind", kind), ("side", side)) if v})
        exhibits = exhibits.select_related("submitted_by").prefetch_related("files")
    else:
        exhibits = selectors.exhibit_list(user=request.user, case=case, kind=kind, side=side)
    page = Paginator(exhibits, EXHIBITS_PER_PAGE).get_page(request.GET.get("page"))
    querystring = request.GET.copy()
    querystring.pop("page", None)
    querystring["tab"] = "exhibits"
    return {
        "filters": filters,
        "filtered": bool(kind or side or query.strip()),
        "searching": bool(query.strip()),
        "page": page,
        "querystring": querystring.urlencode(),
        "may_file": permissions.may_file_exhibits(request.user, case) is not None,
        "quarantined_status": ExhibitFile.Status.QUARANTINED,
    }


def analyses_tab_context(request: HttpRequest, case: Case) -> dict[str, Any]:
    page = Paginator(selectors.job_list(user=request.user, case=case), JOBS_PER_PAGE).get_page(request.GET.get("page"))
    # Every listed job is visible to the user, so managing them reduces to being on the tribunal (one check, not one
    # evidence.manage_job query per row); the cancel/re-run views check the permission on the job itself.
    can_manage = permissions.is_tribunal_member(request.user, case)
    can_order = can_manage or permissions.may_file_exhibits(request.user, case) is not None
    return {
        "page": page,
        "job_rows": [(job, job_summary(job)) for job in page.object_list],
        "can_manage": can_manage,
        "can_order": can_order,
    }
