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
    prompts = [prompt for _, prompt in rows.sample if prompt]
    features: dict[str, Any] = {"sampled_prompts": len(prompts)}
    prada_out: dict[str, Any] = {"queries": len(prompts), "w": None, "alarm": False}
    if not prompts:
        features.update(template_share=None, topic_entropy=None)
        prada_out["note"] = "no prompt text (prompt_sha256 only): PRADA and templates need the prompts"
        return features, prada_out, []
    vectors = textsig.ngram_vectors(prompts)
    keys = textsig.band_keys(textsig.minhash(prompts))
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
