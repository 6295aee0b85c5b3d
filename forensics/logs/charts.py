"""SVG charts of a ``logs.extraction`` result, built only from the stored result dict."""

from __future__ import annotations

import io
from typing import Any


def _svg(figure: Any) -> str:
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def charts(result: dict[str, Any], *, top: int = 20) -> dict[str, str]:
    """``timelines`` (requests over time, top flagged accounts), ``prada`` (W per account vs delta), ``scores``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out: dict[str, str] = {}
    accounts = result.get("accounts", [])
    timelines = result.get("timelines", {})
    if timelines:
        figure, axis = plt.subplots(figsize=(8, 3.5))
        for account_id, points in list(timelines.items())[:top]:
            if points:
                axis.plot(range(len(points)), [count for _, count in points], label=account_id, linewidth=1)
        axis.set_xlabel("time bucket (see report for bucket start times)")
        axis.set_ylabel("requests per bucket")
        axis.set_title("Request timelines of the top flagged accounts")
        axis.legend(fontsize=7, loc="upper right")
        out["timelines"] = _svg(figure)
    with_w = [row for row in accounts if row.get("prada", {}).get("w") is not None]
    if with_w:
        delta = result.get("calibration", {}).get("delta")
        ranked = sorted(with_w, key=lambda row: row["prada"]["w"])
        figure, axis = plt.subplots(figsize=(8, 3.5))
        colours = ["#c0392b" if row["prada"].get("alarm") else "#7f8c8d" for row in ranked]
        axis.bar(range(len(ranked)), [row["prada"]["w"] for row in ranked], color=colours, width=1.0)
        if delta is not None:
            axis.axhline(delta, color="black", linestyle="--", linewidth=1, label=f"delta = {delta:.3f}")
            axis.legend(fontsize=8)
        axis.set_ylim(max(0.0, min(row["prada"]["w"] for row in ranked) - 0.05), 1.0)
        axis.set_xlabel("accounts, sorted by W (red: PRADA alarm)")
        axis.set_ylabel("Shapiro-Wilk W")
        axis.set_title("PRADA: normality of minimum query distances per account")
        out["prada"] = _svg(figure)
    if accounts:
        best = accounts[:top]
        figure, axis = plt.subplots(figsize=(8, 0.3 * len(best) + 1))
        colours = ["#c0392b" if row["flagged"] else "#7f8c8d" for row in best]
        axis.barh([row["account_id"] for row in best][::-1], [row["score"] for row in best][::-1], color=colours[::-1])
        axis.set_xlabel("score (red: flagged)")
        axis.set_title("Accounts ranked by extraction score")
        out["scores"] = _svg(figure)
    return out
