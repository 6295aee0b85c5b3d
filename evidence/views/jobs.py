"""Job pages: the live status partial htmx polls, the job page, and the tribunal's cancel and re-run.

A job is visible only to those who may see every one of its inputs (evidence.permissions.visible_jobs), so a job
that read a sealed exhibit is a 404 for the other side here too.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import select_template
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from disputes.models import Case
from disputes.permissions import case_for_user_or_404
from disputes.views.types import AuthenticatedRequest
from evidence import permissions
from evidence.jobs import SECRET_PARAMETERS, job_cancel, job_rerun
from evidence.models import AnalysisJob
from evidence.views.presenters import job_summary


def _job(request: AuthenticatedRequest, pk: int, job_id: int) -> tuple[Case, AnalysisJob]:
    case = case_for_user_or_404(request.user, pk)
    return case, permissions.job_for_user_or_404(request.user, case, job_id)


def _row(request: AuthenticatedRequest, case: Case, job: AnalysisJob) -> HttpResponse:
    context = {
        "case": case,
        "job": job,
        "summary": job_summary(job),
        "can_manage": request.user.has_perm("evidence.manage_job", job),
    }
    return render(request, "evidence/_job.html", context)


@login_required
@require_GET
def job_status(request: AuthenticatedRequest, pk: int, job_id: int) -> HttpResponse:
    """One job's row; it keeps `hx-trigger="every 2s"` only while the job is queued or running."""
    case, job = _job(request, pk, job_id)
    return _row(request, case, job)


@login_required
@require_GET
def job_detail(request: AuthenticatedRequest, pk: int, job_id: int) -> HttpResponse:
    case, job = _job(request, pk, job_id)
    # A kind may have its own result template; the generic one links to the report page and shows the JSON.
    report = select_template([f"evidence/job_reports/{job.kind}.html", "evidence/job_reports/generic.html"])
    context = {
        "case": case,
        "job": job,
        "parameters": {k: v for k, v in (job.parameters or {}).items() if k not in SECRET_PARAMETERS},
        "summary": job_summary(job),
        "inputs": list(job.inputs.select_related("file__exhibit").order_by("id")),
        "can_manage": request.user.has_perm("evidence.manage_job", job),
        "report_template": report.template.name,
        "result_json": json.dumps(job.result, indent=2, sort_keys=True, ensure_ascii=False) if job.result else "",
    }
    return render(request, "evidence/job_detail.html", context)


def _back_to_analyses(case: Case) -> HttpResponse:
    return redirect(f"{reverse('case_detail', args=[case.pk])}?tab=analyses")


@login_required
@require_POST
def job_cancel_view(request: AuthenticatedRequest, pk: int, job_id: int) -> HttpResponse:
    case, job = _job(request, pk, job_id)
    if not request.user.has_perm("evidence.manage_job", job):
        raise PermissionDenied("Only the tribunal can cancel a job.")
    job = job_cancel(job_id=job.pk)
    messages.success(request, f"{job.get_kind_display()} #{job.pk}: cancellation requested.")
    return _back_to_analyses(case)


@login_required
@require_POST
def job_rerun_view(request: AuthenticatedRequest, pk: int, job_id: int) -> HttpResponse:
    case, job = _job(request, pk, job_id)
    if not request.user.has_perm("evidence.manage_job", job):
        raise PermissionDenied("Only the tribunal can re-run a job.")
    new = job_rerun(job_id=job.pk, user_id=request.user.pk)
    messages.success(request, f"{new.get_kind_display()} queued again as job #{new.pk}.")
    return _back_to_analyses(case)
