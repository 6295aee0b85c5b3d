"""Celery tasks: thin, take ids, idempotent (the job row decides whether there is anything to do)."""

from __future__ import annotations

import socket

from celery import shared_task

from evidence.jobs import job_run, jobs_recover
from evidence.services.uploads import uploads_expire


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_job(job_id: int) -> str:
    return job_run(job_id=job_id, worker=socket.gethostname())


@shared_task
def recover_jobs() -> list[int]:
    return jobs_recover()


@shared_task
def expire_uploads() -> int:
    return uploads_expire()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def build_hearing_bundle(bundle_id: int) -> str:
    from evidence.services.hearing_bundles import hearing_bundle_run

    return hearing_bundle_run(bundle_id=bundle_id)


@shared_task
def recover_hearing_bundles() -> list[int]:
    from evidence.services.hearing_bundles import hearing_bundles_recover

    return hearing_bundles_recover()
