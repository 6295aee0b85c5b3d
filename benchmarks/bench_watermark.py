"""Throughput of text.watermark (tokens/s) against baselines measured in the same run.

Run:  .venv/bin/python -m benchmarks.bench_watermark               (50 M tokens, the issue's target size)
      .venv/bin/python -m benchmarks.bench_watermark --quick       (1 M tokens)
      .venv/bin/python -m benchmarks.bench_watermark --tokens 5000000 --no-text

Generates a seeded outputs file (Zipf-distributed token ids over a 50 000-token vocabulary, documents of
100–1000 tokens, one in ten watermarked at δ = 2) under a temporary directory, then runs each contender in
its own subprocess so its wall time and peak RSS are its own:

* ``ours``        — ``detect_watermark`` on the token-id JSONL (full result: per-document, windows, pool);
* ``ours-text``   — the same outputs as text plus a word-level tokenizer.json (tokenization included);
* ``json-floor``  — only reading and parsing the JSONL into numpy arrays: the floor any detector pays;
* ``reference``   — the DESIGN §5 pure-Python reference (per-pair ``is_green`` with a set for repeats),
  the straightforward implementation a claimant might write.

Writes benchmarks/results/bench_watermark.json and deletes the generated files.
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results" / "bench_watermark.json"
KEY = 0x5EEDCAFEF00D1234
VOCAB = 50_000


# ---- input generation ------------------------------------------------------------------------------------


def generate(folder: Path, total_tokens: int, seed: int, with_text: bool) -> dict[str, Any]:
    from forensics.text.watermark_fixtures import build_tokenizer, generate_sequences, pseudo_words

    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, VOCAB + 1) ** 1.0
    cdf = np.cumsum(weights / weights.sum())
    words = pseudo_words(VOCAB) if with_text else []
    tokens_path, text_path = folder / "outputs.jsonl", folder / "outputs_text.jsonl"
    written = documents = 0
    with open(tokens_path, "w") as tokens_file, open(text_path if with_text else "/dev/null", "w") as text_file:
        while written < total_tokens:
            lengths = rng.integers(100, 1001, size=1000)
            flat = np.searchsorted(cdf, rng.random(int(lengths.sum())), side="right").clip(max=VOCAB - 1)
            sequences = np.split(flat, np.cumsum(lengths)[:-1])
            # A tenth of the documents carry the watermark (the toy model is slower, so only for those).
            marked = generate_sequences(rng, 100, 500, key=KEY, delta=2.0, vocab_size=VOCAB)
            sequences[::10] = list(marked)
            for sequence in sequences:
                if written >= total_tokens:
                    break
                tokens_file.write(json.dumps({"id": f"d{documents}", "tokens": sequence.tolist()}) + "\n")
                if with_text:
                    text = " ".join(words[t] for t in sequence.tolist())
                    text_file.write(json.dumps({"id": f"d{documents}", "text": text}) + "\n")
                written += len(sequence)
                documents += 1
    tokenizer = build_tokenizer(folder / "tokenizer.json", vocab_size=VOCAB) if with_text else None
    return {
        "tokens": written,
        "documents": documents,
        "tokens_file": str(tokens_path),
        "tokens_file_mb": tokens_path.stat().st_size / 1e6,
        "text_file": str(text_path) if with_text else None,
        "text_file_mb": text_path.stat().st_size / 1e6 if with_text else None,
        "tokenizer": str(tokenizer) if tokenizer else None,
    }


# ---- contenders (each runs in a child process) -------------------------------------------------------------


def run_ours(path: str, tokenizer: str | None) -> dict[str, Any]:
    from forensics.text.watermark import detect_watermark

    result = detect_watermark(path, key=KEY, tokenizer_path=tokenizer)
    return {
        "tokens": result["summary"]["tokens"],
        "flagged": result["summary"]["flagged_documents"],
        "pooled_T": result["pooled"]["T"],
    }


def run_json_floor(path: str) -> dict[str, Any]:
    tokens = 0
    with open(path, "rb") as handle:
        for line in handle:
            tokens += len(np.asarray(json.loads(line)["tokens"], dtype=np.int64))
    return {"tokens": tokens}


def run_reference(path: str) -> dict[str, Any]:
    """DESIGN §5 verbatim, per pair, repeats skipped with a set: the naive implementation."""

    def splitmix64(x: int) -> int:
        z = (x + 0x9E3779B97F4A7C15) % 2**64
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) % 2**64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) % 2**64
        return z ^ (z >> 31)

    def is_green(key: int, prev_token: int, token: int, gamma: float) -> bool:
        return splitmix64(key ^ ((prev_token * 0x9E3779B97F4A7C15) % 2**64) ^ token) < gamma * 2**64

    tokens = flagged = 0
    with open(path, "rb") as handle:
        for line in handle:
            sequence = json.loads(line)["tokens"]
            tokens += len(sequence)
            seen: set[tuple[int, int]] = set()
            scored = green = 0
            for prev, token in itertools.pairwise(sequence):
                if (prev, token) in seen:
                    continue
                seen.add((prev, token))
                scored += 1
                green += is_green(KEY, prev, token, 0.25)
            if scored and (green - 0.25 * scored) / (scored * 0.1875) ** 0.5 > 4:
                flagged += 1
    return {"tokens": tokens, "flagged": flagged}


def child(argv: list[str]) -> None:
    name, path = argv[0], argv[1]
    tokenizer = argv[2] if len(argv) > 2 else None
    started = time.perf_counter()
    if name == "ours":
        body = run_ours(path, tokenizer)
    elif name == "json-floor":
        body = run_json_floor(path)
    else:
        body = run_reference(path)
    body["seconds"] = time.perf_counter() - started
    body["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(body))


def measure(name: str, label: str, path: str, tokenizer: str | None = None) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.bench_watermark", "--child", name, path]
    if tokenizer:
        command.append(tokenizer)
    completed = subprocess.run(command, capture_output=True, text=True, check=True)
    body = json.loads(completed.stdout.strip().splitlines()[-1])
    body["contender"] = label
    body["tokens_per_s"] = body["tokens"] / body["seconds"]
    return body


# ---- main ----------------------------------------------------------------------------------------------------


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=50_000_000, help="tokens to generate (default 50 M)")
    parser.add_argument("--quick", action="store_true", help="1 M tokens")
    parser.add_argument("--no-text", action="store_true", help="skip the text + tokenizer contender")
    parser.add_argument("--no-reference", action="store_true", help="skip the slow pure-Python reference")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    total = 1_000_000 if args.quick else args.tokens
    with tempfile.TemporaryDirectory(prefix="bench-watermark-", dir=None) as tmp:
        t0 = time.perf_counter()
        data = generate(Path(tmp), total, args.seed, with_text=not args.no_text)
        print(
            f"generated {data['tokens']:,} tokens in {data['documents']:,} documents "
            f"({data['tokens_file_mb']:.0f} MB) in {time.perf_counter() - t0:.0f} s",
            flush=True,
        )
        rows = [measure("ours", "ours (token ids)", data["tokens_file"])]
        if data["text_file"]:
            rows.append(measure("ours", "ours (text + tokenizer.json)", data["text_file"], data["tokenizer"]))
        rows.append(measure("json-floor", "json parse only (floor)", data["tokens_file"]))
        if not args.no_reference:
            rows.append(measure("reference", "pure-Python reference", data["tokens_file"]))
    ours = rows[0]
    for row in rows:
        row["time_vs_ours"] = row["seconds"] / ours["seconds"]
    print(f"\n{'contender':32} {'seconds':>9} {'M tokens/s':>11} {'peak RSS MB':>12} {'time / ours':>12}")
    for row in rows:
        print(
            f"{row['contender']:32} {row['seconds']:9.1f} {row['tokens_per_s'] / 1e6:11.2f} "
            f"{row['peak_rss_mb']:12.0f} {row['time_vs_ours']:12.2f}"
        )
    data = {k: v for k, v in data.items() if not k.endswith(("_file", "tokenizer"))}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"input": data, "results": rows}, indent=2))
    print(f"\nwritten {RESULTS}")


if __name__ == "__main__":
    main()
