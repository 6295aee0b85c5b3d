"""Benchmark logs.extraction on a generated 10 M-row log against bare DuckDB group-bys on the same file.

    .venv/bin/python -m benchmarks.bench_logs [--rows 10000000] [--format csv|parquet|both] [--quick] [--keep]

Each contender runs in its own subprocess so that its peak RSS (VmHWM) and CPU time (user + sys, all threads)
are its own; on a shared machine the CPU ratio is the steadier figure, the wall ratio is the target. Baselines: a bare
``count(*) GROUP BY account_id``, and a bare SQL computing the same per-account counts as our counting scans
(requests, span, peak per minute and per day, active minutes, sum of squared minute counts, token sums,
logprobs/logit_bias counts), written the straightforward way (per-minute, per-day, per-account group-bys).
Results are printed and written to benchmarks/results/bench_logs.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"

GENERATE = """
COPY (
  SELECT strftime(TIMESTAMP '2025-01-01' + to_microseconds((i * 260000 + hash(i) % 1000000)::BIGINT),
                  '%Y-%m-%dT%H:%M:%S.%fZ') AS timestamp,
         'acct-' || lpad((hash(i * 7) % {accounts})::VARCHAR, 5, '0') AS account_id,
         'req-' || i AS request_id,
         '10.' || (hash(i * 7) % {accounts} // 256) || '.' || (hash(i * 7) % 256) || '.' || (hash(i * 3) % 4) AS ip,
         'client/' || (hash(i * 7) % 50) || '.0' AS user_agent,
         'model-a' AS model,
         'Explain topic ' || (hash(i * 11) % 997) || ' to a student in ' || (hash(i * 13) % 50)
           || ' words please' AS prompt,
         (20 + hash(i * 17) % 200)::INT AS prompt_tokens,
         (50 + hash(i * 19) % 400)::INT AS completion_tokens,
         CASE WHEN hash(i * 23) % 10 = 0 THEN 5 ELSE 0 END AS top_logprobs,
         hash(i * 29) % 50 = 0 AS logit_bias,
         200 AS status
  FROM range({rows}) t(i)) TO '{path}' {options}
"""

CHILD = """
import json, sys, time
t0 = time.perf_counter()
kind, path = sys.argv[1], sys.argv[2]
if kind == "ours":
    from forensics.logs import detect_extraction
    out = detect_extraction(path, volume_threshold=10000)
    detail = {{"accounts": len(out["accounts"]), "flagged": out["summary"]["flagged_accounts"]}}
else:
    import duckdb
    con = duckdb.connect(); con.execute("SET timezone='UTC'"); con.execute('SET enable_progress_bar=false')
    src = "read_csv('" + path + "')" if path.endswith(".csv") else "read_parquet('" + path + "')"
    if kind == "count":
        rows = con.execute(f"SELECT account_id, count(*) FROM {{src}} GROUP BY account_id").fetchall()
    else:
        # Straightforward SQL for the per-account numbers detect_extraction reports from its counting scans:
        # requests, span, peak per minute and per day, active minutes, sum of squared minute counts
        # (dispersion), token sums, logprobs / logit_bias counts. No validation, no sampling, no linking.
        rows = con.execute(f'''
          WITH s AS (SELECT *, epoch(timestamp::TIMESTAMPTZ) AS ts FROM {{src}}),
               m AS (SELECT account_id, (ts // 60)::BIGINT AS minute, count(*) n, min(ts) t0, max(ts) t1,
                       sum(prompt_tokens) pt, sum(completion_tokens) ct,
                       count(*) FILTER (WHERE top_logprobs > 0) lp, count(*) FILTER (WHERE logit_bias) lb
                     FROM s GROUP BY ALL),
               d AS (SELECT account_id, minute // 1440 AS day, sum(n) n, max(n) pm, count(*) am, sum(n * n) sq,
                       min(t0) t0, max(t1) t1, sum(pt) pt, sum(ct) ct, sum(lp) lp, sum(lb) lb FROM m GROUP BY ALL)
          SELECT account_id, sum(n), max(pm), max(n), sum(am), sum(sq), min(t0), max(t1), sum(pt), sum(ct), sum(lp),
                 sum(lb)
          FROM d GROUP BY account_id''').fetchall()
    detail = {{"accounts": len(rows)}}
wall = time.perf_counter() - t0
import resource
usage = resource.getrusage(resource.RUSAGE_SELF)
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({{"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": hwm / 1024, **detail}}))
"""


def generate(path: Path, rows: int, accounts: int) -> float:
    options = "(FORMAT parquet)" if path.suffix == ".parquet" else "(FORMAT csv, HEADER)"
    start = time.perf_counter()
    con = duckdb.connect()
    con.execute(GENERATE.format(rows=rows, accounts=accounts, path=path, options=options))
    con.close()
    return time.perf_counter() - start


def run_child(kind: str, path: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHILD.format(), kind, str(path)], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--accounts", type=int, default=5000)
    parser.add_argument("--format", choices=("csv", "parquet", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="200 000 rows")
    parser.add_argument("--keep", action="store_true", help="keep the generated logs under var/bench/")
    args = parser.parse_args()
    rows = 200_000 if args.quick else args.rows
    folder = ROOT / "var" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    formats = ("csv", "parquet") if args.format == "both" else (args.format,)
    report: dict = {"rows": rows, "accounts": args.accounts, "results": {}}
    for fmt in formats:
        path = folder / f"bench_logs_{rows}.{fmt}"
        try:
            gen = generate(path, rows, args.accounts)
            entry: dict[str, Any] = {"file_mb": round(path.stat().st_size / 2**20, 1), "generate_s": round(gen, 2)}
            for kind in ("count", "same_counts", "ours"):
                entry[kind] = run_child(kind, path)
            entry["ratio_vs_count"] = round(entry["ours"]["wall_s"] / entry["count"]["wall_s"], 2)
            entry["ratio_vs_same_counts"] = round(entry["ours"]["wall_s"] / entry["same_counts"]["wall_s"], 2)
            report["results"][fmt] = entry
        finally:
            if not args.keep:
                path.unlink(missing_ok=True)
    print(f"{'format':8} {'contender':12} {'wall s':>8} {'CPU s':>8} {'peak RSS MB':>12}")
    for fmt, entry in report["results"].items():
        for kind in ("count", "same_counts", "ours"):
            row = entry[kind]
            print(f"{fmt:8} {kind:12} {row['wall_s']:8.2f} {row['cpu_s']:8.2f} {row['peak_rss_mb']:12.0f}")
        print(f"{fmt:8} ours / count = {entry['ratio_vs_count']}, ours / same counts = {entry['ratio_vs_same_counts']}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_logs.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
