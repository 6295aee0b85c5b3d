"""weights.lineage verdicts on seeded fixtures whose relation is known, plus the real all-MiniLM-L6-v2 pair."""

from __future__ import annotations

import json
from pathlib import Path

import gguf
import numpy as np
import pytest

from forensics.common import CONSISTENT, INCONCLUSIVE, NO_EVIDENCE
from forensics.formats.safetensors_writer import write_arrays
from forensics.weights import charts, compare_weights
from forensics.weights import fixtures as fx


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("weights")
    base = fx.tiny_llama(1)
    paths = {"base": fx.write_model(base, d / "base.safetensors")}
    for noise in (0.01, 0.1, 0.3):
        paths[f"ft{noise}"] = fx.write_model(fx.fine_tune(base, noise, seed=7), d / f"ft{noise}.safetensors")
    paths["permuted"] = fx.write_model(fx.permute_hidden(base, seed=3), d / "permuted.safetensors")
    paths["bf16"] = fx.write_model(base, d / "bf16.safetensors", dtype="BF16")
    paths["pruned"] = fx.write_model(fx.depth_pruned(base, {2, 4}), d / "pruned.safetensors")
    for seed in (2, 3, 4):
        paths[f"indep{seed}"] = fx.write_model(fx.tiny_llama(seed), d / f"indep{seed}.safetensors")
    paths["indep_pruned"] = fx.write_model(fx.depth_pruned(fx.tiny_llama(9), {1, 3}), d / "ip.safetensors")
    paths["sharded"] = fx.write_sharded(fx.fine_tune(base, 0.01, seed=7), d / "sharded")
    return paths


def rms_norm(x: np.ndarray, gain: np.ndarray) -> np.ndarray:
    return x / np.sqrt(np.mean(x**2, axis=-1, keepdims=True) + 1e-6) * gain


def llama_logits(w: dict[str, np.ndarray], tokens: list[int]) -> np.ndarray:
    """A plain numpy forward pass of the tiny Llama (causal attention, SwiGLU, no rotary) for fixture checks."""
    heads = fx.TINY["heads"]
    h = w["model.embed_tokens.weight"][tokens].astype(np.float64)
    n = len(tokens)
    for i in range(fx.TINY["layers"]):
        p = f"model.layers.{i}."
        x = rms_norm(h, w[p + "input_layernorm.weight"])
        q, k, v = (x @ w[p + f"self_attn.{m}_proj.weight"].T for m in "qkv")
        split = [a.reshape(n, heads, -1).transpose(1, 0, 2) for a in (q, k, v)]
        scores = split[0] @ split[1].transpose(0, 2, 1) / np.sqrt(split[0].shape[-1])
        scores = np.where(np.tril(np.ones((n, n))) > 0, scores, -np.inf)
        att = np.exp(scores - scores.max(-1, keepdims=True))
        att /= att.sum(-1, keepdims=True)
        h = h + (att @ split[2]).transpose(1, 0, 2).reshape(n, -1) @ w[p + "self_attn.o_proj.weight"].T
        x = rms_norm(h, w[p + "post_attention_layernorm.weight"])
        gate = x @ w[p + "mlp.gate_proj.weight"].T
        h = h + (gate / (1 + np.exp(-gate)) * (x @ w[p + "mlp.up_proj.weight"].T)) @ w[p + "mlp.down_proj.weight"].T
    return rms_norm(h, w["model.norm.weight"]) @ w["lm_head.weight"].T


def test_permuted_fixture_computes_the_same_function() -> None:
    base = fx.tiny_llama(1)
    permuted = fx.permute_hidden(base, seed=3)
    tokens = [5, 17, 300, 2, 511, 64]
    np.testing.assert_allclose(llama_logits(permuted, tokens), llama_logits(base, tokens), rtol=1e-4, atol=1e-6)
    assert not np.allclose(
        permuted["model.layers.0.self_attn.q_proj.weight"], base["model.layers.0.self_attn.q_proj.weight"]
    )


@pytest.mark.parametrize("noise", [0.01, 0.1, 0.3])
def test_fine_tunes_are_consistent(models: dict[str, Path], noise: float) -> None:
    result = compare_weights(models["base"], models[f"ft{noise}"])
    assert result["verdict"] == CONSISTENT
    assert result["robust"]["z_decision"] >= 10
    assert result["pcs"] > {0.01: 0.999, 0.1: 0.99, 0.3: 0.9}[noise]


def test_permuted_copy_is_consistent_although_pcs_is_near_zero(models: dict[str, Path]) -> None:
    result = compare_weights(models["base"], models["permuted"])
    assert result["verdict"] == CONSISTENT
    assert abs(result["pcs"]) < 0.05
    robust = result["robust"]
    assert robust["score"] > 0.999
    assert robust["hidden_alignment"]["mean_abs_cosine"] > 0.999
    assert robust["hidden_alignment"]["sign_flips"] > 10


def test_bf16_recast_is_consistent(models: dict[str, Path]) -> None:
    result = compare_weights(models["base"], models["bf16"])
    assert result["verdict"] == CONSISTENT
    assert result["pcs"] > 0.9999
    assert result["architecture"]["b"]["dtypes"] == ["BF16"]


def test_depth_pruned_copy_is_consistent_and_layers_are_realigned(models: dict[str, Path]) -> None:
    result = compare_weights(models["base"], models["pruned"])
    assert result["verdict"] == CONSISTENT
    assert result["robust"]["layer_alignment"] == [[0, 0], [1, 1], [3, 2], [5, 3]]
    assert result["pcs"] > 0.9999  # per-tensor matching follows the realigned layers
    # Picking the best of many layer pairs inflates unrelated scores; the case null must have absorbed that.
    assert result["robust"]["permutation_null"]["mean"] > 0.005


@pytest.mark.parametrize("other", ["indep2", "indep3", "indep4", "indep_pruned"])
def test_independent_models_show_no_evidence(models: dict[str, Path], other: str) -> None:
    result = compare_weights(models["base"], models[other])
    assert result["verdict"] == NO_EVIDENCE
    assert result["robust"]["z_decision"] < 3
    assert abs(result["pcs"]) < 0.05


def test_sharded_model_reads_like_a_single_file(models: dict[str, Path]) -> None:
    sharded = compare_weights(models["base"], models["sharded"])
    single = compare_weights(models["base"], models["ft0.01"])
    assert sharded["verdict"] == CONSISTENT
    assert sharded["pcs"] == pytest.approx(single["pcs"], abs=1e-12)
    assert [i["name"] for i in sharded["inputs"] if i["role"] == "model_b"] == [
        "model.safetensors.index.json",
        "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors",
    ]


def test_result_is_strict_json_with_envelope_and_progress(models: dict[str, Path]) -> None:
    seen: list[float] = []
    result = compare_weights(models["base"], models["ft0.1"], progress=lambda f, _m: seen.append(f))
    text = json.dumps(result, allow_nan=False)
    assert json.loads(text)["analysis"] == "weights.lineage"
    for key in ("verdict", "verdict_reason", "robust", "pcs", "tensors", "sigma_curve", "architecture", "warnings"):
        assert key in result
    assert {"score", "z", "per_layer", "layer_alignment", "null_mean", "null_sd"} <= result["robust"].keys()
    assert result["sigma_curve"]["probative"] is False
    assert seen == sorted(seen)
    assert seen[-1] == 1.0
    norm = next(t for t in result["tensors"] if t["role"] == "layer.0.attn_norm.weight")
    assert norm["cosine"] is None  # vectors are judged by centred Pearson only
    assert norm["similarity"] == norm["pearson"]


def test_charts_are_svg(models: dict[str, Path]) -> None:
    result = json.loads(json.dumps(compare_weights(models["base"], models["pruned"])))
    drawn = charts(result)
    assert set(drawn) == {"per_layer", "null", "tensor_similarity"}
    assert all("<svg" in svg for svg in drawn.values())


def test_different_hidden_sizes_are_explained_not_crashed(models: dict[str, Path]) -> None:
    result = compare_weights(models["base"], fx.minilm_path())
    assert result["verdict"] == INCONCLUSIVE
    assert "hidden sizes differ (64 vs 384)" in result["verdict_reason"]
    assert result["robust"] is None
    assert any("Robust score unavailable" in w for w in result["warnings"])
    assert result["pcs"] is None


def test_no_shared_roles_and_no_embedding(tmp_path: Path, models: dict[str, Path]) -> None:
    odd = tmp_path / "odd.safetensors"
    write_arrays(odd, {"something.else": np.ones((4, 4), np.float32)})
    result = compare_weights(models["base"], odd)
    assert result["verdict"] == INCONCLUSIVE
    assert "no token embedding" in result["verdict_reason"]
    assert any("share no tensor role" in w for w in result["warnings"])
    assert result["tensors"] == []


def _write_gguf(weights: dict[str, np.ndarray], path: Path) -> Path:
    """The tiny Llama under llama.cpp names, attention matrices quantised to Q8_0."""
    rename = {
        "model.embed_tokens.weight": "token_embd.weight",
        "model.norm.weight": "output_norm.weight",
        "lm_head.weight": "output.weight",
    }
    parts = {
        "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
        "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
        "mlp.down_proj": "ffn_down", "input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm",
    }  # fmt: skip
    writer = gguf.GGUFWriter(path, "llama")
    for name, value in weights.items():
        if name in rename:
            new = rename[name]
        else:
            layer, rest = name.removeprefix("model.layers.").split(".", 1)
            new = f"blk.{layer}.{parts[rest.removesuffix('.weight')]}.weight"
        if new.split(".")[-2] in ("attn_q", "attn_k", "attn_v", "attn_output"):
            packed = gguf.quants.quantize(value, gguf.GGMLQuantizationType.Q8_0)
            writer.add_tensor(new, packed, raw_shape=packed.shape, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
        else:
            writer.add_tensor(new, value)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_gguf_quantised_copy_is_consistent(tmp_path: Path, models: dict[str, Path]) -> None:
    path = _write_gguf(fx.tiny_llama(1), tmp_path / "tiny.gguf")
    result = compare_weights(models["base"], path)
    assert result["architecture"]["b"]["format"] == "gguf"
    assert result["architecture"]["matched_tensors"] == len(fx.tiny_llama(1))
    assert result["verdict"] == CONSISTENT
    q = next(t for t in result["tensors"] if t["role"] == "layer.0.attn_q.weight")
    assert 0.999 < q["cosine"] < 1.0  # Q8_0 rounding is visible but small


def test_gguf_independent_shows_no_evidence(tmp_path: Path, models: dict[str, Path]) -> None:
    path = _write_gguf(fx.tiny_llama(2), tmp_path / "other.gguf")
    assert compare_weights(models["base"], path)["verdict"] == NO_EVIDENCE


def test_minilm_and_its_permuted_copy(tmp_path: Path) -> None:
    permuted = fx.write_minilm_permuted(tmp_path / "minilm_permuted.safetensors", seed=5)
    result = compare_weights(fx.minilm_path(), permuted)
    assert result["verdict"] == CONSISTENT
    assert result["robust"]["score"] > 0.999
    assert abs(result["pcs"]) < 0.01
    assert result["architecture"]["a"]["hidden_size"] == 384
    assert result["architecture"]["matched_tensors"] == 103  # every float tensor; position ids are not weights


def test_known_hashes_are_used_and_others_computed(models: dict[str, Path]) -> None:
    import hashlib

    result = compare_weights(models["base"], models["bf16"], known_sha256={str(models["base"]): "ab" * 32})
    by_role = {i["role"]: i["sha256"] for i in result["inputs"]}
    assert by_role["model_a"] == "ab" * 32
    assert by_role["model_b"] == hashlib.sha256(models["bf16"].read_bytes()).hexdigest()


def test_subsampled_hidden_dimensions_keep_the_verdicts(models: dict[str, Path]) -> None:
    derived = compare_weights(models["base"], models["permuted"], cka_max_dims=32, max_vocab_rows=200)
    assert derived["robust"]["cka_dims"] == 32
    assert derived["robust"]["vocab_rows_used"] == 200
    assert derived["verdict"] == CONSISTENT
    unrelated = compare_weights(models["base"], models["indep2"], cka_max_dims=32)
    assert unrelated["verdict"] == NO_EVIDENCE
    # Fewer CKA samples widen the unrelated-pair spread; the case's permutation null must see that.
    assert unrelated["robust"]["permutation_null"]["sd"] > 0.0028


def test_extended_vocabulary_is_aligned_on_the_shared_rows(tmp_path: Path, models: dict[str, Path]) -> None:
    grown = fx.fine_tune(fx.tiny_llama(1), 0.05, seed=8)
    extra = np.random.default_rng(0).normal(0, 0.02, size=(64, fx.TINY["hidden"])).astype(np.float32)
    for name in ("model.embed_tokens.weight", "lm_head.weight"):
        grown[name] = np.concatenate([grown[name], extra])
    result = compare_weights(models["base"], fx.write_model(grown, tmp_path / "grown.safetensors"))
    assert result["verdict"] == CONSISTENT
    assert result["robust"]["vocab_rows_used"] == fx.TINY["vocab"]
    assert result["architecture"]["shape_mismatches"] == 2
    assert any("embedding.weight: shapes differ" in w for w in result["warnings"])
