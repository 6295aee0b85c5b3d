"""Streaming SHA-256 at hashlib speed (memory-mapped, page-aligned reads; see docs/performance.md)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from forensics.common import sha256_file

__all__ = ["sha256_file", "sha256_storage"]


def sha256_storage(storage: Any, name: str, *, on_progress: Callable[[int], None] | None = None) -> str:
    """SHA-256 of a stored file: from the local path when there is one (fast), else streamed in chunks."""
    try:
        local = Path(storage.path(name))
    except NotImplementedError:
        local = None
    if local is not None:
        return sha256_file(local)
    digest = hashlib.sha256()
    done = 0
    with storage.open(name, "rb") as handle:
        while chunk := handle.read(8 * 1024 * 1024):
            digest.update(chunk)
            done += len(chunk)
            if on_progress:
                on_progress(done)
    return digest.hexdigest()
