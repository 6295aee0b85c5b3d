"""Run Tribunal in embedded mode: migrate, load the demo, start Celery workers, beat and the web server.

    .venv/bin/python scripts/run.py          (what `make run` does after setting up the virtualenv)

Environment: PORT (default 8000), HOST (default 127.0.0.1), TRIBUNAL_VAR_DIR (default ./var),
TRIBUNAL_SEED_DEMO=0 to skip the demo data. Everything else is read by config/settings.py.

Each child runs in its own process group, so Ctrl-C reaches only this supervisor, which then stops the children
in order (web first, beat, workers last so they can finish their current task) and kills any group that does not
stop in time. Children also get SIGTERM if this process dies (Linux parent-death signal), so nothing is orphaned.
If any child exits on its own, everything is stopped and the exit status says so.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
STOP_TIMEOUT = float(os.environ.get("TRIBUNAL_STOP_TIMEOUT", "20"))
READY_TIMEOUT = 120.0
PR_SET_PDEATHSIG = 1


@dataclass
class Child:
    name: str
    argv: list[str]
    ready_marker: str = ""  # a line the child prints once it is serving; "" for the web server (probed by HTTP)
    process: subprocess.Popen[bytes] | None = None
    buffer: bytes = field(default=b"")
    ready: bool = False


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: ask the kernel to SIGTERM it when the supervisor dies (even by
    # SIGKILL), and put it in its own process group so a terminal's Ctrl-C reaches only the supervisor.
    os.setpgid(0, 0)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _environment(var_dir: Path, port: int, host: str) -> dict[str, str]:
    env = dict(os.environ)
    env["TRIBUNAL_VAR_DIR"] = str(var_dir)
    env.setdefault("TRIBUNAL_SITE_URL", f"http://{host}:{port}")
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    env["PYTHONUNBUFFERED"] = "1"
    # Children run with the var dir as working directory (see _prepare_var_dir); the code comes from here.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(BASE_DIR), env.get("PYTHONPATH", "")) if p)
    return env


def _prepare_var_dir(var_dir: Path) -> None:
    # kombu's filesystem transport does not create its folders. Children also run inside the var dir, so anything
    # written relative to the working directory (celery's defaults) lands there rather than in the repository.
    for sub in ("broker/queue", "broker/processed", "broker/control", "mail", "media", "cache"):
        (var_dir / sub).mkdir(parents=True, exist_ok=True)


def _manage(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"manage.py {' '.join(args)} failed with exit status {result.returncode}")
    return result.stdout


def _children(port: int, host: str) -> list[Child]:
    python = sys.executable
    celery = [python, "-m", "celery", "-A", "config"]
    # One solo worker per queue mirrors production: a long analysis never delays a notification email, and solo
    # pools keep SQLite to one writer per worker. Gossip/mingle/heartbeat only matter across machines.
    quiet = ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO"]
    analysis_queue = os.environ.get("TRIBUNAL_ANALYSIS_QUEUE", "analysis")  # the settings' variable and default
    return [
        Child("worker", [*celery, "worker", "-Q", "default", "-n", "default@%h", "--pool", "solo", *quiet], " ready."),
        Child(
            "analysis",
            [*celery, "worker", "-Q", analysis_queue, "-n", "analysis@%h", "--pool", "solo", *quiet],
            " ready.",
        ),
        Child("beat", [*celery, "beat", "--loglevel", "INFO"], "beat: Starting"),
        Child("web", [python, str(BASE_DIR / "manage.py"), "runserver", "--noreload", f"{host}:{port}"]),
    ]


def _start(child: Child, *, env: dict[str, str], cwd: Path) -> None:
    # preexec_fn (not start_new_session) because the child also needs the parent-death signal.
    child.process = subprocess.Popen(
        child.argv,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        preexec_fn=_die_with_parent,
    )


def _relay(child: Child, data: bytes) -> None:
    child.buffer += data
    *lines, child.buffer = child.buffer.split(b"\n")
    for line in lines:
        if child.ready_marker and child.ready_marker.encode() in line:
            child.ready = True
        sys.stdout.write(f"[{child.name:<8}] {line.decode(errors='replace')}\n")
    sys.stdout.flush()


def _is_ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own loopback server
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


class Supervisor:
    """Owns the children: relays their output, notices exits, and stops them all."""

    def __init__(self, children: list[Child]) -> None:
        self.children = children
        self.selector = selectors.DefaultSelector()
        self.stop_requested = 0  # how many times SIGINT/SIGTERM arrived: a second one skips the grace period

    def start(self, *, env: dict[str, str], cwd: Path) -> None:
        for child in self.children:
            _start(child, env=env, cwd=cwd)
        for child in self.children:
            assert child.process is not None and child.process.stdout is not None
            self.selector.register(child.process.stdout, selectors.EVENT_READ, child)

    def request_stop(self, _signum: int, _frame: object) -> None:
        self.stop_requested += 1

    def pump(self, timeout: float) -> None:
        """Relay whatever the children printed, waiting at most `timeout` seconds for something."""
        for key, _ in self.selector.select(timeout=timeout):
            data = os.read(key.fd, 65536)
            if data:
                _relay(key.data, data)
            else:
                self.selector.unregister(key.fileobj)

    def exited(self) -> list[Child]:
        return [c for c in self.children if c.process is not None and c.process.poll() is not None]

    def stop(self) -> None:
        # Web and beat first (no new work), workers last; SIGTERM is Celery's warm shutdown (finish the current
        # task). Output keeps being relayed meanwhile so that no child blocks on a full pipe while logging its exit.
        for child in reversed(self.children):
            if child.process is not None and child.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.process.pid, signal.SIGTERM)
        grace_ends = time.monotonic() + STOP_TIMEOUT
        requests_seen = self.stop_requested
        while len(self.exited()) < len(self.children):
            if time.monotonic() > grace_ends or self.stop_requested > requests_seen:
                names = ", ".join(c.name for c in self.children if c not in self.exited())
                print(f"[run     ] killing {names}", flush=True)
                break
            self.pump(0.2)
        for child in self.children:
            if child.process is None:
                continue
            # The whole group goes, so a pool process or anything the child spawned cannot outlive it.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.process.pid, signal.SIGKILL)
            child.process.wait()
        self.pump(0)
        for child in self.children:
            if child.buffer:
                _relay(child, b"\n")


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _banner(url: str, seed_output: str) -> str:
    logins = seed_output[seed_output.find("Demo logins") :] if "Demo logins" in seed_output else ""
    rule = "=" * 72
    return (
        f"\n{rule}\nTribunal is running: {url}\n"
        f"{logins.rstrip()}\n"
        "Emails are written to the var/mail folder (embedded mode). Press Ctrl-C to stop everything.\n"
        f"{rule}\n"
    )


def main() -> int:
    port = int(os.environ.get("PORT", "8000"))
    host = os.environ.get("HOST", "127.0.0.1")
    var_dir = Path(os.environ.get("TRIBUNAL_VAR_DIR", BASE_DIR / "var")).resolve()
    # Checked up front: otherwise the readiness probe could be answered by whatever already holds the port.
    if not _port_is_free(host, port):
        print(f"[run     ] {host}:{port} is already in use; set PORT to another port", file=sys.stderr)
        return 2
    _prepare_var_dir(var_dir)
    env = _environment(var_dir, port, host)

    print("[run     ] migrating the database…", flush=True)
    _manage("migrate", "--noinput", env=env)
    seed_output = ""
    if os.environ.get("TRIBUNAL_SEED_DEMO", "1") != "0":
        print("[run     ] loading the demo data…", flush=True)
        seed_output = _manage("seed_demo", env=env)

    children = _children(port, host)
    web = next(child for child in children if child.name == "web")
    supervisor = Supervisor(children)
    signal.signal(signal.SIGINT, supervisor.request_stop)
    signal.signal(signal.SIGTERM, supervisor.request_stop)
    supervisor.start(env=env, cwd=var_dir)

    url = f"http://{host}:{port}/"
    ready_by = time.monotonic() + READY_TIMEOUT
    ready = False
    status = 0
    try:
        while not supervisor.stop_requested:
            supervisor.pump(0.5)
            exited = supervisor.exited()
            if exited:
                for child in exited:
                    assert child.process is not None
                    print(f"[run     ] {child.name} exited with status {child.process.returncode}", flush=True)
                status = 1
                break
            if ready:
                continue
            if not web.ready:
                web.ready = _is_ready(f"{url}accounts/login/")
            if all(child.ready for child in children):
                ready = True
                print(_banner(url, seed_output), flush=True)
            elif time.monotonic() > ready_by:
                waiting = ", ".join(child.name for child in children if not child.ready)
                print(f"[run     ] not ready within {READY_TIMEOUT:.0f}s: {waiting}", flush=True)
                status = 1
                break
    finally:
        print("[run     ] stopping…", flush=True)
        supervisor.stop()
        print("[run     ] stopped.", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
