"""A real Celery worker process for tests that must not fake the queue.

The worker is a `celery -A config worker` subprocess that uses the same database as the test (pytest-django's
test database, made file-based for SQLite so another process can open it) and the broker from the environment:
kombu's filesystem:// transport in a folder shared with the test process (embedded default), or Redis when
CELERY_BROKER_URL says so (CI's second run). Each worker consumes a queue of its own and the test process routes
every task there, so parallel test processes (pytest-xdist) sharing one Redis never take each other's tasks.
Tasks published by these tests are not eager: they travel through the broker like in production.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import quote

import kombu.pools
import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
WORKER_START_TIMEOUT = 120.0
TASK_TIMEOUT = 60.0


# --- The test database must be a file the worker can open ------------------------------------------------------


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Give SQLite a file-based test database when a selected test in this folder starts a worker.

    Done at collection rather than in a `django_db_modify_db_settings` override: that fixture is session-scoped and
    cached, so whichever test sets up the database first decides, and in a whole-suite run that is rarely a worker
    test. Collection ends before any database exists, so this holds for the whole session; trylast sees the list
    after -m/-k deselection, so runs without worker tests keep the in-memory database.
    """
    here = Path(__file__).parent
    if not any(item.get_closest_marker("worker") and item.path.is_relative_to(here) for item in items):
        return
    from django.conf import settings

    database = settings.DATABASES["default"]
    if not database["ENGINE"].endswith("sqlite3") or database.get("TEST", {}).get("NAME"):
        return
    directory = Path(tempfile.mkdtemp(prefix="tribunal-test-db-"))
    config.add_cleanup(lambda: shutil.rmtree(directory, ignore_errors=True))
    # pytest-django appends the xdist worker id (_gw0…) to this name, so parallel processes get separate files.
    database.setdefault("TEST", {})["NAME"] = str(directory / "test.sqlite3")


def _database_url() -> str:
    """The URL of the test database as the worker's settings parse it (DATABASE_URL)."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        name = str(db["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            raise RuntimeError("the test database is in memory; the worker cannot share it")
        # The embedded settings' busy timeout and IMMEDIATE transactions, so worker and test wait for each other's
        # writes instead of failing with "database is locked". WAL mode is a property of the file already.
        return f"sqlite:///{name}?timeout=20&transaction_mode=IMMEDIATE"
    user = quote(str(db.get("USER") or ""), safe="")
    password = quote(str(db.get("PASSWORD") or ""), safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}{db.get('HOST') or ''}{port}/{db['NAME']}"


# --- The worker process -------------------------------------------------------------------------------------------


@dataclass
class LiveWorker:
    process: subprocess.Popen[bytes]
    var_dir: Path
    queue: str
    log_path: Path

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, condition: Callable[[], Any], *, what: str, timeout: float = TASK_TIMEOUT) -> Any:
        """Poll until `condition()` is truthy; fail with the worker's log otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            result = condition()
            if result:
                return result
            if self.process.poll() is not None:
                pytest.fail(f"the worker exited ({self.process.returncode}) waiting for {what}:\n{self.log}")
            if time.monotonic() > deadline:
                pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}; worker log:\n{self.log}")
            time.sleep(0.2)

    def pending(self) -> int:
        """Messages still waiting in this worker's queue (filesystem or Redis alike)."""
        from config.celery import app

        with app.connection_for_write() as connection:
            return int(connection.default_channel.queue_declare(queue=self.queue).message_count)

    def received(self) -> int:
        """How many task messages the worker has logged as received so far."""
        return self.log.count("] received")

    def idle(self, received_at_least: int = 0) -> bool:
        """Nothing queued and every task the worker received has finished (solo pool: one at a time).

        The broker queue empties the moment the worker takes a message, a little before its log says "received";
        a caller that just sent a task passes the count it expects, or this can be true while that task is in flight.
        """
        log = self.log
        received = log.count("] received")
        finished = sum(log.count(marker) for marker in ("] succeeded in ", "] raised unexpected", "] retry: "))
        return self.pending() == 0 and received >= received_at_least and received == finished

    def sent_mail(self) -> list[Message]:
        """Messages the worker's file email backend wrote (one file per connection, messages separated by rules)."""
        messages = []
        for path in sorted((self.var_dir / "mail").glob("*.log")):
            for chunk in path.read_bytes().split(b"-" * 79 + b"\n"):
                if chunk.strip():
                    messages.append(message_from_bytes(chunk))
        return messages


def _filesystem_transport_options(var_dir: Path) -> dict[str, Any]:
    """The test process's filesystem:// folders, moved to the worker's TRIBUNAL_VAR_DIR (as its settings do)."""
    from django.conf import settings

    here = str(settings.VAR_DIR)
    options = {
        key: str(var_dir) + value[len(here) :] if isinstance(value, str) and value.startswith(here) else value
        for key, value in settings.CELERY_BROKER_TRANSPORT_OPTIONS.items()
    }
    # Without a configured control folder kombu uses "control" in the working directory: the worker's is var_dir.
    options.setdefault("control_folder", str(var_dir / "control"))
    return options


def _reset_broker_connections(app: Any) -> None:
    # kombu keeps one global pool per broker URL, whatever the transport options: drop it so the next publish
    # connects with the options in force now.
    kombu.pools.reset()
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


@pytest.fixture(scope="module")
def _worker_process(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory):
    var_dir = tmp_path_factory.mktemp("worker-var")
    for sub in ("broker/queue", "broker/processed", "broker/control", "control", "mail", "media", "cache"):
        (var_dir / sub).mkdir(parents=True, exist_ok=True)
    queue = f"tribunal-test-{uuid.uuid4().hex[:12]}"
    with django_db_blocker.unblock():
        database_url = _database_url()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "TRIBUNAL_VAR_DIR": str(var_dir),
        "DATABASE_URL": database_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "PYTHONPATH": str(BASE_DIR),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("EMAIL_URL", None)  # the file backend, so the test can read what the worker sent
    log_path = var_dir / "worker.log"
    argv = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "-n", f"{queue}@%h"]
    argv += ["--pool", "solo", "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(argv, cwd=var_dir, env=env, stdout=log, stderr=subprocess.STDOUT)
    worker = LiveWorker(process=process, var_dir=var_dir, queue=queue, log_path=log_path)
    try:
        worker.wait_for(lambda: " ready." in worker.log, what="the worker to start", timeout=WORKER_START_TIMEOUT)
        yield worker
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def live_worker(_worker_process: LiveWorker, transactional_db: None, settings: Any) -> Iterator[LiveWorker]:
    """A running worker, with this test's tasks published to it for real (committed rows, no eager mode)."""
    from config.celery import app

    # The Celery app reads the CELERY_* Django settings live (namespace "CELERY"), and the settings fixture
    # restores them after the test.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_TASK_DEFAULT_QUEUE = _worker_process.queue
    # Analysis jobs too (routed by name, or sent with an explicit queue): this worker consumes all of this test's.
    settings.CELERY_TASK_ROUTES = {}
    settings.TRIBUNAL_ANALYSIS_QUEUE = _worker_process.queue
    if str(settings.CELERY_BROKER_URL).startswith("filesystem:"):
        settings.CELERY_BROKER_TRANSPORT_OPTIONS = _filesystem_transport_options(_worker_process.var_dir)
    _reset_broker_connections(app)
    try:
        yield _worker_process
    finally:
        try:
            # Let the worker finish what this test queued before the database is flushed under it.
            _worker_process.wait_for(_worker_process.idle, what="the worker to finish this test's tasks")
        finally:
            _reset_broker_connections(app)


def llama_model(
    path: Path,
    seed: int,
    base: dict[str, Any] | None = None,
    *,
    hidden: int,
    layers: int,
    vocab: int,
    ffn: int,
) -> dict[str, Any]:
    """Write a llama-shaped safetensors model (or, given `base`, a lightly perturbed fine-tune of it) and return its
    tensors. The size decides how long a weights.lineage comparison runs: tests pick it for the kill they aim."""
    import numpy as np
    from safetensors.numpy import save_file

    rng = np.random.default_rng(seed)
    if base is None:
        weights = {"model.embed_tokens.weight": rng.standard_normal((vocab, hidden), dtype=np.float32)}
        for i in range(layers):
            for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
                weights[f"model.layers.{i}.self_attn.{name}.weight"] = rng.standard_normal(
                    (hidden, hidden), dtype=np.float32
                )
            for name, shape in (("gate_proj", (ffn, hidden)), ("up_proj", (ffn, hidden)), ("down_proj", (hidden, ffn))):
                weights[f"model.layers.{i}.mlp.{name}.weight"] = rng.standard_normal(shape, dtype=np.float32)
            weights[f"model.layers.{i}.input_layernorm.weight"] = np.ones(hidden, dtype=np.float32)
    else:
        weights = {k: v + 0.01 * rng.standard_normal(v.shape, dtype=np.float32) for k, v in base.items()}
    save_file(weights, str(path))
    return weights
