"""Seeded synthetic API logs with known attackers, written as JSONL, CSV or Parquet (for tests and validation).

Cast (``volume_threshold`` 5000 in tests):
- ``user-NNN``: benign users, mixed topics, tens to ~150 requests over a week;
- ``perturb-1``: perturbation-style extractor, 1500 small edits of 12 seed prompts (PRADA should fire);
- ``natural-1``: natural-data extractor, 6000 templated natural questions (PRADA misses; volume + template catch it);
- ``multi-1..6``: one operator behind six accounts of 900 requests, sharing a /24, a user agent and a template;
- ``sweeper-1``: logit-bias sweeper, 800 one-token probes with logit_bias and top_logprobs.
"""

from __future__ import annotations

import csv
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

FIELDS = (
    "timestamp",
    "account_id",
    "request_id",
    "api_key_id",
    "ip",
    "user_agent",
    "model",
    "prompt",
    "prompt_tokens",
    "completion_tokens",
    "top_logprobs",
    "logit_bias",
    "status",
)
START = datetime(2025, 3, 3, tzinfo=UTC).timestamp()
_SYLLABLES = ["ka", "lo", "mi", "ren", "tu", "sa", "vel", "dor", "pi", "qua", "zen", "fo", "bri", "nat", "ul", "est"]
_STEMS = [
    "how do I",
    "what is the best way to",
    "explain why",
    "can you help me",
    "write a short note about",
    "compare",
    "summarise",
    "give me ideas for",
    "what happens when",
    "fix my code that",
]
NATURAL_TEMPLATE = (
    "You are a helpful assistant. Answer the following question in exactly three sentences, plainly, "
    "and cite no sources. Question:"
)
MULTI_TEMPLATE = "Translate the following sentence into French, then rate its formality from one to ten. Sentence:"


def _vocabulary(rng: np.random.Generator, size: int = 3000) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES, size=int(rng.integers(2, 5)))))
    ordered = sorted(words)
    rng.shuffle(ordered)  # word rank must not follow spelling, or frequent words would all look alike
    return ordered


def _sentence(rng: np.random.Generator, vocab: list[str], low: int, high: int) -> str:
    # Zipf-Mandelbrot word frequencies (p ~ 1 / (rank + 10)): common words recur as in natural text.
    weights = 1.0 / (np.arange(len(vocab)) + 10.0)
    ranks = rng.choice(len(vocab), size=int(rng.integers(low, high)), p=weights / weights.sum())
    return " ".join(vocab[int(rank)] for rank in ranks)


def _perturb(rng: np.random.Generator, text: str, vocab: list[str]) -> str:
    """A small synthetic edit of a seed: one character or one word changed (as in Jacobian/FGSM-style queries)."""
    words = text.split()
    pos = int(rng.integers(0, len(words)))
    if rng.random() < 0.5:
        words[pos] = vocab[int(rng.integers(0, len(vocab)))]
    else:
        chars = list(words[pos])
        chars[int(rng.integers(0, len(chars)))] = _SYLLABLES[int(rng.integers(0, len(_SYLLABLES)))][0]
        words[pos] = "".join(chars)
    return " ".join(words)


def _times(rng: np.random.Generator, count: int, start: float, days: float) -> np.ndarray:
    # Millisecond resolution, so that JSONL (ISO), CSV (epoch text) and Parquet (TIMESTAMP) hold the same instants.
    return np.sort(np.round((start + rng.uniform(0, days * 86400.0, size=count)) * 1000.0) / 1000.0)


def _row(ts: float, account: str, ip: str, agent: str, prompt: str, rng: np.random.Generator, **extra: Any) -> dict:
    row = {
        "timestamp": ts,
        "account_id": account,
        "api_key_id": "key-" + account,
        "ip": ip,
        "user_agent": agent,
        "model": "claimant-model-1",
        "prompt": prompt,
        "prompt_tokens": len(prompt.split()) + 3,
        "completion_tokens": int(rng.integers(20, 400)),
        "top_logprobs": 5 if rng.random() < 0.1 else 0,
        "logit_bias": bool(rng.random() < 0.02),
        "status": 200,
    }
    row.update(extra)
    return row


def generate_rows(seed: int = 0, *, benign_users: int = 80, attackers: bool = True) -> tuple[list[dict], dict]:
    """Rows (time-ordered) and the ground truth ``{"benign": [...], "perturb": [...], ...}``."""
    rng = np.random.default_rng(seed)
    vocab = _vocabulary(rng)
    rows: list[dict] = []
    truth: dict[str, list[str]] = {"benign": []}
    for user in range(benign_users):
        account = f"user-{user:03d}"
        truth["benign"].append(account)
        ip = f"{int(rng.integers(11, 200))}.{int(rng.integers(0, 255))}.{int(rng.integers(0, 255))}.{user % 250 + 1}"
        agent = "Mozilla/5.0" if rng.random() < 0.5 else f"notes-app/{user}.1"
        for ts in _times(rng, int(rng.integers(40, 160)), START, 7):
            stem = _STEMS[int(rng.integers(0, len(_STEMS)))]
            rows.append(_row(float(ts), account, ip, agent, f"{stem} {_sentence(rng, vocab, 4, 16)}?", rng))
    if attackers:
        truth["perturb"] = ["perturb-1"]
        seeds = [_sentence(rng, vocab, 8, 14) for _ in range(12)]
        for ts in _times(rng, 1500, START + 86400, 2):
            prompt = _perturb(rng, seeds[int(rng.integers(0, len(seeds)))], vocab)
            rows.append(_row(float(ts), "perturb-1", "198.51.100.7", "Mozilla/5.0", prompt, rng))
        truth["natural"] = ["natural-1"]
        for ts in _times(rng, 6000, START + 2 * 86400, 3):
            prompt = f"{NATURAL_TEMPLATE} {_STEMS[int(rng.integers(0, 10))]} {_sentence(rng, vocab, 5, 9)}?"
            rows.append(_row(float(ts), "natural-1", "192.0.2.44", "python-requests/2.31", prompt, rng))
        truth["multi"] = [f"multi-{k}" for k in range(1, 7)]
        for k, account in enumerate(truth["multi"]):
            for ts in _times(rng, 900, START + 3 * 86400, 2):
                prompt = f"{MULTI_TEMPLATE} {_sentence(rng, vocab, 5, 10)}."
                rows.append(_row(float(ts), account, f"203.0.113.{10 + k}", "harvest-kit/0.3", prompt, rng))
        truth["sweeper"] = ["sweeper-1"]
        for ts in _times(rng, 800, START + 4 * 86400, 1):
            prompt = f"Reply with one word. {_sentence(rng, vocab, 3, 8)}"
            rows.append(
                _row(float(ts), "sweeper-1", "100.64.9.9", "Mozilla/5.0", prompt, rng, logit_bias=True, top_logprobs=5)
            )
    rows.sort(key=lambda row: row["timestamp"])
    for index, row in enumerate(rows):
        row["request_id"] = f"req-{seed}-{index}"
    return rows, truth


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def write_log(rows: list[dict], path: str | os.PathLike[str], fmt: str) -> Path:
    """Write rows as "jsonl" (ISO timestamps), "csv" (epoch seconds) or "parquet" (typed TIMESTAMP column)."""
    target = Path(path)
    if fmt == "jsonl":
        with open(target, "w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps({**row, "timestamp": iso(row["timestamp"])}) + "\n")
    elif fmt == "csv":
        with open(target, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=FIELDS)
            writer.writeheader()
            for row in rows:
                writer.writerow({**row, "timestamp": f"{row['timestamp']:.6f}", "logit_bias": str(row["logit_bias"])})
    elif fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns = {name: [row.get(name) for row in rows] for name in FIELDS}
        micros = [round(float(row["timestamp"]) * 1e6) for row in rows]
        table = pa.table({**columns, "timestamp": pa.array(micros, type=pa.int64()).cast(pa.timestamp("us", tz="UTC"))})
        pq.write_table(table, target, row_group_size=4096)
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return target


def write_broken_csv(path: str | os.PathLike[str], seed: int = 0) -> list[dict]:
    """A CSV with valid rows, a multi-line quoted prompt, and broken rows; returns the expected bad lines."""
    rng = np.random.default_rng(seed)
    rows, _ = generate_rows(seed, benign_users=3, attackers=False)
    rows = rows[:40]
    lines = [",".join(FIELDS)]
    expected: list[dict] = []

    def add(values: list[str]) -> None:
        buffer = _csv_line(values)
        lines.append(buffer)

    for index, row in enumerate(rows):
        values = [str(row[name]) if name != "timestamp" else f"{row['timestamp']:.6f}" for name in FIELDS]
        if index == 5:
            values[FIELDS.index("prompt")] = "first line\nsecond line of the same prompt"
        add(values)
        line = sum(item.count("\n") + 1 for item in lines)  # the next record starts on this file line + 1
        if index == 7:
            lines.append("1741000000,too,many,fields," + ",".join(["x"] * len(FIELDS)))
            expected.append(
                {
                    "line": line + 1,
                    "reason": f"wrong number of fields (expected {len(FIELDS)}, found {len(FIELDS) + 4})",
                }
            )
        if index == 12:
            broken = list(values)
            broken[FIELDS.index("account_id")] = ""
            add(broken)
            expected.append({"line": line + 1, "reason": "missing account_id"})
        if index == 20:
            broken = list(values)
            broken[FIELDS.index("timestamp")] = "yesterday at noon"
            add(broken)
            expected.append({"line": line + 1, "reason": "timestamp is neither ISO 8601 nor epoch seconds"})
        if index == 30:
            broken = list(values)
            broken[FIELDS.index("prompt_tokens")] = str(-int(rng.integers(1, 9)))
            add(broken)
            expected.append({"line": line + 1, "reason": "prompt_tokens is not a non-negative integer"})
        if index == 35:
            lines.append("1741000000,short-row")
            expected.append({"line": line + 1, "reason": f"wrong number of fields (expected {len(FIELDS)}, found 2)"})
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return expected


def _csv_line(values: list[str]) -> str:
    import io

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()[:-1]
