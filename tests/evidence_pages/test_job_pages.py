"""Analyses tab, the polled job status partial, the job page, and the tribunal's cancel and re-run."""

from __future__ import annotations

import pytest
from django.urls import reverse

from evidence.jobs import job_create
from evidence.models import AnalysisJob, JobStatus

pytestmark = pytest.mark.django_db


def analyses(case) -> str:
    return f"{reverse('case_detail', args=[case.pk])}?tab=analyses"


@pytest.fixture
def jobs(personas, evidence_case, file_exhibit):
    """A finished ingest job on C-1, and a second job on the same file still queued (its message never sent)."""
    exhibit_file = file_exhibit(personas.clara, evidence_case, title="Licence agreement")
    finished = exhibit_file.job_inputs.get().job
    queued = job_create(
        case=evidence_case, kind="ingest", inputs=[(exhibit_file, "file")], parameters={}, created_by_id=None
    )
    return finished, queued


def test_analyses_tab_shows_state_progress_and_summary(personas, evidence_case, jobs, as_user):
    finished, queued = jobs
    AnalysisJob.objects.filter(pk=queued.pk).update(
        status=JobStatus.RUNNING, progress=0.42, progress_message="Detecting the type"
    )
    body = as_user(personas.rafael).get(analyses(evidence_case)).content.decode()
    assert f'id="job-{finished.pk}"' in body and f'id="job-{queued.pk}"' in body
    assert "PDF document" in body  # the finished job's summary
    assert '<progress max="100" value="42"' in body and "Detecting the type" in body
    # Parties see the jobs but cannot manage them.
    assert "Re-run" not in body and ">Cancel<" not in body
    tribunal = as_user(personas.ada).get(analyses(evidence_case)).content.decode()
    assert "Re-run" in tribunal and ">Cancel<" in tribunal


def test_status_partial_polls_only_while_the_job_is_unfinished(personas, evidence_case, jobs, as_user):
    finished, queued = jobs
    client = as_user(personas.clara)
    polling = client.get(reverse("job_status", args=[evidence_case.pk, queued.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in polling and "Waiting for a worker" in polling
    assert f'hx-get="{reverse("job_status", args=[evidence_case.pk, queued.pk])}"' in polling
    done = client.get(reverse("job_status", args=[evidence_case.pk, finished.pk])).content.decode()
    assert "hx-trigger" not in done and "Succeeded" in done and "<html" not in done
    AnalysisJob.objects.filter(pk=queued.pk).update(status=JobStatus.FAILED, error="Input altered on disk.")
    failed = client.get(reverse("job_status", args=[evidence_case.pk, queued.pk])).content.decode()
    assert "hx-trigger" not in failed and "Input altered on disk." in failed


def test_cancel_is_for_the_tribunal_only(personas, evidence_case, jobs, as_user):
    _, queued = jobs
    url = reverse("job_cancel", args=[evidence_case.pk, queued.pk])
    for user in (personas.clara, personas.rafael, personas.greta):
        assert as_user(user).post(url).status_code == 403
    assert AnalysisJob.objects.get(pk=queued.pk).status == JobStatus.QUEUED
    assert as_user(personas.ada).get(url).status_code == 405
    response = as_user(personas.ada).post(url)
    assert response.status_code == 302 and response["Location"].endswith("?tab=analyses")
    assert AnalysisJob.objects.get(pk=queued.pk).status == JobStatus.CANCELLED


def test_rerun_is_for_the_tribunal_only(personas, evidence_case, jobs, as_user):
    finished, _ = jobs
    url = reverse("job_rerun", args=[evidence_case.pk, finished.pk])
    before = AnalysisJob.objects.count()
    for user in (personas.clara, personas.rafael):
        assert as_user(user).post(url).status_code == 403
    assert AnalysisJob.objects.count() == before
    assert as_user(personas.ada).post(url).status_code == 302
    new = AnalysisJob.objects.latest("id")
    assert new.pk != finished.pk and new.kind == finished.kind and new.created_by == personas.ada
    assert [i.file_id for i in new.inputs.all()] == [i.file_id for i in finished.inputs.all()]
    assert AnalysisJob.objects.get(pk=finished.pk).status == JobStatus.SUCCEEDED  # the old one stays on record


def test_job_page_shows_inputs_and_the_raw_result(personas, evidence_case, jobs, as_user):
    finished, _ = jobs
    body = as_user(personas.rafael).get(reverse("job_detail", args=[evidence_case.pk, finished.pk])).content.decode()
    exhibit_file = finished.inputs.get().file
    assert exhibit_file.sha256 in body and "C-1" in body
    assert '<pre class="json">' in body and "&quot;detected_type&quot;: &quot;PDF document&quot;" in body
    assert f"{finished.attempts} of {finished.max_attempts}" in body
