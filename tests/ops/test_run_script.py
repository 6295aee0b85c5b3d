"""`make run`'s supervisor, end to end: it serves the app, its worker really consumes the embedded broker, and
Ctrl-C leaves no process behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
START_TIMEOUT = 240  # migrate + seed + four children on a loaded 2-core machine


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    stack = [root]
    while stack:
        for pid in children.get(stack.pop(), []):
            found.add(pid)
            stack.append(pid)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _get(url: str) -> tuple[int, str]:
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, response.headers.get("Location", "")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location", "")


@pytest.mark.worker
def test_run_serves_the_demo_and_ctrl_c_stops_every_child(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "TRIBUNAL_VAR_DIR": str(tmp_path / "var"),
        "TRIBUNAL_FAST_PASSWORD_HASHER": "1",
        "CELERY_BROKER_URL": "filesystem://",  # the embedded mode under test, even when CI exports Redis
    }
    for name in ("DATABASE_URL", "REDIS_CACHE_URL", "EMAIL_URL", "TRIBUNAL_MODE", "CELERY_TASK_ALWAYS_EAGER"):
        env.pop(name, None)
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        supervisor = subprocess.Popen(
            [sys.executable, str(BASE_DIR / "scripts" / "run.py")], cwd=BASE_DIR, env=env, stdout=out, stderr=out
        )
    try:
        started = time.monotonic()
        while "Tribunal is running" not in log.read_text(errors="replace"):
            assert supervisor.poll() is None, f"run.py exited early:\n{log.read_text()}"
            assert time.monotonic() - started < START_TIMEOUT, f"run.py not ready:\n{log.read_text()}"
            time.sleep(0.5)
        banner = log.read_text()
        assert f"http://127.0.0.1:{port}/" in banner
        for email in ("greta@tribunal.example", "clara@claimant-law.example", "ada@arbitrators.example"):
            assert email in banner
        assert "tribunal-demo-password" in banner

        assert _get(f"http://127.0.0.1:{port}/accounts/login/")[0] == 200
        status, location = _get(f"http://127.0.0.1:{port}/")
        assert status == 302
        assert location.startswith("/accounts/login/")

        # The demo's notifications were queued by seed_demo before any worker ran: mail appearing proves the
        # worker consumes the filesystem broker.
        mail = tmp_path / "var" / "mail"
        while not any(mail.iterdir()):
            assert time.monotonic() - started < START_TIMEOUT, f"no mail sent by the worker:\n{log.read_text()}"
            time.sleep(0.5)

        children = _descendants(supervisor.pid)
        assert len(children) >= 4, "worker, analysis worker, beat and web"
        supervisor.send_signal(signal.SIGINT)
        assert supervisor.wait(timeout=60) == 0, log.read_text()
        time.sleep(0.5)
        assert [pid for pid in children if _alive(pid)] == []
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()
