"""``logs.extraction``: rank the accounts of an API query log by how much they look like model extraction.

Signals (DESIGN §5.2): volume against the Charter threshold, peak rates, burstiness, distinct-prompt ratio,
prompt-template repetition (MinHash), token totals, logprobs / logit_bias use, topic narrowness, PRADA, and
links between accounts (shared IPs, /24 subnets, non-generic user agents, templates). Heavy lifting is DuckDB
SQL over the file; Python only sees per-account aggregates and a bounded prompt sample per account.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb

from forensics.common import ForensicsInputError, InputFile, Progress, Run, no_progress
from forensics.logs import aggregate, prada
from forensics.logs.features import account_features, all_sample_features
from forensics.logs.linking import is_generic_agent, link_accounts, subnets_of
from forensics.logs.reader import LogSource, bad_row_examples, summarise_rows

ANALYSIS = "logs.extraction"


def _scan(
    path: Path,
    *,
    sample_size: int,
    min_queries: int,
    budget: int,
    memory_limit: str,
    max_examples: int,
    progress: Progress,
    start: float,
    stop: float,
) -> tuple[LogSource, aggregate.Scan, list[str]]:
    """The one pass over the log, then the choice of sampled accounts (their prompts come from the same pass)."""
    source = LogSource.open(path, memory_limit)
    try:
        progress(start, "checking and counting every row")
        cap = aggregate.sample_cap(source, sample_size=sample_size, min_queries=min_queries, budget=budget)
        scan = aggregate.scan_log(source, sample_cap=cap, max_addresses=1000, max_examples=max_examples)
        progress(start + (stop - start) * 0.9, "sampling prompts per account")
        size, sampled = aggregate.choose_sampled(
            scan.accounts, sample_size=sample_size, min_queries=min_queries, budget=budget
        )
        aggregate.take_samples(source, scan.accounts, size=size, sampled=sampled)
    except duckdb.Error as exc:
        source.close()
        raise ForensicsInputError(f"The log {path.name!r} cannot be read: {exc}") from None
    except BaseException:
        source.close()  # the spill dir may hold DuckDB's spilled state: never leave it behind
        raise
    skipped = sorted(set(scan.accounts) - set(sampled))
    return source, scan, skipped


def detect_extraction(
    path: str | os.PathLike[str],
    *,
    benign_reference: str | os.PathLike[str] | None = None,
    volume_threshold: int = 10_000,
    rate_threshold: int = 120,
    logit_bias_share: float = 0.5,
    template_share: float = 0.6,
    template_min_requests: int | None = None,
    min_requests: int = 50,
    sample_size: int = 256,
    max_sampled_prompts: int = 25_000,
    prada_min_queries: int = 30,
    timeline_accounts: int = 10,
    max_examples: int = 50,
    memory_limit: str = "1GB",
    progress: Progress = no_progress,
) -> dict[str, Any]:
    """Score every account of the log at ``path``; see docs/forensics/logs.md for the output shape.

    ``volume_threshold`` is the Charter's request threshold per account (and per linked cluster);
    ``benign_reference`` is an optional log of known-benign traffic used to calibrate PRADA's delta.
    """
    path = Path(path)
    template_min = template_min_requests
    if template_min is None:
        template_min = max(min_requests, volume_threshold // 5)
    parameters = {
        "volume_threshold": volume_threshold,
        "rate_threshold_per_minute": rate_threshold,
        "logit_bias_share": logit_bias_share,
        "template_share": template_share,
        "template_min_requests": template_min,
        "min_requests": min_requests,
        "sample_size": sample_size,
        "max_sampled_prompts": max_sampled_prompts,
        "prada_min_queries": prada_min_queries,
        "prada_false_alarm_target": prada.FALSE_ALARM_TARGET,
    }
    # The inputs' SHA-256 (~1 s of CPU per GB) is computed in a thread beside DuckDB's scans: hashlib releases
    # the GIL, and on a CSV log hashing first would add a second read of the file to the wall time.
    hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256")
    hashing = [hasher.submit(InputFile.of, "log", path)]
    if benign_reference is not None:
        hashing.append(hasher.submit(InputFile.of, "benign_reference", benign_reference))
    hasher.shutdown(wait=False)  # queued hashes still run; the thread ends with them
    run = Run(analysis=ANALYSIS, parameters=parameters, inputs=[])
    progress(0.02, "reading the log")
    scan_options: dict[str, Any] = {
        "sample_size": sample_size,
        "min_queries": prada_min_queries,
        "budget": max_sampled_prompts,
        "memory_limit": memory_limit,
    }
    source, scan, skipped = _scan(
        path, **scan_options, max_examples=max_examples, progress=progress, start=0.05, stop=0.6
    )
    accounts = scan.accounts
    if skipped:
        shown = ", ".join(skipped[:20]) + (f" and {len(skipped) - 20} more" if len(skipped) > 20 else "")
        run.warn(
            f"{len(skipped)} account(s) were not sampled for PRADA/templates (budget of {max_sampled_prompts:,} "
            f"prompts): {shown}. Raise max_sampled_prompts to test them."
        )
    try:
        validation = summarise_rows(source, scan.reasons, 0)
        bad_count = validation["bad_rows"]["count"]
        # JSONL/Parquet examples came out of the scan; CSV line numbers need the short streaming pass.
        examples = bad_row_examples(source, bad_count, max_examples) if source.format == "csv" else scan.examples
        if bad_count:
            run.warn(f"{bad_count} row(s) do not follow the log schema and were left out of the statistics.")
        if not accounts:
            raise ForensicsInputError("The log has no valid rows: nothing to analyse.")
        progress(0.6, "computing PRADA and template statistics")
        rows_out, templates = _account_rows(accounts, prada_min_queries)
        calibration = _calibrate(rows_out, benign_reference, scan_options, prada_min_queries, progress)
        progress(0.85, "linking accounts and scoring")
        thresholds = {
            "volume": volume_threshold,
            "rate": rate_threshold,
            "logit_bias": logit_bias_share,
            "template": template_share,
            "template_min": template_min,
            "min_requests": min_requests,
        }
        for row in rows_out:
            _judge(row, calibration["delta"], thresholds)
        clusters = _clusters(accounts, templates, rows_out, volume_threshold, run)
        rows_out.sort(key=lambda row: (-row["score"], row["account_id"]))
        top = [row["account_id"] for row in rows_out if row["flagged"]][:timeline_accounts]
        progress(0.9, "building timelines")
        timelines = aggregate.timelines({account_id: accounts[account_id] for account_id in top})
    finally:
        source.close()
    run.inputs.extend(future.result() for future in hashing)
    progress(1.0, "done")
    flagged = sum(1 for row in rows_out if row["flagged"])
    return run.finish(
        summary={
            "accounts": len(rows_out),
            "flagged_accounts": flagged,
            "clusters": len(clusters),
            "flagged_clusters": sum(1 for cluster in clusters if cluster["flagged"]),
        },
        accounts=rows_out,
        clusters=clusters,
        calibration=calibration,
        rows={"total": validation["rows"]["total"], "valid": validation["rows"]["valid"]},
        bad_rows={
            "count": bad_count,
            "by_reason": validation["bad_rows"]["by_reason"],
            "examples": examples,
            "line_kind": source.line_kind,
        },
        format=source.format,
        timelines=timelines,
        limits=[
            f"PRADA, templates and topics use a pseudo-random sample of at most {sample_size} prompts per account "
            f"and {max_sampled_prompts:,} prompts in all.",
            "Distinct prompts are a HyperLogLog estimate (about 2 % error); distinct IPs are counted exactly.",
            "PRADA catches synthetic (perturbed) queries; an attacker sending natural data evades it by design, "
            "so volume, rate and template signals are reported alongside.",
        ],
    )


def _account_rows(
    accounts: dict[str, aggregate.AccountRows], prada_min_queries: int
) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    rows_out: list[dict[str, Any]] = []
    templates: dict[str, list[str]] = {}
    sampled = all_sample_features(accounts, prada_min_queries=prada_min_queries)
    for account_id, rows in accounts.items():
        features = account_features(rows)
        extra, prada_out, keys = sampled[account_id]
        features.update(extra)
        templates[account_id] = keys
        rows_out.append(
            {
                "account_id": account_id,
                "score": 0.0,
                "flagged": False,
                "reasons": [],
                "features": features,
                "prada": prada_out,
            }
        )
    return rows_out, templates


def _calibrate(
    rows_out: list[dict[str, Any]],
    benign_reference: str | os.PathLike[str] | None,
    scan_options: dict[str, Any],
    prada_min_queries: int,
    progress: Progress,
) -> dict[str, Any]:
    """Delta from the benign reference log when given, else from the bulk of this log's own accounts."""
    if benign_reference is not None:
        progress(0.7, "calibrating PRADA on the benign reference log")
        source, scan, _ = _scan(
            Path(benign_reference), **scan_options, max_examples=0, progress=no_progress, start=0.0, stop=1.0
        )
        source.close()
        benign, _ = _account_rows(scan.accounts, prada_min_queries)
        return prada.calibrate(
            [row["prada"]["w"] for row in benign if row["prada"]["w"] is not None],
            source="benign reference log",
            use_empirical=True,
        )
    return prada.calibrate(
        [row["prada"]["w"] for row in rows_out if row["prada"]["w"] is not None],
        source="this log's own accounts (robust to a minority of attackers)",
        use_empirical=False,
    )


def _judge(row: dict[str, Any], delta: float, t: dict[str, Any]) -> None:
    """Flag an account on strong signals and give every reason in plain words; score for ranking."""
    f = row["features"]
    p = row["prada"]
    requests = f["requests"]
    reasons: list[str] = row["reasons"]
    volume = min(1.0, requests / t["volume"])
    if requests >= t["volume"]:
        reasons.append(f"sent {requests:,} requests, at or above the Charter threshold of {t['volume']:,}")
    p["delta"] = delta
    if p["w"] is not None and p["w"] < delta:
        p["alarm"] = True
        reasons.append(
            f"PRADA alarm: the spacing of its queries is abnormal (W = {p['w']:.3f} < delta = {delta:.3f}); many "
            "queries are small variations of earlier ones, as in synthetic extraction queries"
        )
    if requests >= t["min_requests"] and f["logit_bias_share"] >= t["logit_bias"]:
        reasons.append(
            f"used logit_bias on {f['logit_bias_share']:.0%} of its requests, the pattern of a logit-bias sweep "
            "that reads out the model's hidden scores"
        )
    tshare = f.get("template_share") or 0.0
    if requests >= t["template_min"] and tshare >= t["template"]:
        reasons.append(f"{tshare:.0%} of its sampled prompts repeat one prompt template, at {requests:,} requests")
    if f["peak_per_minute"] >= t["rate"]:
        reasons.append(f"peaked at {f['peak_per_minute']:,} requests in one minute (threshold {t['rate']:,})")
    row["flagged"] = bool(reasons)
    # Context, never a flag on its own: ordinary users also ask narrow questions or read logprobs.
    entropy = f.get("topic_entropy")
    narrow = entropy is not None and entropy < 0.5 and requests >= t["min_requests"]
    if row["flagged"] and narrow:
        reasons.append(f"its prompts concentrate on a narrow range of topics (spread {entropy:.2f} of 1)")
    if row["flagged"] and f["logprobs_share"] >= 0.5:
        reasons.append(f"requested top_logprobs on {f['logprobs_share']:.0%} of its requests")
    score = (
        0.35 * volume
        + 0.25 * (1.0 if p["alarm"] else 0.0)
        + 0.15 * (tshare if requests >= t["min_requests"] else 0.0)
        + 0.15 * (f["logit_bias_share"] if requests >= t["min_requests"] else 0.0)
        + 0.05 * min(1.0, f["peak_per_minute"] / t["rate"])
        + 0.05 * (1.0 if narrow else 0.0)
    )
    row["score"] = round(score, 4)


def _clusters(
    accounts: dict[str, aggregate.AccountRows],
    templates: dict[str, list[str]],
    rows_out: list[dict[str, Any]],
    volume_threshold: int,
    run: Run,
) -> list[dict[str, Any]]:
    keys: dict[str, dict[str, list[str]]] = {}
    known: dict[str, str | None] = {}
    for account_id, rows in accounts.items():
        subnets = subnets_of(rows.ips, known)
        keys[account_id] = {
            "ip": rows.ips,
            "subnet": subnets,
            "user agent": [ua for ua in rows.user_agents if not is_generic_agent(ua)],
            "prompt template": templates.get(account_id, []),
        }
    found, ignored = link_accounts(keys)
    for kind, count in ignored.items():
        run.warn(f"{count} {kind} value(s) shared by many accounts were treated as generic and not used to link.")
    by_id = {row["account_id"]: row for row in rows_out}
    out: list[dict[str, Any]] = []
    for cluster in found:
        members = [by_id[account_id] for account_id in cluster.accounts]
        total = sum(member["features"]["requests"] for member in members)
        flagged_members = [member["account_id"] for member in members if member["flagged"]]
        reasons = list(cluster.reasons)
        flagged = False
        if total >= volume_threshold:
            flagged = True
            reasons.append(
                f"together sent {total:,} requests, at or above the Charter threshold of {volume_threshold:,}"
            )
        if len(flagged_members) >= 2:
            flagged = True
            reasons.append(f"{len(flagged_members)} of its accounts are flagged on their own")
        if flagged:
            for member in members:
                member["reasons"].append(
                    f"linked to {len(members) - 1} other account(s) that together sent {total:,} requests"
                )
                if not member["flagged"]:
                    member["flagged"] = True
                    member["score"] = round(max(member["score"], 0.35 * min(1.0, total / volume_threshold)), 4)
        out.append({"accounts": cluster.accounts, "flagged": flagged, "reasons": reasons, "requests": total})
    out.sort(key=lambda cluster: (not cluster["flagged"], -cluster["requests"]))
    return out
