"""PRADA (Juuti et al., arXiv:1805.02628): is an account's stream of queries shaped like natural traffic?

For each query, the minimum distance to that account's earlier queries is recorded; benign queries give a
roughly normal set of distances, synthetic extraction queries (small perturbations of seed inputs) give a
distorted one. The Shapiro-Wilk W of the distance set measures that: an alarm is raised when W < delta.

Simplification, stated in the report: the paper keeps per-class growing sets and adds a query to the set only
when its distance exceeds a running threshold; an API log has no classes, so one growing set per account is
used and every query's minimum distance enters the distance set. Distances are over hashed character n-gram
vectors of the prompts, computed on a bounded sample per account (see ``aggregate.scan_samples``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import sparse, stats

FALSE_ALARM_TARGET = 0.001
DEFAULT_DELTA = 0.90  # used only when too few benign accounts exist to calibrate (stated in the report)
MIN_CALIBRATION_ACCOUNTS = 20
Z_TARGET = 3.090232  # one-sided normal quantile of 0.1 %


def min_distances(vectors: np.ndarray) -> np.ndarray:
    """Distance from each query (rows in time order, L2-normalised) to its nearest earlier query."""
    count = vectors.shape[0]
    if count < 2:
        return np.zeros(0)
    # Sparse product: prompt vectors have ~100 non-zeros, and dense BLAS threads stall on a shared CPU.
    matrix = sparse.csr_matrix(vectors.astype(np.float64))
    gram = (matrix @ matrix.T).toarray()
    dist = np.sqrt(np.clip(2.0 - 2.0 * gram, 0.0, None))
    dist[np.triu_indices(count)] = np.inf
    return dist[1:].min(axis=1)


def shapiro_w(distances: np.ndarray) -> float | None:
    """Shapiro-Wilk W of the distance set; None when it is undefined (fewer than 3 values, or all equal)."""
    if distances.size < 3 or float(np.ptp(distances)) == 0.0:
        return 0.0 if distances.size >= 3 else None  # all-identical distances are as non-normal as it gets
    w = float(stats.shapiro(distances).statistic)
    return w if math.isfinite(w) else None


def calibrate(
    benign_w: list[float], *, source: str, use_empirical: bool, fallback: float = DEFAULT_DELTA
) -> dict[str, Any]:
    """Pick delta so that about 0.1 % of benign accounts fall below it.

    W is left-skewed, so the tail is fitted on Royston's transform y = ln(1 - W), which is close to normal:
    delta = 1 - exp(median(y) + 3.09 x MAD-sigma(y)). Median and MAD ignore a minority of attackers, which is
    what lets the log calibrate on its own accounts. With a benign reference log, the empirical 0.1 % quantile
    (the minimum for fewer than 1000 accounts) is also applied and the lower of the two kept. The achieved
    false-alarm rate on the calibration accounts is reported with their number, so a reader sees how well the
    0.1 % is pinned down (with n accounts, no rate below 1/n can be observed).
    """
    values = np.array(sorted(w for w in benign_w if w is not None), dtype=np.float64)
    if values.size < MIN_CALIBRATION_ACCOUNTS:
        return {
            "delta": fallback,
            "method": "default",
            "source": source,
            "accounts": int(values.size),
            "false_alarm_rate": None,
            "target_false_alarm_rate": FALSE_ALARM_TARGET,
            "note": f"fewer than {MIN_CALIBRATION_ACCOUNTS} accounts with enough queries to calibrate; "
            f"default delta {fallback} used",
        }
    y = np.log(np.clip(1.0 - values, 1e-12, None))
    median = float(np.median(y))
    sigma = 1.4826 * float(np.median(np.abs(y - median)))
    delta = 1.0 - float(np.exp(median + Z_TARGET * sigma))
    method = "Royston ln(1-W), median + 3.09 MAD-sigma"
    if use_empirical:
        delta = min(delta, float(np.quantile(values, FALSE_ALARM_TARGET, method="lower")))
        method += ", capped by the empirical 0.1% quantile"
    return {
        "delta": round(delta, 6),
        "method": method,
        "source": source,
        "accounts": int(values.size),
        "median_w": round(float(np.median(values)), 6),
        # Without a benign reference the calibration accounts may include attackers, so the share below delta
        # is not a false-alarm rate; it is reported under its own name.
        "false_alarm_rate": float(np.mean(values < delta)) if use_empirical else None,
        "share_below_delta": float(np.mean(values < delta)),
        "target_false_alarm_rate": FALSE_ALARM_TARGET,
    }
