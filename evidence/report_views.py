"""Analysis report pages, their charts and the PDF export. Tier rules come from evidence.permissions: a report is
visible only to those who may see every input of its job."""

from __future__ import annotations

import base64

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.text import slugify

from disputes.models import Case
from disputes.permissions import case_for_user_or_404
from evidence.models import AnalysisJob, JobStatus
from evidence.permissions import job_for_user_or_404
from evidence.reports import SUMMARISERS, build_report, job_charts


def _finished_job(request: HttpRequest, pk: int, job_id: int) -> tuple[Case, AnalysisJob]:
    case = case_for_user_or_404(request.user, pk)
    job = job_for_user_or_404(request.user, case, job_id)
    if job.kind not in SUMMARISERS or job.status != JobStatus.SUCCEEDED or not job.result:
        raise Http404("This job has no report.")
    return case, job


def _reproduce(job: AnalysisJob) -> str:
    names = {i.role: i.file.original_name for i in job.inputs.select_related("file")}
    params = job.parameters or {}
    if job.kind == "weights.lineage":
        return f"weights {names.get('a')} {names.get('b')}"
    if job.kind == "logs.extraction":
        return f"logs {names.get('log')} --volume-threshold {params.get('volume_threshold', '')}".strip()
    if job.kind == "text.watermark":
        return f"watermark {names.get('outputs')} --key <key> --gamma {params.get('gamma', 0.25)}"
    return f"similarity {names.get('a')} {names.get('b')}"


@login_required
def job_report(request: HttpRequest, pk: int, job_id: int) -> HttpResponse:
    case, job = _finished_job(request, pk, job_id)
    report = build_report(job)
    chart_src = {name: reverse("job_chart", args=[case.pk, job.pk, name]) for name in report.chart_names}
    return render(
        request,
        "evidence/report/page.html",
        {"case": case, "job": job, "report": report, "chart_src": chart_src, "reproduce": _reproduce(job)},
    )


@login_required
def job_chart(request: HttpRequest, pk: int, job_id: int, name: str) -> HttpResponse:
    _, job = _finished_job(request, pk, job_id)
    svg = job_charts(job).get(name)
    if svg is None:
        raise Http404("No such chart.")
    response = HttpResponse(svg, content_type="image/svg+xml")
    # Served as an image: its own styles may apply, scripts never.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def job_report_pdf(request: HttpRequest, pk: int, job_id: int) -> HttpResponse:
    from weasyprint import HTML

    case, job = _finished_job(request, pk, job_id)
    report = build_report(job)
    charts = job_charts(job)
    chart_src = {
        name: "data:image/svg+xml;base64," + base64.b64encode(charts[name].encode()).decode()
        for name in report.chart_names
    }
    html = render_to_string(
        "evidence/report/pdf.html",
        {"case": case, "job": job, "report": report, "chart_src": chart_src, "reproduce": _reproduce(job)},
    )
    pdf = HTML(string=html, base_url=None).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = slugify(f"{case.display_reference}-{job.kind}-{job.pk}") + ".pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
