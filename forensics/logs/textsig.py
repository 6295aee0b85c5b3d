"""Numeric signatures of prompts: hashed n-gram vectors (PRADA distances, topics) and MinHash (templates).

Everything is seeded and uses fixed hash functions (CRC-32 and multiply-shift), never Python's salted ``hash``,
so a report can be reproduced bit for bit on another machine.
"""

from __future__ import annotations

import zlib
from collections import Counter

import numpy as np
from scipy import sparse

VECTOR_DIM = 1024
MINHASH_PERMUTATIONS = 32
BANDS = 8  # 8 bands x 4 rows: prompts with word-shingle Jaccard >= 0.7 collide in some band with p > 0.85.
SHINGLE_WORDS = 3
TOPIC_BITS = 6  # 64 SimHash topic buckets
_MERSENNE = np.uint64((1 << 61) - 1)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def ngram_vectors(prompts: list[str], *, dim: int = VECTOR_DIM, n: int = 3) -> np.ndarray:
    """L2-normalised hashed character n-gram count vectors (signed feature hashing), shape (len, dim)."""
    out = np.zeros((len(prompts), dim), dtype=np.float32)
    shift = np.uint64(64 - int(np.log2(dim)))
    for row, prompt in enumerate(prompts):
        data = np.frombuffer(prompt.lower().encode("utf-8", "replace"), dtype=np.uint8).astype(np.uint64)
        if data.size < n:
            data = np.concatenate([data, np.zeros(n - data.size, dtype=np.uint64)])
        grams = np.zeros(data.size - n + 1, dtype=np.uint64)
        for k in range(n):
            grams = (grams << np.uint64(8)) | data[k : data.size - n + 1 + k]
        mixed = (grams + np.uint64(1)) * _GOLDEN
        index = (mixed >> shift).astype(np.int64)
        sign = np.where((mixed >> np.uint64(7)) & np.uint64(1), 1.0, -1.0).astype(np.float32)
        np.add.at(out[row], index, sign)
        norm = float(np.linalg.norm(out[row]))
        if norm > 0:
            out[row] /= norm
    return out


def _word_ids(prompt: str) -> np.ndarray:
    words = prompt.lower().split()
    return np.array([zlib.crc32(word.encode("utf-8", "replace")) for word in words], dtype=np.uint64)


def _shingles(prompt: str) -> np.ndarray:
    ids = _word_ids(prompt)
    if ids.size == 0:
        return np.zeros(1, dtype=np.uint64)
    if ids.size < SHINGLE_WORDS:
        return np.array([int(np.bitwise_xor.reduce(ids * _GOLDEN))], dtype=np.uint64)
    out = np.zeros(ids.size - SHINGLE_WORDS + 1, dtype=np.uint64)
    for k in range(SHINGLE_WORDS):
        out = out * np.uint64(1_000_003) + ids[k : ids.size - SHINGLE_WORDS + 1 + k]
    return out


def minhash(prompts: list[str], *, permutations: int = MINHASH_PERMUTATIONS, seed: int = 1) -> np.ndarray:
    """MinHash signatures over word 3-shingles, shape (len, permutations), uint64 values below 2**61-1."""
    rng = np.random.default_rng(seed)
    a = rng.integers(1, (1 << 61) - 1, size=permutations, dtype=np.uint64)
    b = rng.integers(0, (1 << 61) - 1, size=permutations, dtype=np.uint64)
    out = np.empty((len(prompts), permutations), dtype=np.uint64)
    for row, prompt in enumerate(prompts):
        shingles = _shingles(prompt) % _MERSENNE
        # (a*x + b) mod p with 61-bit operands overflows uint64; the wrap-around is still a fixed mixing
        # function of x, which is all MinHash needs (it is reproducible and near-uniform).
        hashed = (shingles[:, None] * a[None, :] + b[None, :]) % _MERSENNE
        out[row] = hashed.min(axis=0)
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
        for value, hits in zip(values, counts, strict=True):
            if hits >= max(2, min_share * count):
                dominant.append(f"{band}:{int(value):016x}")
    return float(collides.mean()), dominant


def topic_entropy(vectors: np.ndarray, *, bits: int = TOPIC_BITS, seed: int = 7) -> float | None:
    """Normalised entropy (0 narrow .. 1 spread) of SimHash topic buckets; None for fewer than 8 prompts."""
    count = vectors.shape[0]
    if count < 8:
        return None
    planes = np.random.default_rng(seed).standard_normal((vectors.shape[1], bits))
    projected = np.asarray(sparse.csr_matrix(vectors.astype(np.float64)) @ planes)
    codes = (projected > 0).astype(np.int64) @ (1 << np.arange(bits, dtype=np.int64))
    freq = np.array(list(Counter(codes.tolist()).values()), dtype=np.float64) / count
    entropy = float(-(freq * np.log(freq)).sum())
    return entropy / float(np.log(min(count, 1 << bits)))
