"""Building blocks of weights.lineage: role names, streaming moments, unbiased CKA and its invariances."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
from scipy.stats import ortho_group

from forensics.formats.dtypes import encode_bf16
from forensics.weights.robust import align_hidden
from forensics.weights.roles import role_of
from forensics.weights.stats import CenteredGram, PairMoments, cka_unbiased, pearson_exact


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("model.layers.3.self_attn.q_proj.weight", "layer.3.attn_q.weight"),
        ("model.layers.0.self_attn.k_proj.bias", "layer.0.attn_k.bias"),
        ("model.layers.11.mlp.down_proj.weight", "layer.11.ffn_down.weight"),
        ("model.layers.2.post_attention_layernorm.weight", "layer.2.ffn_norm.weight"),
        ("encoder.layer.4.attention.self.query.weight", "layer.4.attn_q.weight"),
        ("bert.encoder.layer.4.attention.self.key.bias", "layer.4.attn_k.bias"),
        ("encoder.layer.5.intermediate.dense.weight", "layer.5.ffn_up.weight"),
        ("encoder.layer.5.output.dense.weight", "layer.5.ffn_down.weight"),
        ("encoder.layer.5.attention.output.dense.weight", "layer.5.attn_o.weight"),
        ("blk.7.attn_q.weight", "layer.7.attn_q.weight"),
        ("blk.7.attn_output.weight", "layer.7.attn_o.weight"),
        ("blk.7.ffn_gate.weight", "layer.7.ffn_gate.weight"),
        ("token_embd.weight", "embedding.weight"),
        ("model.embed_tokens.weight", "embedding.weight"),
        ("embeddings.word_embeddings.weight", "embedding.weight"),
        ("output.weight", "lm_head.weight"),
        ("lm_head.weight", "lm_head.weight"),
        ("output_norm.weight", "final_norm.weight"),
        ("model.norm.weight", "final_norm.weight"),
        ("some.custom.tensor", "other:some.custom.tensor"),
    ],
)
def test_roles_normalise_naming_conventions(name: str, key: str) -> None:
    assert role_of(name).key == key


def test_pair_moments_match_numpy_in_blocks() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(0.3, 1, size=10_000).astype(np.float32)
    b = (0.5 * a + rng.normal(size=a.size)).astype(np.float32)
    moments = PairMoments()
    for start in range(0, a.size, 999):
        moments.add(a[start : start + 999], b[start : start + 999])
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    assert moments.cosine() == pytest.approx(a64 @ b64 / np.linalg.norm(a64) / np.linalg.norm(b64), abs=1e-12)
    assert moments.pearson() == pytest.approx(np.corrcoef(a64, b64)[0, 1], abs=1e-9)


def test_pearson_of_norm_gains_ignores_their_shared_offset() -> None:
    rng = np.random.default_rng(1)
    a, b = 1 + 0.01 * rng.normal(size=384), 1 + 0.01 * rng.normal(size=384)
    assert a @ b / np.linalg.norm(a) / np.linalg.norm(b) > 0.99  # why raw cosine is useless for gains
    assert abs(pearson_exact(a, b)) < 0.2
    assert pearson_exact(np.ones(8), np.arange(8.0)) is None


def gram(matrix: np.ndarray) -> CenteredGram:
    """Samples are the columns (hidden dimensions) of an [out, in] weight matrix."""
    return CenteredGram.of(matrix.T @ matrix)


def test_cka_is_one_for_output_rotations_and_scale_but_sees_sample_permutations() -> None:
    rng = np.random.default_rng(2)
    w = rng.normal(size=(48, 64))
    rotation = ortho_group.rvs(48, random_state=3)
    assert cka_unbiased(gram(w), gram(3.0 * rotation @ w)) == pytest.approx(1.0, abs=1e-9)
    shuffled = w[:, rng.permutation(64)]
    assert cka_unbiased(gram(w), gram(shuffled)) < 0.2
    flips = np.where(rng.random(64) < 0.5, -1.0, 1.0)
    flipped = gram(w * flips)
    undone = flipped.permuted(np.arange(64), flips)
    assert cka_unbiased(gram(w), undone) == pytest.approx(1.0, abs=1e-9)


def test_unbiased_cka_of_independent_matrices_centres_on_zero() -> None:
    rng = np.random.default_rng(4)
    values = [cka_unbiased(gram(rng.normal(size=(64, 64))), gram(rng.normal(size=(64, 64)))) for _ in range(200)]
    assert abs(float(np.mean(values))) < 0.005
    assert 0.01 < float(np.std(values)) < 0.04  # about 1.4 / n: why small models need the case's own null


def test_hidden_alignment_recovers_permutation_and_signs() -> None:
    rng = np.random.default_rng(5)
    emb = rng.normal(size=(300, 32))
    perm, flips = rng.permutation(32), np.where(rng.random(32) < 0.5, -1.0, 1.0)
    other = emb[:, perm] * flips
    cos = (emb / np.linalg.norm(emb, axis=0)).T @ (other / np.linalg.norm(other, axis=0))
    found, signs, quality = align_hidden(cos)
    np.testing.assert_array_equal(perm[found], np.arange(32))
    np.testing.assert_array_equal(signs, flips[found])
    assert quality == pytest.approx(1.0)


def test_bf16_encoding_rounds_like_ml_dtypes() -> None:
    values = np.random.default_rng(6).normal(size=4096).astype(np.float32) * 1e3
    np.testing.assert_array_equal(encode_bf16(values), values.astype(ml_dtypes.bfloat16).view(np.uint16))
