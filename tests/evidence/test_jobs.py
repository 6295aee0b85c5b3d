"""The job engine: claims, run tokens, recovery of dead workers, duplicate deliveries, cancel, attempt limit."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from evidence import jobs
from evidence.models import AnalysisJob, JobStatus
from tests.evidence.helpers import upload


@pytest.fixture
def job(case_at, personas):
    case = case_at("evidence")
    exhibit_file = upload(
        personas.clara,
        case,
        b"timestamp,account_id,prompt\n2026-01-01T00:00:00Z,a,hello\n",
        kind="api_log",
        title="Log",
    )
    with mock.patch("evidence.jobs.job_enqueue"):
        return jobs.job_create(
            case=case, kind="ingest", inputs=[(exhibit_file, "file")], parameters={}, created_by_id=personas.clara.pk
        )


@pytest.mark.django_db
def test_a_job_runs_once_and_a_duplicate_delivery_is_skipped(job):
    assert jobs.job_run(job_id=job.pk, worker="w1") == "succeeded"
    assert jobs.job_run(job_id=job.pk, worker="w2") == "skipped"
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.attempts == 1 and job.worker == "w1"


@pytest.mark.django_db
def test_a_live_attempt_is_not_taken_over(job):
    claimed = jobs._claim(job.pk, "w1")
    assert claimed is not None
    assert jobs.job_run(job_id=job.pk, worker="w2") == "skipped"  # heartbeat is fresh


@pytest.mark.django_db
def test_dead_worker_is_recovered_and_only_the_new_attempt_can_finish(job, settings):
    _, dead_token = jobs._claim(job.pk, "w-dead")
    AnalysisJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=600))
    with mock.patch("evidence.jobs.job_enqueue") as enqueue:
        assert jobs.jobs_recover() == [job.pk]
    enqueue.assert_called_once_with(job_id=job.pk)
    assert jobs.job_run(job_id=job.pk, worker="w-new") == "succeeded"
    # The dead attempt wakes up (e.g. a paused VM) and tries to finish: refused, the result stands.
    assert jobs._finish(job.pk, dead_token, status=JobStatus.FAILED, error="late") is False
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.attempts == 2 and job.worker == "w-new"


@pytest.mark.django_db
def test_superseded_attempt_stops_at_its_next_progress_report(job):
    _, token = jobs._claim(job.pk, "w1")
    reporter = jobs.ProgressReporter(job.pk, token, time_limit=3600)
    AnalysisJob.objects.filter(pk=job.pk).update(run_token=None, status=JobStatus.QUEUED)
    with pytest.raises(jobs.JobSuperseded):
        reporter(0.5, "half way")


@pytest.mark.django_db
def test_attempt_limit_fails_the_job_with_the_reason(job):
    AnalysisJob.objects.filter(pk=job.pk).update(attempts=3, max_attempts=3, status=JobStatus.QUEUED)
    assert jobs.job_run(job_id=job.pk, worker="w") == "skipped"
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "Gave up after 3 attempts" in job.error


@pytest.mark.django_db
def test_cancel_queued_and_running_jobs(job):
    jobs.job_cancel(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert jobs.job_run(job_id=job.pk, worker="w") == "skipped"


@pytest.mark.django_db
def test_cancel_while_running_stops_at_the_next_progress_report(job):
    _, token = jobs._claim(job.pk, "w1")
    reporter = jobs.ProgressReporter(job.pk, token, time_limit=3600)
    jobs.job_cancel(job_id=job.pk)
    with pytest.raises(jobs.JobCancelled):
        reporter(0.2, "working")


@pytest.mark.django_db
def test_time_limit_fails_the_job(job, settings):
    settings.TRIBUNAL_JOB_TIME_LIMIT = 0
    assert jobs.job_run(job_id=job.pk, worker="w") == "failed"
    job.refresh_from_db()
    assert "time limit" in job.error


@pytest.mark.django_db
def test_crash_is_a_failed_job_with_a_safe_message(job):
    with mock.patch.dict("evidence.runners.RUNNERS", {"ingest": mock.Mock(side_effect=MemoryError("boom"))}):
        assert jobs.job_run(job_id=job.pk, worker="w") == "failed"
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "Internal error (MemoryError)" in job.error


@pytest.mark.django_db
def test_lost_queued_message_is_resent(job):
    AnalysisJob.objects.filter(pk=job.pk).update(queued_at=timezone.now() - timedelta(hours=1))
    with mock.patch("evidence.jobs.job_enqueue") as enqueue:
        assert jobs.jobs_recover() == [job.pk]
    enqueue.assert_called_once()


@pytest.mark.django_db
def test_rerun_creates_a_new_job_with_the_same_inputs(job, personas):
    jobs.job_run(job_id=job.pk, worker="w")
    with mock.patch("evidence.jobs.job_enqueue"):
        again = jobs.job_rerun(job_id=job.pk, user_id=personas.ada.pk)
    assert again.pk != job.pk and again.status == JobStatus.QUEUED
    assert [i.file_id for i in again.inputs.all()] == [i.file_id for i in job.inputs.all()]
