"""Numeric signatures of prompts: hashed n-gram vectors (PRADA distances, topics) and MinHash (templates).

Everything is seeded and uses fixed hash functions (CRC-32 and multiply-shift), never Python's salted ``hash``,
so a report can be reproduced bit for bit on another machine.
"""

from __future__ import annotations

import zlib
from collections import Counter

import numpy as np

VECTOR_DIM = 1024
MINHASH_PERMUTATIONS = 32
BANDS = 8  # 8 bands x 4 rows: prompts with word-shingle Jaccard >= 0.7 collide in some band with p > 0.85.
SHINGLE_WORDS = 3
TOPIC_BITS = 6  # 64 SimHash topic buckets
_MERSENNE = np.uint64((1 << 61) - 1)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _segments(lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start offsets of consecutive segments of the given lengths, and each element's segment number."""
    starts = np.zeros(lengths.size, dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    return starts, np.repeat(np.arange(lengths.size, dtype=np.int64), lengths)


def ngram_vectors(prompts: list[str], *, dim: int = VECTOR_DIM, n: int = 3) -> np.ndarray:
    """L2-normalised hashed character n-gram count vectors (signed feature hashing), shape (len, dim).

    All prompts are hashed in one pass over their concatenated bytes (a Python loop per prompt cost ~0.1 ms,
    seconds on a full sample); a prompt shorter than n bytes is zero-padded to one n-gram.
    """
    if not prompts:
        return np.zeros((0, dim), dtype=np.float32)
    encoded = [prompt.lower().encode("utf-8", "replace") for prompt in prompts]
    sizes = np.array([len(data) for data in encoded], dtype=np.int64)
    padded = np.maximum(sizes, n)
    data = np.zeros(int(padded.sum()), dtype=np.uint64)
    starts, _ = _segments(padded)
    flat = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    offsets, owner = _segments(sizes)
    data[starts[owner] + (np.arange(flat.size, dtype=np.int64) - offsets[owner])] = flat
    # n-grams starting at each position; those running into the next prompt are dropped below.
    count = data.size - n + 1
    grams = np.zeros(count, dtype=np.uint64)
    for k in range(n):
        grams = (grams << np.uint64(8)) | data[k : k + count]
    per_prompt = padded - n + 1
    gram_starts, row = _segments(per_prompt)
    keep = starts[row] + (np.arange(row.size, dtype=np.int64) - gram_starts[row])
    mixed = (grams[keep] + np.uint64(1)) * _GOLDEN
    shift = np.uint64(64 - int(np.log2(dim)))
    index = row * dim + (mixed >> shift).astype(np.int64)
    sign = np.where((mixed >> np.uint64(7)) & np.uint64(1), 1.0, -1.0)
    # Counts are small integers, so summing them in float64 and casting is exactly the float32 accumulation.
    out = np.bincount(index, weights=sign, minlength=len(prompts) * dim).astype(np.float32).reshape(len(prompts), dim)
    norms = np.sqrt((out * out).sum(axis=1, dtype=np.float32))  # exact: sums of squared small integers
    nonzero = norms > 0
    out[nonzero] /= norms[nonzero, None]
    return out


def _all_shingles(prompts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Word 3-shingle ids of every prompt, concatenated, and the number per prompt (at least one each).

    A prompt with no words gets the single id 0, one with fewer than three words one id mixing its words.
    """
    words = [[zlib.crc32(word.encode("utf-8", "replace")) for word in prompt.lower().split()] for prompt in prompts]
    counts = np.array([len(ids) for ids in words], dtype=np.int64)
    ids = np.fromiter((i for ids in words for i in ids), dtype=np.uint64, count=int(counts.sum()))
    word_starts, owner = _segments(counts)
    span = SHINGLE_WORDS - 1
    position = np.arange(ids.size, dtype=np.int64) - word_starts[owner] if ids.size else np.zeros(0, np.int64)
    full = position < (counts[owner] - span)  # a shingle starts here and stays inside its prompt
    starts = np.flatnonzero(full)
    shingles = np.zeros(starts.size, dtype=np.uint64)
    for k in range(SHINGLE_WORDS):
        shingles = shingles * np.uint64(1_000_003) + ids[starts + k]
    per_prompt = np.maximum(counts - span, 0)
    short = np.flatnonzero(counts < SHINGLE_WORDS)
    mixed = ids * _GOLDEN
    short_ids = np.zeros(short.size, dtype=np.uint64)
    for index, prompt in enumerate(short):
        if counts[prompt]:
            start = word_starts[prompt]
            short_ids[index] = np.bitwise_xor.reduce(mixed[start : start + counts[prompt]])
    # Merge: each prompt's full shingles, or its one short id, in prompt order.
    sizes = np.where(counts < SHINGLE_WORDS, 1, per_prompt)
    out = np.empty(int(sizes.sum()), dtype=np.uint64)
    _, out_owner = _segments(sizes)
    is_short = counts[out_owner] < SHINGLE_WORDS
    out[~is_short] = shingles
    out[is_short] = short_ids
    return out, sizes


def minhash(prompts: list[str], *, permutations: int = MINHASH_PERMUTATIONS, seed: int = 1) -> np.ndarray:
    """MinHash signatures over word 3-shingles, shape (len, permutations), uint64 values below 2**61-1."""
    rng = np.random.default_rng(seed)
    a = rng.integers(1, (1 << 61) - 1, size=permutations, dtype=np.uint64)
    b = rng.integers(0, (1 << 61) - 1, size=permutations, dtype=np.uint64)
    if not prompts:
        return np.empty((0, permutations), dtype=np.uint64)
    shingles, sizes = _all_shingles(prompts)
    shingles %= _MERSENNE
    starts, _ = _segments(sizes)
    out = np.empty((len(prompts), permutations), dtype=np.uint64)
    # In blocks of shingles, so the (shingles x permutations) product stays a few MB.
    block = 1 << 15
    for first in range(0, len(prompts), block // 8):
        last = min(len(prompts), first + block // 8)
        lo, hi = starts[first], starts[last - 1] + sizes[last - 1]
        # (a*x + b) mod p with 61-bit operands overflows uint64; the wrap-around is still a fixed mixing
        # function of x, which is all MinHash needs (it is reproducible and near-uniform).
        hashed = (shingles[lo:hi, None] * a[None, :] + b[None, :]) % _MERSENNE
        out[first:last] = np.minimum.reduceat(hashed, starts[first:last] - lo, axis=0)
    return out


def band_keys(signatures: np.ndarray, *, bands: int = BANDS) -> np.ndarray:
    """One 64-bit key per (prompt, band); equal keys mean the two prompts collide in that band."""
    rows = signatures.shape[1] // bands
    keys = np.empty((signatures.shape[0], bands), dtype=np.uint64)
    for band in range(bands):
        part = signatures[:, band * rows : (band + 1) * rows]
        key = np.full(signatures.shape[0], np.uint64(band + 1), dtype=np.uint64)
        for col in range(part.shape[1]):
            key = (key ^ part[:, col]) * _GOLDEN
        keys[:, band] = key
    return keys


def template_stats(keys: np.ndarray, *, min_share: float = 0.3) -> tuple[float, list[str]]:
    """Share of prompts that collide with another prompt in some band, and the account's dominant templates.

    A dominant template is a band key shared by at least ``min_share`` of the prompts; its string form
    ("band:key") is what links accounts that send the same template.
    """
    count = keys.shape[0]
    if count < 2:
        return 0.0, []
    collides = np.zeros(count, dtype=bool)
    dominant: list[str] = []
    for band in range(keys.shape[1]):
        values, inverse, counts = np.unique(keys[:, band], return_inverse=True, return_counts=True)
        collides |= counts[inverse] > 1
        for value in values[counts >= max(2, min_share * count)]:
            dominant.append(f"{band}:{int(value):016x}")
    return float(collides.mean()), dominant


def topic_entropy(vectors: np.ndarray, *, bits: int = TOPIC_BITS, seed: int = 7) -> float | None:
    """Normalised entropy (0 narrow .. 1 spread) of SimHash topic buckets; None for fewer than 8 prompts."""
    count = vectors.shape[0]
    if count < 8:
        return None
    planes = np.random.default_rng(seed).standard_normal((vectors.shape[1], bits))
    # einsum's own loops, not BLAS (whose threads spin on a shared CPU) nor scipy.sparse (whose set-up cost
    # ~4 ms per account): a sample is at most a few hundred prompts x 6 planes.
    projected = np.einsum("ij,jk->ik", vectors.astype(np.float64), planes, optimize=False)
    codes = (projected > 0).astype(np.int64) @ (1 << np.arange(bits, dtype=np.int64))
    freq = np.array(list(Counter(codes.tolist()).values()), dtype=np.float64) / count
    entropy = float(-(freq * np.log(freq)).sum())
    return entropy / float(np.log(min(count, 1 << bits)))
