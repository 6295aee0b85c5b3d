"""Per-account aggregates computed by DuckDB directly over the log file (never the whole log in Python).

Two scans of the file: the first counts every row (valid per account, bad per reason) and derives rates from
per-minute counts; the second, joined with the first's small per-account table, estimates distinct prompts,
collects the IPs and user agents used by each account, and draws a bounded pseudo-random sample of prompts per
account for PRADA and MinHash. A third, optional, scan builds timelines for a handful of accounts.
"""

# SQL here is composed from fixed fragments and numbers; account ids only enter through _quote.
# ruff: noqa: S608

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from forensics.logs.reader import LogSource, _quote

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


# Columns of each scan; together they fill ``AccountRows.stats`` with every name of ACCOUNT_COLUMNS.
FIRST_SCAN_COLUMNS = ("account_id", "requests", "peak_per_minute", "peak_per_day", "active_minutes", "sum_sq_minute")
SECOND_SCAN_COLUMNS = (
    "first_ts",
    "last_ts",
    "prompt_tokens",
    "completion_tokens",
    "logprobs_requests",
    "logit_bias_requests",
)


@dataclass
class AccountRows:
    """Aggregates of one account. ``sample`` is a list of (ts, prompt) in time order, at most the sample cap."""

    stats: dict[str, Any]
    distinct_prompts: int = 0
    ips: list[str] = field(default_factory=list)
    user_agents: list[str] = field(default_factory=list)
    distinct_ips: int = 0
    sample: list[tuple[float, str]] = field(default_factory=list)


def scan_accounts(source: LogSource) -> tuple[dict[str, AccountRows], list[tuple[Any, Any]]]:
    """First scan: per-account counts and per-minute / per-day peaks, plus the (reason, count) pairs of every row.

    Bad rows are grouped by reason with a NULL account so that they are counted in the same pass. The per-minute
    level also gives the sum of squared minute counts, from which the dispersion (burstiness) is derived exactly.
    Only counts are kept at the minute level: on sparse traffic there are about as many (account, minute) groups
    as rows, so every extra aggregate there costs a full row's worth of state; sums, spans and shares are
    account-level and come from the second scan.
    """
    con = source.con
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE acct AS
        WITH minutes AS (
            SELECT CASE WHEN reason IS NULL THEN account_id END AS account_id,
                   CASE WHEN reason IS NULL THEN (ts // 60)::INTEGER END AS minute, reason, count(*) AS n
            FROM ({source.rows()}) GROUP BY ALL),
        days AS (
            SELECT account_id, minute // 1440 AS day, reason, sum(n) AS n, max(n) AS peak_minute,
                   count(*) AS active_minutes, sum(n * n) AS sq
            FROM minutes GROUP BY ALL)
        SELECT account_id, reason, sum(n)::BIGINT AS requests, max(peak_minute)::BIGINT AS peak_per_minute,
               max(n)::BIGINT AS peak_per_day, sum(active_minutes)::BIGINT AS active_minutes,
               sum(sq)::DOUBLE AS sum_sq_minute
        FROM days GROUP BY ALL
        """
    )
    reasons = con.execute("SELECT reason, sum(requests) FROM acct GROUP BY reason").fetchall()
    rows = con.execute(
        "SELECT " + ", ".join(FIRST_SCAN_COLUMNS) + " FROM acct WHERE reason IS NULL ORDER BY account_id"
    ).fetchall()
    accounts = {str(row[0]): AccountRows(stats=dict(zip(FIRST_SCAN_COLUMNS, row, strict=True))) for row in rows}
    return accounts, reasons


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


def scan_samples(
    source: LogSource,
    accounts: dict[str, AccountRows],
    *,
    sample_size: int,
    max_addresses: int,
    sampled: list[str] | None = None,
) -> None:
    """Second scan: distinct prompts (HyperLogLog estimate), IPs/user agents, and a bounded prompt sample.

    Each account keeps a row when a hash of (prompt key, time) falls under sample_size / requests, so the sample
    is a deterministic pseudo-random draw of about ``sample_size`` requests spread over the account's whole span
    (not only its first queries), and no account's sample can grow with its volume.
    """
    if not accounts:
        return
    con = source.con
    chosen = pa.table({"account_id": pa.array(sorted(accounts) if sampled is None else sampled, pa.string())})
    con.register("chosen_accounts", chosen)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE acct_rate AS
        SELECT a.account_id, CASE WHEN c.account_id IS NULL THEN 0.0
                                  ELSE LEAST(1.0, {float(sample_size) * 1.25} / a.requests) END AS rate
        FROM acct a LEFT JOIN chosen_accounts c ON c.account_id = a.account_id WHERE a.reason IS NULL
        """
    )
    con.unregister("chosen_accounts")
    # Validity is tested inside each aggregate (FILTER), never in a WHERE: DuckDB pushes a WHERE on ``reason``
    # down by inlining the whole row-checking expression, which then runs several times per row.
    valid = "r.reason IS NULL"
    result = con.execute(
        f"""
        SELECT r.account_id, min(r.ts) FILTER ({valid}), max(r.ts) FILTER ({valid}),
               sum(r.prompt_tokens) FILTER ({valid})::BIGINT, sum(r.completion_tokens) FILTER ({valid})::BIGINT,
               count(*) FILTER ({valid} AND r.uses_logprobs), count(*) FILTER ({valid} AND r.uses_logit_bias),
               approx_count_distinct(r.prompt_key) FILTER ({valid}) AS distinct_prompts,
               approx_count_distinct(r.ip) FILTER ({valid}) AS distinct_ips,
               list(DISTINCT r.ip) FILTER ({valid} AND r.ip IS NOT NULL)[1:{int(max_addresses)}] AS ips,
               list(DISTINCT r.user_agent) FILTER ({valid} AND r.user_agent IS NOT NULL)[1:{int(max_addresses)}]
                   AS uas,
               list(struct_pack(h := hash(r.prompt_key, r.ts), ts := r.ts, p := coalesce(r.prompt, '')))
                   FILTER ({valid} AND hash(r.prompt_key, r.ts) / 18446744073709551616.0 < a.rate) AS sample
        FROM ({source.rows()}) r LEFT JOIN acct_rate a ON a.account_id = r.account_id
        GROUP BY r.account_id
        """
    ).fetchall()
    for account_id, *values in result:
        rows = accounts.get(str(account_id))
        if rows is None:
            continue
        stats = dict(zip(SECOND_SCAN_COLUMNS, values[: len(SECOND_SCAN_COLUMNS)], strict=True))
        rows.stats.update(stats)
        distinct, distinct_ips, ips, uas, sample = values[len(SECOND_SCAN_COLUMNS) :]
        requests = int(rows.stats["requests"])
        # HyperLogLog may overshoot slightly; a distinct count above the request count would read as nonsense.
        rows.distinct_prompts = min(int(distinct), requests)
        rows.distinct_ips = int(distinct_ips)
        rows.ips = sorted(str(ip) for ip in ips or [])
        rows.user_agents = sorted(str(ua) for ua in uas or [])
        picked = sorted(sample or [], key=lambda item: item["h"])[:sample_size]
        rows.sample = sorted(((float(item["ts"]), str(item["p"])) for item in picked), key=lambda item: item[0])
    for rows in accounts.values():
        rows.stats = {name: rows.stats.get(name) for name in ACCOUNT_COLUMNS}


def scan_timelines(
    source: LogSource, accounts: dict[str, AccountRows], *, max_buckets: int = 200
) -> dict[str, list[list[Any]]]:
    """Third scan, only for a few accounts: request counts per time bucket (bucket width fits the span)."""
    if not accounts:
        return {}
    account_ids = list(accounts)
    first = min(float(rows.stats["first_ts"]) for rows in accounts.values())
    last = max(float(rows.stats["last_ts"]) for rows in accounts.values())
    width = _bucket_width(last - first, max_buckets)
    ids = ", ".join(_quote(account_id) for account_id in account_ids)
    # Validity in a FILTER, not a WHERE (see scan_samples); empty buckets made of bad rows only are dropped.
    rows = source.con.execute(
        f"""
        SELECT account_id, (ts // {width})::BIGINT * {width} AS bucket, count(*) FILTER (reason IS NULL) AS n
        FROM ({source.rows()}) WHERE account_id IN ({ids})
        GROUP BY ALL HAVING n > 0 ORDER BY account_id, bucket
        """
    ).fetchall()
    timelines: dict[str, list[list[Any]]] = {account_id: [] for account_id in account_ids}
    from datetime import UTC, datetime

    for account_id, bucket, n in rows:
        stamp = datetime.fromtimestamp(float(bucket), UTC).isoformat().replace("+00:00", "Z")
        timelines[str(account_id)].append([stamp, int(n)])
    return timelines


def _bucket_width(span_s: float, max_buckets: int) -> int:
    """Smallest of minute/5 min/hour/6 h/day/week buckets giving at most ``max_buckets`` buckets."""
    for width in (60, 300, 900, 3600, 6 * 3600, 86400, 7 * 86400):
        if span_s / width <= max_buckets:
            return width
    return 30 * 86400
