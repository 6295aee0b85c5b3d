"""Benchmark weights.lineage on two large llama-shaped BF16 safetensors against a naive baseline.

    .venv/bin/python -m benchmarks.bench_weights [--size-mb 2048] [--quick] [--keep]

Generates model A (seeded) and B = A + small noise, streaming them to var/bench/weights/ (deleted afterwards
unless --keep). Then, each in its own subprocess so peak RSS is separate, after one untimed read to warm the
page cache:
  - baseline: `safetensors.numpy.load_file` both files, then per-tensor cosine + Pearson and PCS in float64;
  - ours (same statistics): `compare_weights(..., robust=False)`: the same numbers, streamed, plus input SHA-256;
  - ours (full analysis): `compare_weights` with the robust score.
Prints a table and writes benchmarks/results/bench_weights.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from forensics.formats.safetensors_writer import TensorSpec, write_safetensors

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "bench_weights.json"
FULL = {"hidden": 2048, "ffn": 5632, "vocab": 32000}
QUICK = {"hidden": 512, "ffn": 1408, "vocab": 8000}
ROWS_PER_CHUNK = 256


def layout(shape: dict[str, int], size_mb: float) -> list[tuple[str, tuple[int, ...]]]:
    """Tensor names and shapes of a Llama with as many layers as fit ``size_mb`` in BF16."""
    h, f, v = shape["hidden"], shape["ffn"], shape["vocab"]
    per_layer = 4 * h * h + 3 * h * f + 2 * h
    layers = max(1, round((size_mb * 1e6 / 2 - 2 * v * h - h) / per_layer))
    tensors: list[tuple[str, tuple[int, ...]]] = [("model.embed_tokens.weight", (v, h))]
    for i in range(layers):
        p = f"model.layers.{i}."
        tensors += [
            (p + "input_layernorm.weight", (h,)),
            (p + "self_attn.q_proj.weight", (h, h)),
            (p + "self_attn.k_proj.weight", (h, h)),
            (p + "self_attn.v_proj.weight", (h, h)),
            (p + "self_attn.o_proj.weight", (h, h)),
            (p + "post_attention_layernorm.weight", (h,)),
            (p + "mlp.gate_proj.weight", (f, h)),
            (p + "mlp.up_proj.weight", (f, h)),
            (p + "mlp.down_proj.weight", (h, f)),
        ]
    return [*tensors, ("model.norm.weight", (h,)), ("lm_head.weight", (v, h))]


def _chunks(index: int, shape: tuple[int, ...], noise: float, seed: int) -> Iterator[np.ndarray]:
    """Rows of tensor ``index`` of model A (seeded per tensor), plus ``noise``·N(0,1)·0.02 for model B."""
    base_rng = np.random.default_rng([seed, index])
    noise_rng = np.random.default_rng([seed, index, 1])
    rows, cols = shape[0], math.prod(shape[1:])
    for start in range(0, rows, ROWS_PER_CHUNK):
        n = min(ROWS_PER_CHUNK, rows - start)
        if len(shape) == 1:
            values = 1.0 + 0.1 * base_rng.standard_normal(n, dtype=np.float32)
        else:
            values = 0.02 * base_rng.standard_normal((n, cols), dtype=np.float32)
        if noise:
            values += noise * 0.02 * noise_rng.standard_normal(values.shape, dtype=np.float32)
        yield values


def generate(path: Path, tensors: list[tuple[str, tuple[int, ...]]], noise: float, seed: int) -> None:
    specs = [
        TensorSpec(name, "BF16", shape, lambda i=i, shape=shape: _chunks(i, shape, noise, seed))
        for i, (name, shape) in enumerate(tensors)
    ]
    write_safetensors(path, specs, metadata={"format": "pt"})


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def child_baseline(path_a: str, path_b: str) -> dict:
    import ml_dtypes  # noqa: F401  (registers bfloat16 so safetensors.numpy can load BF16)
    from safetensors.numpy import load_file

    start = time.perf_counter()
    a, b = load_file(path_a), load_file(path_b)
    total = np.zeros(3)
    cosines = {}
    for name, ta in a.items():
        tb = b.get(name)
        if tb is None or tb.shape != ta.shape:
            continue
        x, y = ta.astype(np.float64).ravel(), tb.astype(np.float64).ravel()
        dots = np.array([x @ y, x @ x, y @ y])
        cosines[name] = dots[0] / math.sqrt(dots[1] * dots[2])
        if ta.ndim >= 2:
            total += dots
        xc, yc = x - x.mean(), y - y.mean()
        _pearson = (xc @ yc) / math.sqrt((xc @ xc) * (yc @ yc))
    pcs = total[0] / math.sqrt(total[1] * total[2])
    return {"wall_s": time.perf_counter() - start, "pcs": float(pcs), "tensors": len(cosines)}


def child_ours(path_a: str, path_b: str, robust: bool) -> dict:
    from forensics.weights import compare_weights

    start = time.perf_counter()
    result = compare_weights(path_a, path_b, robust=robust)
    out = {"wall_s": time.perf_counter() - start, "pcs": result["pcs"], "tensors": len(result["tensors"])}
    if robust:
        out |= {"verdict": result["verdict"], "robust_score": result["robust"]["score"]}
    return out


def _spawn(mode: str, path_a: Path, path_b: Path) -> dict:
    command = [sys.executable, "-m", "benchmarks.bench_weights", "--child", mode, str(path_a), str(path_b)]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _warm(paths: list[Path]) -> None:
    for path in paths:
        with open(path, "rb") as handle:
            while handle.read(64 * 2**20):
                pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=float, default=2048.0, help="size of each model file")
    parser.add_argument("--quick", action="store_true", help="small models (64 MB each, smaller shapes)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", nargs=3, metavar=("MODE", "A", "B"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, path_a, path_b = args.child
        result = child_baseline(path_a, path_b) if mode == "baseline" else child_ours(path_a, path_b, mode == "full")
        print(json.dumps(result | {"peak_rss_mb": _peak_rss_mb()}))
        return

    size_mb = 64.0 if args.quick else args.size_mb
    shape = QUICK if args.quick else FULL
    folder = ROOT / "var" / "bench" / "weights"
    folder.mkdir(parents=True, exist_ok=True)
    path_a, path_b = folder / "a.safetensors", folder / "b.safetensors"
    tensors = layout(shape, size_mb)
    try:
        started = time.perf_counter()
        generate(path_a, tensors, noise=0.0, seed=args.seed)
        generate(path_b, tensors, noise=0.05, seed=args.seed)
        generation_s = time.perf_counter() - started
        file_mb = round(os.path.getsize(path_a) / 1e6, 1)
        _warm([path_a, path_b])
        runs = {mode: _spawn(mode, path_a, path_b) for mode in ("baseline", "stats", "full")}
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    report = {
        "file_mb": file_mb,
        "size_mb_requested": size_mb,
        "shape": shape,
        "layers": sum(1 for name, _ in tensors if name.endswith("q_proj.weight")),
        "generation_s": round(generation_s, 1),
        "runs": runs,
        "ratio_wall_stats_vs_baseline": runs["stats"]["wall_s"] / runs["baseline"]["wall_s"],
        "ratio_wall_full_vs_baseline": runs["full"]["wall_s"] / runs["baseline"]["wall_s"],
        "pcs_agree": abs(runs["stats"]["pcs"] - runs["baseline"]["pcs"]) < 1e-9,
        "cpu_count": os.cpu_count(),
        "load_average_1min_at_end": os.getloadavg()[0],
    }
    print(f"two BF16 models of {file_mb:g} MB each ({report['layers']} layers, hidden {shape['hidden']})")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'run':34s} {'wall s':>8s} {'peak RSS MB':>12s}  PCS")
    labels = {
        "baseline": "baseline (load_file both)",
        "stats": "ours, same statistics (+SHA-256)",
        "full": "ours, full (+robust score)",
    }
    for mode, label in labels.items():
        r = runs[mode]
        print(f"{label:34s} {r['wall_s']:8.2f} {r['peak_rss_mb']:12.0f}  {r['pcs']:.9f}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2))
    print(f"written {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
