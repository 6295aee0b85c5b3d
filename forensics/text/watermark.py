"""Green-list watermark detection (Kirchenbauer et al. 2023) with the project's published scheme (DESIGN §5).

The claimant says its model was watermarked: at every step a secret key and the previous token split the
vocabulary into a "green" share γ and a red rest, and generation favoured green tokens. Text from that model
therefore holds more green (previous token, token) pairs than the γ share that any other text holds by
chance. We count them: over T scored pairs with S green,

    z = (S − γT) / sqrt(T γ (1 − γ)),   p = P[Binomial(T, γ) ≥ S]   (exact, one-sided).

Choices that keep the statistics honest (each is explained in docs/forensics/watermark.md):

* the first token of a sequence has no previous token and is not scored;
* each distinct (previous token, token) pair is scored once per document (and once across the pool), because
  repeated phrases repeat their green/red status and would otherwise inflate z on ordinary text;
* a document is flagged when z > threshold *and* the exact p agrees (p < the normal tail at the threshold), so
  short texts where the normal approximation overstates are not flagged on a handful of tokens;
* the sliding-window search for a watermarked span tests many windows, so its best window is judged by a
  Bonferroni-adjusted p (raw p × number of windows tested) against the same tail probability: the chance that
  an unwatermarked document shows a flagged window is no higher than that of a single z > threshold test.

All hashing is vectorised with numpy uint64 arithmetic, which wraps modulo 2**64 exactly like the reference.
Inputs are streamed in batches of documents; the pooled count of distinct pairs spills to disk beyond a memory
budget, so memory stays bounded whatever the input size.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from forensics.common import (
    CONSISTENT,
    INCONCLUSIVE,
    NO_EVIDENCE,
    ForensicsInputError,
    InputFile,
    Progress,
    Run,
    no_progress,
)
from forensics.text.outputs import BadLineLog, OutputRecord, iter_outputs

ANALYSIS = "text.watermark"
SCHEME = "tribunal-splitmix64-v1"

GOLDEN = 0x9E3779B97F4A7C15
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB
MASK64 = 2**64 - 1
# Pairs are packed as (prev << 32) | token for exact de-duplication in one uint64; no tokenizer comes close.
MAX_TOKEN_ID = 2**32 - 1

BATCH_TOKENS = 500_000  # tokens hashed per numpy batch: big enough to amortise overhead, small in memory
BATCH_DOCS = 8192
POOL_MEMORY_PAIRS = 4_000_000  # distinct pairs buffered in RAM (32 MB) before the pool spills to disk
POOL_BUCKETS = 256  # spill files; a bucket holds about 1/256 of the distinct pairs when it is counted
MAX_DOCUMENTS = 10_000  # documents listed in the result; beyond it the strongest are kept and all are counted
MAX_SERIES = 8  # documents whose z-curve is stored for charts
SERIES_POINTS = 200
HISTOGRAM_EDGES = [x / 2 for x in range(-12, 61)]  # per-document z from -6 to 30 in steps of 0.5
INCONCLUSIVE_POOLED_Z = 3.0  # pooled z (and exact p below its normal tail) that earns "inconclusive"


# --------------------------------------------------------------------------------------------------------
# The scheme


def parse_key(key: int | str) -> int:
    """The watermark key as an unsigned 64-bit integer, from an int, a decimal string or a 0x-hex string."""
    if isinstance(key, bool):
        raise ForensicsInputError("the watermark key must be an integer, not a boolean")
    if isinstance(key, int):
        value = key
    elif isinstance(key, str):
        text = key.strip().replace("_", "")
        try:
            value = int(text, 16) if text.lower().startswith("0x") else int(text, 10)
        except ValueError:
            raise ForensicsInputError(f"the watermark key {key!r} is not a decimal or 0x-hexadecimal integer") from None
    else:
        raise ForensicsInputError("the watermark key must be an integer (decimal or 0x-hex)")
    if not 0 <= value <= MASK64:
        raise ForensicsInputError("the watermark key must be an unsigned 64-bit integer (0 to 2**64 - 1)")
    return value


def green_threshold(gamma: float) -> int:
    """The integer t with ``h < gamma * 2**64  <=>  h < t`` for every 64-bit h (exact, no float rounding)."""
    if not isinstance(gamma, int | float) or isinstance(gamma, bool) or not 0.0 < float(gamma) < 1.0:
        raise ForensicsInputError(f"gamma (the green share) must be strictly between 0 and 1, got {gamma!r}")
    return math.ceil(Fraction(float(gamma)) * 2**64)


def splitmix64(x: np.ndarray) -> np.ndarray:
    """Vectorised splitmix64 finaliser over a uint64 array (numpy uint64 arithmetic wraps modulo 2**64)."""
    z = x + np.uint64(GOLDEN)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(MIX1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX2)
    return z ^ (z >> np.uint64(31))


def green_mask(key: int, prev: np.ndarray, tokens: np.ndarray, gamma: float) -> np.ndarray:
    """Whether each (prev, token) pair is green under ``key`` and ``gamma`` (boolean array)."""
    return _green(
        parse_key(key), np.asarray(prev, dtype=np.uint64), np.asarray(tokens, dtype=np.uint64), green_threshold(gamma)
    )


def _green(key: int, prev: np.ndarray, tokens: np.ndarray, threshold: int) -> np.ndarray:
    mixed = np.uint64(key) ^ (prev * np.uint64(GOLDEN)) ^ tokens
    return splitmix64(mixed) < np.uint64(threshold)


def z_score(green: int | np.ndarray, scored: int | np.ndarray, gamma: float) -> Any:
    """z = (S − γT) / sqrt(T γ (1 − γ)); NaN where T = 0 (callers turn it into None)."""
    s = np.asarray(green, dtype=np.float64)
    t = np.asarray(scored, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (s - gamma * t) / np.sqrt(t * gamma * (1.0 - gamma))


def binomial_p(green: int | np.ndarray, scored: int | np.ndarray, gamma: float) -> Any:
    """Exact one-sided p = P[Binomial(T, γ) ≥ S]."""
    return stats.binom.sf(np.asarray(green) - 1, np.asarray(scored), gamma)


# --------------------------------------------------------------------------------------------------------
# Scoring a batch of documents


@dataclass
class _Scored:
    """Scored pairs of one batch: which positions count, which are green, and which document they belong to."""

    doc_of: np.ndarray  # document index (within the batch) of each scored pair
    position: np.ndarray  # token index within its document of each scored pair (the pair's second token)
    green: np.ndarray  # bool per scored pair
    pair_key: np.ndarray  # packed (prev << 32) | token per scored pair
    scored: np.ndarray  # T per document
    green_count: np.ndarray  # S per document


def _score_batch(arrays: Sequence[np.ndarray], key: int, threshold: int) -> _Scored:
    lengths = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
    n_docs = len(arrays)
    flat = np.concatenate(arrays).astype(np.uint64) if n_docs else np.zeros(0, dtype=np.uint64)
    doc_start = np.zeros(n_docs, dtype=np.int64)
    np.cumsum(lengths[:-1], out=doc_start[1:])
    # A pair at flat index i is (flat[i-1], flat[i]); it is valid unless i is the first token of its document.
    valid = np.ones(len(flat), dtype=bool)
    valid[doc_start[lengths > 0]] = False
    index = np.flatnonzero(valid)
    doc_of = np.repeat(np.arange(n_docs, dtype=np.int64), lengths)[index]
    pair_key = (flat[index - 1] << np.uint64(32)) | flat[index]
    first = _first_occurrences(pair_key, doc_of, int(flat.max()) if len(flat) else 0, n_docs)
    first.sort()
    kept_index = index[first]
    kept_doc = doc_of[first]
    kept_key = pair_key[first]
    green = _green(key, flat[kept_index - 1], flat[kept_index], threshold)
    return _Scored(
        doc_of=kept_doc,
        position=kept_index - doc_start[kept_doc],
        green=green,
        pair_key=kept_key,
        scored=np.bincount(kept_doc, minlength=n_docs),
        green_count=np.bincount(kept_doc[green], minlength=n_docs),
    )


def _first_occurrences(pair_key: np.ndarray, doc_of: np.ndarray, max_token: int, n_docs: int) -> np.ndarray:
    """Indices (into the pair arrays) of the first occurrence of each distinct pair within its document.

    Pairs are sorted by (document, pair) and the smallest index of every run of equal keys is kept. When token
    ids and the document count are small enough (every real vocabulary), document and pair pack into one
    uint64 and a single quicksort does it; otherwise a two-key lexsort.
    """
    if not len(pair_key):
        return np.zeros(0, dtype=np.int64)
    token_bits = max(1, max_token.bit_length())
    doc_bits = max(1, (n_docs - 1).bit_length())
    if 2 * token_bits + doc_bits <= 64:
        # pair_key is (prev << 32) | token: squeeze out the unused high bits of each half.
        compact = ((pair_key >> np.uint64(32)) << np.uint64(token_bits)) | (pair_key & np.uint64(MAX_TOKEN_ID))
        combined = (doc_of.astype(np.uint64) << np.uint64(2 * token_bits)) | compact
        order = np.argsort(combined)
        ordered = combined[order]
        run_start = np.ones(len(order), dtype=bool)
        np.not_equal(ordered[1:], ordered[:-1], out=run_start[1:])
    else:
        order = np.lexsort((pair_key, doc_of))
        sorted_key, sorted_doc = pair_key[order], doc_of[order]
        run_start = np.ones(len(order), dtype=bool)
        run_start[1:] = (sorted_key[1:] != sorted_key[:-1]) | (sorted_doc[1:] != sorted_doc[:-1])
    keep = np.zeros(len(order), dtype=bool)
    keep[np.minimum.reduceat(order, np.flatnonzero(run_start))] = True
    return np.flatnonzero(keep)  # ascending: pairs stay in text order


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (a plain sort: several times faster than np.unique's hashing on uint64)."""
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    keep = np.ones(len(ordered), dtype=bool)
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def score_tokens(tokens: Sequence[int] | np.ndarray, *, key: int | str, gamma: float = 0.25) -> dict[str, Any]:
    """Score one token sequence: T, S, z and exact p (no window search). Handy for experts and fixtures."""
    array = _checked_array(np.asarray(tokens, dtype=np.int64), "the sequence")
    scored = _score_batch([array], parse_key(key), green_threshold(gamma))
    t, s = int(scored.scored[0]), int(scored.green_count[0])
    return {"T": t, "S": s, "z": _num(z_score(s, t, gamma)), "p_value": _num(binomial_p(s, t, gamma))}


def _checked_array(array: np.ndarray, where: str) -> np.ndarray:
    if array.size and (int(array.max()) > MAX_TOKEN_ID or int(array.min()) < 0):
        raise ForensicsInputError(f"{where}: token ids must be between 0 and 2**32 - 1")
    return array


# --------------------------------------------------------------------------------------------------------
# Sliding-window search


@dataclass
class _BatchWindows:
    """Best window of every document of a batch (arrays indexed by document; size 0 = no window)."""

    size: np.ndarray  # scored pairs in the best window
    start: np.ndarray  # index of its first pair among the document's scored pairs
    green: np.ndarray
    p_value: np.ndarray  # raw exact p of the best window (1.0 when none)
    tests: np.ndarray  # windows tested in the document, all sizes together


def _segment_argmax(values: np.ndarray, segment_starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Index of the first maximum of each contiguous non-empty segment of ``values``."""
    best = np.maximum.reduceat(values, segment_starts)
    hits = np.flatnonzero(values == np.repeat(best, lengths))
    return hits[np.searchsorted(hits, segment_starts)]


def _batch_windows(green: np.ndarray, bounds: np.ndarray, min_window: int, gamma: float) -> _BatchWindows:
    """Sliding-window search over all documents of a batch at once.

    Window sizes are min_window·2^k below each document's T; each size is scanned with a stride of a quarter
    of the size (plus the window ending at the last pair), and the greenest window of each size is a
    candidate. The candidate with the smallest exact p is the document's best window; ``tests`` counts every
    window scanned, for the Bonferroni correction.
    """
    n_docs = len(bounds) - 1
    scored = np.diff(bounds)
    cumulative = np.zeros(len(green) + 1, dtype=np.int64)
    np.cumsum(green, out=cumulative[1:])
    tests = np.zeros(n_docs, dtype=np.int64)
    cand_doc, cand_size, cand_start, cand_green = [], [], [], []
    size = min_window
    while n_docs and size < int(scored.max()):
        docs = np.flatnonzero(scored > size)
        stride = max(1, size // 4)
        span = scored[docs] - size
        counts = span // stride + 1 + (span % stride != 0)  # regular starts, plus one ending at the last pair
        segment_starts = np.zeros(len(docs), dtype=np.int64)
        np.cumsum(counts[:-1], out=segment_starts[1:])
        step = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(segment_starts, counts)
        local = np.minimum(step * stride, np.repeat(span, counts))
        first = np.repeat(bounds[docs], counts) + local
        window_green = cumulative[first + size] - cumulative[first]
        best = _segment_argmax(window_green, segment_starts, counts)
        tests[docs] += counts
        cand_doc.append(docs)
        cand_size.append(np.full(len(docs), size, dtype=np.int64))
        cand_start.append(local[best])
        cand_green.append(window_green[best])
        size *= 2
    result = _BatchWindows(
        size=np.zeros(n_docs, dtype=np.int64),
        start=np.zeros(n_docs, dtype=np.int64),
        green=np.zeros(n_docs, dtype=np.int64),
        p_value=np.ones(n_docs),
        tests=tests,
    )
    if not cand_doc:
        return result
    doc = np.concatenate(cand_doc)
    order = np.argsort(doc, kind="stable")  # by document, sizes ascending within each
    doc = doc[order]
    sizes, starts, greens = (np.concatenate(c)[order] for c in (cand_size, cand_start, cand_green))
    p_values = binomial_p(greens, sizes, gamma)
    segment_starts = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]])
    lengths = np.diff(np.r_[segment_starts, len(doc)])
    best = _segment_argmax(-p_values, segment_starts, lengths)
    owners = doc[best]
    result.size[owners] = sizes[best]
    result.start[owners] = starts[best]
    result.green[owners] = greens[best]
    result.p_value[owners] = p_values[best]
    return result


# --------------------------------------------------------------------------------------------------------
# Pooled distinct pairs with bounded memory


class _PairPool:
    """Distinct (prev, token) pairs across all documents, exact, with memory bounded by ``memory_pairs``.

    Pairs are buffered and de-duplicated in RAM; once the distinct set outgrows half the budget, buffers are
    spilled into 256 hash buckets on disk, each of which is de-duplicated on its own at the end.
    """

    def __init__(self, memory_pairs: int = POOL_MEMORY_PAIRS) -> None:
        self.memory_pairs = max(1024, memory_pairs)
        self._parts: list[np.ndarray] = []
        self._buffered = 0
        self._spill_dir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def spilled(self) -> bool:
        return self._spill_dir is not None

    def add(self, keys: np.ndarray) -> None:
        if not len(keys):
            return
        self._parts.append(keys)
        self._buffered += len(keys)
        if self._buffered > self.memory_pairs:
            self._compact()

    def _compact(self) -> None:
        merged = np.concatenate(self._parts)
        if not self.spilled:
            merged = _distinct(merged)
        # Once spilling, buffers go to the buckets as they are: each bucket is de-duplicated once at the end,
        # which costs one sort of every pair instead of two (disk use is 8 bytes per scored pair at most).
        if self.spilled or len(merged) > self.memory_pairs // 2:
            self._spill(merged)
            self._parts, self._buffered = [], 0
        else:
            self._parts, self._buffered = [merged], len(merged)

    def _spill(self, keys: np.ndarray) -> None:
        if self._spill_dir is None:
            self._spill_dir = tempfile.TemporaryDirectory(prefix="tribunal-watermark-")
        # The top byte of a mixed hash picks the bucket; a stable sort of uint8 is a linear-time radix sort.
        bucket = (splitmix64(keys) >> np.uint64(56)).astype(np.uint8)
        order = np.argsort(bucket, kind="stable")
        bounds = np.searchsorted(bucket[order], np.arange(POOL_BUCKETS + 1))
        ordered = keys[order]
        for number in range(POOL_BUCKETS):
            part = ordered[bounds[number] : bounds[number + 1]]
            if len(part):
                with open(Path(self._spill_dir.name) / f"{number:03d}.u64", "ab") as handle:
                    part.tofile(handle)

    def _chunks(self) -> Iterator[np.ndarray]:
        """Disjoint groups of pairs, one at a time: each spill bucket read on its own, or the RAM buffer."""
        if self._spill_dir is None:
            if self._parts:
                yield np.concatenate(self._parts)
            return
        for path in sorted(Path(self._spill_dir.name).glob("*.u64")):
            yield np.fromfile(path, dtype=np.uint64)

    def count(self, key: int, threshold: int) -> tuple[int, int]:
        """(distinct pairs, distinct green pairs) over everything added; removes any spill files."""
        total = green = 0
        try:
            if self.spilled and self._parts:
                self._spill(np.concatenate(self._parts))
                self._parts = []
            for chunk in self._chunks():
                distinct = _distinct(chunk)
                total += len(distinct)
                green += int(
                    _green(key, distinct >> np.uint64(32), distinct & np.uint64(MAX_TOKEN_ID), threshold).sum()
                )
        finally:
            self.close()
        return total, green

    def close(self) -> None:
        self._parts = []
        if self._spill_dir is not None:
            self._spill_dir.cleanup()
            self._spill_dir = None


# --------------------------------------------------------------------------------------------------------
# The analysis


@dataclass
class _Settings:
    key: int
    gamma: float
    threshold: int
    z_threshold: float
    p_threshold: float
    window: int


@dataclass(order=True)
class _Ranked:
    """Heap entry: documents ordered by strength of evidence (smaller p, then larger z, first)."""

    strength: tuple[float, float]
    line: int
    payload: dict[str, Any] = field(compare=False)


@dataclass
class _Tally:
    """Everything the streaming pass accumulates; bounded in size."""

    documents: list[_Ranked] = field(default_factory=list)  # min-heap of the strongest MAX_DOCUMENTS
    series: list[_Ranked] = field(default_factory=list)  # min-heap of the strongest flagged curves
    histogram: np.ndarray = field(default_factory=lambda: np.zeros(len(HISTOGRAM_EDGES) - 1, dtype=np.int64))
    below: int = 0
    above: int = 0
    n_documents: int = 0
    n_scored_documents: int = 0
    n_flagged: int = 0
    n_window_flagged: int = 0
    tokens: int = 0
    strongest_p: float = 1.0
    strongest_id: str | None = None
    short_documents: int = 0


def _num(value: Any) -> float | None:
    """A JSON-safe float: NaN and infinities become None."""
    number = float(value)
    return number if math.isfinite(number) else None


def _push(heap: list[_Ranked], item: _Ranked, limit: int) -> None:
    if len(heap) < limit:
        heapq.heappush(heap, item)
    elif item > heap[0]:
        heapq.heapreplace(heap, item)


def _series(green: np.ndarray, positions: np.ndarray, width: int, gamma: float) -> dict[str, Any]:
    """Windowed and cumulative z along one document, at most SERIES_POINTS points."""
    total = len(green)
    counts = np.zeros(total + 1, dtype=np.int64)
    np.cumsum(green, out=counts[1:])
    width = max(1, min(width, total))
    ends = np.unique(np.linspace(width, total, num=min(SERIES_POINTS, total - width + 1)).round().astype(np.int64))
    window_z = z_score(counts[ends] - counts[ends - width], width, gamma)
    cumulative_z = z_score(counts[ends], ends, gamma)
    return {
        "width": int(width),
        "position": [int(p) + 1 for p in positions[ends - 1]],
        "window_z": [_num(v) for v in window_z],
        "cumulative_z": [_num(v) for v in cumulative_z],
    }


def _window_dict(windows: _BatchWindows, i: int, positions: np.ndarray, settings: _Settings) -> dict[str, Any]:
    size, start, green = int(windows.size[i]), int(windows.start[i]), int(windows.green[i])
    raw_p = float(windows.p_value[i])
    adjusted = min(1.0, raw_p * int(windows.tests[i]))
    return {
        "start": int(positions[start]),
        "end": int(positions[start + size - 1]) + 1,
        "T": size,
        "S": green,
        "z": _num(z_score(green, size, settings.gamma)),
        "p_value": raw_p,
        "p_adjusted": adjusted,
        "tests": int(windows.tests[i]),
        "flagged": adjusted < settings.p_threshold,
    }


def _finish_batch(
    batch: list[OutputRecord], arrays: list[np.ndarray], settings: _Settings, pool: _PairPool, tally: _Tally
) -> None:
    """Score one batch of documents and fold it into the tallies (vectorised; Python only per listed doc)."""
    scored = _score_batch(arrays, settings.key, settings.threshold)
    pool.add(scored.pair_key)
    t_doc, s_doc = scored.scored, scored.green_count
    bounds = np.zeros(len(batch) + 1, dtype=np.int64)
    np.cumsum(t_doc, out=bounds[1:])
    windows = _batch_windows(scored.green, bounds, settings.window, settings.gamma)
    z_doc = z_score(s_doc, t_doc, settings.gamma)
    p_doc = binomial_p(s_doc, t_doc, settings.gamma)
    has_pairs = t_doc > 0
    flagged = has_pairs & (z_doc > settings.z_threshold) & (p_doc < settings.p_threshold)
    adjusted = np.where(windows.size > 0, np.minimum(1.0, windows.p_value * windows.tests), 1.0)
    window_flagged = (windows.size > 0) & (adjusted < settings.p_threshold)
    best_p = np.where(has_pairs, np.minimum(p_doc, adjusted), 1.0)

    tally.n_documents += len(batch)
    tally.tokens += int(sum(len(a) for a in arrays))
    tally.n_scored_documents += int(has_pairs.sum())
    tally.short_documents += int((has_pairs & (t_doc < settings.window)).sum())
    tally.n_flagged += int(flagged.sum())
    tally.n_window_flagged += int(window_flagged.sum())
    z_scored = z_doc[has_pairs]
    bins = np.searchsorted(HISTOGRAM_EDGES, z_scored, side="right") - 1
    tally.below += int((bins < 0).sum())
    tally.above += int((bins >= len(tally.histogram)).sum())
    inside = bins[(bins >= 0) & (bins < len(tally.histogram))]
    tally.histogram += np.bincount(inside, minlength=len(tally.histogram))
    if has_pairs.any():
        strongest = int(np.argmin(best_p))
        if tally.strongest_id is None or best_p[strongest] < tally.strongest_p:
            tally.strongest_p, tally.strongest_id = float(best_p[strongest]), batch[strongest].id

    for i in np.flatnonzero(has_pairs):
        z = _num(z_doc[i])
        strength = (-float(best_p[i]), z if z is not None else -math.inf)
        listed = len(tally.documents) < MAX_DOCUMENTS or strength > tally.documents[0].strength
        charted = bool(flagged[i] or window_flagged[i]) and (
            len(tally.series) < MAX_SERIES or strength > tally.series[0].strength
        )
        if not (listed or charted):
            continue  # cheap exit: most documents of a large file are neither listed nor charted
        record = batch[i]
        positions = scored.position[bounds[i] : bounds[i + 1]]
        window = _window_dict(windows, i, positions, settings) if windows.size[i] else None
        if listed:
            entry = {
                "id": record.id,
                "line": record.line,
                "tokens": len(arrays[i]),
                "T": int(t_doc[i]),
                "S": int(s_doc[i]),
                "z": z,
                "p_value": _num(p_doc[i]),
                "flagged": bool(flagged[i]),
                "window": window,
            }
            _push(tally.documents, _Ranked(strength, -record.line, entry), MAX_DOCUMENTS)
        if charted:
            width = int(windows.size[i]) if window_flagged[i] else max(settings.window, int(t_doc[i]) // 8)
            green = scored.green[bounds[i] : bounds[i + 1]]
            curve = {"id": record.id, **_series(green, positions, width, settings.gamma)}
            _push(tally.series, _Ranked(strength, -record.line, curve), MAX_SERIES)


def _fingerprint(key: int) -> str:
    """A short hash of the key: reports are read by the other side, so the secret itself is never stored."""
    return hashlib.sha256(key.to_bytes(8, "big")).hexdigest()[:16]


def _format_p(p: float | None) -> str:
    if p is None:
        return "n/a"
    return "p < 1e-300" if p < 1e-300 else f"p = {p:.2g}"


def _verdict(pooled: dict[str, Any], tally: _Tally, settings: _Settings) -> tuple[str, str, str, float]:
    """Decision, verdict sentence, calibrated phrase and the document-family p (Bonferroni over documents)."""
    family_p = min(1.0, tally.strongest_p * 2 * max(1, tally.n_scored_documents))
    n = tally.n_scored_documents
    evidence = (
        f"pooled z = {pooled['z']:.2f} over {pooled['T']:,} distinct scored pairs, {_format_p(pooled['p_value'])}; "
        f"{tally.n_flagged} of {n} documents flagged at z > {settings.z_threshold:g}, "
        f"{tally.n_window_flagged} with a flagged window"
        if pooled["z"] is not None
        else "no scorable token pairs"
    )
    if pooled["flagged"] or family_p < settings.p_threshold:
        return (
            "detected",
            f"Watermark detected: the outputs are consistent with having been generated with this key "
            f"({evidence}). The test shows the key's green-list bias, not who ran the model or how the key "
            f"was obtained.",
            CONSISTENT,
            family_p,
        )
    weak_pooled = (pooled["z"] or 0.0) >= INCONCLUSIVE_POOLED_Z and (pooled["p_value"] or 1.0) < float(
        stats.norm.sf(INCONCLUSIVE_POOLED_Z)
    )
    weak = weak_pooled or tally.n_flagged or tally.n_window_flagged
    if weak:
        return (
            "inconclusive",
            f"Inconclusive: there is a weak excess of green tokens ({evidence}), but it does not survive the "
            f"correction for the number of documents and windows tested.",
            INCONCLUSIVE,
            family_p,
        )
    return (
        "not_detected",
        f"No watermark detected with this key ({evidence}). This does not show the text was not generated with "
        f"this key: heavy editing, paraphrase, low-entropy text or too few tokens hide the signal.",
        NO_EVIDENCE,
        family_p,
    )


def detect_watermark(
    outputs_path: str | os.PathLike[str],
    *,
    key: int | str,
    gamma: float = 0.25,
    z_threshold: float = 4.0,
    window: int = 32,
    tokenizer_path: str | os.PathLike[str] | None = None,
    progress: Progress = no_progress,
    pool_memory_pairs: int = POOL_MEMORY_PAIRS,
) -> dict[str, Any]:
    """Test model outputs for the claimant's green-list watermark; returns the JSON result (see the module doc).

    ``window`` is the smallest sliding window in scored pairs; sizes window·2^k below each document's T are
    searched. ``pool_memory_pairs`` bounds the RAM of the pooled distinct-pair count (it spills beyond).
    Bad lines are counted and reported with their line numbers, not fatal; text without a tokenizer is.
    """
    key_value = parse_key(key)
    threshold = green_threshold(gamma)
    if not math.isfinite(z_threshold) or z_threshold <= 0:
        raise ForensicsInputError("z_threshold must be a positive number")
    if isinstance(window, bool) or not isinstance(window, int) or window < 2:
        raise ForensicsInputError("window must be an integer of at least 2 scored tokens")
    settings = _Settings(
        key_value, float(gamma), threshold, float(z_threshold), float(stats.norm.sf(z_threshold)), window
    )
    inputs = [InputFile.of("outputs", outputs_path)]
    if tokenizer_path is not None:
        inputs.append(InputFile.of("tokenizer", tokenizer_path))
    run = Run(
        analysis=ANALYSIS,
        parameters={
            "scheme": SCHEME,
            "key_fingerprint": _fingerprint(key_value),
            "gamma": float(gamma),
            "z_threshold": float(z_threshold),
            "p_threshold": settings.p_threshold,
            "window": window,
        },
        inputs=inputs,
    )
    size = max(1, Path(outputs_path).stat().st_size)
    bad_lines = BadLineLog()
    tally = _Tally()
    pool = _PairPool(pool_memory_pairs)
    batch: list[OutputRecord] = []
    arrays: list[np.ndarray] = []
    batch_tokens = 0
    progress(0.0, "reading outputs")
    try:
        for record in iter_outputs(outputs_path, tokenizer_path=tokenizer_path, bad_lines=bad_lines):
            array = record.token_array()
            if array is None:
                raise ForensicsInputError(
                    f"line {record.line} has text but no token ids: supply the claimant's tokenizer.json "
                    f"so the text can be encoded into the token ids the watermark was applied to"
                )
            try:
                arrays.append(_checked_array(array, f"line {record.line}"))
            except ForensicsInputError:
                bad_lines.add(record.line, "token ids must be between 0 and 2**32 - 1")
                continue
            batch.append(record)
            batch_tokens += len(array)
            if batch_tokens >= BATCH_TOKENS or len(batch) >= BATCH_DOCS:
                _finish_batch(batch, arrays, settings, pool, tally)
                progress(min(0.95, 0.95 * record.end_offset / size), f"scored {tally.n_documents:,} documents")
                batch, arrays, batch_tokens = [], [], 0
        if batch:
            _finish_batch(batch, arrays, settings, pool, tally)
        if tally.n_documents == 0:
            raise ForensicsInputError("the outputs file holds no usable records")
        progress(0.96, "pooling distinct pairs")
        pooled_t, pooled_s = pool.count(settings.key, settings.threshold)
    finally:
        pool.close()
    return _assemble(run, settings, tally, bad_lines, pooled_t, pooled_s, progress)


def _assemble(
    run: Run,
    settings: _Settings,
    tally: _Tally,
    bad_lines: BadLineLog,
    pooled_t: int,
    pooled_s: int,
    progress: Progress,
) -> dict[str, Any]:
    gamma = settings.gamma
    pooled_z = _num(z_score(pooled_s, pooled_t, gamma)) if pooled_t else None
    pooled_p = _num(binomial_p(pooled_s, pooled_t, gamma)) if pooled_t else None
    pooled = {
        "T": pooled_t,
        "S": pooled_s,
        "z": pooled_z,
        "p_value": pooled_p,
        "flagged": bool(
            pooled_z is not None
            and pooled_p is not None
            and pooled_z > settings.z_threshold
            and pooled_p < settings.p_threshold
        ),
    }
    decision, sentence, phrase, family_p = _verdict(pooled, tally, settings)
    if bad_lines.count:
        run.warn(f"{bad_lines.count} bad line(s) skipped (see bad_lines for line numbers and reasons)")
    if tally.n_documents > MAX_DOCUMENTS:
        run.warn(
            f"{tally.n_documents:,} documents: the list keeps the {MAX_DOCUMENTS:,} with the strongest "
            f"evidence; counts, histogram and pooled figures cover all of them"
        )
    if tally.short_documents:
        run.warn(
            f"{tally.short_documents} document(s) have fewer than {settings.window} scored pairs: too short "
            f"for the test to detect a watermark on its own (they still count in the pooled result)"
        )
    documents = sorted((item.payload for item in tally.documents), key=lambda entry: entry["line"])
    series = [item.payload for item in sorted(tally.series, reverse=True)]
    progress(1.0, "done")
    return run.finish(
        verdict=sentence,
        decision=decision,
        verdict_phrase=phrase,
        pooled=pooled,
        summary={
            "documents": tally.n_documents,
            "scored_documents": tally.n_scored_documents,
            "flagged_documents": tally.n_flagged,
            "window_flagged_documents": tally.n_window_flagged,
            "expected_false_flags": tally.n_scored_documents * settings.p_threshold,
            "tokens": tally.tokens,
            "strongest_document": tally.strongest_id,
            "family_p_value": family_p,
        },
        documents=documents,
        z_series=series,
        z_histogram={
            "edges": HISTOGRAM_EDGES,
            "counts": [int(c) for c in tally.histogram],
            "below": tally.below,
            "above": tally.above,
        },
        bad_lines=bad_lines.as_dict(),
    )


# --------------------------------------------------------------------------------------------------------
# Charts (built from the stored result only)


def charts(result: dict[str, Any]) -> dict[str, str]:
    """SVG charts from a stored result: z along the text for the strongest documents, and the z histogram."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    threshold = float(result.get("parameters", {}).get("z_threshold", 4.0))
    out: dict[str, str] = {}

    def svg(figure: Any) -> str:
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", bbox_inches="tight")
        plt.close(figure)
        return buffer.getvalue()

    curves = result.get("z_series") or []
    if curves:
        figure, axis = plt.subplots(figsize=(7, 3.2))
        for curve in curves[:5]:
            values = [v if v is not None else float("nan") for v in curve["window_z"]]
            axis.plot(curve["position"], values, label=f"{curve['id']} (window {curve['width']})")
        axis.axhline(threshold, color="crimson", linestyle="--", linewidth=1, label=f"z = {threshold:g}")
        axis.axhline(0, color="grey", linewidth=0.6)
        axis.set_xlabel("token position (end of window)")
        axis.set_ylabel("windowed z")
        axis.set_title("Green-token z along the text (strongest documents)")
        axis.legend(fontsize=7, loc="best")
        out["z_along_text"] = svg(figure)

    histogram = result.get("z_histogram")
    if histogram:
        edges, counts = histogram["edges"], histogram["counts"]
        figure, axis = plt.subplots(figsize=(7, 3.2))
        axis.stairs(counts, edges, fill=True, alpha=0.6, label="documents")
        axis.axvline(threshold, color="crimson", linestyle="--", linewidth=1, label=f"threshold z = {threshold:g}")
        note = []
        if histogram.get("below"):
            note.append(f"{histogram['below']} below {edges[0]:g}")
        if histogram.get("above"):
            note.append(f"{histogram['above']} above {edges[-1]:g}")
        axis.set_xlabel("per-document z" + (f" ({', '.join(note)})" if note else ""))
        axis.set_ylabel("documents")
        axis.set_title("Per-document green-token z")
        axis.legend(fontsize=7)
        out["z_histogram"] = svg(figure)
    return out
