"""Numerics shared by the lineage analysis: streaming pair moments and unbiased linear CKA.

All sums are kept in float64: float32 dot products over a whole tensor drift by ~1e-4 in cosine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass
class PairMoments:
    """Running sums over two equally shaped tensors, fed block by block."""

    n: int = 0
    sum_a: float = 0.0
    sum_b: float = 0.0
    sum_aa: float = 0.0
    sum_bb: float = 0.0
    sum_ab: float = 0.0

    def add(self, a: np.ndarray, b: np.ndarray) -> None:
        """Add a block. `einsum(..., dtype=float64)` widens inside its buffered loop, so every product and sum
        is float64 without materialising float64 copies of the block (about 2x faster than `astype`, and as
        exact; float32 partial sums were faster still but biased sums of squares by ~6e-8 on BF16 data)."""
        flat_a, flat_b = np.ravel(a), np.ravel(b)
        f64 = np.float64
        self.n += flat_a.size
        self.sum_a += float(np.einsum("i->", flat_a, dtype=f64))
        self.sum_b += float(np.einsum("i->", flat_b, dtype=f64))
        self.sum_aa += float(np.einsum("i,i->", flat_a, flat_a, dtype=f64))
        self.sum_bb += float(np.einsum("i,i->", flat_b, flat_b, dtype=f64))
        self.sum_ab += float(np.einsum("i,i->", flat_a, flat_b, dtype=f64))

    def merge(self, other: PairMoments) -> None:
        self.n += other.n
        self.sum_a += other.sum_a
        self.sum_b += other.sum_b
        self.sum_aa += other.sum_aa
        self.sum_bb += other.sum_bb
        self.sum_ab += other.sum_ab

    def cosine(self) -> float | None:
        denom = math.sqrt(self.sum_aa * self.sum_bb)
        return self.sum_ab / denom if denom > 0 else None

    def pearson(self) -> float | None:
        """Centred correlation from the sums. Fine for weights (means near 0, or short vectors)."""
        if self.n < 2:
            return None
        cov = self.sum_ab - self.sum_a * self.sum_b / self.n
        var_a = self.sum_aa - self.sum_a**2 / self.n
        var_b = self.sum_bb - self.sum_b**2 / self.n
        # Relative tolerance: a constant vector (e.g. a freshly initialised LayerNorm gain) has no correlation.
        if var_a <= 1e-12 * max(self.sum_aa, 1e-300) or var_b <= 1e-12 * max(self.sum_bb, 1e-300):
            return None
        return max(-1.0, min(1.0, cov / math.sqrt(var_a * var_b)))


def pearson_exact(a: np.ndarray, b: np.ndarray) -> float | None:
    """Two-pass centred correlation for short vectors (norm gains ~1 with tiny spread lose digits in one pass)."""
    a64 = np.asarray(a, dtype=np.float64).reshape(-1)
    b64 = np.asarray(b, dtype=np.float64).reshape(-1)
    if a64.size < 2:
        return None
    a64 = a64 - a64.mean()
    b64 = b64 - b64.mean()
    denom = math.sqrt(float(np.dot(a64, a64)) * float(np.dot(b64, b64)))
    return float(np.dot(a64, b64)) / denom if denom > 0 else None


@dataclass
class CenteredGram:
    """A Gram matrix prepared for the unbiased HSIC estimator (Song et al. 2012): zero diagonal,
    row sums and total cached, and its self-HSIC."""

    k: np.ndarray
    row_sums: np.ndarray
    total: float
    self_hsic: float

    @classmethod
    def of(cls, gram: np.ndarray) -> CenteredGram:
        k = np.array(gram, dtype=np.float64)
        np.fill_diagonal(k, 0.0)
        row_sums = k.sum(axis=1)
        made = cls(k=k, row_sums=row_sums, total=float(row_sums.sum()), self_hsic=0.0)
        made.self_hsic = hsic_unbiased(made, made)
        return made

    def permuted(self, order: np.ndarray, signs: np.ndarray | None = None) -> CenteredGram:
        """The Gram of the same matrix with its samples reordered (and sign-flipped): K[order][:, order]·ssᵀ."""
        k = self.k.take(order, axis=0).take(order, axis=1)
        if signs is None:  # a pure reordering keeps the total and self-HSIC and reorders the row sums
            return CenteredGram(k=k, row_sums=self.row_sums[order], total=self.total, self_hsic=self.self_hsic)
        k *= np.outer(signs, signs)
        row_sums = k.sum(axis=1)
        made = CenteredGram(k=k, row_sums=row_sums, total=float(row_sums.sum()), self_hsic=0.0)
        made.self_hsic = hsic_unbiased(made, made)  # flipping samples changes the centring terms
        return made


def hsic_unbiased(a: CenteredGram, b: CenteredGram) -> float:
    """Unbiased HSIC_1 of Song et al. (2012) for two zero-diagonal Gram matrices over the same n samples."""
    n = a.k.shape[0]
    trace = float(np.einsum("ij,ij->", a.k, b.k))
    return (trace + a.total * b.total / ((n - 1) * (n - 2)) - 2.0 * float(a.row_sums @ b.row_sums) / (n - 2)) / (
        n * (n - 3)
    )


def cka_unbiased(a: CenteredGram, b: CenteredGram) -> float | None:
    """Unbiased linear CKA; None when either matrix has no signal (a self-HSIC that is not positive)."""
    if a.self_hsic <= 0 or b.self_hsic <= 0:
        return None
    return hsic_unbiased(a, b) / math.sqrt(a.self_hsic * b.self_hsic)
