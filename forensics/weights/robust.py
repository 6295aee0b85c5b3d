"""The permutation-, sign- and rotation-robust lineage score, after AWM (arXiv:2510.06738).

1. Align hidden dimensions: cosine between every embedding column of A and of B over the shared vocabulary
   rows (a bounded, evenly spaced sample when the vocabulary is huge), then linear assignment on 1 − |cos|.
   The matched cosine's sign records a sign flip.
2. For every layer, build the Gram matrices over hidden dimensions of W_q and W_k (G = Wᵀ W for W in [out, in]
   layout): the samples of CKA are the hidden dimensions, the features are the output dimensions. B's Grams are
   re-indexed and sign-flipped by step 1's alignment.
3. Unbiased linear CKA (Song et al. 2012 HSIC estimator) per layer for Q and for K; the layer's score is their
   mean and the model score is the mean over aligned layers. Layers are paired one-to-one when depths agree, by
   linear assignment on the CKA matrix when they differ.

Invariances: a Gram over hidden dimensions does not change under any orthogonal transform of the output
dimension (head reorderings, rotations inside Q/K such as llama.cpp's rotary row order, a rotation R applied as
R·W_q, R·W_k that leaves attention scores unchanged) nor under a global scale. A permutation and sign flips of the
hidden dimension are undone by step 1. A general rotation of the hidden (residual) space is NOT undone: it would
need an orthogonal Procrustes alignment of the embeddings, which this implementation does not attempt.

The score is compared with the published unrelated-pair null (mean 0.00375, sd 0.0028, from 7B-scale models)
and with a permutation null measured on the case itself (random re-alignment of the hidden dimensions), because
small models have a wider null than the published one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from forensics.formats.source import TensorMeta, WeightSource
from forensics.weights.stats import CenteredGram, cka_unbiased

NULL_MEAN = 0.00375
NULL_SD = 0.0028


@dataclass
class RobustOptions:
    max_vocab_rows: int = 8192  # embedding rows used for hidden-dimension alignment
    cka_max_dims: int = 1024  # hidden dimensions (CKA samples) used per Gram; CKA stays unbiased on a subset
    gram_memory_bytes: int = 256 * 2**20  # all Grams held at once when depths differ
    null_draws: int = 32  # permutation-null draws (fewer for large models, never under 8)
    null_budget: float = 1e9  # matrix elements touched by the permutation null
    seed: int = 0
    block_elements: int = 1 << 22


@dataclass
class ModelView:
    """The tensors of one model that the robust score needs, found by role."""

    source: WeightSource
    embedding: TensorMeta | None
    q: dict[int, TensorMeta] = field(default_factory=dict)
    k: dict[int, TensorMeta] = field(default_factory=dict)

    @property
    def layers(self) -> list[int]:
        return sorted(set(self.q) & set(self.k))


class RobustUnavailable(Exception):
    """The robust score cannot be computed for this pair; the message says why in plain words."""


def _embedding_cosines(a: ModelView, b: ModelView, options: RobustOptions) -> tuple[np.ndarray, int]:
    """|hidden_a| x |hidden_b| cosine matrix between embedding columns over the shared (sampled) vocab rows."""
    assert a.embedding is not None
    assert b.embedding is not None
    shared = min(a.embedding.shape[0], b.embedding.shape[0])
    rows = np.arange(shared)
    if shared > options.max_vocab_rows:
        rows = np.unique(np.linspace(0, shared - 1, options.max_vocab_rows).astype(np.int64))
    hidden_a, hidden_b = a.embedding.shape[1], b.embedding.shape[1]
    cross = np.zeros((hidden_a, hidden_b))
    norm_a = np.zeros(hidden_a)
    norm_b = np.zeros(hidden_b)
    start = 0
    for block_a, block_b in zip(
        a.source.row_blocks(a.embedding.name, options.block_elements),
        b.source.row_blocks(b.embedding.name, options.block_elements),
        strict=False,
    ):
        # Both models are read in equal row steps (same hidden size), so blocks line up row for row.
        count = min(block_a.shape[0], block_b.shape[0])
        wanted = rows[(rows >= start) & (rows < start + count)] - start
        start += block_a.shape[0]
        if wanted.size == 0:
            continue
        # float32 products per block (plenty for ranking cosines), float64 accumulation across blocks.
        xa = np.ascontiguousarray(block_a[wanted], dtype=np.float32)
        xb = np.ascontiguousarray(block_b[wanted], dtype=np.float32)
        cross += xa.T @ xb
        norm_a += np.einsum("ij,ij->j", xa, xa, dtype=np.float64)
        norm_b += np.einsum("ij,ij->j", xb, xb, dtype=np.float64)
        if start >= shared:
            break
    denom = np.sqrt(np.outer(norm_a, norm_b))
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.where(denom > 0, cross / np.where(denom > 0, denom, 1.0), 0.0)
    return cos, int(rows.size)


def align_hidden(cos: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Linear assignment on 1 − |cos|: returns (B index for each A dim, ±1 signs, mean matched |cos|)."""
    rows, cols = linear_sum_assignment(1.0 - np.abs(cos))
    perm = np.empty(cos.shape[0], dtype=np.int64)
    perm[rows] = cols
    matched = cos[rows, cols]
    signs = np.where(matched < 0, -1.0, 1.0)
    return perm, signs, float(np.mean(np.abs(matched)))


def _gram(source: WeightSource, meta: TensorMeta, columns: np.ndarray, block_elements: int) -> np.ndarray:
    """Σ over row blocks of W[:, columns]ᵀ W[:, columns]; float32 products, float64 accumulation per block."""
    gram = np.zeros((columns.size, columns.size))
    for block in source.row_blocks(meta.name, block_elements):
        part = np.ascontiguousarray(block[:, columns], dtype=np.float32)
        gram += (part.T @ part).astype(np.float64)
    return gram


@dataclass
class LayerGrams:
    q: CenteredGram
    k: CenteredGram


def _layer_score(a: LayerGrams, b: LayerGrams) -> tuple[float | None, float | None, float | None]:
    cq, ck = cka_unbiased(a.q, b.q), cka_unbiased(a.k, b.k)
    present = [c for c in (cq, ck) if c is not None]
    return cq, ck, (sum(present) / len(present) if present else None)


def _shuffled(grams: LayerGrams, order: np.ndarray) -> LayerGrams:
    return LayerGrams(q=grams.q.permuted(order), k=grams.k.permuted(order))


def robust_score(
    a: ModelView,
    b: ModelView,
    options: RobustOptions,
    progress: Callable[[float, str], None],
) -> dict[str, Any]:
    """The AWM-style score for a pair, or `RobustUnavailable` with the reason."""
    if a.embedding is None or b.embedding is None:
        which = "first" if a.embedding is None else "second"
        raise RobustUnavailable(f"the {which} model has no token embedding, so hidden dimensions cannot be aligned")
    hidden = a.embedding.shape[1]
    if len(a.embedding.shape) != 2 or len(b.embedding.shape) != 2 or b.embedding.shape[1] != hidden:
        raise RobustUnavailable(
            f"hidden sizes differ ({a.embedding.shape[-1]} vs {b.embedding.shape[-1]}): dimensions cannot be matched"
        )
    if hidden < 8:
        raise RobustUnavailable(f"hidden size {hidden} is too small for unbiased CKA")
    layers_a = [i for i in a.layers if a.q[i].shape[-1] == hidden and a.k[i].shape[-1] == hidden]
    layers_b = [j for j in b.layers if b.q[j].shape[-1] == hidden and b.k[j].shape[-1] == hidden]
    if not layers_a or not layers_b:
        which = "first" if not layers_a else "second"
        raise RobustUnavailable(f"the {which} model has no separate attention query/key matrices over the hidden size")

    progress(0.0, "aligning hidden dimensions on the embeddings")
    cos, vocab_rows = _embedding_cosines(a, b, options)
    perm, signs, quality = align_hidden(cos)

    same_depth = len(layers_a) == len(layers_b)
    dims = min(hidden, options.cka_max_dims)
    if not same_depth:  # every layer's Grams are held at once: bound their memory
        per_gram = 8 * 2 * (len(layers_a) + len(layers_b))
        dims = min(dims, int(math.sqrt(options.gram_memory_bytes / per_gram)))
    rng = np.random.default_rng(options.seed)
    cols_a = np.sort(rng.choice(hidden, size=dims, replace=False)) if dims < hidden else np.arange(hidden)
    cols_b = perm[cols_a]
    sign_sub = signs[cols_a]

    def grams_a(i: int) -> LayerGrams:
        return LayerGrams(
            q=CenteredGram.of(_gram(a.source, a.q[i], cols_a, options.block_elements)),
            k=CenteredGram.of(_gram(a.source, a.k[i], cols_a, options.block_elements)),
        )

    def grams_b(j: int) -> LayerGrams:
        ordered = np.arange(dims)
        return LayerGrams(
            q=CenteredGram.of(_gram(b.source, b.q[j], cols_b, options.block_elements)).permuted(ordered, sign_sub),
            k=CenteredGram.of(_gram(b.source, b.k[j], cols_b, options.block_elements)).permuted(ordered, sign_sub),
        )

    pair_count = min(len(layers_a), len(layers_b))
    cells = pair_count if same_depth else len(layers_a) * len(layers_b)
    draws = int(min(options.null_draws, max(8, options.null_budget / (4.0 * dims * dims * max(cells, 1)))))
    orders = [rng.permutation(dims) for _ in range(draws)]
    null_sums = np.zeros(draws)

    per_layer: list[dict[str, Any]] = []
    if same_depth:
        for step, (i, j) in enumerate(zip(layers_a, layers_b, strict=True)):
            progress(0.1 + 0.9 * step / pair_count, f"robust score: layer {i}")
            ga, gb = grams_a(i), grams_b(j)
            cq, ck, score = _layer_score(ga, gb)
            per_layer.append({"layer_a": i, "layer_b": j, "cka_q": cq, "cka_k": ck, "score": score})
            for d, order in enumerate(orders):
                null_sums[d] += _layer_score(_shuffled(ga, order), gb)[2] or 0.0
        null_scores = null_sums / pair_count
    else:
        all_a = {i: grams_a(i) for i in layers_a}
        progress(0.5, "robust score: second model's layers")
        all_b = {j: grams_b(j) for j in layers_b}
        pairs = _assign_layers(all_a, all_b)
        for i, j in pairs:
            cq, ck, score = _layer_score(all_a[i], all_b[j])
            per_layer.append({"layer_a": i, "layer_b": j, "cka_q": cq, "cka_k": ck, "score": score})
        # The null repeats the layer assignment, which picks the best of many noisy pairs: its upward bias is
        # then part of the null rather than mistaken for evidence.
        null_scores = np.empty(draws)
        for d, order in enumerate(orders):
            shuffled = {i: _shuffled(g, order) for i, g in all_a.items()}
            chosen = _assign_layers(shuffled, all_b)
            null_scores[d] = np.mean([_layer_score(shuffled[i], all_b[j])[2] or 0.0 for i, j in chosen])

    scored = [row["score"] for row in per_layer if row["score"] is not None]
    if not scored:
        raise RobustUnavailable("no layer produced a CKA value (all attention matrices are constant)")
    score = float(np.mean(scored))
    perm_mean, perm_sd = float(np.mean(null_scores)), float(np.std(null_scores, ddof=1)) if draws > 1 else 0.0
    center, spread = max(NULL_MEAN, perm_mean), max(NULL_SD, perm_sd)
    progress(1.0, "robust score done")
    return {
        "score": score,
        "z": abs(score - NULL_MEAN) / NULL_SD,
        "z_signed": (score - NULL_MEAN) / NULL_SD,
        "z_decision": (score - center) / spread,
        "null_mean": NULL_MEAN,
        "null_sd": NULL_SD,
        "permutation_null": {"mean": perm_mean, "sd": perm_sd, "draws": draws},
        "decision_null": {"mean": center, "sd": spread},
        "per_layer": per_layer,
        "layer_alignment": [[row["layer_a"], row["layer_b"]] for row in per_layer],
        "layers_a": len(layers_a),
        "layers_b": len(layers_b),
        "hidden_size": hidden,
        "cka_dims": dims,
        "vocab_rows_used": vocab_rows,
        "hidden_alignment": {
            "mean_abs_cosine": quality,
            "sign_flips": int(np.sum(signs < 0)),
            "identity_share": float(np.mean(perm == np.arange(hidden))),
        },
    }


def _assign_layers(all_a: dict[int, LayerGrams], all_b: dict[int, LayerGrams]) -> list[tuple[int, int]]:
    """Pair layers one-to-one by maximum total CKA (for depth-pruned or grown copies); ordered by A's layer."""
    keys_a, keys_b = sorted(all_a), sorted(all_b)
    matrix = np.array([[(_layer_score(all_a[i], all_b[j])[2] or 0.0) for j in keys_b] for i in keys_a])
    rows, cols = linear_sum_assignment(matrix, maximize=True)
    return sorted((keys_a[r], keys_b[c]) for r, c in zip(rows, cols, strict=True))
