"""Map tensor names of common checkpoint conventions onto shared roles, so two models can be compared
even when one was renamed (HF Llama/Mistral/Qwen, BERT-style encoders such as all-MiniLM-L6-v2, GGUF).

A role key looks like ``layer.3.attn_q.weight`` or ``embedding.weight``. Names we do not recognise keep a
role of their own (``other:<name>``) so that identically named tensors are still compared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Prefixes that wrap the same tensors in different exports (e.g. "bert.encoder..." vs "encoder...").
_PREFIXES = ("bert.", "roberta.", "model.language_model.", "language_model.", "transformer.")

# Per-layer parts: the layer's block name -> role part.
_LAYER_PATTERNS: list[tuple[re.Pattern[str], dict[str, str]]] = [
    (  # HF Llama / Mistral / Qwen / Gemma
        re.compile(r"^model\.layers\.(\d+)\.(.+)\.(weight|bias)$"),
        {
            "self_attn.q_proj": "attn_q",
            "self_attn.k_proj": "attn_k",
            "self_attn.v_proj": "attn_v",
            "self_attn.o_proj": "attn_o",
            "mlp.gate_proj": "ffn_gate",
            "mlp.up_proj": "ffn_up",
            "mlp.down_proj": "ffn_down",
            "input_layernorm": "attn_norm",
            "post_attention_layernorm": "ffn_norm",
            "self_attn.q_norm": "attn_q_norm",
            "self_attn.k_norm": "attn_k_norm",
        },
    ),
    (  # BERT / MiniLM encoders (post-LayerNorm: attn_norm follows attention, ffn_norm follows the FFN)
        re.compile(r"^encoder\.layer\.(\d+)\.(.+)\.(weight|bias)$"),
        {
            "attention.self.query": "attn_q",
            "attention.self.key": "attn_k",
            "attention.self.value": "attn_v",
            "attention.output.dense": "attn_o",
            "attention.output.LayerNorm": "attn_norm",
            "intermediate.dense": "ffn_up",
            "output.dense": "ffn_down",
            "output.LayerNorm": "ffn_norm",
        },
    ),
    (  # GGUF (llama.cpp)
        re.compile(r"^blk\.(\d+)\.(.+)\.(weight|bias)$"),
        {
            "attn_q": "attn_q",
            "attn_k": "attn_k",
            "attn_v": "attn_v",
            "attn_output": "attn_o",
            "ffn_gate": "ffn_gate",
            "ffn_up": "ffn_up",
            "ffn_down": "ffn_down",
            "attn_norm": "attn_norm",
            "ffn_norm": "ffn_norm",
            "attn_q_norm": "attn_q_norm",
            "attn_k_norm": "attn_k_norm",
        },
    ),
    (  # GPT-2 (Conv1D weights are stored [in, out]; the fused c_attn has no separate q/k)
        re.compile(r"^h\.(\d+)\.(.+)\.(weight|bias)$"),
        {
            "attn.c_attn": "attn_qkv",
            "attn.c_proj": "attn_o",
            "mlp.c_fc": "ffn_up",
            "mlp.c_proj": "ffn_down",
            "ln_1": "attn_norm",
            "ln_2": "ffn_norm",
        },
    ),
]

_GLOBAL_NAMES: dict[str, str] = {
    "model.embed_tokens.weight": "embedding.weight",
    "embeddings.word_embeddings.weight": "embedding.weight",
    "token_embd.weight": "embedding.weight",
    "wte.weight": "embedding.weight",
    "embeddings.position_embeddings.weight": "pos_embedding.weight",
    "wpe.weight": "pos_embedding.weight",
    "embeddings.token_type_embeddings.weight": "type_embedding.weight",
    "embeddings.LayerNorm.weight": "embed_norm.weight",
    "embeddings.LayerNorm.bias": "embed_norm.bias",
    "model.norm.weight": "final_norm.weight",
    "output_norm.weight": "final_norm.weight",
    "ln_f.weight": "final_norm.weight",
    "ln_f.bias": "final_norm.bias",
    "lm_head.weight": "lm_head.weight",
    "output.weight": "lm_head.weight",
    "pooler.dense.weight": "pooler.weight",
    "pooler.dense.bias": "pooler.bias",
}

# Matrices whose input (last) dimension is the model's hidden size, in [out, in] layout.
READS_HIDDEN = ("attn_q", "attn_k", "attn_v", "ffn_gate", "ffn_up")


@dataclass(frozen=True)
class Role:
    """``part`` e.g. "attn_q"; ``layer`` None for model-wide tensors; ``param`` "weight" or "bias"."""

    part: str
    layer: int | None
    param: str

    @property
    def key(self) -> str:
        if self.part.startswith("other:"):
            return self.part
        prefix = f"layer.{self.layer}." if self.layer is not None else ""
        return f"{prefix}{self.part}.{self.param}"


def _strip_prefix(name: str) -> str:
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def role_of(name: str) -> Role:
    """The role of a tensor name; unknown names get ``Role("other:<name>", None, "")``."""
    bare = _strip_prefix(name)
    if bare in _GLOBAL_NAMES:
        part, param = _GLOBAL_NAMES[bare].rsplit(".", 1)
        return Role(part, None, param)
    for pattern, parts in _LAYER_PATTERNS:
        match = pattern.match(bare)
        if match and match.group(2) in parts:
            return Role(parts[match.group(2)], int(match.group(1)), match.group(3))
    return Role(f"other:{name}", None, "")
