"""`WeightSource`: one model's tensors, whatever the file layout, read one tensor (or row block) at a time.

Kinds: a single safetensors file, a sharded safetensors model (``model.safetensors.index.json``), and GGUF
(see `forensics.formats.gguf_source`). `open_source` picks the kind from the path.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Protocol

import numpy as np

from forensics.common import ForensicsInputError
from forensics.formats.safetensors import SafetensorsHeader, iter_row_blocks, read_header

DEFAULT_BLOCK_ELEMENTS = 1 << 22  # 4 Mi values: 16 MiB as float32, 32 MiB as float64
MAX_INDEX_BYTES = 50 * 2**20


@dataclass(frozen=True)
class TensorMeta:
    """What a source knows about a tensor without reading it. ``shape`` is in row-major (numpy) order."""

    name: str
    shape: tuple[int, ...]
    dtype: str

    @property
    def numel(self) -> int:
        return math.prod(self.shape)


class WeightSource(Protocol):
    """A model's tensors. ``files`` are the paths that make it up (for hashing into the report)."""

    kind: str
    files: list[Path]

    def tensors(self) -> list[TensorMeta]: ...

    def row_blocks(self, name: str, max_elements: int = DEFAULT_BLOCK_ELEMENTS) -> Iterator[np.ndarray]:
        """Decoded float32 (float64 for F64) 2-D blocks of whole rows, in order."""
        ...

    def read(self, name: str) -> np.ndarray:
        """The whole tensor decoded, in its own shape. Only for tensors known to be small enough."""
        ...


def iter_arrays(source: WeightSource) -> Iterator[tuple[TensorMeta, np.ndarray]]:
    """Every tensor, whole and decoded, one at a time (only one is alive at once if the caller drops it).
    For large tensors prefer `WeightSource.row_blocks`."""
    for meta in source.tensors():
        yield meta, source.read(meta.name)


def _read_whole(source: WeightSource, meta: TensorMeta) -> np.ndarray:
    blocks = list(source.row_blocks(meta.name, max(meta.numel, 1)))
    joined = np.concatenate(blocks, axis=0) if blocks else np.empty((0,), np.float32)
    return joined.reshape(meta.shape)


class SafetensorsSource:
    """One or more safetensors shards; ``owner`` maps each tensor name to its shard's header."""

    kind = "safetensors"

    def __init__(self, headers: list[SafetensorsHeader], owner: dict[str, SafetensorsHeader], files: list[Path]):
        self._headers = headers
        self._owner = owner
        self.files = files

    @classmethod
    def single(cls, path: Path) -> SafetensorsSource:
        header = read_header(path)
        return cls([header], dict.fromkeys(header.tensors, header), [path])

    @classmethod
    def sharded(cls, index_path: Path) -> SafetensorsSource:
        weight_map = _load_index(index_path)
        headers: dict[str, SafetensorsHeader] = {}
        for shard in sorted(set(weight_map.values())):
            shard_path = index_path.parent / shard
            if not shard_path.is_file():
                raise ForensicsInputError(f"index names shard '{shard}', which is not beside {index_path.name}")
            try:
                headers[shard] = read_header(shard_path)
            except ForensicsInputError as exc:
                raise ForensicsInputError(f"shard '{shard}': {exc}") from exc
        owner: dict[str, SafetensorsHeader] = {}
        for name, shard in weight_map.items():
            if name not in headers[shard].tensors:
                raise ForensicsInputError(f"index places tensor '{name}' in shard '{shard}', which does not hold it")
            owner[name] = headers[shard]
        for shard, header in headers.items():
            stray = [n for n in header.tensors if weight_map.get(n) != shard]
            if stray:
                raise ForensicsInputError(
                    f"shard '{shard}' holds tensor '{stray[0]}' that the index does not place there"
                )
        files = [index_path] + [index_path.parent / s for s in sorted(headers)]
        return cls(list(headers.values()), owner, files)

    def tensors(self) -> list[TensorMeta]:
        return [
            TensorMeta(name, info.shape, info.dtype)
            for header in self._headers
            for name, info in header.tensors.items()
            if self._owner.get(name) is header
        ]

    def row_blocks(self, name: str, max_elements: int = DEFAULT_BLOCK_ELEMENTS) -> Iterator[np.ndarray]:
        header = self._owner[name]
        return iter_row_blocks(header.path, header, name, max_elements)

    def read(self, name: str) -> np.ndarray:
        info = self._owner[name].tensors[name]
        return _read_whole(self, TensorMeta(name, info.shape, info.dtype))


def _load_index(index_path: Path) -> dict[str, str]:
    """Parse ``model.safetensors.index.json``; shard names must be plain file names beside the index."""
    if index_path.stat().st_size > MAX_INDEX_BYTES:
        raise ForensicsInputError(f"{index_path.name} is larger than {MAX_INDEX_BYTES // 2**20} MiB")
    try:
        parsed = json.loads(index_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ForensicsInputError(f"{index_path.name} is not valid UTF-8 JSON: {exc}") from exc
    weight_map = parsed.get("weight_map") if isinstance(parsed, dict) else None
    if not isinstance(weight_map, dict) or not weight_map:
        raise ForensicsInputError(f"{index_path.name} has no 'weight_map' object")
    for name, shard in weight_map.items():
        if not isinstance(shard, str) or not shard:
            raise ForensicsInputError(f"{index_path.name}: tensor '{name}' maps to {shard!r}, not a file name")
        pure = PurePosixPath(shard)
        if pure.is_absolute() or len(pure.parts) != 1 or shard in (".", "..") or "\\" in shard:
            raise ForensicsInputError(f"{index_path.name}: shard name '{shard}' must be a plain file name")
    return dict(weight_map)


def open_source(path: str | os.PathLike[str]) -> WeightSource:
    """Open a model from a safetensors file, a shard index, a GGUF file, or a directory holding one of them."""
    target = Path(path)
    if target.is_dir():
        for candidate in ("model.safetensors.index.json", "model.safetensors"):
            if (target / candidate).is_file():
                return open_source(target / candidate)
        found = sorted(target.glob("*.safetensors")) + sorted(target.glob("*.gguf"))
        if len(found) != 1:
            raise ForensicsInputError(f"directory {target.name} holds {len(found)} weight files; name one")
        return open_source(found[0])
    if not target.is_file():
        raise ForensicsInputError(f"{target.name} does not exist")
    if target.name.endswith(".index.json"):
        return SafetensorsSource.sharded(target)
    with open(target, "rb") as handle:
        magic = handle.read(4)
    if magic == b"GGUF":
        from forensics.formats.gguf_source import GGUFSource

        return GGUFSource(target)
    return SafetensorsSource.single(target)
