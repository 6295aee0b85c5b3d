"""Validation of text.similarity on seeded fixtures: the numbers in docs/forensics/similarity.md.

Run:  .venv/bin/python -m benchmarks.validate_similarity            (30 seeds, ~25 minutes on 2 busy cores)
      .venv/bin/python -m benchmarks.validate_similarity --quick    (6 seeds, smoke test)

Every verdict goes through the public `compare_outputs` on JSONL files, exactly as a case would. Tables:
1. verdict rates per scenario (copied, paraphrased, partial, unrelated, off_prompt) and number of prompts, with
   embeddings and with n-grams only;
2. the permutation p-value under a true null (off-prompt fixtures; and 2 000 synthetic null runs);
3. MinHash (128 permutations) against exact Jaccard on fixture pairs;
4. encoder throughput (sentences/s, word pieces/s), cache cleared;
5. scale: wall time and peak RSS (VmHWM, measured in a child process) of whole runs on larger generated sets.
Writes benchmarks/results/validate_similarity.json and prints Markdown tables.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from forensics.common import CONSISTENT, INCONCLUSIVE, NO_EVIDENCE
from forensics.text import similarity_fixtures as fx
from forensics.text.minilm import load_model
from forensics.text.similarity import (
    THRESHOLDS,
    MinHasher,
    compare_outputs,
    jaccard_exact,
    ngram_hashes,
    permutation_test,
)

RESULTS = Path(__file__).resolve().parent / "results" / "validate_similarity.json"
SHORT = {CONSISTENT: "consistent", INCONCLUSIVE: "inconclusive", NO_EVIDENCE: "no_evidence"}


def interval95(k: int, n: int) -> tuple[float, float]:
    """Two-sided 95 % Clopper-Pearson interval of a rate."""
    lo = float(stats.beta.ppf(0.025, k, n - k + 1)) if k > 0 else 0.0
    hi = float(stats.beta.ppf(0.975, k + 1, n - k)) if k < n else 1.0
    return lo, hi


def _mean(values: list[float | None]) -> float | None:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.mean(finite)) if finite else None


def verdict_table(
    folder: Path, seeds: list[int], prompts: list[int], use_embeddings: bool, permutations: int
) -> tuple[list[dict[str, Any]], dict[str, list[float]]]:
    rows: list[dict[str, Any]] = []
    null_p: dict[str, list[float]] = {"ngram": [], "embedding": []}
    for n in prompts:
        for name in fx.SCENARIOS:
            counts: Counter[str] = Counter()
            cmax: list[float | None] = []
            cos: list[float | None] = []
            p_emb: list[float | None] = []
            p_ng: list[float | None] = []
            d: list[float | None] = []
            started = time.perf_counter()
            for seed in seeds:
                a, b = fx.scenario(name, n, seed)
                pa = fx.write_jsonl(folder / "a.jsonl", a)
                pb = fx.write_jsonl(folder / "b.jsonl", b)
                r = compare_outputs(pa, pb, seed=seed, use_embeddings=use_embeddings, permutations=permutations)
                counts[SHORT[r["verdict"]]] += 1
                cmax.append(r["metrics"]["containment_max"]["mean"])
                cos.append((r["metrics"]["embedding_cosine"] or {}).get("median"))
                tests = r["permutation_tests"]
                p_ng.append(tests.get("ngram", {}).get("p_value"))
                p_emb.append(tests.get("embedding", {}).get("p_value"))
                d.append((r["permutation_test"] or {}).get("effect_size"))
                if name == "off_prompt":
                    for metric in null_p:
                        if metric in tests and tests[metric]["p_value"] is not None:
                            null_p[metric].append(tests[metric]["p_value"])
            total = len(seeds)
            lo, hi = interval95(counts["consistent"], total)
            rows.append(
                {
                    "prompts": n,
                    "scenario": name,
                    "runs": total,
                    **{k: counts[k] for k in SHORT.values()},
                    "consistent_rate": counts["consistent"] / total,
                    "consistent_ci95": [lo, hi],
                    "mean_containment_max": _mean(cmax),
                    "mean_median_cosine": _mean(cos),
                    "median_p_embedding": float(np.median([p for p in p_emb if p is not None]))
                    if any(p is not None for p in p_emb)
                    else None,
                    "median_p_ngram": float(np.median([p for p in p_ng if p is not None]))
                    if any(p is not None for p in p_ng)
                    else None,
                    "mean_effect_size": _mean(d),
                    "seconds": round(time.perf_counter() - started, 1),
                }
            )
            print(f"  {n:3d} prompts {name:12s} {dict(counts)}  ({rows[-1]['seconds']} s)", flush=True)
    return rows, null_p


def synthetic_null(runs: int, seed: int) -> dict[str, Any]:
    """p-values of the permutation test when the pairing carries no information (continuous scores)."""
    rng = np.random.default_rng(seed)
    p = []
    for _ in range(runs):
        a, b = rng.normal(size=(30, 16)), rng.normal(size=(30, 16))
        p.append(permutation_test(lambda perm, a=a, b=b: np.einsum("ij,ij->i", a, b[perm]), 30, 199, rng)["p_value"])
    return p_summary(p)


def p_summary(p_values: list[float]) -> dict[str, Any]:
    p = np.asarray(p_values, dtype=float)
    if not p.size:
        return {"runs": 0}
    return {
        "runs": int(p.size),
        "share_p_le_0.01": float(np.mean(p <= 0.01)),
        "share_p_le_0.05": float(np.mean(p <= 0.05)),
        "share_p_le_0.5": float(np.mean(p <= 0.5)),
        "ks_uniform_pvalue": float(stats.kstest(p, "uniform").pvalue),
    }


def minhash_accuracy(seeds: list[int]) -> dict[str, Any]:
    hasher = MinHasher(128, seed=0)
    errors, exact_values = [], []
    for seed in seeds:
        claimant = fx.claimant_set(40, seed)
        for name in ("paraphrased", "partial", "unrelated", "copied"):
            for ra, rb in zip(claimant, fx.SCENARIOS[name](claimant, seed), strict=True):
                a, b = ngram_hashes(ra["output"]), ngram_hashes(rb["output"])
                if not a.size or not b.size:
                    continue
                _, exact = jaccard_exact(a, b)
                estimate = float(np.mean(hasher.signature(a) == hasher.signature(b)))
                errors.append(estimate - exact)
                exact_values.append(exact)
    e = np.asarray(errors)
    mid = (np.asarray(exact_values) > 0.05) & (np.asarray(exact_values) < 0.95)
    return {
        "pairs": int(e.size),
        "bias": float(e.mean()),
        "rmse": float(np.sqrt(np.mean(e**2))),
        "max_abs_error": float(np.abs(e).max()),
        "rmse_when_0.05<J<0.95": float(np.sqrt(np.mean(e[mid] ** 2))) if mid.any() else None,
        "theory_sd_max": float(math.sqrt(0.25 / 128)),
    }


def encoder_throughput(count: int) -> list[dict[str, Any]]:
    model = load_model()
    rows = []
    long_texts = [r["output"] for seed in range(100, 100 + count // 40 + 1) for r in fx.claimant_set(40, seed)][:count]
    short_texts = [f"Sentence number {i} says something short about topic {i % 17}." for i in range(count)]
    for label, texts in (("fixture outputs (4-6 sentences)", long_texts), ("short sentences", short_texts)):
        pieces = sum(len(ids) for ids in model.token_ids(texts))
        model.clear_cache()
        load_before = os.getloadavg()[0]
        started, cpu_started = time.perf_counter(), time.process_time()
        model.encode(texts)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        # Wall-clock throughput depends on what else runs on the machine; CPU time (all BLAS threads) does not.
        rows.append(
            {
                "texts": label,
                "count": len(texts),
                "mean_word_pieces": pieces / len(texts),
                "sentences_per_s": len(texts) / seconds,
                "word_pieces_per_s": pieces / seconds,
                "sentences_per_cpu_s": len(texts) / cpu,
                "cpu_count": os.cpu_count(),
                "load_average_1min_before": load_before,
            }
        )
    model.clear_cache()
    return rows


def scale_child(prompts: int, use_embeddings: bool, folder: str) -> None:
    """Child process: generate the sets, run one comparison, print wall time and peak RSS as JSON."""
    a = fx.claimant_set(prompts, seed=7)
    b = fx.paraphrased_set(a, seed=7)
    pa, pb = fx.write_jsonl(Path(folder) / "a.jsonl", a), fx.write_jsonl(Path(folder) / "b.jsonl", b)
    del a, b
    rss_before = _vm("VmRSS")
    started = time.perf_counter()
    result = compare_outputs(pa, pb, use_embeddings=use_embeddings)
    print(
        json.dumps(
            {
                "prompts": prompts,
                "use_embeddings": use_embeddings,
                "input_mb_each": round(pa.stat().st_size / 1e6, 1),
                "seconds": round(time.perf_counter() - started, 1),
                "rss_before_mb": rss_before,
                "peak_rss_mb": _vm("VmHWM"),
                "verdict": result["verdict"],
                "ngram_method": result["metrics"]["ngram_method"],
            }
        )
    )


def _vm(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return math.nan


def scale_runs(cases: list[tuple[int, bool]]) -> list[dict[str, Any]]:
    rows = []
    for prompts, use_embeddings in cases:
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.validate_similarity",
                    "--scale-child",
                    str(prompts),
                    "--scale-embeddings",
                    str(int(use_embeddings)),
                    "--scale-dir",
                    tmp,
                ],
                check=True,
                capture_output=True,
                text=True,
            )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(f"  scale {rows[-1]}", flush=True)
    return rows


def markdown(result: dict[str, Any]) -> str:
    out = []
    for mode in ("with_embeddings", "ngram_only"):
        out.append(f"\n### Verdicts, {mode.replace('_', ' ')} ({result['seeds']} seeds per row)\n")
        out.append(
            "| prompts | scenario | consistent | inconclusive | no evidence | consistent rate (95 % CI) "
            "| mean containment | mean median cosine | median p (emb / n-gram) |"
        )
        out.append("|---|---|---|---|---|---|---|---|---|")
        for r in result[mode]:
            lo, hi = r["consistent_ci95"]
            cos = "–" if r["mean_median_cosine"] is None else f"{r['mean_median_cosine']:.3f}"
            pe = "–" if r["median_p_embedding"] is None else f"{r['median_p_embedding']:.3g}"
            out.append(
                f"| {r['prompts']} | {r['scenario']} | {r['consistent']} | {r['inconclusive']} | "
                f"{r['no_evidence']} | {r['consistent_rate']:.2f} ({lo:.2f}–{hi:.2f}) | "
                f"{r['mean_containment_max']:.3f} | {cos} | {pe} / {r['median_p_ngram']:.3g} |"
            )
    out.append("\n### Permutation p-values under a true null\n")
    out.append("| source | runs | share p ≤ 0.01 | share p ≤ 0.05 | share p ≤ 0.5 | KS p (uniform) |")
    out.append("|---|---|---|---|---|---|")
    for label, s in result["null_p_values"].items():
        if s.get("runs"):
            out.append(
                f"| {label} | {s['runs']} | {s['share_p_le_0.01']:.3f} | {s['share_p_le_0.05']:.3f} | "
                f"{s['share_p_le_0.5']:.3f} | {s['ks_uniform_pvalue']:.3f} |"
            )
    m = result["minhash"]
    out.append(
        f"\nMinHash vs exact Jaccard: {m['pairs']} pairs, bias {m['bias']:+.4f}, RMSE {m['rmse']:.4f}, "
        f"max |error| {m['max_abs_error']:.3f} (theory: sd ≤ {m['theory_sd_max']:.3f}).\n"
    )
    out.append(
        "| encoder input | texts | mean word pieces | sentences/s (wall) | word pieces/s (wall) "
        "| sentences per CPU-second | load average before |"
    )
    out.append("|---|---|---|---|---|---|---|")
    for r in result["encoder"]:
        out.append(
            f"| {r['texts']} | {r['count']} | {r['mean_word_pieces']:.0f} | {r['sentences_per_s']:.1f} | "
            f"{r['word_pieces_per_s']:.0f} | {r['sentences_per_cpu_s']:.1f} | "
            f"{r['load_average_1min_before']:.1f} |"
        )
    out.append(
        "\n| prompts | embeddings | input per file (MB) | n-gram method | wall (s) | peak RSS (MB) "
        "| RSS before run (MB) |"
    )
    out.append("|---|---|---|---|---|---|---|")
    for r in result["scale"]:
        out.append(
            f"| {r['prompts']} | {'yes' if r['use_embeddings'] else 'no'} | {r['input_mb_each']} | "
            f"{r['ngram_method']} | {r['seconds']} | {r['peak_rss_mb']} | {r['rss_before_mb']} |"
        )
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="6 seeds, fewer null runs")
    parser.add_argument("--seeds", type=int, default=None, help="seeds per scenario (default 30, quick 6)")
    parser.add_argument("--permutations", type=int, default=999)
    parser.add_argument("--scale-child", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--scale-embeddings", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--scale-dir", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scale_child:
        scale_child(args.scale_child, bool(args.scale_embeddings), args.scale_dir)
        return
    n_seeds = args.seeds or (6 if args.quick else 30)
    seeds = list(range(n_seeds))
    prompts = [40] if args.quick else [10, 20, 40]
    started = time.perf_counter()
    load_model()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print("verdicts with embeddings", flush=True)
        with_emb, null_emb = verdict_table(folder, seeds, prompts, True, args.permutations)
        print("verdicts with n-grams only", flush=True)
        ngram_only, null_ng = verdict_table(folder, seeds, prompts, False, args.permutations)
    result = {
        "command": "python -m benchmarks.validate_similarity" + (" --quick" if args.quick else ""),
        "seeds": n_seeds,
        "permutations": args.permutations,
        "thresholds": THRESHOLDS,
        "with_embeddings": with_emb,
        "ngram_only": ngram_only,
        "null_p_values": {
            "off-prompt fixtures, embedding test": p_summary(null_emb["embedding"]),
            "off-prompt fixtures, n-gram test": p_summary(null_ng["ngram"]),
            "synthetic Gaussian scores": synthetic_null(300 if args.quick else 2000, seed=1),
        },
        "minhash": minhash_accuracy(seeds[:10]),
        "encoder": encoder_throughput(80 if args.quick else 400),
        "scale": scale_runs(
            [(2_000, False), (1_000, True)] if args.quick else [(20_000, False), (100_000, False), (500, True)]
        ),
        "seconds": round(time.perf_counter() - started, 1),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    print(markdown(result))
    print(f"\nwrote {RESULTS} in {result['seconds']} s")


if __name__ == "__main__":
    main()
