"""Adapters from job rows to the forensics library, and which analyses follow an ingest automatically.

Each adapter takes {input role: local path}, the job's parameters and the progress callback, and returns the
forensics result dict (which already records input hashes, parameters, code version and timings).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings

from evidence.models import ExhibitFile, ExhibitKind

Adapter = Callable[[dict[str, Path], dict[str, Any], Any, dict[str, str]], dict[str, Any]]


def _weights(paths: dict[str, Path], params: dict[str, Any], progress: Any, hashes: dict[str, str]) -> dict[str, Any]:
    from forensics.weights.lineage import compare_weights

    # The vault has just re-verified both files' SHA-256: hand them over instead of hashing 2 x N GB again.
    known = {str(paths[role]): hashes[role] for role in ("a", "b")}
    return compare_weights(paths["a"], paths["b"], progress=progress, known_sha256=known)


def _logs(paths: dict[str, Path], params: dict[str, Any], progress: Any, hashes: dict[str, str]) -> dict[str, Any]:
    from forensics.logs.extraction import detect_extraction

    return detect_extraction(
        paths["log"],
        benign_reference=paths.get("benign_reference"),
        volume_threshold=int(params.get("volume_threshold", settings.TRIBUNAL_CHARTER_VOLUME_THRESHOLD)),
        progress=progress,
    )


def _watermark(paths: dict[str, Path], params: dict[str, Any], progress: Any, hashes: dict[str, str]) -> dict[str, Any]:
    from forensics.text.watermark import detect_watermark

    return detect_watermark(
        paths["outputs"],
        key=params["key"],
        gamma=float(params.get("gamma", 0.25)),
        z_threshold=float(params.get("z_threshold", 4.0)),
        tokenizer_path=paths.get("tokenizer"),
        progress=progress,
    )


def _similarity(
    paths: dict[str, Path], params: dict[str, Any], progress: Any, hashes: dict[str, str]
) -> dict[str, Any]:
    from forensics.text.similarity import compare_outputs

    return compare_outputs(
        paths["a"],
        paths["b"],
        use_embeddings=bool(params.get("use_embeddings", True)),
        seed=int(params.get("seed", 0)),
        progress=progress,
    )


ANALYSES: dict[str, Adapter] = {
    "weights.lineage": _weights,
    "logs.extraction": _logs,
    "text.watermark": _watermark,
    "text.similarity": _similarity,
}

# Input roles each analysis needs, in order, and the exhibit kinds that fit each role.
INPUT_ROLES: dict[str, list[tuple[str, set[str], bool]]] = {
    "weights.lineage": [("a", {ExhibitKind.MODEL_WEIGHTS}, True), ("b", {ExhibitKind.MODEL_WEIGHTS}, True)],
    "logs.extraction": [("log", {ExhibitKind.API_LOG}, True), ("benign_reference", {ExhibitKind.API_LOG}, False)],
    "text.watermark": [("outputs", {ExhibitKind.MODEL_OUTPUTS}, True), ("tokenizer", {ExhibitKind.TOKENIZER}, False)],
    "text.similarity": [("a", {ExhibitKind.MODEL_OUTPUTS}, True), ("b", {ExhibitKind.MODEL_OUTPUTS}, True)],
}


def follow_up_analyses(*, exhibit_file: ExhibitFile, created_by_id: int | None) -> list[int]:
    """Single-input analyses that start on their own once a file has passed ingest."""
    from evidence.jobs import job_create

    exhibit = exhibit_file.exhibit
    started: list[int] = []
    if exhibit.kind == ExhibitKind.API_LOG:
        job = job_create(
            case=exhibit.case,
            kind="logs.extraction",
            inputs=[(exhibit_file, "log")],
            parameters={"volume_threshold": settings.TRIBUNAL_CHARTER_VOLUME_THRESHOLD},
            created_by_id=created_by_id,
        )
        started.append(job.pk)
    elif exhibit.kind == ExhibitKind.MODEL_OUTPUTS and exhibit.analysis_parameters.get("watermark_key"):
        job = job_create(
            case=exhibit.case,
            kind="text.watermark",
            inputs=[(exhibit_file, "outputs")],
            parameters={"key": exhibit.analysis_parameters["watermark_key"], "gamma": 0.25},
            created_by_id=created_by_id,
        )
        started.append(job.pk)
    return started
