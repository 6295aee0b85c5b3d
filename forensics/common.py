"""Shared pieces of every analysis: the result envelope, input hashing, verdict words, errors, progress."""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from forensics import __version__

# Calibrated verdict phrases. Reports use exactly these words so that no report overstates its numbers.
CONSISTENT = "consistent with derivation"
INCONCLUSIVE = "inconclusive"
NO_EVIDENCE = "no evidence of derivation"
VERDICTS = (CONSISTENT, INCONCLUSIVE, NO_EVIDENCE)

# progress(fraction in [0, 1], short message). Analyses call it now and then; callers may ignore it.
Progress = Callable[[float, str], None]


def no_progress(fraction: float, message: str) -> None:
    """Default progress sink."""


class ForensicsInputError(ValueError):
    """An input file is malformed or unsuitable. The message is shown to users: make it clear and specific."""


def sha256_file(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file at hashlib speed (page-aligned memory map) with a bounded resident set: hashed pages are
    released as it goes, so hashing a 2 GB upload does not add 2 GB to the process's RSS."""
    from forensics.formats.hashing import sha256_bounded

    return sha256_bounded(path)


@dataclass
class InputFile:
    """One input of an analysis as it is recorded in the report."""

    role: str
    path: str
    sha256: str
    size: int

    @classmethod
    def of(cls, role: str, path: str | os.PathLike[str], sha256: str | None = None) -> InputFile:
        resolved = Path(path)
        return cls(
            role=role,
            path=resolved.name,
            sha256=sha256 or sha256_file(resolved),
            size=resolved.stat().st_size,
        )

    def as_dict(self) -> dict[str, Any]:
        return {"role": self.role, "name": self.path, "sha256": self.sha256, "size": self.size}


@dataclass
class Run:
    """Times an analysis and collects warnings; produces the common envelope of every result."""

    analysis: str
    parameters: dict[str, Any]
    inputs: list[InputFile]
    warnings: list[str] = field(default_factory=list)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    _t0: float = field(default_factory=time.perf_counter)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def finish(self, **body: Any) -> dict[str, Any]:
        return result_envelope(
            analysis=self.analysis,
            parameters=self.parameters,
            inputs=self.inputs,
            warnings=self.warnings,
            started_at=self.started_at,
            duration_s=time.perf_counter() - self._t0,
            body=body,
        )


def result_envelope(
    *,
    analysis: str,
    parameters: dict[str, Any],
    inputs: Iterable[InputFile],
    warnings: list[str],
    started_at: datetime,
    duration_s: float,
    body: dict[str, Any],
) -> dict[str, Any]:
    """The JSON shape shared by every analysis (documented in docs/forensics.md)."""
    import numpy

    envelope: dict[str, Any] = {
        "analysis": analysis,
        "code_version": __version__,
        "library": {"python": platform.python_version(), "numpy": numpy.__version__},
        "inputs": [item.as_dict() for item in inputs],
        "parameters": parameters,
        "started_at": started_at.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "duration_s": round(duration_s, 6),
        "warnings": list(warnings),
    }
    envelope.update(body)
    return envelope
