"""Load test of the pages and API lists people use most, on a seeded PostgreSQL database, under gunicorn.

    .venv/bin/python -m benchmarks.bench_load [--quick] [--duration 60] [--clients 16] [--workers 4] [--reseed]

1. Database: `tribunal_load` (`tribunal_load_quick` with --quick) on postgres://postgres@127.0.0.1:5432, created if
   missing (--database-url for another server), migrated, and seeded once with `manage.py seed_load` (10 000 cases,
   100 000 exhibits, 1 000 000 custody rows; --quick: 1 000 / 10 000 / 100 000). A database already holding the
   dataset at the asked size is reused; --reseed drops and rebuilds it.
2. Queries: each endpoint is requested once in-process (Django test client, signed in as its role) and its SQL
   statements counted and timed: the "queries" column, to spot N+1s.
3. gunicorn `config.wsgi` with --workers sync workers (default 4 for 2 cores: while one worker waits on
   PostgreSQL another computes; the work is CPU-bound Python, so more processes than ~2 per core only add
   switching), DEBUG off, persistent database connections (CONN_MAX_AGE, as in production), Redis db 13 as the
   cache (throttle and rate-limit counters). The API throttle is raised for the run (TRIBUNAL_API_USER_RATE): the
   point is the app's latency, not the 2000/hour per-user limit three logins would hit in seconds.
4. Sign in through the real sign-in page (session cookie) and the token endpoint (API token) as the registrar, the
   claimant's counsel and the arbitrator; then --clients threads (httpx, keep-alive) each loop over the endpoint mix
   for --duration seconds after a warm-up, each request a random case (or page) the role may see.
5. Report per endpoint: requests, errors (any status but 200, or a transport error), p50 / p95 / p99 / max, and
   p95 as a multiple of the baseline (`GET /api/v1/me/`: session or token lookup, throttle, one small JSON
   response; the floor any request pays under the same load). Target: p95 < 150 ms on every endpoint.
Client and server share the machine's cores: the figures include the load generator's own CPU use.
Prints a table and writes benchmarks/results/load.json (load-quick.json with --quick).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
SERVER_DEFAULT = "postgres://postgres@127.0.0.1:5432"
REDIS_CACHE = "redis://127.0.0.1:6379/13"
TARGET_P95_MS = 150.0
FULL = {"cases": 10_000, "exhibits_per_case": 10, "custody_per_exhibit": 10}
QUICK = {"cases": 1_000, "exhibits_per_case": 10, "custody_per_exhibit": 10}

# What each role may open: ids picked in the seeded data (cases the role takes part in, exhibits it may see).
TARGETS = """
import json, random
from django.db.models import Count
from accounts.models import User
from disputes.management.commands.seed_load import LOAD_PASSWORD, LOGINS
from disputes.models import Case, Participant
from disputes.lifecycle.states import State
from evidence.models import Exhibit, CustodyEvent
rng = random.Random(7)
users = {key: User.objects.get(email=email) for key, (email, _) in LOGINS.items()}
def cases_of(user, role):
    ids = Participant.objects.filter(user=user, role=role, revoked_at__isnull=True).exclude(case__state=State.DRAFT)
    return sorted(set(ids.values_list("case_id", flat=True)))
filed = list(Case.objects.exclude(state=State.DRAFT).values_list("id", flat=True))
arbitrated = cases_of(users["arbitrator"], "arbitrator")
with_exhibits = sorted(set(Exhibit.objects.filter(case_id__in=arbitrated).values_list("case_id", flat=True)))
exhibits = list(Exhibit.objects.filter(case_id__in=with_exhibits).values_list("case_id", "id"))
print("BENCH" + json.dumps({
    "logins": {key: email for key, (email, _) in LOGINS.items()},
    "password": LOAD_PASSWORD,
    "registrar_cases": rng.sample(filed, min(500, len(filed))),
    "claimant_cases": cases_of(users["claimant"], "claimant"),
    "arbitrator_cases": arbitrated,
    "arbitrator_exhibit_cases": with_exhibits,
    "arbitrator_exhibits": rng.sample(exhibits, min(500, len(exhibits))),
    "registrar_case_pages": Case.objects.exclude(state=State.DRAFT).count() // 25 + 1,
}))
"""

COUNTS = """
import json
from disputes.management.commands.seed_load import LOGINS
from accounts.models import User
from disputes.models import Case
from evidence.models import Exhibit, CustodyEvent
seeded = User.objects.filter(email=LOGINS["registrar"][0]).exists()
print("BENCH" + json.dumps({"seeded": seeded, "cases": Case.objects.count(), "exhibits": Exhibit.objects.count(),
      "custody": CustodyEvent.objects.count()}))
"""

# One request per endpoint through the Django test client, counting and timing its SQL.
PROFILE = """
import json, time
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from accounts.models import User
from disputes.management.commands.seed_load import LOGINS
plan = json.loads({plan!r})
out = {{}}
clients = {{}}
for key, (email, _) in LOGINS.items():
    clients[key] = Client()
    clients[key].force_login(User.objects.get(email=email))
for name, role, path in plan:
    clients[role].get(path)  # warm: templates, first-use imports
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = clients[role].get(path)
        wall = (time.perf_counter() - started) * 1000
    timed = sorted(((float(q["time"]) * 1000, q["sql"]) for q in queries.captured_queries), reverse=True)
    out[name] = {{"status": response.status_code, "queries": len(queries), "sql_ms": sum(t for t, _ in timed),
                 "wall_ms": wall, "slowest": [(round(t, 1), sql[:300]) for t, sql in timed[:3]]}}
print("BENCH" + json.dumps(out))
"""


@dataclass
class Endpoint:
    name: str
    role: str
    kind: str  # "page" (session cookie) or "api" (token)
    path: Callable[[random.Random], str]
    weight: int = 1
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[str, int] = field(default_factory=dict)


def _bench_json(output: str) -> Any:
    line = next(line for line in output.splitlines() if line.startswith("BENCH"))
    return json.loads(line[len("BENCH") :])


def _manage(env: dict[str, str], *args: str, timeout: int = 7200) -> str:
    result = subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=timeout
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ensure_database(server: str, name: str, *, drop: bool) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and drop:
            print(f"dropping database {name} (--reseed) ...", flush=True)
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            print(f"creating database {name} ...", flush=True)
            conn.execute(f'CREATE DATABASE "{name}"')


def _percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def _sign_in(server: str, email: str, password: str) -> tuple[httpx.Client, str]:
    """A session (through the sign-in page, CSRF and all) and an API token for one login."""
    client = httpx.Client(base_url=server, timeout=60, follow_redirects=False)
    page = client.get("/accounts/login/")
    page.raise_for_status()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if match is None:
        raise SystemExit("no CSRF token on the sign-in page")
    answer = client.post(
        "/accounts/login/",
        data={"login": email, "password": password, "csrfmiddlewaretoken": match.group(1)},
        headers={"Referer": f"{server}/accounts/login/"},
    )
    if answer.status_code != 302 or "sessionid" not in client.cookies:
        raise SystemExit(f"signing in as {email} failed: {answer.status_code}")
    token = httpx.post(f"{server}/api/v1/auth/token/", json={"email": email, "password": password}, timeout=60)
    token.raise_for_status()
    client.close()
    return client, token.json()["token"]


def _endpoints(targets: dict[str, Any]) -> list[Endpoint]:
    def pick(key: str) -> Callable[[random.Random], Any]:
        values = targets[key]
        if not values:
            raise SystemExit(f"the seeded data has no {key}")
        return lambda rng: rng.choice(values)

    reg_case, cla_case, arb_case = pick("registrar_cases"), pick("claimant_cases"), pick("arbitrator_cases")
    arb_exhibit_case, arb_exhibit = pick("arbitrator_exhibit_cases"), pick("arbitrator_exhibits")
    pages = targets["registrar_case_pages"]

    def custody(rng: random.Random) -> str:
        case_id, exhibit_id = arb_exhibit(rng)
        return f"/api/v1/cases/{case_id}/exhibits/{exhibit_id}/custody/"

    return [
        Endpoint("baseline GET /api/v1/me/", "claimant", "api", lambda rng: "/api/v1/me/", weight=2),
        Endpoint("case list, registrar (all filed)", "registrar", "page", lambda rng: "/cases/"),
        Endpoint(
            "case list, registrar, deep page",
            "registrar",
            "page",
            lambda rng: f"/cases/?page={rng.randint(2, max(2, pages))}",
        ),
        Endpoint("case list, claimant counsel", "claimant", "page", lambda rng: "/cases/"),
        Endpoint(
            "case list, registrar, search",
            "registrar",
            "page",
            lambda rng: f"/cases/?q={rng.choice(['Labs', 'Echo', 'AIP-2026-01'])}",
        ),
        Endpoint("case page, claimant counsel", "claimant", "page", lambda rng: f"/cases/{cla_case(rng)}/", weight=2),
        Endpoint("case page, arbitrator", "arbitrator", "page", lambda rng: f"/cases/{arb_case(rng)}/", weight=2),
        Endpoint("case page, registrar", "registrar", "page", lambda rng: f"/cases/{reg_case(rng)}/"),
        Endpoint("deadlines board, registrar", "registrar", "page", lambda rng: "/registry/deadlines/", weight=2),
        Endpoint("deadlines board, overdue", "registrar", "page", lambda rng: "/registry/deadlines/?window=overdue"),
        Endpoint("API cases, registrar", "registrar", "api", lambda rng: "/api/v1/cases/"),
        Endpoint("API cases, claimant counsel", "claimant", "api", lambda rng: "/api/v1/cases/"),
        Endpoint("API deadlines board, registrar", "registrar", "api", lambda rng: "/api/v1/deadlines/"),
        Endpoint("API my deadlines, arbitrator", "arbitrator", "api", lambda rng: "/api/v1/deadlines/mine/"),
        Endpoint(
            "API case events, claimant counsel", "claimant", "api", lambda rng: f"/api/v1/cases/{cla_case(rng)}/events/"
        ),
        Endpoint(
            "API exhibits, arbitrator",
            "arbitrator",
            "api",
            lambda rng: f"/api/v1/cases/{arb_exhibit_case(rng)}/exhibits/",
            weight=2,
        ),
        Endpoint("API custody, arbitrator", "arbitrator", "api", custody, weight=2),
    ]


class Worker(threading.Thread):
    """One client: its own keep-alive connection per role, over the weighted mix of endpoints.

    Closed loop by default (the next request as soon as the previous answer arrives: the server is saturated and
    latency is mostly queueing). With `interval` (seconds, --rate), open loop: requests are scheduled at random
    (Poisson) times and latency counts from the scheduled time, so a slow answer delays and counts against the
    requests queued behind it (no coordinated omission)."""

    def __init__(
        self,
        index: int,
        server: str,
        logins: dict[str, tuple[dict[str, str], str]],
        mix: list[Endpoint],
        interval: float | None = None,
    ) -> None:
        super().__init__(daemon=True)
        self.rng = random.Random(index)
        self.mix = mix
        self.interval = interval
        self.measure_from = self.stop_at = 0.0  # set just before the start
        self.clients = {
            role: {
                "page": httpx.Client(base_url=server, cookies=cookies, timeout=60),
                "api": httpx.Client(base_url=server, headers={"Authorization": f"Token {token}"}, timeout=60),
            }
            for role, (cookies, token) in logins.items()
        }
        self.samples: list[tuple[Endpoint, float, str]] = []

    def run(self) -> None:
        scheduled = time.perf_counter()
        while (now := time.perf_counter()) < self.stop_at:
            endpoint = self.mix[self.rng.randrange(len(self.mix))]
            path = endpoint.path(self.rng)
            started = now
            if self.interval:
                scheduled += self.rng.expovariate(1 / self.interval)
                if scheduled >= self.stop_at:
                    break
                time.sleep(max(0.0, scheduled - now))
                started = now = scheduled
            try:
                response = self.clients[endpoint.role][endpoint.kind].get(path)
                outcome = str(response.status_code)
            except httpx.HTTPError as exc:
                outcome = type(exc).__name__
            elapsed = (time.perf_counter() - started) * 1000
            if now >= self.measure_from:
                self.samples.append((endpoint, elapsed, outcome))
        for pair in self.clients.values():
            for client in pair.values():
                client.close()


def _row(name: str, latencies: list[float], errors: int, baseline_p95: float) -> list[str]:
    if not latencies:
        return [name, "0", str(errors), "-", "-", "-", "-", "-"]
    p95 = _percentile(latencies, 95)
    return [
        name,
        str(len(latencies)),
        f"{errors} ({errors / len(latencies):.1%})",
        f"{_percentile(latencies, 50):.0f}",
        f"{p95:.0f}",
        f"{_percentile(latencies, 99):.0f}",
        f"{max(latencies):.0f}",
        f"{p95 / baseline_p95:.1f}x" if baseline_p95 else "-",
    ]


def _print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for line in [header, ["-" * w for w in widths], *rows]:
        print(
            "  ".join(
                str(c).ljust(w) if i == 0 else str(c).rjust(w)
                for i, (c, w) in enumerate(zip(line, widths, strict=True))
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1 000 cases (database tribunal_load_quick), 20 s run")
    parser.add_argument("--duration", type=float, help="measured seconds (default 60; --quick 20)")
    parser.add_argument(
        "--rate", type=float, help="open loop: this many requests/s in all, spread over the clients (default: closed)"
    )
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of load before measuring (default 5)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4, for 2 cores)")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (default 1: sync)")
    parser.add_argument("--database-url", default=SERVER_DEFAULT, help=f"PostgreSQL server (default {SERVER_DEFAULT})")
    parser.add_argument("--reseed", action="store_true", help="drop and rebuild the database first")
    parser.add_argument("--no-profile", action="store_true", help="skip the per-endpoint query count")
    parser.add_argument("--profile-only", action="store_true", help="print the per-endpoint queries, no load run")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    duration = args.duration or (20.0 if args.quick else 60.0)
    name = "tribunal_load_quick" if args.quick else "tribunal_load"
    server_url = args.database_url.rstrip("/")
    var = ROOT / "var" / "bench" / name
    (var / "static").mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"{server_url}/{name}",
        "TRIBUNAL_VAR_DIR": str(var),
        "STATIC_ROOT": str(var / "static"),  # no page here loads static files; whitenoise only wants the folder
        "REDIS_CACHE_URL": REDIS_CACHE,
        "DJANGO_DEBUG": "0",
        "TRIBUNAL_API_USER_RATE": "1000000/hour",
        "PYTHONUNBUFFERED": "1",
    }
    _ensure_database(server_url, name, drop=args.reseed)
    print(f"migrating {name} ...", flush=True)
    _manage(env, "migrate", "--noinput")
    counts = _bench_json(_manage(env, "shell", "-c", COUNTS))
    wanted = {
        "cases": sizes["cases"],
        "exhibits": sizes["cases"] * sizes["exhibits_per_case"],
        "custody": sizes["cases"] * sizes["exhibits_per_case"] * sizes["custody_per_exhibit"],
    }
    seed_seconds = None
    if not counts["seeded"]:
        print(f"seeding {wanted} (manage.py seed_load) ...", flush=True)
        started = time.perf_counter()
        output = _manage(
            env,
            "seed_load",
            f"--cases={sizes['cases']}",
            f"--exhibits-per-case={sizes['exhibits_per_case']}",
            f"--custody-per-exhibit={sizes['custody_per_exhibit']}",
        )
        seed_seconds = time.perf_counter() - started
        print(output, flush=True)
        counts = _bench_json(_manage(env, "shell", "-c", COUNTS))
    elif any(counts[key] < value for key, value in wanted.items()):
        raise SystemExit(f"{name} holds a different dataset ({counts}); run again with --reseed")
    else:
        print(f"reusing the dataset in {name}: {counts}", flush=True)
    targets = _bench_json(_manage(env, "shell", "-c", TARGETS))
    mix = _endpoints(targets)
    sampler = random.Random(1)
    profile: dict[str, Any] = {}
    if not args.no_profile:
        plan = [(e.name, e.role, e.path(sampler)) for e in mix]
        profile = _bench_json(_manage(env, "shell", "-c", PROFILE.format(plan=json.dumps(plan))))
    if args.profile_only:
        for endpoint_name, stats in profile.items():
            print(f"{endpoint_name:<36} {stats['status']} {stats['queries']:>3} queries {stats['sql_ms']:7.1f} ms SQL"
                  f" {stats['wall_ms']:7.1f} ms in all")  # fmt: skip
            for ms, sql in stats["slowest"]:
                print(f"    {ms:6.1f} ms  {sql[:160]}")
        return

    port = _free_port()
    server = f"http://127.0.0.1:{port}"
    worker_class = "sync" if args.threads == 1 else "gthread"
    gunicorn = subprocess.Popen(
        [PY, "-m", "gunicorn", "config.wsgi", "--workers", str(args.workers), "--threads", str(args.threads),
         "--worker-class", worker_class, "--bind", f"127.0.0.1:{port}", "--backlog", "256", "--timeout", "120",
         "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        logins: dict[str, tuple[dict[str, str], str]] = {}
        for role in ("registrar", "claimant", "arbitrator"):
            client, token = _sign_in(server, targets["logins"][role], targets["password"])
            logins[role] = (dict(client.cookies.items()), token)
        weighted = [e for e in mix for _ in range(e.weight)]
        interval = args.clients / args.rate if args.rate else None
        mode = f"open loop, {args.rate:g} req/s offered in all" if args.rate else "closed loop, back to back"
        workers = [Worker(i, server, logins, weighted, interval) for i in range(args.clients)]
        # The clock starts once every client exists: creating ~100 httpx clients takes seconds on a busy machine.
        measure_from = time.perf_counter() + args.warmup
        for worker in workers:
            worker.measure_from, worker.stop_at = measure_from, measure_from + duration
        print(
            f"{args.clients} clients ({mode}) for {args.warmup:.0f} s warm-up + {duration:.0f} s measured against "
            f"gunicorn ({args.workers} {worker_class} workers x {args.threads} thread(s)) ...",
            flush=True,
        )
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)

    for worker in workers:
        for endpoint, elapsed, outcome in worker.samples:
            endpoint.latencies.append(elapsed)
            endpoint.statuses[outcome] = endpoint.statuses.get(outcome, 0) + 1
            if outcome != "200":
                endpoint.errors += 1
    total = sum(len(e.latencies) for e in mix)
    errors = sum(e.errors for e in mix)
    baseline = mix[0]
    baseline_p95 = _percentile(baseline.latencies, 95) if baseline.latencies else 0.0
    rows = [_row(e.name, e.latencies, e.errors, baseline_p95) for e in mix]
    everything = [lat for e in mix[1:] for lat in e.latencies]
    rows.append(_row("all but the baseline", everything, errors - baseline.errors, baseline_p95))
    for row, endpoint in zip(rows, mix, strict=False):
        stats = profile.get(endpoint.name)
        row.append(f"{stats['queries']}" if stats else "-")
    rows[-1].append("")
    print()
    print(
        f"dataset: {counts['cases']} cases, {counts['exhibits']} exhibits, {counts['custody']} custody rows "
        f"(PostgreSQL {name}); {args.clients} concurrent clients, {mode}, {duration:.0f} s measured"
    )
    print(
        f"server: gunicorn config.wsgi, {args.workers} {worker_class} workers x {args.threads} thread(s), DEBUG off; "
        f"client and server share this machine's {os.cpu_count()} cores; load average at the end "
        f"{os.getloadavg()[0]:.1f} (other work on the machine inflates every figure)"
    )
    _print_table(
        ["endpoint", "requests", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms", "p95/base", "queries"], rows
    )
    failing = [e.name for e in mix[1:] if e.latencies and _percentile(e.latencies, 95) >= TARGET_P95_MS]
    print(
        f"throughput {total / duration:.1f} req/s; errors {errors} of {total} ({errors / max(total, 1):.2%}); "
        f"target p95 < {TARGET_P95_MS:.0f} ms: "
        + ("met on every endpoint" if not failing else f"NOT met on {len(failing)}: {', '.join(failing)}")
    )
    bad = {e.name: e.statuses for e in mix if e.errors}
    if bad:
        print(f"error statuses: {bad}")
    results = {
        "database": name,
        "counts": counts,
        "seed_seconds": seed_seconds,
        "clients": args.clients,
        "offered_rate_rps": args.rate,
        "duration_s": duration,
        "gunicorn": {"workers": args.workers, "threads": args.threads, "worker_class": worker_class},
        "cpu_count": os.cpu_count(),
        "load_average_1min_at_end": os.getloadavg()[0],
        "throughput_rps": total / duration,
        "requests": total,
        "errors": errors,
        "target_p95_ms": TARGET_P95_MS,
        "endpoints": {
            e.name: {
                "requests": len(e.latencies),
                "errors": e.errors,
                "statuses": e.statuses,
                **(
                    {f"p{q}_ms": _percentile(e.latencies, q) for q in (50, 95, 99)} | {"max_ms": max(e.latencies)}
                    if e.latencies
                    else {}
                ),
                "profile": profile.get(e.name),
            }
            for e in mix
        },
    }
    out = ROOT / "benchmarks" / "results" / ("load-quick.json" if args.quick else "load.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
