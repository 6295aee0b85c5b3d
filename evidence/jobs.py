"""Durable analysis jobs. The row is the truth; a Celery message only carries the job id.

Each attempt claims the job under a row lock and gets a fresh `run_token`; only the attempt holding the current
token may record progress or finish the job, so a job is never finished twice. A worker killed mid-job leaves a
running row whose heartbeat goes stale: `jobs_recover` (beat, every minute) re-queues it, and the next attempt
takes over — up to `max_attempts`, then the job fails with the reason. The same sweep re-sends queued jobs whose
message was lost. Progress is throttled to one write a second and doubles as the heartbeat and the cancel check.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from evidence.models import AnalysisJob, ExhibitFile, JobInput, JobStatus, strictest_tier
from forensics import __version__ as forensics_version

logger = logging.getLogger(__name__)


class JobCancelled(Exception):
    pass


class JobSuperseded(Exception):
    """Another attempt owns the job now (this worker was presumed dead): stop without writing."""


class JobTimeLimit(Exception):
    pass


# Job parameters that are never shown back to anyone (the claimant's watermark key); the analysis itself records
# only a fingerprint of it.
SECRET_PARAMETERS = frozenset({"key"})


def job_create(
    *,
    case: Any,
    kind: str,
    inputs: list[tuple[ExhibitFile, str]],
    parameters: dict[str, Any],
    created_by_id: int | None,
) -> AnalysisJob:
    """Create the job row (inside the caller's transaction) and send it to a worker after commit."""
    tier = strictest_tier([f.exhibit.tier for f, _ in inputs])
    job = AnalysisJob.objects.create(
        case=case,
        kind=kind,
        parameters=parameters,
        tier=tier,
        created_by_id=created_by_id,
        max_attempts=settings.TRIBUNAL_JOB_MAX_ATTEMPTS,
        queued_at=timezone.now(),
    )
    JobInput.objects.bulk_create([JobInput(job=job, file=f, role=role) for f, role in inputs])
    transaction.on_commit(lambda: job_enqueue(job_id=job.pk))
    return job


def job_enqueue(*, job_id: int) -> None:
    from evidence.tasks import run_job

    run_job.apply_async(args=(job_id,), queue=settings.TRIBUNAL_ANALYSIS_QUEUE)


def _claim(job_id: int, worker: str) -> tuple[AnalysisJob, uuid.UUID] | None:
    stale_before = timezone.now() - timedelta(seconds=settings.TRIBUNAL_JOB_STALE_SECONDS)
    with transaction.atomic():
        job = AnalysisJob.objects.select_for_update().get(pk=job_id)
        if job.is_finished:
            return None
        if job.status == JobStatus.RUNNING and job.heartbeat_at and job.heartbeat_at > stale_before:
            return None  # a live attempt owns it (duplicate delivery)
        if job.cancel_requested:
            job.status, job.finished_at = JobStatus.CANCELLED, timezone.now()
            job.save(update_fields=["status", "finished_at"])
            return None
        if job.attempts >= job.max_attempts:
            job.status, job.finished_at = JobStatus.FAILED, timezone.now()
            job.error = (
                f"Gave up after {job.attempts} attempts: the worker stopped (killed or out of memory) each time."
            )
            job.save(update_fields=["status", "finished_at", "error"])
            return None
        token = uuid.uuid4()
        now = timezone.now()
        job.status, job.run_token, job.worker = JobStatus.RUNNING, token, worker[:200]
        job.attempts += 1
        job.started_at, job.heartbeat_at, job.progress, job.progress_message = now, now, 0.0, "Starting"
        job.code_version = forensics_version
        job.save()
        return job, token


def _finish(job_id: int, token: uuid.UUID, *, status: str, result: Any = None, error: str = "") -> bool:
    with transaction.atomic():
        job = AnalysisJob.objects.select_for_update().get(pk=job_id)
        if job.run_token != token or job.is_finished:
            return False
        job.status, job.finished_at, job.error = status, timezone.now(), error[:5000]
        if status == JobStatus.SUCCEEDED:
            job.result, job.progress, job.progress_message = result, 1.0, "Done"
        job.save(update_fields=["status", "finished_at", "error", "result", "progress", "progress_message"])
    return True


class ProgressReporter:
    """The `progress(fraction, message)` callback handed to analyses."""

    def __init__(self, job_id: int, token: uuid.UUID, *, time_limit: int) -> None:
        self.job_id, self.token = job_id, token
        self.started = time.monotonic()
        self.time_limit = time_limit
        self.last_write = 0.0

    def __call__(self, fraction: float, message: str = "") -> None:
        now = time.monotonic()
        if now - self.started > self.time_limit:
            raise JobTimeLimit(f"Stopped after the {self.time_limit} s time limit for one job.")
        if now - self.last_write < 1.0 and fraction < 1.0:
            return
        self.last_write = now
        updated = AnalysisJob.objects.filter(pk=self.job_id, run_token=self.token, status=JobStatus.RUNNING).update(
            progress=max(0.0, min(1.0, float(fraction))), progress_message=message[:200], heartbeat_at=timezone.now()
        )
        if not updated:
            raise JobSuperseded()
        if AnalysisJob.objects.filter(pk=self.job_id, cancel_requested=True).exists():
            raise JobCancelled()


Runner = Callable[[AnalysisJob, ProgressReporter], dict[str, Any]]


def job_run(*, job_id: int, worker: str) -> str:
    """Run one attempt. Returns what happened (for logs and tests)."""
    from evidence.runners import RUNNERS, UserFacingError

    claimed = _claim(job_id, worker)
    if claimed is None:
        return "skipped"
    job, token = claimed
    reporter = ProgressReporter(job_id, token, time_limit=settings.TRIBUNAL_JOB_TIME_LIMIT)
    try:
        result = RUNNERS[job.kind](job, reporter)
    except JobSuperseded:
        return "superseded"
    except JobCancelled:
        _finish(job_id, token, status=JobStatus.CANCELLED, error="Cancelled by the tribunal.")
        return "cancelled"
    except (UserFacingError, JobTimeLimit) as error:
        _finish(job_id, token, status=JobStatus.FAILED, error=str(error))
        return "failed"
    except Exception as error:
        logger.exception("job %s crashed", job_id)
        _finish(
            job_id,
            token,
            status=JobStatus.FAILED,
            error=f"Internal error ({type(error).__name__}); the registry has been told. Re-run the job to retry.",
        )
        return "failed"
    return "succeeded" if _finish(job_id, token, status=JobStatus.SUCCEEDED, result=result) else "superseded"


def jobs_recover(*, now: Any = None) -> list[int]:
    """Re-queue jobs whose worker died (stale heartbeat) and queued jobs whose message was lost."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.TRIBUNAL_JOB_STALE_SECONDS)
    requeued: list[int] = []
    for job_id in AnalysisJob.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=stale).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            job = AnalysisJob.objects.select_for_update().get(pk=job_id)
            if job.status != JobStatus.RUNNING or (job.heartbeat_at and job.heartbeat_at >= stale):
                continue
            job.status, job.run_token, job.queued_at = JobStatus.QUEUED, None, now
            job.progress_message = f"Re-queued: the worker stopped responding (attempt {job.attempts})"
            job.save(update_fields=["status", "run_token", "queued_at", "progress_message"])
        requeued.append(job_id)
    # A queued job may just be waiting for a busy worker: re-send only after a longer while. A duplicate message
    # is harmless (the claim skips a job another attempt is running or has finished).
    lost_before = now - timedelta(seconds=5 * settings.TRIBUNAL_JOB_STALE_SECONDS)
    lost = AnalysisJob.objects.filter(status=JobStatus.QUEUED, queued_at__lt=lost_before).values_list("pk", flat=True)
    for job_id in lost:
        AnalysisJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(queued_at=now)
        requeued.append(job_id)
    for job_id in requeued:
        job_enqueue(job_id=job_id)
    return requeued


def job_cancel(*, job_id: int) -> AnalysisJob:
    with transaction.atomic():
        job = AnalysisJob.objects.select_for_update().get(pk=job_id)
        if job.is_finished:
            return job
        job.cancel_requested = True
        if job.status == JobStatus.QUEUED:
            job.status, job.finished_at, job.error = JobStatus.CANCELLED, timezone.now(), "Cancelled by the tribunal."
        job.save(update_fields=["cancel_requested", "status", "finished_at", "error"])
    return job


def job_rerun(*, job_id: int, user_id: int | None) -> AnalysisJob:
    """A new job with the same inputs and parameters; the old one stays on record."""
    with transaction.atomic():
        old = AnalysisJob.objects.get(pk=job_id)
        inputs = [(i.file, i.role) for i in old.inputs.select_related("file__exhibit")]
        return job_create(case=old.case, kind=old.kind, inputs=inputs, parameters=old.parameters, created_by_id=user_id)
