"""SVG charts for a weights.lineage result, drawn only from the stored result dict (so reports can be rendered
again later from JSON)."""

from __future__ import annotations

import io
import math
from typing import Any


def _svg(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _per_layer(result: dict[str, Any]) -> str | None:
    import matplotlib.pyplot as plt

    robust = result.get("robust")
    if not robust or not robust.get("per_layer"):
        return None
    rows = robust["per_layer"]
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    x = list(range(len(rows)))
    for key, label, style in (
        ("cka_q", "CKA of W_q", "o-"),
        ("cka_k", "CKA of W_k", "s-"),
        ("score", "layer score", "k--"),
    ):
        ax.plot(x, [r[key] if r[key] is not None else math.nan for r in rows], style, label=label, markersize=4)
    ax.axhline(robust["null_mean"], color="grey", linewidth=0.8, label="unrelated-pair mean")
    ax.set_xticks(x, [f"{r['layer_a']}↔{r['layer_b']}" for r in rows], rotation=45 if len(rows) > 12 else 0)
    ax.set_xlabel("layer (model A ↔ model B)")
    ax.set_ylabel("unbiased linear CKA")
    ax.set_ylim(min(-0.1, *(r["score"] or 0 for r in rows)), 1.05)
    ax.set_title("Per-layer similarity after hidden-dimension alignment")
    ax.legend(fontsize=8, loc="lower left")
    return _svg(fig)


def _null(result: dict[str, Any]) -> str | None:
    import matplotlib.pyplot as plt
    import numpy as np

    robust = result.get("robust")
    if not robust:
        return None
    mean, sd = robust["decision_null"]["mean"], robust["decision_null"]["sd"]
    score = robust["score"]
    lo, hi = mean - 5 * sd, mean + 12 * sd
    xs = np.linspace(lo, hi, 400)
    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    for m, s, label, style in (
        (robust["null_mean"], robust["null_sd"], "published unrelated-pair null", "-"),
        (mean, sd, "null used for the verdict", "--"),
    ):
        ax.plot(xs, np.exp(-0.5 * ((xs - m) / s) ** 2) / (s * math.sqrt(2 * math.pi)), style, label=label)
    for z, color in ((3, "orange"), (10, "red")):
        ax.axvline(mean + z * sd, color=color, linewidth=0.8, linestyle=":", label=f"z = {z}")
    if lo <= score <= hi:
        ax.axvline(score, color="black", linewidth=2, label=f"observed {score:.4f}")
    else:
        edge = hi if score > hi else lo
        ax.annotate(
            f"observed {score:.4f}\n(z = {robust['z_decision']:.0f}, off the chart)",
            xy=(edge, 0),
            xytext=(0.62 if score > hi else 0.05, 0.55),
            textcoords="axes fraction",
            arrowprops={"arrowstyle": "->"},
            fontsize=8,
        )
    ax.set_xlabel("robust score (mean CKA)")
    ax.set_yticks([])
    ax.set_title("Observed score against unrelated model pairs")
    ax.legend(fontsize=7, loc="upper right")
    return _svg(fig)


def _histogram(result: dict[str, Any]) -> str | None:
    import matplotlib.pyplot as plt

    values = [t["similarity"] for t in result.get("tensors", []) if t.get("similarity") is not None]
    if not values:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 3.0))
    ax.hist(values, bins=40, range=(-1, 1), color="#4477aa")
    ax.set_xlabel("per-tensor similarity (cosine; Pearson for vectors)")
    ax.set_ylabel("tensors")
    pcs = result.get("pcs")
    ax.set_title(f"Same-role tensors ({len(values)}); PCS = {'n/a' if pcs is None else f'{pcs:.4f}'}")
    return _svg(fig)


def charts(result: dict[str, Any]) -> dict[str, str]:
    """Name -> SVG text: ``per_layer`` (CKA per layer), ``null`` (score against the null), ``tensor_similarity``."""
    import matplotlib

    matplotlib.use("Agg")
    drawn = {"per_layer": _per_layer(result), "null": _null(result), "tensor_similarity": _histogram(result)}
    return {name: svg for name, svg in drawn.items() if svg is not None}
