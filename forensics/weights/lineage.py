"""weights.lineage: is model B derived from model A? Compares two weight files tensor by tensor and with a
permutation-robust score, streaming one tensor (or row block) at a time.

Statistics (details and limits in docs/forensics/weights.md):
- per-tensor cosine and centred Pearson for tensors with the same role and shape (1-D norm/bias vectors: Pearson
  only, since raw cosine of LayerNorm gains is ~0.97 between unrelated models);
- PCS, the global parameter cosine over matched tensors (HuRef, arXiv:2312.04828);
- the robust score (`forensics.weights.robust`, after AWM arXiv:2510.06738), which decides the verdict;
- the attention σ-curve Pearson (HonestAGI), context only: it is not probative.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from forensics.common import (
    CONSISTENT,
    INCONCLUSIVE,
    NO_EVIDENCE,
    InputFile,
    Progress,
    Run,
    no_progress,
)
from forensics.formats.hashing import sha256_bounded
from forensics.formats.source import DEFAULT_BLOCK_ELEMENTS, TensorMeta, WeightSource, open_source
from forensics.weights.robust import ModelView, RobustOptions, RobustUnavailable, robust_score
from forensics.weights.roles import Role, role_of
from forensics.weights.stats import PairMoments, pearson_exact

ANALYSIS = "weights.lineage"
CONSISTENT_Z = 10.0  # |z| at or above which the verdict is "consistent with derivation" (AWM's threshold)
INCONCLUSIVE_Z = 3.0  # below this the score is within ordinary unrelated-pair variation
SIGMA_PARTS = ("attn_q", "attn_k", "attn_v", "attn_o")
MAX_LISTED_NAMES = 20


NON_WEIGHT_DTYPES = frozenset({"I8", "I16", "I32", "I64", "U8", "U16", "U32", "U64", "BOOL"})


def _roles(source: WeightSource) -> dict[str, tuple[TensorMeta, Role]]:
    """Role key -> (tensor, role) for floating-point tensors; integer buffers (position ids) are not weights.
    When two names share a role (e.g. a tied lm_head), the first one wins."""
    found: dict[str, tuple[TensorMeta, Role]] = {}
    for meta in source.tensors():
        if meta.dtype in NON_WEIGHT_DTYPES:
            continue
        role = role_of(meta.name)
        found.setdefault(role.key, (meta, role))
    return found


def _view(source: WeightSource, roles: dict[str, tuple[TensorMeta, Role]]) -> ModelView:
    view = ModelView(source=source, embedding=roles["embedding.weight"][0] if "embedding.weight" in roles else None)
    for meta, role in roles.values():
        if role.param == "weight" and role.layer is not None and len(meta.shape) == 2:
            if role.part == "attn_q":
                view.q[role.layer] = meta
            elif role.part == "attn_k":
                view.k[role.layer] = meta
    return view


def _describe(source: WeightSource, roles: dict[str, tuple[TensorMeta, Role]]) -> dict[str, Any]:
    metas = source.tensors()
    layers = {role.layer for _, role in roles.values() if role.layer is not None}
    embedding = roles.get("embedding.weight")
    known = sum(1 for _, role in roles.values() if not role.part.startswith("other:"))
    return {
        "format": source.kind,
        "files": [p.name for p in source.files],
        "tensors": len(metas),
        "parameters": int(sum(m.numel for m in metas)),
        "dtypes": sorted({m.dtype for m in metas}),
        "layers": len(layers),
        "hidden_size": embedding[0].shape[-1] if embedding else None,
        "vocab_size": embedding[0].shape[0] if embedding else None,
        "recognised_roles": known,
    }


def _pair_blocks(a: WeightSource, b: WeightSource, ma: TensorMeta, mb: TensorMeta, block: int) -> Iterator[tuple]:
    # Same shape, so both sides are cut into the same row blocks.
    yield from zip(a.row_blocks(ma.name, block), b.row_blocks(mb.name, block), strict=True)


def _std(total: float, squares: float, n: int) -> float:
    return math.sqrt(max(squares / n - (total / n) ** 2, 0.0))


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _sigma_curve(stds: dict[tuple[str, str, int], float], pairs: list[tuple[int, int]]) -> dict[str, Any]:
    curve_a, curve_b = [], []
    for part in SIGMA_PARTS:
        for i, j in pairs:
            if (part, "a", i) in stds and (part, "b", j) in stds:
                curve_a.append(stds[(part, "a", i)])
                curve_b.append(stds[(part, "b", j)])
    pearson = pearson_exact(np.array(curve_a), np.array(curve_b)) if len(curve_a) >= 3 else None
    return {
        "pearson": _finite(pearson),
        "points": len(curve_a),
        "curve_a": curve_a,
        "curve_b": curve_b,
        "probative": False,
        "note": (
            "Standard deviation of each layer's attention weights (q, k, v, o), correlated across layers "
            "(HonestAGI). Shown as context only: unrelated 7B models reach 0.91 on it, so it proves nothing."
        ),
    }


def _verdict(robust: dict[str, Any] | None, reason_missing: str | None) -> tuple[str, str]:
    if robust is None:
        return INCONCLUSIVE, f"The robust score could not be computed: {reason_missing}."
    z = robust["z_decision"]
    null = robust["decision_null"]
    told = (
        f"robust score {robust['score']:.4f} lies {z:.1f} null standard deviations "
        f"(null mean {null['mean']:.5f}, sd {null['sd']:.5f}) from unrelated pairs"
    )
    if z >= CONSISTENT_Z:
        return CONSISTENT, f"The {told}, at or beyond the threshold of {CONSISTENT_Z:g}."
    if z >= INCONCLUSIVE_Z:
        return INCONCLUSIVE, f"The {told}: above ordinary variation but below the threshold of {CONSISTENT_Z:g}."
    return NO_EVIDENCE, f"The {told}, within the range of unrelated models."


def compare_weights(
    path_a: str | os.PathLike[str],
    path_b: str | os.PathLike[str],
    *,
    progress: Progress = no_progress,
    robust: bool = True,
    max_vocab_rows: int = 8192,
    cka_max_dims: int = 1024,
    null_draws: int = 32,
    seed: int = 0,
    block_elements: int = DEFAULT_BLOCK_ELEMENTS,
    known_sha256: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Compare two models (safetensors file, shard index, GGUF, or a directory holding one). See module doc.

    ``known_sha256`` maps a file's path (as given, or as found beside a shard index) to its SHA-256 when the
    caller already has it (the evidence vault does), so multi-GB inputs are not hashed twice.
    """
    options = RobustOptions(
        max_vocab_rows=max_vocab_rows,
        cka_max_dims=cka_max_dims,
        null_draws=null_draws,
        seed=seed,
        block_elements=block_elements,
    )
    source_a, source_b = open_source(path_a), open_source(path_b)
    progress(0.02, "hashing inputs")
    hashes = {str(Path(k).resolve()): v for k, v in (known_sha256 or {}).items()}

    def described(role: str, files: list[Path]) -> list[InputFile]:
        # Hash here with a bounded resident set rather than in InputFile.of, which maps the whole file.
        return [InputFile.of(role, p, hashes.get(str(p.resolve())) or sha256_bounded(p)) for p in files]

    inputs = described("model_a", source_a.files) + described("model_b", source_b.files)
    parameters = {"robust": robust, **{k: v for k, v in asdict(options).items() if k != "block_elements"}}
    run = Run(analysis=ANALYSIS, parameters=parameters, inputs=inputs)
    roles_a, roles_b = _roles(source_a), _roles(source_b)
    architecture = {"a": _describe(source_a, roles_a), "b": _describe(source_b, roles_b)}

    robust_result: dict[str, Any] | None = None
    missing: str | None = "disabled by the caller" if not robust else None
    if robust:
        try:
            robust_result = robust_score(
                _view(source_a, roles_a),
                _view(source_b, roles_b),
                options,
                lambda f, m: progress(0.1 + 0.4 * f, m),
            )
        except RobustUnavailable as exc:
            missing = str(exc)
            run.warn(f"Robust score unavailable: {missing}.")

    # Layer pairing: by index, unless depths differ and the robust score aligned layers.
    layer_map: dict[int, int] | None = None
    if robust_result and robust_result["layers_a"] != robust_result["layers_b"]:
        layer_map = {j: i for i, j in robust_result["layer_alignment"]}

    def key_b(role: Role) -> str | None:
        if layer_map is None or role.layer is None:
            return role.key
        if role.layer not in layer_map:
            return None
        return Role(role.part, layer_map[role.layer], role.param).key

    mapped_b = {key: entry for entry in roles_b.values() if (key := key_b(entry[1])) is not None}
    shared = [k for k in roles_a if k in mapped_b]
    matched = [k for k in shared if roles_a[k][0].shape == mapped_b[k][0].shape]
    mismatched = [k for k in shared if k not in matched]
    for key in mismatched[:MAX_LISTED_NAMES]:
        run.warn(f"role {key}: shapes differ ({roles_a[key][0].shape} vs {mapped_b[key][0].shape}); not compared")

    tensors: list[dict[str, Any]] = []
    stds: dict[tuple[str, str, int], float] = {}
    totals = PairMoments()  # matrices only: the PCS
    totals_all = PairMoments()  # every matched tensor, vectors included (reported for comparison with HuRef)
    total_elements = sum(roles_a[k][0].numel for k in matched) or 1
    done = 0
    for key in matched:
        (meta_a, role), (meta_b, role_b) = roles_a[key], mapped_b[key]
        moments = PairMoments()
        for block_a, block_b in _pair_blocks(source_a, source_b, meta_a, meta_b, block_elements):
            moments.add(block_a, block_b)
        one_d = len(meta_a.shape) <= 1
        pearson = pearson_exact(source_a.read(meta_a.name), source_b.read(meta_b.name)) if one_d else moments.pearson()
        cosine = None if one_d else moments.cosine()
        tensors.append(
            {
                "name_a": meta_a.name,
                "name_b": meta_b.name,
                "role": key,
                "shape": list(meta_a.shape),
                "cosine": _finite(cosine),
                "pearson": _finite(pearson),
                "similarity": _finite(pearson if one_d else cosine),
            }
        )
        for target in (totals_all,) if one_d else (totals, totals_all):
            target.merge(moments)
        if role.part in SIGMA_PARTS and role.param == "weight" and role.layer is not None and moments.n > 1:
            stds[(role.part, "a", role.layer)] = _std(moments.sum_a, moments.sum_aa, moments.n)
            stds[(role.part, "b", role_b.layer if role_b.layer is not None else role.layer)] = _std(
                moments.sum_b, moments.sum_bb, moments.n
            )
        done += meta_a.numel
        progress(0.5 + 0.48 * done / total_elements, f"compared {key}")

    if not matched:
        run.warn("The two models share no tensor role with the same shape: per-tensor statistics and PCS are empty.")
    only_a = [roles_a[k][0].name for k in roles_a if k not in mapped_b]
    only_b = [e[0].name for k, e in mapped_b.items() if k not in roles_a]
    pcs = _finite(totals.cosine()) if totals.n else None
    pcs_all = _finite(totals_all.cosine()) if totals_all.n else None
    layer_pairs = (
        [(int(i), int(j)) for i, j in robust_result["layer_alignment"]]
        if robust_result
        else sorted({(r.layer, r.layer) for _, r in roles_a.values() if r.layer is not None})
    )
    sigma = _sigma_curve(stds, layer_pairs)
    verdict, reason = _verdict(robust_result, missing)
    explanation = _explain(architecture, matched, robust_result, missing)
    progress(1.0, "done")
    return run.finish(
        verdict=verdict,
        verdict_reason=reason,
        explanation=explanation,
        robust=robust_result,
        pcs=pcs,
        pcs_with_vectors=pcs_all,
        tensors=tensors,
        sigma_curve=sigma,
        architecture={
            **architecture,
            "matched_tensors": len(matched),
            "shape_mismatches": len(mismatched),
            "only_in_a": only_a[:MAX_LISTED_NAMES],
            "only_in_b": only_b[:MAX_LISTED_NAMES],
            "only_in_a_count": len(only_a),
            "only_in_b_count": len(only_b),
        },
    )


def _explain(
    architecture: dict[str, Any], matched: list[str], robust: dict[str, Any] | None, missing: str | None
) -> str:
    """One paragraph in plain words for the report page."""
    a, b = architecture["a"], architecture["b"]
    parts = [
        f"Model A has {a['tensors']} tensors ({a['parameters']:,} parameters, {a['layers']} layers); "
        f"model B has {b['tensors']} ({b['parameters']:,} parameters, {b['layers']} layers). "
        f"{len(matched)} tensors share a role and shape and were compared one to one."
    ]
    if robust is None:
        parts.append(
            f"The permutation-robust score could not be computed because {missing}; without it no verdict "
            "stronger than 'inconclusive' is given."
        )
    else:
        parts.append(
            f"The robust score aligns the {robust['hidden_size']} hidden dimensions on the embeddings "
            f"(mean matched |cos| {robust['hidden_alignment']['mean_abs_cosine']:.3f}) and compares attention "
            f"query/key matrices over {len(robust['per_layer'])} layer pairs."
        )
    return " ".join(parts)
