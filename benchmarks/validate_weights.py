"""Validation table for weights.lineage: verdict rates over many seeds for every fixture relation.

    .venv/bin/python -m benchmarks.validate_weights [--seeds 50] [--minilm-seeds 5]

Prints a Markdown table (pasted into docs/forensics/weights.md) and writes benchmarks/results/validate_weights.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

from forensics.common import CONSISTENT, INCONCLUSIVE, NO_EVIDENCE
from forensics.weights import compare_weights
from forensics.weights import fixtures as fx

Weights = dict[str, np.ndarray]

# Relation name -> (expected verdict, how to derive model B from base A and the seed).
CASES: dict[str, tuple[str, Callable[[Weights, int], Weights]]] = {
    "fine-tune, noise 0.01": (CONSISTENT, lambda w, s: fx.fine_tune(w, 0.01, s + 1)),
    "fine-tune, noise 0.1": (CONSISTENT, lambda w, s: fx.fine_tune(w, 0.1, s + 1)),
    "fine-tune, noise 0.3": (CONSISTENT, lambda w, s: fx.fine_tune(w, 0.3, s + 1)),
    "fine-tune, noise 1.0": (CONSISTENT, lambda w, s: fx.fine_tune(w, 1.0, s + 1)),
    "fine-tune, noise 3.0": (CONSISTENT, lambda w, s: fx.fine_tune(w, 3.0, s + 1)),
    "permuted + sign-flipped": (CONSISTENT, lambda w, s: fx.permute_hidden(w, s + 2)),
    "permuted + fine-tune 0.1": (CONSISTENT, lambda w, s: fx.permute_hidden(fx.fine_tune(w, 0.1, s + 1), s + 2)),
    "depth-pruned (6 → 4 layers)": (CONSISTENT, lambda w, s: fx.depth_pruned(w, {2, 4})),
    "independent (same recipe)": (NO_EVIDENCE, lambda w, s: fx.tiny_llama(10_000 + s)),
    "independent, pruned (6 vs 4)": (NO_EVIDENCE, lambda w, s: fx.depth_pruned(fx.tiny_llama(20_000 + s), {1, 3})),
}
BF16 = "BF16 recast"


def run(seeds: int, minilm_seeds: int) -> dict[str, dict]:
    rows: dict[str, dict] = {}
    raw: dict[str, list[dict]] = {name: [] for name in [*CASES, BF16]}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for seed in range(seeds):
            base = fx.tiny_llama(seed)
            path_a = fx.write_model(base, folder / "a.safetensors")
            jobs = [(name, make(base, seed), "F32") for name, (_, make) in CASES.items()] + [(BF16, base, "BF16")]
            for name, weights, dtype in jobs:
                path_b = fx.write_model(weights, folder / "b.safetensors", dtype=dtype)
                raw[name].append(_summary(compare_weights(path_a, path_b, seed=seed)))
        if minilm_seeds:
            raw["all-MiniLM-L6-v2 vs permuted copy"] = []
            for seed in range(minilm_seeds):
                path_b = fx.write_minilm_permuted(folder / "minilm.safetensors", seed)
                raw["all-MiniLM-L6-v2 vs permuted copy"].append(_summary(compare_weights(fx.minilm_path(), path_b)))
    expected = {name: verdict for name, (verdict, _) in CASES.items()} | {
        BF16: CONSISTENT,
        "all-MiniLM-L6-v2 vs permuted copy": CONSISTENT,
    }
    for name, results in raw.items():
        verdicts = Counter(r["verdict"] for r in results)
        rows[name] = {
            "runs": len(results),
            "expected": expected[name],
            "rate_expected": verdicts[expected[name]] / len(results),
            "consistent": verdicts[CONSISTENT] / len(results),
            "inconclusive": verdicts[INCONCLUSIVE] / len(results),
            "no_evidence": verdicts[NO_EVIDENCE] / len(results),
            "score_median": statistics.median(r["score"] for r in results),
            "score_max": max(r["score"] for r in results),
            "z_decision_median": statistics.median(r["z_decision"] for r in results),
            "z_decision_max": max(r["z_decision"] for r in results),
            "published_abs_z_ge_3": sum(r["z"] >= 3 for r in results) / len(results),
            "pcs_median": statistics.median(r["pcs"] for r in results),
        }
    return rows


def _summary(result: dict) -> dict:
    robust = result["robust"]
    return {
        "verdict": result["verdict"],
        "score": robust["score"],
        "z": robust["z"],
        "z_decision": robust["z_decision"],
        "pcs": result["pcs"],
    }


def table(rows: dict[str, dict]) -> str:
    lines = [
        "| relation (model B vs base A) | runs | expected | consistent | inconclusive | no evidence | "
        "median score | median z (verdict) | max z (verdict) | published \\|z\\| ≥ 3 | median PCS |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        lines.append(
            f"| {name} | {r['runs']} | {r['expected']} | {r['consistent']:.0%} | {r['inconclusive']:.0%} | "
            f"{r['no_evidence']:.0%} | {r['score_median']:.4f} | {r['z_decision_median']:.1f} | "
            f"{r['z_decision_max']:.1f} | {r['published_abs_z_ge_3']:.0%} | {r['pcs_median']:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--minilm-seeds", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    rows = run(args.seeds, args.minilm_seeds)
    print(table(rows))
    print(f"\n{time.perf_counter() - started:.0f} s")
    out = Path(__file__).parent / "results" / "validate_weights.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"seeds": args.seeds, "minilm_seeds": args.minilm_seeds, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
