"""Turn a finished job's stored result into a report an arbitrator can read: the verdict in calibrated words, the
key statistics with what they mean, the method and its limits, charts, and the inputs with their SHA-256."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache

from evidence.models import AnalysisJob

logger = logging.getLogger(__name__)


@dataclass
class Statistic:
    label: str
    value: str
    meaning: str


@dataclass
class Report:
    title: str
    verdict: str
    verdict_reason: str
    statistics: list[Statistic]
    method: str
    limits: list[str]
    chart_names: list[str]
    inputs: list[dict[str, Any]]
    parameters: dict[str, Any]
    code_version: str
    started_at: str
    finished_at: str
    duration_s: float | None
    warnings: list[str] = field(default_factory=list)
    tables: list[dict[str, Any]] = field(default_factory=list)


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if abs(value) and (abs(value) < 1e-3 or abs(value) >= 1e6):
            return f"{value:.2e}"
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _weights(result: dict[str, Any]) -> tuple[list[Statistic], str, list[str], list[dict[str, Any]]]:
    robust = result.get("robust") or {}
    sigma = result.get("sigma_curve") or {}
    stats = [
        Statistic(
            "Robust similarity (AWM-style CKA)",
            _fmt(robust.get("score")),
            "Similarity of the attention weights after undoing any permutation or sign flip of the hidden "
            "dimensions (and any rotation on the output side). Unrelated models score near 0.004; copies and "
            "fine-tunes near 1.",
        ),
        Statistic(
            "Decision z (against unrelated pairs)",
            _fmt(robust.get("z_decision"), 1),
            "How far the score lies above unrelated pairs, in null standard deviations: the published null (mean "
            "0.00375, sd 0.0028) widened by this run's own shuffled-dimension null where that is wider. 10 or more "
            "is the threshold for 'consistent with derivation'; below 3 is no evidence.",
        ),
        Statistic(
            "|z| against the published null only",
            _fmt(robust.get("z"), 1),
            "The same distance using only the published null (measured on 7B models), for comparison.",
        ),
        Statistic(
            "Global parameter cosine (PCS, HuRef)",
            _fmt(result.get("pcs")),
            "Plain cosine over all matched weights. Fine-tunes exceed 0.99, but a permutation of hidden "
            "dimensions sends it to about 0, so a low value alone does not rule out copying.",
        ),
        Statistic(
            "Attention σ-curve Pearson (context only)",
            _fmt(sigma.get("pearson")),
            "Shown for context and NOT probative: unrelated 7B models reach 0.91 on it.",
        ),
    ]
    method = (
        "Both files are streamed one tensor (or block of rows) at a time with float64 accumulators. Tensors "
        "with the same role and shape are compared by cosine and centred Pearson; the hidden dimensions are "
        "aligned by linear assignment on embedding columns (with sign flips), then unbiased linear CKA is "
        "computed per layer on the aligned query and key matrices (after AWM, arXiv:2510.06738) and compared "
        "with the published unrelated-pair null. Global parameter cosine follows HuRef (arXiv:2312.04828)."
    )
    limits = [
        "Weight comparison cannot see distillation: a model trained on another model's outputs has its own weights.",
        "A verdict of 'consistent with derivation' says the weights share an origin; it does not say who copied whom.",
        "Architecture mismatches are explained in the warnings; missing tensors reduce what can be compared.",
    ]
    tensors = [
        {
            "name": t.get("name_a") or t.get("name"),
            "role": t.get("role"),
            "shape": "×".join(map(str, t.get("shape", []))),
            "cosine": _fmt(t.get("cosine")),
            "pearson": _fmt(t.get("pearson")),
        }
        for t in (result.get("tensors") or [])[:40]
    ]
    tables = (
        [
            {
                "title": "Per-tensor similarity (first 40)",
                "columns": ["name", "role", "shape", "cosine", "pearson"],
                "rows": tensors,
            }
        ]
        if tensors
        else []
    )
    return stats, method, limits, tables


def _logs(result: dict[str, Any]) -> tuple[list[Statistic], str, list[str], list[dict[str, Any]]]:
    summary = result.get("summary") or {}
    calibration = result.get("calibration") or {}
    rows = result.get("rows") or {}
    bad = result.get("bad_rows") or {}
    stats = [
        Statistic(
            "Accounts flagged",
            f"{summary.get('flagged_accounts', 0)} of {summary.get('accounts', 0)}",
            "Accounts whose traffic matches extraction patterns; each comes with its reasons below.",
        ),
        Statistic(
            "Linked clusters flagged",
            f"{summary.get('flagged_clusters', 0)} of {summary.get('clusters', 0)}",
            "Groups of accounts sharing IPs, /24 subnets, user agents or prompt templates.",
        ),
        Statistic(
            "PRADA threshold δ",
            _fmt(calibration.get("delta")),
            f"Calibrated on {calibration.get('source', 'benign traffic')}; "
            f"{calibration.get('note') or 'target false-alarm rate 0.1 %'}.",
        ),
        Statistic(
            "Rows analysed",
            f"{_fmt(rows.get('valid'))} of {_fmt(rows.get('total'))}",
            f"{_fmt(bad.get('count', 0))} bad rows were counted and are listed with their line numbers.",
        ),
    ]
    method = (
        "Per-account volume, active span, peak rates, burstiness, distinct-prompt ratio, prompt-template "
        "repetition (MinHash), token totals and use of logprobs/logit_bias are computed with DuckDB over the "
        "whole log. PRADA (Juuti et al., arXiv:1805.02628) tests the Shapiro-Wilk W of the minimum distances "
        "between each account's successive query vectors against a threshold calibrated on benign traffic. "
        "Accounts that share infrastructure or templates are linked into clusters."
    )
    limits = list(result.get("limits") or []) or [
        "PRADA misses attackers who query with natural data; volume and template features are there for them.",
        "A flag is a reason to look closer, not proof of extraction.",
    ]
    accounts = [
        {
            "account": a.get("account_id"),
            "score": _fmt(a.get("score")),
            "flagged": "yes" if a.get("flagged") else "no",
            "reasons": "; ".join(a.get("reasons") or []),
        }
        for a in (result.get("accounts") or [])[:30]
    ]
    clusters = [
        {
            "accounts": ", ".join(c.get("accounts", [])[:12]),
            "flagged": "yes" if c.get("flagged") else "no",
            "reasons": "; ".join(c.get("reasons") or []),
        }
        for c in (result.get("clusters") or [])[:20]
    ]
    tables = [
        {
            "title": "Accounts ranked by score (top 30)",
            "columns": ["account", "score", "flagged", "reasons"],
            "rows": accounts,
        },
        {"title": "Linked clusters", "columns": ["accounts", "flagged", "reasons"], "rows": clusters},
    ]
    return stats, method, limits, tables


def _watermark(result: dict[str, Any]) -> tuple[list[Statistic], str, list[str], list[dict[str, Any]]]:
    pooled = result.get("pooled") or {}
    params = result.get("parameters") or {}
    stats = [
        Statistic(
            "Pooled z-score",
            _fmt(pooled.get("z"), 2),
            f"Green tokens above the share γ = {params.get('gamma', 0.25)} expected without the watermark, in "
            "standard deviations; above 4 is flagged.",
        ),
        Statistic(
            "Pooled p-value (exact binomial)",
            _fmt(pooled.get("p_value")),
            "Chance of seeing this many green tokens if the text was not generated with this key.",
        ),
        Statistic(
            "Scored token pairs",
            _fmt(pooled.get("T")),
            "Each distinct (previous token, token) pair is counted once, so repeated text cannot inflate z.",
        ),
    ]
    method = (
        "Kirchenbauer et al. (2023) green-list test with the scheme documented in docs/forensics.md "
        "(splitmix64 over the key and the previous token): z = (S − γT) / sqrt(Tγ(1−γ)) with the exact binomial "
        "p-value, per document, pooled, and in sliding windows to find a watermarked span inside other text."
    )
    limits = [
        "A detected watermark shows the key's statistical bias in the text, not who ran the model or how the key "
        "was obtained.",
        "Heavy editing or paraphrase removes the signal; short texts have little power.",
    ]
    documents = [
        {
            "id": d.get("id"),
            "T": _fmt(d.get("T")),
            "z": _fmt(d.get("z"), 2),
            "p": _fmt(d.get("p_value")),
            "flagged": "yes" if d.get("flagged") else "no",
            "best window": (
                f"{d['window']['start']}–{d['window']['end']} (z {_fmt(d['window'].get('z'), 2)})"
                if d.get("window")
                else "—"
            ),
        }
        for d in (result.get("documents") or [])[:40]
    ]
    tables = [
        {"title": "Documents (first 40)", "columns": ["id", "T", "z", "p", "flagged", "best window"], "rows": documents}
    ]
    return stats, method, limits, tables


def _similarity(result: dict[str, Any]) -> tuple[list[Statistic], str, list[str], list[dict[str, Any]]]:
    metrics = result.get("metrics") or {}
    test = result.get("permutation_test") or {}
    pairs = result.get("pairs") or {}
    cosine = metrics.get("embedding_cosine") or {}
    stats = [
        Statistic("Matched prompts", _fmt(pairs.get("matched")), "Prompts answered in both output sets."),
        Statistic(
            "5-gram containment (mean)",
            _fmt((metrics.get("containment_max") or {}).get("mean")),
            "Share of one output's word 5-grams found in the other's answer to the same prompt.",
        ),
        Statistic(
            "Embedding cosine (mean)",
            _fmt(cosine.get("mean")) if cosine else "not computed",
            "Meaning-level similarity with all-MiniLM-L6-v2 (offline).",
        ),
        Statistic(
            "Permutation test p-value",
            _fmt(test.get("p_value")),
            "Chance that matched prompts look this much more alike than mismatched pairs by accident.",
        ),
        Statistic(
            "Effect size (Cohen's d)",
            _fmt(test.get("effect_size"), 2),
            "How far matched similarity sits above mismatched pairs, in standard deviations.",
        ),
    ]
    method = (
        "Outputs are matched on the prompt. Word 5-gram containment and Jaccard (exact, MinHash with 128 "
        "permutations for large sets) and MiniLM embedding cosine measure similarity; a permutation test "
        "compares matched pairs with mismatched ones."
    )
    limits = [
        "Two models answering factual prompts correctly will agree; similarity is consistent with copying or "
        "distillation but is not proof of it.",
        "Paraphrase lowers n-gram overlap; the embedding cosine is there for it.",
    ]
    return stats, method, limits, []


SUMMARISERS: dict[str, Callable[[dict[str, Any]], tuple[list[Statistic], str, list[str], list[dict[str, Any]]]]] = {
    "weights.lineage": _weights,
    "logs.extraction": _logs,
    "text.watermark": _watermark,
    "text.similarity": _similarity,
}

CHARTS: dict[str, str] = {
    "weights.lineage": "forensics.weights.charting",
    "logs.extraction": "forensics.logs.charts",
    "text.watermark": "forensics.text.watermark",
    "text.similarity": "forensics.text.similarity",
}


def _headline(job: AnalysisJob, result: dict[str, Any]) -> tuple[str, str]:
    if job.kind == "logs.extraction":
        summary = result.get("summary") or {}
        flagged = summary.get("flagged_accounts", 0)
        verdict = (
            f"{flagged} account(s) show patterns consistent with model extraction"
            if flagged
            else "No account shows patterns of model extraction"
        )
        return verdict, "See each account's reasons and the linked clusters below."
    if job.kind == "text.watermark":
        return str(result.get("verdict") or ""), ""
    return str(result.get("verdict") or ""), str(result.get("verdict_reason") or "")


def build_report(job: AnalysisJob) -> Report:
    result = job.result or {}
    stats, method, limits, tables = SUMMARISERS[job.kind](result)
    verdict, reason = _headline(job, result)
    labels = {i.file_id: f"{i.file.exhibit.label} / {i.file.original_name}" for i in job.inputs.all()}
    inputs = []
    for item in job.inputs.all():
        recorded = next((r for r in result.get("inputs", []) if r.get("sha256") == item.file.sha256), None)
        inputs.append(
            {
                "role": item.role,
                "exhibit": labels[item.file_id],
                "sha256": item.file.sha256,
                "size": item.file.size,
                "verified_by_analysis": recorded is not None,
                "tier": item.file.exhibit.get_tier_display(),
            }
        )
    return Report(
        title=job.get_kind_display(),
        verdict=verdict,
        verdict_reason=reason,
        statistics=stats,
        method=method,
        limits=limits,
        chart_names=chart_names(job),
        inputs=inputs,
        parameters=result.get("parameters") or {},
        code_version=str(result.get("code_version") or job.code_version),
        started_at=str(result.get("started_at", "")),
        finished_at=str(result.get("finished_at", "")),
        duration_s=result.get("duration_s"),
        warnings=list(result.get("warnings") or []),
        tables=tables,
    )


def _cache_key(job: AnalysisJob) -> str:
    fingerprint = hashlib.sha256(f"{job.pk}:{job.finished_at}".encode()).hexdigest()[:16]
    return f"job-charts:{job.pk}:{fingerprint}"


def job_charts(job: AnalysisJob) -> dict[str, str]:
    """SVG charts drawn from the stored result (cached: matplotlib takes a moment per chart)."""
    if job.kind not in CHARTS or not job.result:
        return {}
    key = _cache_key(job)
    cached = cache.get(key)
    if cached is not None:
        return dict(cached)
    import importlib

    module = importlib.import_module(CHARTS[job.kind])
    try:
        charts = dict(module.charts(job.result))
    except Exception:
        logger.exception("charts failed for job %s", job.pk)
        charts = {}
    cache.set(key, charts, 24 * 3600)
    return charts


def chart_names(job: AnalysisJob) -> list[str]:
    return sorted(job_charts(job))
