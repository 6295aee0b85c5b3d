"""Killing a worker mid-analysis loses no job and finishes none twice (real worker processes, real broker)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from evidence.jobs import jobs_recover
from evidence.models import AnalysisJob, CustodyAction, JobStatus
from tests.worker.conftest import (
    BASE_DIR,
    LiveWorker,
    _database_url,
    _filesystem_transport_options,
    _reset_broker_connections,
    llama_model,
)

pytestmark = pytest.mark.worker
STALE_SECONDS = 4


def _big_model(path: Path, seed: int, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """A llama-shaped model big enough that its comparison runs for several seconds."""
    return llama_model(path, seed, base, hidden=512, layers=8, vocab=4096, ffn=1024)


def _start_worker(var_dir: Path, queue: str, name: str) -> LiveWorker:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "TRIBUNAL_VAR_DIR": str(var_dir),
        "DATABASE_URL": _database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "TRIBUNAL_ANALYSIS_QUEUE": queue,
        "TRIBUNAL_JOB_STALE_SECONDS": str(STALE_SECONDS),
        "PYTHONPATH": str(BASE_DIR),
        "PYTHONUNBUFFERED": "1",
    }
    log_path = var_dir / f"{name}.log"
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "-Q",
        queue,
        "-n",
        f"{name}-{queue}@%h",
        "--pool",
        "solo",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel",
        "INFO",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv, cwd=var_dir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    worker = LiveWorker(process=process, var_dir=var_dir, queue=queue, log_path=log_path)
    worker.wait_for(lambda: " ready." in worker.log, what=f"worker {name} to start", timeout=120)
    return worker


def _stop(worker: LiveWorker) -> None:
    if worker.process.poll() is None:
        os.killpg(worker.process.pid, signal.SIGTERM)
        try:
            worker.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.process.pid, signal.SIGKILL)
            worker.process.wait()


@pytest.fixture
def worker_env(transactional_db: None, settings: Any, tmp_path: Path):
    from config.celery import app

    var_dir = tmp_path / "var"
    for sub in ("broker/queue", "broker/processed", "control", "mail", "evidence", "uploads", "cache"):
        (var_dir / sub).mkdir(parents=True, exist_ok=True)
    queue = f"tribunal-durability-{uuid.uuid4().hex[:10]}"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.TRIBUNAL_ANALYSIS_QUEUE = queue
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    settings.CELERY_TASK_ROUTES = {"evidence.tasks.run_job": {"queue": queue}}
    settings.TRIBUNAL_JOB_STALE_SECONDS = STALE_SECONDS
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {
            "BACKEND": "evidence.storage.WriteOnceFileSystemStorage",
            "OPTIONS": {"location": str(var_dir / "evidence")},
        },
    }
    settings.EVIDENCE_STAGING_DIR = var_dir / "uploads"
    if str(settings.CELERY_BROKER_URL).startswith("filesystem:"):
        settings.CELERY_BROKER_TRANSPORT_OPTIONS = _filesystem_transport_options(var_dir)
    _reset_broker_connections(app)
    yield var_dir, queue
    _reset_broker_connections(app)


def test_sigkill_mid_analysis_then_recovery_finishes_the_job_exactly_once(worker_env, case_at, personas, tmp_path):
    from evidence.models import ExhibitFile
    from evidence.services.analyses import analysis_order
    from tests.evidence.helpers import upload

    var_dir, queue = worker_env
    case = case_at("evidence")
    base = _big_model(tmp_path / "a.safetensors", seed=1)
    _big_model(tmp_path / "b.safetensors", seed=2, base=base)
    files = [
        upload(personas.ada, case, (tmp_path / n).read_bytes(), kind="model_weights", title=n, chunk=8 << 20)
        for n in ("a.safetensors", "b.safetensors")
    ]
    ExhibitFile.objects.filter(pk__in=[f.pk for f in files]).update(status=ExhibitFile.Status.OK)
    AnalysisJob.objects.filter(kind="ingest").update(status=JobStatus.SUCCEEDED)  # ingest is not under test here

    first = _start_worker(var_dir, queue, "first")
    try:
        job = analysis_order(
            user=personas.ada,
            case=case,
            kind="weights.lineage",
            inputs={"a": files[0].pk, "b": files[1].pk},
            parameters={},
        )
        first.wait_for(
            lambda: AnalysisJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING).exists(),
            what="the first worker to start the job",
        )
        os.killpg(first.process.pid, signal.SIGKILL)  # the machine dies mid-analysis
        first.process.wait()
    finally:
        _stop(first)
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING and job.attempts == 1, "the killed attempt did not finish it"

    second = _start_worker(var_dir, queue, "second")
    try:
        time.sleep(STALE_SECONDS + 1)  # the dead worker's heartbeat goes stale
        assert jobs_recover() == [job.pk]
        second.wait_for(
            lambda: AnalysisJob.objects.filter(pk=job.pk, status__in=[JobStatus.SUCCEEDED, JobStatus.FAILED]).exists(),
            what="the recovered job to finish",
            timeout=300,
        )
        job.refresh_from_db()
        assert job.status == JobStatus.SUCCEEDED, job.error
        assert job.attempts == 2 and job.result["verdict"] == "consistent with derivation"
        assert job.worker.startswith("second") or "second" in second.log
        # A late duplicate delivery changes nothing.
        from evidence.jobs import job_enqueue

        expected = second.received() + 1
        job_enqueue(job_id=job.pk)
        second.wait_for(lambda: second.idle(expected), what="the duplicate message to be skipped")
        again = AnalysisJob.objects.get(pk=job.pk)
        assert (again.attempts, again.finished_at, again.status) == (2, job.finished_at, JobStatus.SUCCEEDED)
        assert "'skipped'" in second.log
        analysed = files[0].exhibit.custody.filter(action=CustodyAction.ANALYSED, details__job=job.pk).count()
        assert analysed in (1, 2)  # the finishing attempt is on record, and the killed one if it got that far
    finally:
        _stop(second)
