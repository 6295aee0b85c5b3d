"""Benchmark a resumable upload of a large file through the tus API on loopback, then its ingest job.

    .venv/bin/python -m benchmarks.bench_upload [--size-mb 2048] [--quick] [--workers 2] [--keep]

In a fresh var dir (var/bench/upload/, deleted afterwards unless --keep): migrate a new SQLite database, create a
case in the evidence stage with a token for the claimant's counsel (the test factories, via `manage.py shell`),
start gunicorn (`config.wsgi`, sync workers, DEBUG off), warm every worker up with a tiny complete upload, then
upload a random file of --size-mb with the command-line uploader (64 MiB chunks) while a thread samples the
VmRSS of the gunicorn master and all its workers every 50 ms. Reports:
  - app-server peak RSS growth over the warmed-up idle level (target < 50 MB), the sum over the processes and
    the largest single process;
  - end-to-end throughput (the uploader's wall time, its own SHA-256 pre-pass included) and the transfer
    throughput (that pre-pass, measured separately, subtracted);
  - the ingest job (the one the upload queued; run in-process afterwards, timed separately);
  - the server's SHA-256 rate (`evidence.hashing.sha256_file`) as a ratio of bare `hashlib` reading the same file
    in 1 MiB chunks (target >= 0.9), best of three each from a warm page cache.
Prints a table and writes benchmarks/results/upload.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "upload.json"
PY = sys.executable
MiB = 1024 * 1024

SETUP = """
import json
from rest_framework.authtoken.models import Token
from tests.factories import Personas, case_at_state
personas = Personas.create()
case = case_at_state("evidence", personas=personas)
print("BENCH" + json.dumps({"case": case.pk, "token": Token.objects.create(user=personas.clara).key}))
"""

INGEST = """
import json, time
from evidence.jobs import job_run
from evidence.models import AnalysisJob, ExhibitFile
job = AnalysisJob.objects.get(kind="ingest", inputs__file__exhibit_id={exhibit})
started = time.perf_counter()
outcome = job_run(job_id=job.pk, worker="bench")
seconds = time.perf_counter() - started
job.refresh_from_db()
stored = ExhibitFile.objects.get(exhibit_id={exhibit})
print("BENCH" + json.dumps({{"outcome": outcome, "status": job.status, "seconds": seconds, "sha256": stored.sha256,
      "detected_type": stored.detected_type}}))
"""


def _bench_json(output: str) -> dict:
    line = next(line for line in output.splitlines() if line.startswith("BENCH"))
    return json.loads(line[len("BENCH") :])


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=1800
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rss_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, RssAnon) in kB. VmRSS also counts file pages mapped by the process (the page cache under an mmap),
    RssAnon only the process's private memory."""
    fields = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                name, _, value = line.partition(":")
                if name in ("VmRSS", "RssAnon"):
                    fields[name] = int(value.split()[0])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return fields.get("VmRSS", 0), fields.get("RssAnon", 0)


def _children(pid: int) -> list[int]:
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    # The command may contain spaces; the parent pid is the second field after the closing ")".
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        kids.append(int(entry))
            except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
                continue
    return kids


class RssSampler(threading.Thread):
    """RSS of the master and its workers every 50 ms: peaks of the sum and of any single process, for VmRSS and
    RssAnon. The worker pids are listed once (sync workers live for the whole run), so sampling stays cheap."""

    def __init__(self, master: int) -> None:
        super().__init__(daemon=True)
        self.pids = [master, *_children(master)]
        self.running = True
        self.peak: dict[str, int] = {}
        self.samples = 0

    def snapshot(self) -> dict[str, int]:
        sizes = [_rss_kb(pid) for pid in self.pids]
        return {
            "vm_total": sum(s[0] for s in sizes),
            "vm_single": max(s[0] for s in sizes),
            "anon_total": sum(s[1] for s in sizes),
            "anon_single": max(s[1] for s in sizes),
        }

    def run(self) -> None:
        while self.running:
            for key, value in self.snapshot().items():
                self.peak[key] = max(self.peak.get(key, 0), value)
            self.samples += 1
            time.sleep(0.05)


def _generate(path: Path, size: int) -> None:
    rng = np.random.default_rng(20260101)
    with open(path, "wb") as handle:
        left = size
        while left:
            block = min(left, 64 * MiB)
            handle.write(rng.bytes(block))
            left -= block


def _rate(fn, path: Path, size: int) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        fn(path)
        best = min(best, time.perf_counter() - started)
    return size / best / 1e6


def _bare_hashlib(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(MiB):
            digest.update(block)
    return digest.hexdigest()


def _upload(env: dict[str, str], server: str, setup: dict, path: Path, state: Path) -> tuple[float, str]:
    command = [
        PY, "-m", "evidence.upload", "--server", server, "--token", setup["token"], "--case", str(setup["case"]),
        "--kind", "other", "--title", f"Benchmark {path.name}", "--state-file", str(state), str(path),
    ]  # fmt: skip
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"upload failed ({result.returncode}):\n{result.stderr}")
    return seconds, result.stdout.split()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=2048)
    parser.add_argument("--quick", action="store_true", help="64 MB instead of --size-mb")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep var/bench/upload/ afterwards")
    args = parser.parse_args()
    size = (64 if args.quick else args.size_mb) * MiB
    var = ROOT / "var" / "bench" / "upload"
    shutil.rmtree(var, ignore_errors=True)
    for folder in ("queue", "processed", "control"):  # the filesystem broker expects its folders (as `make run`)
        (var / "broker" / folder).mkdir(parents=True)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "TRIBUNAL_VAR_DIR": str(var),
        "DJANGO_DEBUG": "0",
        "CELERY_TASK_ALWAYS_EAGER": "0",  # the ingest job is queued, and run below on its own clock
        "PYTHONUNBUFFERED": "1",
    }
    port = _free_port()
    server = f"http://127.0.0.1:{port}"
    gunicorn = None
    try:
        print(f"setting up a fresh database in {var} ...", flush=True)
        _manage(env, "migrate", "--noinput")
        setup = _bench_json(_manage(env, "shell", "-c", SETUP))
        data = var / "input.bin"
        print(f"generating {size / MiB:.0f} MiB of random data ...", flush=True)
        _generate(data, size)
        gunicorn = subprocess.Popen(
            [PY, "-m", "gunicorn", "config.wsgi", "--workers", str(args.workers), "--bind", f"127.0.0.1:{port}",
             "--timeout", "900", "--log-level", "warning"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        # Warm-up: one tiny complete upload per worker loads every module an upload touches.
        tiny = var / "warmup.bin"
        for i in range(2 * args.workers):
            tiny.write_bytes(os.urandom(4096 + i))
            _upload(env, server, setup, tiny, var / "state.json")
        sampler = RssSampler(gunicorn.pid)
        time.sleep(1.0)
        idle = sampler.snapshot()
        client_hash = _rate(_bare_hashlib, data, size)  # also warms the page cache for the upload
        sampler.start()
        upload_seconds, exhibit = _upload(env, server, setup, data, var / "state.json")
        sampler.running = False
        sampler.join()
        ingest = _bench_json(_manage(env, "shell", "-c", INGEST.format(exhibit=exhibit)))
        ours = _rate(lambda p: __import__("evidence.hashing", fromlist=["sha256_file"]).sha256_file(p), data, size)
        bare = _rate(_bare_hashlib, data, size)
        expected = _bare_hashlib(data)
    finally:
        if gunicorn is not None:
            gunicorn.send_signal(signal.SIGTERM)
            gunicorn.wait(timeout=30)
    client_hash_seconds = size / (client_hash * 1e6)
    results = {
        "size_bytes": size,
        "gunicorn_sync_workers": args.workers,
        "chunk_bytes": 64 * MiB,
        "server_processes": len(sampler.pids),
        "idle_rss_mb": {key: value / 1024 for key, value in idle.items()},
        "peak_rss_growth_mb": {
            "all_processes": (sampler.peak["vm_total"] - idle["vm_total"]) / 1024,
            "largest_process": (sampler.peak["vm_single"] - idle["vm_single"]) / 1024,
            "anonymous_all_processes": (sampler.peak["anon_total"] - idle["anon_total"]) / 1024,
            "anonymous_largest_process": (sampler.peak["anon_single"] - idle["anon_single"]) / 1024,
        },
        "rss_samples": sampler.samples,
        "upload_seconds": upload_seconds,
        "throughput_mb_s_end_to_end": size / upload_seconds / 1e6,
        "throughput_mb_s_transfer": size / max(upload_seconds - client_hash_seconds, 1e-9) / 1e6,
        "ingest": ingest,
        "sha256_matches": ingest["sha256"] == expected,
        "sha256_rate_mb_s": {"evidence.hashing.sha256_file": ours, "bare_hashlib_1MiB": bare},
        "sha256_ratio": ours / bare,
        "targets": {"peak_rss_growth_mb_below": 50, "sha256_ratio_at_least": 0.9},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    growth = results["peak_rss_growth_mb"]
    rows = [
        ("file", f"{size / MiB:.0f} MiB random, uploaded by the CLI in 64 MiB chunks"),
        ("server", f"gunicorn config.wsgi, {args.workers} sync workers, loopback"),
        ("peak VmRSS growth, all processes", f"{growth['all_processes']:.1f} MB (target < 50)"),
        ("peak VmRSS growth, largest process", f"{growth['largest_process']:.1f} MB"),
        ("  of which private (RssAnon), all", f"{growth['anonymous_all_processes']:.1f} MB"),
        ("upload wall time", f"{upload_seconds:.1f} s"),
        ("throughput end to end", f"{results['throughput_mb_s_end_to_end']:.0f} MB/s"),
        ("throughput, transfer only", f"{results['throughput_mb_s_transfer']:.0f} MB/s"),
        ("ingest job", f"{ingest['status']} in {ingest['seconds']:.1f} s ({ingest['detected_type']})"),
        ("stored SHA-256 = file's", str(results["sha256_matches"])),
        (
            "SHA-256 ours / bare hashlib",
            f"{ours:.0f} / {bare:.0f} MB/s = {results['sha256_ratio']:.2f} (target >= 0.9)",
        ),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name.ljust(width)}  {value}")
    print(f"written to {RESULTS.relative_to(ROOT)}")
    if not args.keep:
        shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main()
