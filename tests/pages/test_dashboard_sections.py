"""The dashboard's "Unread filings" and "Analyses finished" sections (issue 6): what each role has to look at now.

Unread = filed by someone else after the user last opened that case's Docket tab. Analyses = jobs that succeeded or
failed in the last 14 days, exactly as the case's Analyses tab would list them to this user, so a job over the other
side's sealed exhibit never reaches a party, not even as a count.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from disputes.models import DocketRead, Filing
from disputes.services.events import case_apply_event
from evidence.jobs import job_create
from evidence.models import AnalysisJob, JobStatus
from tests.evidence.helpers import upload

pytestmark = pytest.mark.django_db

SEALED_TITLE = "Confidential training recipe"
VERDICT = "Consistent with derivation: the weights share an origin"


def section(html: str, heading_id: str) -> str:
    """The HTML of one dashboard section (from its heading to the end of the section)."""
    start = html.index(f'id="{heading_id}"')
    return html[start : html.index("</section>", start)]


def dashboard(client) -> str:
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return response.content.decode()


def file_submission(case, actor, title: str) -> Filing:
    case_apply_event(case_id=case.pk, event="file_submission", actor=actor, payload={"title": title})
    return Filing.objects.get(case=case, title=title)


@pytest.fixture
def file_exhibit(django_capture_on_commit_callbacks):
    """file_exhibit(user, case, **metadata) -> ExhibitFile, uploaded through tus and ingested (its job finished)."""

    def make(user, case, **metadata):
        with django_capture_on_commit_callbacks(execute=True):
            exhibit_file = upload(user, case, b"%PDF-1.4\n" + os.urandom(2048), **metadata)
        exhibit_file.refresh_from_db()
        return exhibit_file

    return make


def finished_job(case, exhibit_file, *, status=JobStatus.SUCCEEDED, ago=timedelta(minutes=5), **result) -> AnalysisJob:
    """A lineage analysis over the file, finished `ago` (the worker's run is not what these tests are about)."""
    job = job_create(
        case=case, kind="weights.lineage", inputs=[(exhibit_file, "suspect")], parameters={}, created_by_id=None
    )
    AnalysisJob.objects.filter(pk=job.pk).update(
        status=status,
        finished_at=timezone.now() - ago,
        result=result or None,
        error="The weights file could not be parsed." if status == JobStatus.FAILED else "",
    )
    job.refresh_from_db()
    return job


def test_other_sides_filing_is_unread_until_the_docket_is_opened(personas, case_at, as_user):
    case = case_at("evidence")
    personas.clara.time_zone = "Asia/Tokyo"
    personas.clara.save(update_fields=["time_zone"])
    clara = as_user(personas.clara)
    docket = f"{reverse('case_detail', args=[case.pk])}?tab=docket"
    clara.get(docket)  # everything filed so far has been read
    assert "No unread filings" in section(dashboard(clara), "unread-heading")

    filing = file_submission(case, personas.rafael, "Respondent's expert report on the training data")
    unread = section(dashboard(clara), "unread-heading")
    assert "Respondent&#x27;s expert report on the training data" in unread
    assert case.display_reference in unread and "Rafael Respondent-Counsel" in unread
    assert f'?tab=docket&amp;page=1#filing-{filing.number}"' in unread
    local = timezone.localtime(filing.filed_at, ZoneInfo("Asia/Tokyo"))
    assert local.strftime("%H:%M JST") in unread  # absolute, in Clara's time zone
    assert "just now" in unread or "minute" in unread  # and relative
    assert '<span class="count">1</span>' in unread
    # The docket entry the link points at carries that anchor.
    assert f'id="filing-{filing.number}"' in clara.get(docket).content.decode()

    # Opening the docket read it; a later filing is unread again, alone.
    after = section(dashboard(clara), "unread-heading")
    assert "expert report" not in after and "No unread filings" in after
    file_submission(case, personas.ada, "Procedural order on document production")
    again = section(dashboard(clara), "unread-heading")
    assert "Procedural order on document production" in again and "expert report" not in again
    assert '<span class="count">1</span>' in again


def test_the_htmx_docket_tab_also_marks_the_docket_read(personas, case_at, as_user):
    case = case_at("evidence")
    rafael = as_user(personas.rafael)
    assert "No unread filings" not in section(dashboard(rafael), "unread-heading")  # the Request, orders, ...
    rafael.get(reverse("case_tab", args=[case.pk, "docket"]))
    assert (
        DocketRead.objects.get(user=personas.rafael, case=case).last_number
        == Filing.objects.filter(case=case).order_by("-number").values_list("number", flat=True).first()
    )
    assert "No unread filings" in section(dashboard(rafael), "unread-heading")


def test_own_filing_is_not_unread_for_its_author(personas, case_at, as_user):
    case = case_at("evidence")
    clara, rafael = as_user(personas.clara), as_user(personas.rafael)
    for client in (clara, rafael):
        client.get(f"{reverse('case_detail', args=[case.pk])}?tab=docket")
    file_submission(case, personas.clara, "Claimant's reply on the licence terms")
    assert "No unread filings" in section(dashboard(clara), "unread-heading")
    assert "Claimant&#x27;s reply on the licence terms" in section(dashboard(rafael), "unread-heading")


def test_arbitrator_sees_finished_analyses_with_verdict_status_and_report_link(
    personas, case_at, as_user, file_exhibit
):
    case = case_at("evidence")
    exhibit_file = file_exhibit(personas.clara, case, title="Frontier weights")
    succeeded = finished_job(case, exhibit_file, verdict=VERDICT)
    failed = finished_job(case, exhibit_file, status=JobStatus.FAILED, ago=timedelta(days=3))
    old = finished_job(case, exhibit_file, verdict="An old verdict", ago=timedelta(days=20))
    running = job_create(
        case=case, kind="weights.lineage", inputs=[(exhibit_file, "suspect")], parameters={}, created_by_id=None
    )

    analyses = section(dashboard(as_user(personas.ada)), "analyses-heading")
    assert VERDICT in analyses and "Succeeded" in analyses
    assert reverse("job_report", args=[case.pk, succeeded.pk]) in analyses
    assert "The weights file could not be parsed." in analyses and "Failed" in analyses
    assert reverse("job_detail", args=[case.pk, failed.pk]) in analyses  # a failed job has no report: its page
    assert f"{reverse('case_detail', args=[case.pk])}?tab=analyses" in analyses
    assert "An old verdict" not in analyses and f"#{old.pk}<" not in analyses  # finished 20 days ago
    assert f"#{running.pk}<" not in analyses  # not finished
    # The two, plus the ingest check of the uploaded file.
    assert '<span class="count">3</span>' in analyses
    # Clara may see every input, so she sees the same verdict.
    assert VERDICT in section(dashboard(as_user(personas.clara)), "analyses-heading")


def test_analysis_over_a_sealed_exhibit_leaves_no_trace_for_the_other_side(personas, case_at, as_user, file_exhibit):
    case = case_at("evidence")
    sealed = file_exhibit(personas.rafael, case, title=SEALED_TITLE, tier="tribunal")
    job = finished_job(case, sealed, verdict=VERDICT)
    ingest = sealed.job_inputs.exclude(job=job).get().job
    assert ingest.status == JobStatus.SUCCEEDED

    html = dashboard(as_user(personas.clara))
    analyses = section(html, "analyses-heading")
    assert SEALED_TITLE not in html and VERDICT not in html
    for hidden in (job, ingest):
        assert f"/jobs/{hidden.pk}/" not in html and f"#{hidden.pk}<" not in html
    assert '<span class="count">0</span>' in analyses
    assert "No analysis finished on your cases in the last 14 days." in analyses

    # The tribunal and the side that sealed it see the analysis.
    for user in (personas.ada, personas.rafael):
        seen = section(dashboard(as_user(user)), "analyses-heading")
        assert VERDICT in seen and reverse("job_report", args=[case.pk, job.pk]) in seen
        assert '<span class="count">2</span>' in seen


def test_empty_states_render(personas, as_user):
    html = dashboard(as_user(personas.uma))
    assert "No unread filings" in section(html, "unread-heading")
    assert "No analysis finished on your cases in the last 14 days." in section(html, "analyses-heading")
    assert re.search(r'<span class="count">0</span>', section(html, "unread-heading"))
    # A registrar who takes part in no case has the registry instead of these sections.
    registrar = dashboard(as_user(personas.greta))
    assert 'id="unread-heading"' not in registrar and 'id="analyses-heading"' not in registrar
