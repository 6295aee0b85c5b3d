"""Per-account aggregates computed by DuckDB in ONE scan of the log file (never the whole log in Python).

The scan checks every row once and groups it by account (bad rows by reason, with a NULL account). Everything
the analysis needs comes out of that single aggregate, one row per account:

* counts, first/last time, token sums, ``top_logprobs`` / ``logit_bias`` use;
* distinct prompts (HyperLogLog) and distinct IPs (exact), the account's IPs and user agents (the first
  ``max_addresses`` of each in sort order, from one DISTINCT aggregate over (IP, user agent) pairs);
* the minute of every request (``list`` of 32-bit epoch minutes): peaks per minute and per day, active minutes,
  the dispersion and the timelines are derived from it in numpy, so no (account, minute) group-by is needed;
* a bottom-k prompt sample: the ``sample_cap`` requests with the smallest ``hash(prompt key, time)``
  (``arg_min(..., n)``), a reproducible pseudo-random draw spread over the account's whole activity;
* for bad rows, the first ``max_examples`` line numbers per reason.

Memory: DuckDB holds, per account, at most ``sample_cap`` sampled prompts and its distinct (IP, user agent) pairs, plus
4 bytes per valid request for the minute list (40 MB per 10 M rows); Python holds the small per-account result.
"""

# SQL here is composed from fixed fragments and numbers; nothing from the log is interpolated.
# ruff: noqa: S608

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa

from forensics.logs.reader import LogSource

ACCOUNT_COLUMNS = (
    "account_id",
    "requests",
    "first_ts",
    "last_ts",
    "peak_per_minute",
    "peak_per_day",
    "active_minutes",
    "sum_sq_minute",
    "prompt_tokens",
    "completion_tokens",
    "logprobs_requests",
    "logit_bias_requests",
)
SQL_COLUMNS = (
    "account_id",
    "requests",
    "first_ts",
    "last_ts",
    "prompt_tokens",
    "completion_tokens",
    "logprobs_requests",
    "logit_bias_requests",
)
MINUTES_PER_DAY = 1440
# Minute stats are computed on at most this many requests' minutes at a time (bounds numpy's temporaries).
MINUTE_CHUNK = 1 << 21
HEAD_ROWS = 100_000


@dataclass
class AccountRows:
    """Aggregates of one account. ``sample`` is a list of (ts, prompt) in time order, at most the sample size;
    ``minutes`` holds the sorted epoch minute of every valid request (a view into the scan's result)."""

    stats: dict[str, Any]
    distinct_prompts: int = 0
    ips: list[str] = field(default_factory=list)
    user_agents: list[str] = field(default_factory=list)
    distinct_ips: int = 0
    sample: list[tuple[float, str]] = field(default_factory=list)
    minutes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))


@dataclass
class Scan:
    """The result of :func:`scan_log`: accounts, (reason, count) pairs of every row, bad-row examples."""

    accounts: dict[str, AccountRows]
    reasons: list[tuple[Any, Any]]
    examples: list[dict[str, Any]]


def scan_log(source: LogSource, *, sample_cap: int, max_addresses: int, max_examples: int) -> Scan:
    """The single scan of the log (see the module docstring). Leaves the ``acct`` temp table for
    :func:`take_samples`, which reads the prompt samples of the accounts chosen afterwards."""
    con = source.con
    cap = max(1, int(sample_cap))
    limit = int(max_addresses)
    examples = max(0, int(max_examples))
    # CASE on the grouping keys sends every bad row to a (NULL account, reason) group; the aggregates of those
    # groups are ignored except count and example lines. floor() matters: DuckDB's // on DOUBLE is a true
    # division, so casting it to INTEGER would round to the nearest minute instead of truncating.
    # One DISTINCT aggregate over (IP, user agent) pairs instead of one per column: DuckDB builds a hash table
    # of (group, value) per DISTINCT aggregate, so two of them cost two inserts per row. The distinct IPs are
    # then counted exactly from the pairs.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE acct AS
        WITH g AS (
            SELECT CASE WHEN reason IS NULL THEN account_id END AS account_id, reason,
                   count(*)::BIGINT AS requests, min(ts) AS first_ts, max(ts) AS last_ts,
                   sum(prompt_tokens)::BIGINT AS prompt_tokens,
                   sum(completion_tokens)::BIGINT AS completion_tokens,
                   count(*) FILTER (uses_logprobs) AS logprobs_requests,
                   count(*) FILTER (uses_logit_bias) AS logit_bias_requests,
                   approx_count_distinct(prompt_key) AS distinct_prompts,
                   list(DISTINCT struct_pack(ip := ip, ua := user_agent)) AS pairs,
                   list(TRY_CAST(floor(ts / 60) AS INTEGER)) AS minutes,
                   arg_min(struct_pack(h := hash(prompt_key, ts), ts := ts, p := coalesce(prompt, '')),
                           hash(prompt_key, ts), {cap}) AS sample,
                   min(line, {max(1, examples)}) FILTER (reason IS NOT NULL) AS example_lines
            FROM ({source.sql(rejects=True)})
            GROUP BY ALL),
        p AS (
            SELECT *, list_filter(list_distinct(list_transform(pairs, x -> x.ip)), x -> x IS NOT NULL) AS all_ips,
                   list_filter(list_distinct(list_transform(pairs, x -> x.ua)), x -> x IS NOT NULL) AS all_uas
            FROM g)
        SELECT account_id, reason, requests, first_ts, last_ts, prompt_tokens, completion_tokens,
               logprobs_requests, logit_bias_requests, distinct_prompts, len(all_ips) AS distinct_ips,
               list_sort(all_ips)[1:{limit}] AS ips, list_sort(all_uas)[1:{limit}] AS uas,
               list_sort(minutes) AS minutes, list_sort(sample) AS sample, example_lines
        FROM p
        """
    )
    reasons = con.execute("SELECT reason, sum(requests) FROM acct GROUP BY reason").fetchall()
    bad = con.execute("SELECT reason, example_lines FROM acct WHERE reason IS NOT NULL").fetchall()
    lines = sorted((int(line), str(reason)) for reason, found in bad for line in (found or []) if line is not None)
    table = con.execute(
        "SELECT "
        + ", ".join(SQL_COLUMNS)
        + ", distinct_prompts, distinct_ips, ips, uas, minutes FROM acct WHERE reason IS NULL ORDER BY account_id"
    ).fetch_arrow_table()
    accounts = _accounts(table)
    return Scan(
        accounts=accounts,
        reasons=reasons,
        examples=[{"line": line, "reason": reason} for line, reason in lines[:examples]],
    )


def _accounts(table: pa.Table) -> dict[str, AccountRows]:
    columns = {name: table.column(name).to_pylist() for name in (*SQL_COLUMNS, "distinct_prompts", "distinct_ips")}
    ips = table.column("ips").to_pylist()
    uas = table.column("uas").to_pylist()
    minutes_list = table.column("minutes").combine_chunks()
    offsets = np.asarray(minutes_list.offsets, dtype=np.int64)
    offsets = offsets - offsets[0]  # flatten() starts at the first list's first value
    values = np.asarray(minutes_list.flatten().to_numpy(zero_copy_only=False), dtype=np.int32)
    stats = minute_stats(values, offsets)
    accounts: dict[str, AccountRows] = {}
    for index, account_id in enumerate(columns["account_id"]):
        requests = int(columns["requests"][index])
        row = {name: columns[name][index] for name in SQL_COLUMNS}
        row.update({name: stats[name][index] for name in stats})
        row["peak_per_minute"] = int(row["peak_per_minute"])
        row["peak_per_day"] = int(row["peak_per_day"])
        row["active_minutes"] = int(row["active_minutes"])
        row["sum_sq_minute"] = float(row["sum_sq_minute"])
        accounts[str(account_id)] = AccountRows(
            stats={name: row.get(name) for name in ACCOUNT_COLUMNS},
            # HyperLogLog may overshoot slightly; a distinct count above the request count would read as nonsense.
            distinct_prompts=min(int(columns["distinct_prompts"][index]), requests),
            distinct_ips=int(columns["distinct_ips"][index]),
            ips=[str(ip) for ip in ips[index] or []],
            user_agents=[str(ua) for ua in uas[index] or []],
            minutes=values[offsets[index] : offsets[index + 1]],
        )
    return accounts


def minute_stats(values: np.ndarray, offsets: np.ndarray) -> dict[str, np.ndarray]:
    """Per account (segment ``offsets[i]:offsets[i+1]`` of sorted minutes): peak requests per minute and per
    day, active minutes, and the sum of squared per-minute counts (for the dispersion).

    Vectorised over a chunk of accounts at a time: run lengths of equal (account, minute) and (account, day)
    keys in the concatenated, per-account sorted minutes.
    """
    accounts = offsets.size - 1
    out = {
        "peak_per_minute": np.zeros(accounts, dtype=np.int64),
        "peak_per_day": np.zeros(accounts, dtype=np.int64),
        "active_minutes": np.zeros(accounts, dtype=np.int64),
        "sum_sq_minute": np.zeros(accounts, dtype=np.float64),
    }
    first = 0
    while first < accounts:
        last = first + 1
        # Grow the chunk up to MINUTE_CHUNK minutes (an account larger than that is a chunk of its own).
        last = max(last, int(np.searchsorted(offsets, offsets[first] + MINUTE_CHUNK, side="right")) - 1)
        last = min(last, accounts)
        _minute_chunk(values[offsets[first] : offsets[last]], offsets[first : last + 1] - offsets[first], out, first)
        first = last
    return out


def _minute_chunk(minutes: np.ndarray, offsets: np.ndarray, out: dict[str, np.ndarray], base: int) -> None:
    count = offsets.size - 1
    sizes = np.diff(offsets)
    if minutes.size == 0:
        return
    owner = np.repeat(np.arange(count, dtype=np.int64), sizes)
    for unit, peak_name in ((1, "peak_per_minute"), (MINUTES_PER_DAY, "peak_per_day")):
        keys = minutes.astype(np.int64) // unit
        starts = np.flatnonzero(np.r_[True, (keys[1:] != keys[:-1]) | (owner[1:] != owner[:-1])])
        runs = np.diff(np.r_[starts, minutes.size])
        run_owner = owner[starts]
        first_run = np.searchsorted(run_owner, np.arange(count), side="left")
        has = sizes > 0
        peaks = np.zeros(count, dtype=np.int64)
        peaks[has] = np.maximum.reduceat(runs, first_run[has])
        out[peak_name][base : base + count] = peaks
        if unit == 1:
            out["active_minutes"][base : base + count] = np.bincount(run_owner, minlength=count)
            squares = runs.astype(np.float64) ** 2
            out["sum_sq_minute"][base : base + count] = np.bincount(run_owner, weights=squares, minlength=count)


def sample_cap(
    source: LogSource, *, sample_size: int, min_queries: int, budget: int, head_rows: int = HEAD_ROWS
) -> int:
    """How many prompt candidates per account the scan keeps: the per-account sample size that
    :func:`choose_sampled` will pick, computed from a LOWER bound of the number of accounts (the distinct valid
    accounts of the first ``head_rows`` rows). A lower bound can only make the cap larger than needed, never
    smaller, so the final sample is exactly the rule's; it keeps DuckDB's sample state near
    max(budget, accounts x min_queries) prompts instead of accounts x sample_size."""
    row = source.con.execute(
        f"SELECT count(DISTINCT account_id) FROM (SELECT account_id FROM ({source.sql()}) "
        f"WHERE reason IS NULL LIMIT {int(head_rows)})"
    ).fetchone()
    seen = int(row[0]) if row else 0
    return min(sample_size, max(min_queries, budget // max(1, seen)))


def choose_sampled(
    accounts: dict[str, AccountRows], *, sample_size: int, min_queries: int, budget: int
) -> tuple[int, list[str]]:
    """Per-account sample size and the accounts to sample, so that at most ``budget`` prompts reach Python.

    When every account cannot get ``min_queries`` prompts within the budget, half of the places go to the
    accounts with the most requests and half to a deterministic pseudo-random draw of the others (the draw is
    what calibrates PRADA's delta on ordinary accounts). Accounts left out are named in the result's warnings.
    """
    ids = sorted(accounts)
    size = min(sample_size, max(min_queries, budget // max(1, len(ids))))
    places = max(1, budget // size)
    if len(ids) <= places:
        return size, ids
    by_volume = sorted(ids, key=lambda account: (-int(accounts[account].stats["requests"]), account))
    chosen = by_volume[: places // 2]
    rest = sorted(by_volume[places // 2 :], key=lambda account: zlib.crc32(account.encode("utf-8")))
    return size, sorted(chosen + rest[: places - len(chosen)])


def take_samples(source: LogSource, accounts: dict[str, AccountRows], *, size: int, sampled: list[str]) -> None:
    """Fill ``sample`` of the chosen accounts from the scan's bottom-k lists: the ``size`` requests with the
    smallest hash (bottom-``size`` of a bottom-k list is exactly the bottom-``size`` sample), in time order."""
    if not sampled:
        return
    con = source.con
    con.register("chosen_accounts", pa.table({"account_id": pa.array(sampled, pa.string())}))
    try:
        rows = con.execute(
            f"SELECT a.account_id, a.sample[1:{int(size)}] FROM acct a "
            "JOIN chosen_accounts c ON c.account_id = a.account_id WHERE a.reason IS NULL"
        ).fetchall()
    finally:
        con.unregister("chosen_accounts")
    for account_id, sample in rows:
        rows_of = accounts.get(str(account_id))
        if rows_of is not None:
            picked = sample or []
            rows_of.sample = sorted(((float(item["ts"]), str(item["p"])) for item in picked), key=lambda x: x[0])


def timelines(accounts: dict[str, AccountRows], *, max_buckets: int = 200) -> dict[str, list[list[Any]]]:
    """Request counts per time bucket for a few accounts (bucket width fits their common span), from the
    minutes of the scan: every width is a whole number of minutes, so no further pass over the log is needed."""
    if not accounts:
        return {}
    first = min(float(rows.stats["first_ts"]) for rows in accounts.values())
    last = max(float(rows.stats["last_ts"]) for rows in accounts.values())
    width = _bucket_width(last - first, max_buckets)
    out: dict[str, list[list[Any]]] = {}
    for account_id, rows in accounts.items():
        buckets, counts = np.unique(rows.minutes.astype(np.int64) * 60 // width, return_counts=True)
        out[account_id] = [[_stamp(int(bucket) * width), int(n)] for bucket, n in zip(buckets, counts, strict=True)]
    return out


def _stamp(epoch: int) -> str:
    return datetime.fromtimestamp(float(epoch), UTC).isoformat().replace("+00:00", "Z")


def _bucket_width(span_s: float, max_buckets: int) -> int:
    """Smallest of minute/5 min/hour/6 h/day/week buckets giving at most ``max_buckets`` buckets."""
    for width in (60, 300, 900, 3600, 6 * 3600, 86400, 7 * 86400):
        if span_s / width <= max_buckets:
            return width
    return 30 * 86400
