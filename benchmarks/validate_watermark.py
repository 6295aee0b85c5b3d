"""Validation of text.watermark on seeded synthetic outputs: the numbers in docs/forensics/watermark.md.

Run:  .venv/bin/python -m benchmarks.validate_watermark            (full tables, a few minutes on 2 cores)
      .venv/bin/python -m benchmarks.validate_watermark --quick    (smaller counts, for a smoke test)

Every figure goes through the public `detect_watermark` on a JSONL file, exactly as a case would. Tables:
false alarms on unwatermarked text (per-document z > 4, window search, pooled), detection rate against the
number of generated tokens and δ, the effect of 10–50 % random token edits, and span-in-text detection.
Writes benchmarks/results/validate_watermark.json.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from forensics.text.watermark import detect_watermark
from forensics.text.watermark_fixtures import apply_edits, embed_span, generate_sequences, write_token_jsonl

RESULTS = Path(__file__).resolve().parent / "results" / "validate_watermark.json"


def upper95(failures: int, trials: int) -> float:
    """One-sided 95 % Clopper-Pearson upper bound of a rate (rule of three when nothing was seen)."""
    return float(stats.beta.ppf(0.95, failures + 1, trials - failures)) if trials else math.nan


def run(folder: Path, name: str, sequences: Any, key: int) -> dict[str, Any]:
    return detect_watermark(write_token_jsonl(folder / f"{name}.jsonl", sequences), key=key)


def false_alarms(folder: Path, keys: list[int], per_key: int, lengths: list[int], seed: int) -> list[dict[str, Any]]:
    rows = []
    for length in lengths:
        docs = flagged = windows = pooled = 0
        for index, key in enumerate(keys):
            sequences = generate_sequences(seed + 1000 * index + length, per_key, length, key=key, delta=0.0)
            result = run(folder, "null", sequences, key)
            docs += result["summary"]["scored_documents"]
            flagged += result["summary"]["flagged_documents"]
            windows += result["summary"]["window_flagged_documents"]
            pooled += bool(result["pooled"]["flagged"])
        rows.append(
            {
                "tokens": length,
                "sequences": docs,
                "keys": len(keys),
                "z_gt_4": flagged,
                "z_gt_4_rate_upper95": upper95(flagged, docs),
                "window_flagged": windows,
                "window_rate_upper95": upper95(windows, docs),
                "pooled_flagged_keys": pooled,
            }
        )
    return rows


def detection(folder: Path, key: int, n: int, lengths: list[int], deltas: list[float], seed: int) -> list[dict]:
    rows = []
    for delta in deltas:
        for length in lengths:
            sequences = generate_sequences(seed + int(delta * 100) + length, n, length, key=key, delta=delta)
            result = run(folder, "det", sequences, key)
            docs = result["documents"]
            rows.append(
                {
                    "delta": delta,
                    "tokens": length,
                    "mean_scored": float(np.mean([d["T"] for d in docs])),
                    "mean_z": float(np.mean([d["z"] for d in docs])),
                    "detection_rate": result["summary"]["flagged_documents"] / len(docs),
                }
            )
    return rows


def tokens_for_95(rows: list[dict[str, Any]], delta: float) -> int | None:
    hits = [row["tokens"] for row in rows if row["delta"] == delta and row["detection_rate"] >= 0.95]
    return min(hits) if hits else None


def edits(folder: Path, key: int, n: int, length: int, fractions: list[float], seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    base = generate_sequences(rng, n, length, key=key, delta=2.0)
    rows = []
    for fraction in fractions:
        edited = [apply_edits(rng, sequence, fraction) for sequence in base]
        result = run(folder, "edit", edited, key)
        docs = result["documents"]
        rows.append(
            {
                "edit_fraction": fraction,
                "tokens": length,
                "mean_z": float(np.mean([d["z"] for d in docs])),
                "detection_rate": result["summary"]["flagged_documents"] / len(docs),
                "pooled_z": result["pooled"]["z"],
            }
        )
    return rows


def spans(folder: Path, key: int, n: int, span_sizes: list[int], context: int, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    rows = []
    for span in span_sizes:
        documents, truths = [], []
        for _ in range(n):
            tokens, start, end = embed_span(rng, key=key, before=context, span=span, after=context)
            documents.append(tokens)
            truths.append((start, end))
        result = run(folder, "span", documents, key)
        window_hits = doc_hits = overlaps = 0
        for doc, (start, end) in zip(result["documents"], truths, strict=True):
            doc_hits += doc["flagged"]
            window = doc["window"]
            if window and window["flagged"]:
                window_hits += 1
                inter = max(0, min(end, window["end"]) - max(start, window["start"]))
                overlaps += inter / max(end - start, window["end"] - window["start"]) >= 0.5
        rows.append(
            {
                "span": span,
                "document_tokens": 2 * context + span,
                "whole_document_detection": doc_hits / n,
                "window_detection": window_hits / n,
                "window_located": overlaps / n,
            }
        )
    return rows


def markdown(title: str, rows: list[dict[str, Any]]) -> str:
    if not rows:
        return ""
    keys = list(rows[0])
    lines = [f"### {title}", "", "| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for row in rows:
        cells = [f"{row[k]:.3g}" if isinstance(row[k], float) else str(row[k]) for k in keys]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small counts (smoke test)")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    quick = args.quick
    key = 0x5EEDCAFEF00D1234
    keys = [key + 7919 * i for i in range(2 if quick else 5)]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="validate-watermark-") as tmp:
        folder = Path(tmp)
        report: dict[str, Any] = {
            "false_alarms": false_alarms(folder, keys, 200 if quick else 1000, [50, 200, 1000], args.seed),
            "detection": detection(
                folder,
                key,
                100 if quick else 500,
                [10, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 300],
                [0.5, 1.0, 2.0],
                args.seed,
            ),
            "edits": edits(folder, key, 100 if quick else 500, 200, [0.0, 0.1, 0.2, 0.3, 0.4, 0.5], args.seed),
            "spans": spans(folder, key, 30 if quick else 200, [50, 100, 200, 400], 1500, args.seed),
        }
    report["tokens_for_95pct_detection"] = {
        str(delta): tokens_for_95(report["detection"], delta) for delta in (0.5, 1.0, 2.0)
    }
    report["settings"] = {"quick": quick, "seed": args.seed, "gamma": 0.25, "z_threshold": 4.0, "vocab": 5000}
    report["seconds"] = round(time.perf_counter() - started, 1)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2))
    print(markdown("False alarms on unwatermarked text (z > 4)", report["false_alarms"]))
    print(markdown("Detection rate (z > 4) by generated tokens and δ", report["detection"]))
    print("Generated tokens needed for 95 % detection:", report["tokens_for_95pct_detection"], "\n")
    print(markdown("Random token edits (δ = 2)", report["edits"]))
    print(markdown("Watermarked span inside unwatermarked text (δ = 2)", report["spans"]))
    print(f"written {RESULTS} in {report['seconds']} s")


if __name__ == "__main__":
    main()
