"""Turn one account's aggregates and prompt sample into the plain features of the report."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from forensics.logs import prada, textsig
from forensics.logs.aggregate import AccountRows


def account_features(rows: AccountRows) -> dict[str, Any]:
    """Volume, span, rates, dispersion, distinct prompts, tokens and parameter shares of one account."""
    s = rows.stats
    requests = int(s["requests"])
    span_s = max(0.0, float(s["last_ts"]) - float(s["first_ts"]))
    # Index of dispersion of per-minute counts over the active span (zero minutes included): 1 for a Poisson
    # stream, well above 1 for bursty traffic, below 1 for a metronome-like script.
    minutes = max(1.0, math.floor(span_s / 60.0) + 1.0)
    mean = requests / minutes
    var = max(0.0, float(s["sum_sq_minute"]) / minutes - mean * mean)
    return {
        "requests": requests,
        "active_span_hours": round(span_s / 3600.0, 3),
        "first_seen": float(s["first_ts"]),
        "last_seen": float(s["last_ts"]),
        "peak_per_minute": int(s["peak_per_minute"]),
        "peak_per_day": int(s["peak_per_day"]),
        "active_minutes": int(s["active_minutes"]),
        "dispersion_per_minute": round(var / mean, 4) if mean > 0 else None,
        "distinct_prompts": rows.distinct_prompts,
        "distinct_prompt_ratio": round(rows.distinct_prompts / requests, 4) if requests else None,
        "prompt_tokens": int(s["prompt_tokens"]),
        "completion_tokens": int(s["completion_tokens"]),
        "logprobs_share": round(int(s["logprobs_requests"]) / requests, 4) if requests else 0.0,
        "logit_bias_share": round(int(s["logit_bias_requests"]) / requests, 4) if requests else 0.0,
        "distinct_ips": rows.distinct_ips,
        "distinct_user_agents": len(rows.user_agents),
    }


def sample_features(rows: AccountRows, *, prada_min_queries: int) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """Template share, topic spread and PRADA W from the account's bounded sample; also its template keys."""
    return all_sample_features({"_": rows}, prada_min_queries=prada_min_queries)["_"]


def all_sample_features(
    accounts: dict[str, AccountRows], *, prada_min_queries: int, chunk_prompts: int = 4096
) -> dict[str, tuple[dict[str, Any], dict[str, Any], list[str]]]:
    """:func:`sample_features` of many accounts, hashing their prompts together in chunks.

    Signatures are row-wise, so hashing a chunk of accounts at once gives each account exactly its own vectors;
    the chunk bound keeps the (prompts x 1024) float32 matrix at a few MB however many accounts are sampled.
    """
    out: dict[str, tuple[dict[str, Any], dict[str, Any], list[str]]] = {}
    batch: list[tuple[str, list[str]]] = []
    size = 0
    for account_id, rows in accounts.items():
        prompts = [prompt for _, prompt in rows.sample if prompt]
        batch.append((account_id, prompts))
        size += len(prompts)
        if size >= chunk_prompts:
            _signature_batch(batch, prada_min_queries, out)
            batch, size = [], 0
    _signature_batch(batch, prada_min_queries, out)
    return out


def _signature_batch(
    batch: list[tuple[str, list[str]]],
    prada_min_queries: int,
    out: dict[str, tuple[dict[str, Any], dict[str, Any], list[str]]],
) -> None:
    flat = [prompt for _, prompts in batch for prompt in prompts]
    vectors = textsig.ngram_vectors(flat)
    keys = textsig.band_keys(textsig.minhash(flat))
    start = 0
    for account_id, prompts in batch:
        stop = start + len(prompts)
        out[account_id] = _one_account(prompts, vectors[start:stop], keys[start:stop], prada_min_queries)
        start = stop


def _one_account(
    prompts: list[str], vectors: np.ndarray, keys: np.ndarray, prada_min_queries: int
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    features: dict[str, Any] = {"sampled_prompts": len(prompts)}
    prada_out: dict[str, Any] = {"queries": len(prompts), "w": None, "alarm": False}
    if not prompts:
        features.update(template_share=None, topic_entropy=None)
        prada_out["note"] = "no prompt text (prompt_sha256 only): PRADA and templates need the prompts"
        return features, prada_out, []
    share, templates = textsig.template_stats(keys)
    entropy = textsig.topic_entropy(vectors)
    features["template_share"] = round(share, 4)
    features["topic_entropy"] = None if entropy is None else round(entropy, 4)
    if len(prompts) >= prada_min_queries:
        distances = prada.min_distances(vectors)
        w = prada.shapiro_w(distances)
        prada_out["w"] = None if w is None else round(w, 6)
        prada_out["median_min_distance"] = round(float(np.median(distances)), 6)
    else:
        prada_out["note"] = f"fewer than {prada_min_queries} sampled queries: W not computed"
    return features, prada_out, templates
