"""Faults with real processes: workers SIGKILLed at chosen points of a job, the broker restarted mid-job, the web
server killed mid-upload. Every job must finish exactly once and no upload may become a corrupt exhibit.

The worker faults are made deterministic rather than timed: a faulty worker is the real `celery worker`, started
through a small bootstrap (`FAULTY_WORKER`) that wraps one step of the job engine so the worker writes a marker
file and parks right there; the test then SIGKILLs its process group, exactly as a power cut would.
"""

from __future__ import annotations

import base64
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from evidence.jobs import job_enqueue, jobs_recover
from evidence.models import AnalysisJob, CustodyAction, ExhibitFile, JobStatus
from tests.worker.conftest import (
    BASE_DIR,
    LiveWorker,
    _database_url,
    _filesystem_transport_options,
    _reset_broker_connections,
    llama_model,
)

pytestmark = pytest.mark.worker
STALE_SECONDS = 3

# Runs in the worker process: wraps one step of evidence.jobs (installed before the first task runs), then hands
# over to Celery's own command line. `park` writes the marker and sleeps until the test kills the process.
FAULTY_WORKER = r"""
import os, sys, time
from pathlib import Path
from celery.signals import task_prerun

POINT = os.environ["TRIBUNAL_FAULT_POINT"]
MARKER = Path(os.environ["TRIBUNAL_FAULT_MARKER"])
installed = []


def park(where):
    MARKER.write_text(where)
    time.sleep(3600)


@task_prerun.connect
def install(**_):
    if installed:
        return
    installed.append(POINT)
    from evidence import jobs

    if POINT == "claimed":
        real_claim = jobs._claim

        def claim(job_id, worker):
            claimed = real_claim(job_id, worker)
            if claimed is not None:
                park("claimed")
            return claimed

        jobs._claim = claim
    elif POINT.startswith("progress:"):
        threshold = float(POINT.partition(":")[2])
        real_call = jobs.ProgressReporter.__call__

        def call(self, fraction, message=""):
            if fraction >= threshold:
                self.last_write = 0.0  # past the one-write-a-second throttle: this value reaches the row
                real_call(self, fraction, message)
                park(f"progress {fraction:.3f}")
            real_call(self, fraction, message)

        jobs.ProgressReporter.__call__ = call
    elif POINT.startswith("pause:"):
        threshold, paused = float(POINT.partition(":")[2]), []
        real_call = jobs.ProgressReporter.__call__

        def call(self, fraction, message=""):
            if fraction >= threshold and not paused:
                paused.append(fraction)
                MARKER.write_text(f"paused at {fraction:.3f}")
                release = MARKER.with_suffix(".release")
                while not release.exists():
                    time.sleep(0.05)
            real_call(self, fraction, message)

        jobs.ProgressReporter.__call__ = call
    elif POINT == "before_finish":
        def finish(job_id, token, **kwargs):
            park("before finish " + kwargs.get("status", ""))

        jobs._finish = finish
    elif POINT == "finish_transaction":
        from django.db.models.signals import post_save
        from evidence.models import AnalysisJob

        def saved(sender, instance, update_fields=None, **kwargs):
            # Inside _finish's transaction, the row lock held and the result written but not committed.
            if update_fields and "result" in update_fields:
                park("inside the result transaction")

        post_save.connect(saved, sender=AnalysisJob, weak=False)
    else:
        raise SystemExit(f"unknown fault point {POINT!r}")


sys.argv = ["celery", *sys.argv[1:]]
from celery.__main__ import main

main()
"""


# --- Processes ------------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _spawn_worker(
    var_dir: Path,
    queue: str,
    name: str,
    *,
    analysis_queue: str,
    fault: str | None = None,
    broker_url: str | None = None,
) -> LiveWorker:
    """Start a worker (not waiting for it): a plain `celery worker`, or the faulty bootstrap when `fault` is set."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "TRIBUNAL_VAR_DIR": str(var_dir),
        "DATABASE_URL": _database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "TRIBUNAL_ANALYSIS_QUEUE": analysis_queue,
        "TRIBUNAL_JOB_STALE_SECONDS": str(STALE_SECONDS),
        "PYTHONPATH": str(BASE_DIR),
        "PYTHONUNBUFFERED": "1",
    }
    if broker_url:
        env["CELERY_BROKER_URL"] = broker_url
    head = [sys.executable, "-m", "celery"]
    if fault:
        env["TRIBUNAL_FAULT_POINT"] = fault
        env["TRIBUNAL_FAULT_MARKER"] = str(var_dir / f"{name}.reached")
        head = [sys.executable, "-c", FAULTY_WORKER]
    argv = [*head, "-A", "config", "worker", "-Q", queue, "-n", f"{name}-{queue}@%h", "--pool", "solo"]
    argv += ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO"]
    log_path = var_dir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv, cwd=var_dir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    return LiveWorker(process=process, var_dir=var_dir, queue=queue, log_path=log_path)


def _ready(worker: LiveWorker) -> LiveWorker:
    worker.wait_for(lambda: " ready." in worker.log, what=f"{worker.log_path.stem} to start", timeout=120)
    return worker


def _kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the whole process group: no warm shutdown, no cleanup, like a power cut."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            _kill(process)


def _small_model(path: Path, seed: int, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """A llama-shaped model of 0.7 MB: its comparison takes a fraction of a second and reports progress 40 times."""
    return llama_model(path, seed, base, hidden=64, layers=4, vocab=256, ffn=128)


def _api_log() -> bytes:
    rows = ["timestamp,account_id,prompt"]
    rows += [f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}Z,acct{i % 3},prompt number {i}" for i in range(120)]
    return ("\n".join(rows) + "\n").encode()


def _finished(job_ids: list[int]) -> bool:
    done = AnalysisJob.objects.filter(pk__in=job_ids, status__in=[JobStatus.SUCCEEDED, JobStatus.FAILED]).count()
    return done == len(job_ids)


@pytest.fixture
def fault_env(transactional_db: None, settings: Any, tmp_path: Path) -> Iterator[Path]:
    """Storage, staging and (filesystem) broker folders shared by the test and its workers."""
    from config.celery import app

    var_dir = tmp_path / "var"
    for sub in ("broker/queue", "broker/processed", "broker/control", "control", "mail", "evidence", "uploads"):
        (var_dir / sub).mkdir(parents=True, exist_ok=True)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_TASK_ROUTES = {}
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
    yield var_dir
    _reset_broker_connections(app)


# --- 1. SIGKILL the worker at several points of a job ----------------------------------------------------------------


@dataclass
class Trial:
    point: str  # the fault point the worker parks at
    what: str
    kind: str = "weights.lineage"
    worker: LiveWorker | None = None
    job_id: int = 0
    reached: str = ""


TRIALS = [
    ("claimed", "just after the job is marked running", "weights.lineage"),
    ("progress:0.3", "mid-analysis, progress >= 0.3", "weights.lineage"),
    ("progress:0.7", "mid-analysis, progress >= 0.7", "weights.lineage"),
    ("before_finish", "analysis done, before the result is written", "weights.lineage"),
    ("before_finish", "ingest recorded its outcome, before the job is finished", "ingest"),
    ("finish_transaction", "while the result is written (uncommitted)", "weights.lineage"),
]


def test_sigkill_at_each_point_of_a_job_then_recovery_finishes_it_exactly_once(fault_env, case_at, personas, settings):
    from evidence.services.analyses import analysis_order
    from tests.evidence.helpers import upload

    var_dir = fault_env
    case = case_at("evidence")
    base = _small_model(var_dir / "a.safetensors", seed=1)
    _small_model(var_dir / "b.safetensors", seed=2, base=base)
    main_queue = f"faults-main-{uuid.uuid4().hex[:8]}"
    settings.TRIBUNAL_ANALYSIS_QUEUE = main_queue
    settings.CELERY_TASK_DEFAULT_QUEUE = main_queue
    models = [
        upload(personas.ada, case, (var_dir / n).read_bytes(), kind="model_weights", title=n, chunk=1 << 20)
        for n in ("a.safetensors", "b.safetensors")
    ]
    ExhibitFile.objects.filter(pk__in=[f.pk for f in models]).update(status=ExhibitFile.Status.OK)
    AnalysisJob.objects.filter(kind="ingest").update(status=JobStatus.SUCCEEDED)  # their messages are skipped

    trials = [Trial(point, what, kind) for point, what, kind in TRIALS]
    started = time.monotonic()
    # All workers start at once (start-up dominates): one faulty worker per trial, each on a queue of its own, and
    # the healthy worker that recovery hands the jobs to. Faulty workers send follow-up jobs to the healthy one.
    main = _spawn_worker(var_dir, main_queue, "healthy", analysis_queue=main_queue)
    for i, trial in enumerate(trials):
        trial.worker = _spawn_worker(
            var_dir, f"{main_queue}-fault{i}", f"fault{i}", analysis_queue=main_queue, fault=trial.point
        )
    try:
        for worker in [main] + [t.worker for t in trials if t.worker]:
            _ready(worker)
        # Every trial but the last runs at once; the last parks inside a transaction, which on SQLite holds the
        # database's write lock, so it starts only when the others are parked.
        for batch in (trials[:-1], trials[-1:]):
            for trial in batch:
                assert trial.worker is not None
                settings.TRIBUNAL_ANALYSIS_QUEUE = trial.worker.queue
                if trial.kind == "weights.lineage":
                    job = analysis_order(
                        user=personas.ada,
                        case=case,
                        kind="weights.lineage",
                        inputs={"a": models[0].pk, "b": models[1].pk},
                        parameters={},
                    )
                else:
                    log = upload(personas.ada, case, _api_log(), kind="api_log", title="API log", filename="api.csv")
                    job = AnalysisJob.objects.get(kind="ingest", inputs__file=log)
                trial.job_id = job.pk
            for trial in batch:
                assert trial.worker is not None
                marker = var_dir / f"{trial.worker.log_path.stem}.reached"
                trial.worker.wait_for(marker.exists, what=f"the worker to reach '{trial.what}'")
                trial.reached = marker.read_text()
        for trial in trials:
            assert trial.worker is not None
            _kill(trial.worker.process)
        settings.TRIBUNAL_ANALYSIS_QUEUE = main_queue

        for trial in trials:
            job = AnalysisJob.objects.get(pk=trial.job_id)
            assert (job.status, job.attempts, job.result) == (JobStatus.RUNNING, 1, None), trial.what
        progress = [AnalysisJob.objects.get(pk=t.job_id).progress for t in trials[1:3]]
        assert 0.3 <= progress[0] < 0.7 <= progress[1] < 1.0, progress  # killed mid-way, at two different points

        time.sleep(STALE_SECONDS + 1)  # the dead workers' heartbeats go stale
        job_ids = [t.job_id for t in trials]
        assert sorted(jobs_recover()) == sorted(job_ids)
        main.wait_for(lambda: _finished(job_ids), what="the recovered jobs to finish")
        log_file = ExhibitFile.objects.get(exhibit__kind="api_log")
        main.wait_for(
            lambda: _finished(list(AnalysisJob.objects.filter(kind="logs.extraction").values_list("pk", flat=True))),
            what="the log's follow-up extraction",
        )

        # A late duplicate of every message (Redis re-delivers unacknowledged ones) changes nothing.
        expected = main.received() + len(trials)
        for trial in trials:
            job_enqueue(job_id=trial.job_id)
        main.wait_for(lambda: main.idle(expected), what="the duplicate messages to be skipped")

        outcomes = []
        for trial in trials:
            job = AnalysisJob.objects.get(pk=trial.job_id)
            assert job.status == JobStatus.SUCCEEDED, (trial.what, job.error)
            assert job.attempts == 2 and job.result and job.finished_at, trial.what
            if job.kind == "weights.lineage":
                assert job.result["verdict"] == "consistent with derivation"
                for model in models:
                    analysed = model.exhibit.custody.filter(action=CustodyAction.ANALYSED, details__job=job.pk)
                    # One receipt per attempt that read the file: the claim comes before the read, every later
                    # point after it. Each says which attempt it was.
                    attempts = sorted(row.details["attempt"] for row in analysed)
                    assert attempts == ([2] if trial.point == "claimed" else [1, 2]), (trial.what, attempts)
            else:
                custody = log_file.exhibit.custody
                assert custody.filter(action=CustodyAction.INGESTED).count() == 1, "ingest recorded twice"
                assert custody.filter(action=CustodyAction.RECEIVED).count() == 1
                extraction = AnalysisJob.objects.filter(kind="logs.extraction", inputs__file=log_file)
                assert extraction.count() == 1, "the follow-up analysis was started twice"
                assert extraction.get().status == JobStatus.SUCCEEDED, extraction.get().error
                log_file.refresh_from_db()
                assert log_file.status == ExhibitFile.Status.OK
            outcomes.append(f"{trial.what} [{trial.reached}] -> succeeded once, attempt 2")
        print(
            f"\nfaults: worker SIGKILL {len(trials)} trials, {len(outcomes)} completed exactly once "
            f"({time.monotonic() - started:.1f} s)\n  " + "\n  ".join(outcomes)
        )
        assert "'skipped'" in main.log
    finally:
        for trial in trials:
            if trial.worker is not None:
                _kill(trial.worker.process)
        _stop(main.process)


# --- 2. Restart the broker mid-job ------------------------------------------------------------------------------------


@dataclass
class RedisServer:
    port: int
    directory: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        # No persistence: a restart loses every queued message, the worst case for the job engine.
        argv = ["/usr/bin/redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
        argv += ["no", "--dir", str(self.directory)]
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start: " + (self.directory / "redis.log").read_text())
            time.sleep(0.05)

    def kill(self) -> None:
        if self.process is not None:
            _kill(self.process)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own on a free port: the machine's Redis (6379) is never touched."""
    directory = tmp_path / "redis"
    directory.mkdir()
    server = RedisServer(port=_free_port(), directory=directory)
    server.start()
    try:
        yield server
    finally:
        server.kill()


def test_broker_restart_mid_job_loses_no_job_and_the_worker_reconnects(
    fault_env, own_redis, case_at, personas, settings, monkeypatch
):
    from datetime import timedelta

    from django.utils import timezone

    from config.celery import app
    from evidence.services.analyses import analysis_order
    from tests.evidence.helpers import upload

    var_dir = fault_env
    started = time.monotonic()
    queue = f"faults-redis-{uuid.uuid4().hex[:8]}"
    settings.CELERY_BROKER_URL = own_redis.url
    monkeypatch.setenv("CELERY_BROKER_URL", own_redis.url)  # Celery prefers the variable to the setting
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    settings.TRIBUNAL_ANALYSIS_QUEUE = settings.CELERY_TASK_DEFAULT_QUEUE = queue
    _reset_broker_connections(app)
    case = case_at("evidence")
    base = _small_model(var_dir / "a.safetensors", seed=3)
    _small_model(var_dir / "b.safetensors", seed=4, base=base)
    models = [
        upload(personas.ada, case, (var_dir / n).read_bytes(), kind="model_weights", title=n, chunk=1 << 20)
        for n in ("a.safetensors", "b.safetensors")
    ]
    ExhibitFile.objects.filter(pk__in=[f.pk for f in models]).update(status=ExhibitFile.Status.OK)
    AnalysisJob.objects.filter(kind="ingest").update(status=JobStatus.SUCCEEDED)

    def order() -> AnalysisJob:
        return analysis_order(
            user=personas.ada,
            case=case,
            kind="weights.lineage",
            inputs={"a": models[0].pk, "b": models[1].pk},
            parameters={},
        )

    worker = _ready(
        _spawn_worker(var_dir, queue, "redis", analysis_queue=queue, fault="pause:0.5", broker_url=own_redis.url)
    )
    marker = var_dir / "redis.reached"
    try:
        running = order()
        worker.wait_for(marker.exists, what="the job to be half-way")
        waiting = order()  # queued in Redis behind the running job
        own_redis.kill()  # the broker dies with the queued message and the running job's unacknowledged one
        own_redis.start()
        marker.with_suffix(".release").touch()
        worker.wait_for(lambda: _finished([running.pk]), what="the running job to finish after the restart")
        waiting.refresh_from_db()
        assert waiting.status == JobStatus.QUEUED and waiting.attempts == 0, "the queued message was not lost?"

        # The beat's recovery sweep (run here a sweep-interval later) re-sends the lost message to the new Redis.
        _reset_broker_connections(app)
        later = timezone.now() + timedelta(seconds=5 * STALE_SECONDS + 1)
        assert jobs_recover(now=later) == [waiting.pk]
        worker.wait_for(lambda: _finished([waiting.pk]), what="the re-sent job to finish on the reconnected worker")
        # And a duplicate of the first job's message, as Redis would re-deliver an unacknowledged one, is skipped.
        expected = worker.received() + 1
        job_enqueue(job_id=running.pk)
        worker.wait_for(lambda: worker.idle(expected), what="the duplicate to be skipped")

        outcomes = []
        for job, what in ((running, "running during the restart"), (waiting, "queued, message lost")):
            job.refresh_from_db()
            assert job.status == JobStatus.SUCCEEDED, job.error
            assert job.attempts == 1 and job.result, what
            assert job.result["verdict"] == "consistent with derivation", what
            analysed = models[0].exhibit.custody.filter(action=CustodyAction.ANALYSED, details__job=job.pk)
            assert analysed.count() == 1, what
            outcomes.append(f"{what} -> succeeded once, attempt 1")
        reconnects = worker.log.count("Connected to redis://")
        assert reconnects >= 2, worker.log  # connected at start, and again after the restart
        print(
            f"\nfaults: Redis restart mid-job, 2 jobs, 2 completed exactly once, worker reconnected "
            f"({reconnects} connections, {time.monotonic() - started:.1f} s)\n  " + "\n  ".join(outcomes)
        )
    finally:
        _stop(worker.process)
        _reset_broker_connections(app)


# --- 3. Kill the web server mid-upload --------------------------------------------------------------------------------

# Runs as the web server: gunicorn, optionally with the evidence storage wrapped so that one file's completing upload
# parks right after the file was stored and before its transaction commits (TRIBUNAL_FAULT_POINT=stored:<sha256>).
FAULTY_WEB = r"""
import os, sys, time
from pathlib import Path

if os.environ.get("TRIBUNAL_FAULT_POINT", "").startswith("stored:"):
    import django

    django.setup()
    from evidence.services import uploads

    marker, real_storage = Path(os.environ["TRIBUNAL_FAULT_MARKER"]), uploads.evidence_storage
    sha256 = os.environ["TRIBUNAL_FAULT_POINT"].partition(":")[2]  # only this file's completion parks

    class Parking:
        def __init__(self, storage):
            self._storage = storage

        def __getattr__(self, name):
            return getattr(self._storage, name)

        def save(self, name, content, **kwargs):
            stored = self._storage.save(name, content, **kwargs)
            if name.endswith(sha256):
                marker.write_text("stored " + stored)
                time.sleep(3600)
            return stored

    uploads.evidence_storage = lambda: Parking(real_storage())

sys.argv = ["gunicorn", *sys.argv[1:]]
from gunicorn.app.wsgiapp import run

run()
"""
TUS = {"Tus-Resumable": "1.0.0"}
MIB = 1024 * 1024


@dataclass
class WebServer:
    var_dir: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, fault: str = "") -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "TRIBUNAL_VAR_DIR": str(self.var_dir),
            "DATABASE_URL": _database_url(),
            # Its ingest jobs wait in a broker folder of its own: no worker takes part in this test.
            "CELERY_BROKER_URL": "filesystem://",
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "TRIBUNAL_FAULT_POINT": fault,
            "TRIBUNAL_FAULT_MARKER": str(self.var_dir / "web.reached"),
            "PYTHONPATH": str(BASE_DIR),
            "PYTHONUNBUFFERED": "1",
        }
        argv = [sys.executable, "-c", FAULTY_WEB, "config.wsgi:application", "--bind", f"127.0.0.1:{self.port}"]
        argv += ["--workers", "1", "--threads", "4", "--timeout", "120"]
        with (self.var_dir / "web.log").open("ab") as log:
            self.process = subprocess.Popen(
                argv, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.head(f"{self.url}/api/v1/uploads/", timeout=2)  # any answer (401) means it serves
                return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the web server did not start:\n" + (self.var_dir / "web.log").read_text())
            time.sleep(0.1)

    def kill(self) -> None:
        if self.process is not None:
            _kill(self.process)


def _metadata(**fields: Any) -> str:
    return ",".join(f"{k} {base64.b64encode(str(v).encode()).decode()}" for k, v in fields.items())


def _patch(client: httpx.Client, url: str, data: bytes, offset: int) -> httpx.Response:
    checksum = "sha256 " + base64.b64encode(hashlib.sha256(data).digest()).decode()
    headers = {
        **TUS,
        "Content-Type": "application/offset+octet-stream",
        "Upload-Offset": str(offset),
        "Upload-Checksum": checksum,
    }
    return client.patch(url, content=data, headers=headers)


class StalledPatch:
    """A PATCH whose body stops half-way (the client's connection stays open): the server is mid-request."""

    def __init__(self, client: httpx.Client, url: str, data: bytes, offset: int, staging_dir: Path) -> None:
        import threading

        self.offset, self.failure = offset, ""
        self.staged = staging_dir / f"{url.rstrip('/').rsplit('/', 1)[1]}.part"
        self.stalled, self.released = threading.Event(), threading.Event()

        def body() -> Iterator[bytes]:
            yield data[: len(data) // 2]
            self.stalled.set()
            self.released.wait(60)
            yield data[len(data) // 2 :]

        def send() -> None:
            headers = {**TUS, "Content-Type": "application/offset+octet-stream", "Upload-Offset": str(offset)}
            try:
                response = client.patch(url, content=body(), headers={**headers, "Content-Length": str(len(data))})
                self.failure = f"answered {response.status_code}"
            except httpx.TransportError as error:
                self.failure = type(error).__name__

        self.thread = threading.Thread(target=send)
        self.thread.start()

    def written(self) -> int:
        """Wait until the server has written some of this chunk to its staging file; return how much."""
        assert self.stalled.wait(30)
        deadline = time.monotonic() + 30
        while self.staged.stat().st_size <= self.offset:
            assert time.monotonic() < deadline, "the server wrote nothing of the chunk"
            time.sleep(0.02)
        return self.staged.stat().st_size - self.offset

    def cut_off(self) -> str:
        """After the server was killed: the request failed without an answer."""
        self.released.set()
        self.thread.join(60)
        return self.failure


def test_killing_the_web_server_mid_upload_never_leaves_a_corrupt_exhibit(fault_env, case_at, personas):
    import threading

    from rest_framework.authtoken.models import Token

    from evidence.hashing import sha256_storage
    from evidence.models import Exhibit, UploadSession
    from evidence.services.uploads import uploads_expire
    from evidence.storage import evidence_storage
    from tests.evidence.helpers import random_bytes

    var_dir = fault_env
    started = time.monotonic()
    case = case_at("evidence")
    token = Token.objects.create(user=personas.ada)
    server = WebServer(var_dir, _free_port())
    client = httpx.Client(headers={"Authorization": f"Token {token.key}"}, timeout=30)
    files = {name: random_bytes(3 * MIB + 12345) for name in ("resumed", "abandoned", "completing")}
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}

    def create(name: str) -> str:
        metadata = _metadata(case=case.pk, filename=f"{name}.bin", sha256=digests[name], kind="other", title=name)
        headers = {**TUS, "Upload-Length": str(len(files[name])), "Upload-Metadata": metadata}
        response = client.post(f"{server.url}/api/v1/uploads/", headers=headers)
        assert response.status_code == 201, response.text
        return server.url + response.headers["Location"]

    def offset(url: str) -> int:
        response = client.head(url, headers=TUS)
        assert response.status_code == 200, response.text
        return int(response.headers["Upload-Offset"])

    outcomes = []
    try:
        # One server, three uploads, one SIGKILL: two uploads are half-way through a chunk, the third has sent
        # its last byte and the server has just moved the file into evidence storage, uncommitted.
        server.start(fault=f"stored:{digests['completing']}")
        urls = {name: create(name) for name in files}
        for name in files:
            assert _patch(client, urls[name], files[name][:MIB], 0).status_code == 204
        stalled = {
            name: StalledPatch(client, urls[name], files[name][MIB:], MIB, var_dir / "uploads")
            for name in ("resumed", "abandoned")
        }
        written = {name: request.written() for name, request in stalled.items()}
        last_chunk: list[str] = []

        def send_last_chunk() -> None:
            try:
                response = _patch(client, urls["completing"], files["completing"][MIB:], MIB)
                last_chunk.append(f"answered {response.status_code}")
            except httpx.TransportError as error:
                last_chunk.append(type(error).__name__)

        completing = threading.Thread(target=send_last_chunk)
        completing.start()
        deadline = time.monotonic() + 60
        while not (var_dir / "web.reached").exists():
            assert server.process is not None and server.process.poll() is None, "the web server died"
            assert time.monotonic() < deadline, "the last chunk's completion never reached the storage"
            time.sleep(0.02)
        server.kill()
        failures = {name: request.cut_off() for name, request in stalled.items()}
        assert all(failure and not failure.startswith("answered") for failure in failures.values()), failures
        completing.join(60)
        assert last_chunk and not last_chunk[0].startswith("answered"), last_chunk
        assert not Exhibit.objects.exists() and not ExhibitFile.objects.exists(), "a killed upload left an exhibit"
        assert (var_dir / "evidence" / "exhibits" / str(case.pk) / digests["completing"]).exists()

        server.kill()
        server.start()
        # The cut-off chunks were never acknowledged: the server resumes from the last whole chunk, and discards
        # the partial bytes it had written past it.
        assert offset(urls["resumed"]) == MIB
        response = _patch(client, urls["resumed"], files["resumed"][MIB:], MIB)
        assert response.status_code == 204, response.text
        resumed = ExhibitFile.objects.get(exhibit_id=int(response.headers["Tribunal-Exhibit"]))
        assert resumed.sha256 == digests["resumed"] == sha256_storage(evidence_storage(), resumed.storage_name)
        outcomes.append(
            f"killed mid-chunk ({written['resumed']:,} of {2 * MIB + 12345:,} bytes in), resumed -> exhibit, "
            "SHA-256 matches"
        )
        # Every byte of the completing upload had arrived: the client finds the offset at the end and sends the
        # empty last PATCH any tus client sends; the file the dead server stored is re-hashed and recorded.
        at = offset(urls["completing"])
        assert at == len(files["completing"])
        response = _patch(client, urls["completing"], b"", at)
        assert response.status_code == 204, response.text
        done = ExhibitFile.objects.get(exhibit_id=int(response.headers["Tribunal-Exhibit"]))
        assert done.sha256 == digests["completing"] == sha256_storage(evidence_storage(), done.storage_name)
        outcomes.append("killed after storing the file, before commit; finished -> exhibit, SHA-256 matches")

        # Never resumed: no exhibit, no file row; only the unfinished session, which expires and leaves nothing.
        abandoned = UploadSession.objects.get(filename="abandoned.bin")
        assert abandoned.status == UploadSession.Status.RECEIVING and abandoned.offset == MIB
        assert abandoned.result_file is None and abandoned.exhibit is None
        assert not Exhibit.objects.filter(title="abandoned").exists()
        assert set(ExhibitFile.objects.values_list("original_name", flat=True)) == {"resumed.bin", "completing.bin"}
        UploadSession.objects.filter(pk=abandoned.pk).update(expires_at=abandoned.created_at)
        assert uploads_expire() == 1
        abandoned.refresh_from_db()
        assert abandoned.status == UploadSession.Status.TERMINATED
        assert not (var_dir / "uploads" / f"{abandoned.pk}.part").exists()
        outcomes.append(
            f"killed mid-chunk ({written['abandoned']:,} bytes in), never resumed -> no exhibit, no file row; "
            "the session expired and its bytes were removed"
        )
        stored = sorted(p.name for p in (var_dir / "evidence").rglob("*") if p.is_file())
        assert stored == sorted(f.sha256 for f in ExhibitFile.objects.all()), "a stored file belongs to no exhibit"
    finally:
        server.kill()
        client.close()
    print(
        f"\nfaults: web SIGKILL mid-upload {len(outcomes)} trials, 0 corrupt exhibits, 0 stray files "
        f"({time.monotonic() - started:.1f} s)\n  " + "\n  ".join(outcomes)
    )


def test_the_upload_sweep_finishes_a_completion_that_died_after_storing_the_file(db, case_at, personas):
    """The state the killed server leaves (every byte received, the file moved into storage, nothing committed),
    for a client that counts offset = length as done and never sends the empty last PATCH: the hourly sweep
    finishes it, from the stored file, without storing a second copy."""
    from datetime import timedelta

    from django.utils import timezone

    from evidence.models import UploadSession
    from evidence.services.uploads import StagedFile, staging_path, uploads_expire
    from evidence.storage import evidence_storage
    from tests.evidence.helpers import random_bytes, start_upload

    case = case_at("evidence")
    data = random_bytes(300_000)
    digest = hashlib.sha256(data).hexdigest()
    session = start_upload(personas.clara, case, data, kind="other", title="Stalled", filename="stalled.bin")
    staged = staging_path(session.id)
    staged.write_bytes(data)
    storage = evidence_storage()
    with open(staged, "rb") as handle:  # what the dead completion did before it was killed: moved, not recorded
        name = storage.save(f"exhibits/{case.pk}/{digest}", StagedFile(handle, name=digest))
    assert not staged.exists()
    an_hour_ago = timezone.now() - timedelta(hours=1)
    UploadSession.objects.filter(pk=session.pk).update(offset=len(data), updated_at=an_hour_ago)

    assert uploads_expire() == 0  # nothing expired: it was finished
    session.refresh_from_db()
    assert session.status == UploadSession.Status.COMPLETED and session.result_file is not None
    exhibit_file = session.result_file
    assert (exhibit_file.storage_name, exhibit_file.sha256, exhibit_file.size) == (name, digest, len(data))
    assert exhibit_file.exhibit.custody.filter(action=CustodyAction.RECEIVED).count() == 1
    assert [p.name for p in Path(storage.path("")).rglob("*") if p.is_file()] == [digest]  # no second copy
