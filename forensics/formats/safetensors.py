"""A strict, streaming reader for safetensors files.

`read_header` validates everything that can be checked without touching tensor data, before anything is
memory-mapped: the evidence ingest calls it on uploaded files, so every failure raises
`ForensicsInputError` with a message a user can act on. `open_raw` / `open_tensor` / `iter_row_blocks`
then map tensors read-only with `numpy.memmap`, so a tensor is paged in only as far as it is read.
"""

from __future__ import annotations

import json
import math
import mmap
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from forensics.common import ForensicsInputError
from forensics.formats.dtypes import DTYPES, decode

DEFAULT_MAX_HEADER_BYTES = 100 * 2**20
_TENSOR_KEYS = {"dtype", "shape", "data_offsets"}


@dataclass(frozen=True)
class TensorInfo:
    """Where one tensor lives; ``begin``/``end`` are relative to the start of the data section."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        return self.end - self.begin


@dataclass
class SafetensorsHeader:
    """A validated header. ``tensors`` is ordered by data offset."""

    path: str
    file_size: int
    header_len: int
    metadata: dict[str, str]
    tensors: dict[str, TensorInfo] = field(default_factory=dict)

    @property
    def data_start(self) -> int:
        return 8 + self.header_len


def _describe_size(n: int) -> str:
    return f"{n} bytes" if n < 2**20 else f"{n} bytes ({n / 2**20:.1f} MiB)"


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ForensicsInputError(f"safetensors header names '{key}' twice")
        out[key] = value
    return out


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_tensor(name: str, entry: Any) -> TensorInfo:
    if not isinstance(entry, dict):
        raise ForensicsInputError(f"tensor '{name}': header entry must be an object, got {type(entry).__name__}")
    missing = _TENSOR_KEYS - entry.keys()
    if missing:
        raise ForensicsInputError(f"tensor '{name}': header entry lacks {', '.join(sorted(missing))}")
    extra = entry.keys() - _TENSOR_KEYS
    if extra:
        raise ForensicsInputError(f"tensor '{name}': unexpected header keys {', '.join(sorted(extra))}")
    code = entry["dtype"]
    if not isinstance(code, str) or code not in DTYPES:
        known = ", ".join(DTYPES)
        raise ForensicsInputError(f"tensor '{name}': unknown dtype {code!r} (known: {known})")
    shape = entry["shape"]
    if not isinstance(shape, list) or not all(_is_int(d) and d >= 0 for d in shape):
        raise ForensicsInputError(f"tensor '{name}': shape must be a list of non-negative integers, got {shape!r}")
    offsets = entry["data_offsets"]
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_int(o) and o >= 0 for o in offsets)):
        raise ForensicsInputError(f"tensor '{name}': data_offsets must be [begin, end] non-negative integers")
    begin, end = offsets
    if end < begin:
        raise ForensicsInputError(f"tensor '{name}': data_offsets end {end} is before begin {begin}")
    expected = math.prod(shape) * DTYPES[code].itemsize
    if end - begin != expected:
        raise ForensicsInputError(
            f"tensor '{name}': data_offsets span {end - begin} bytes but shape {shape} of {code} needs {expected}"
        )
    return TensorInfo(name=name, dtype=code, shape=tuple(shape), begin=begin, end=end)


def _check_layout(tensors: list[TensorInfo], data_size: int) -> None:
    """Offsets must tile the data section exactly: start at 0, no holes, no overlaps, end at the file's end."""
    ordered = sorted(tensors, key=lambda t: (t.begin, t.end))
    for info in ordered:
        if info.end > data_size:
            raise ForensicsInputError(
                f"file is truncated: tensor '{info.name}' ends at byte {info.end} of the data section "
                f"but only {data_size} bytes follow the header"
            )
    cursor, previous = 0, None
    for info in ordered:
        if info.begin < cursor and previous is not None:
            raise ForensicsInputError(f"tensor '{info.name}': data_offsets overlap tensor '{previous.name}'")
        if info.begin > cursor:
            where = f"after tensor '{previous.name}'" if previous is not None else "at the start of the data section"
            raise ForensicsInputError(
                f"tensor '{info.name}': hole of {info.begin - cursor} bytes {where} (data must be contiguous)"
            )
        cursor, previous = max(cursor, info.end), info
    if cursor != data_size:
        raise ForensicsInputError(
            f"{data_size - cursor} unexplained bytes after the last tensor (data section is {data_size} bytes, "
            f"tensors cover {cursor})"
        )


def read_header(path: str | os.PathLike[str], max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES) -> SafetensorsHeader:
    """Read and fully validate the header of a safetensors file; raise `ForensicsInputError` on any defect."""
    file_path = Path(path)
    try:
        size = file_path.stat().st_size
        with open(file_path, "rb") as handle:
            prefix = handle.read(8)
            if len(prefix) < 8:
                raise ForensicsInputError(
                    f"file is {size} bytes; a safetensors file starts with an 8-byte header length"
                )
            (header_len,) = struct.unpack("<Q", prefix)
            if header_len > max_header_bytes:
                cap = f"{max_header_bytes / 2**20:g} MiB" if max_header_bytes >= 2**20 else f"{max_header_bytes} byte"
                raise ForensicsInputError(f"header length {header_len} exceeds the {cap} cap")
            if 8 + header_len > size:
                raise ForensicsInputError(
                    f"header length {header_len} runs past the end of the file ({_describe_size(size)})"
                )
            raw = handle.read(header_len)
    except OSError as exc:
        raise ForensicsInputError(f"cannot read {file_path.name}: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ForensicsInputError(f"header is not valid UTF-8 (byte {exc.start})") from exc
    if not text.lstrip().startswith("{"):
        raise ForensicsInputError("header is not a JSON object")
    try:
        parsed = json.loads(text, object_pairs_hook=_reject_duplicates)
    except json.JSONDecodeError as exc:
        raise ForensicsInputError(f"header is not valid JSON: {exc.msg} at character {exc.pos}") from exc
    except RecursionError:
        # The C decoder gives up at ~1 000 levels; a real header is three deep. Not a crash: a malformed file.
        raise ForensicsInputError("header JSON is nested too deeply") from None
    if not isinstance(parsed, dict):
        raise ForensicsInputError("header is not a JSON object")
    metadata = parsed.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise ForensicsInputError("__metadata__ must map strings to strings")
    infos = [_parse_tensor(name, entry) for name, entry in parsed.items()]
    data_size = size - 8 - header_len
    _check_layout(infos, data_size)
    infos.sort(key=lambda t: (t.begin, t.end))
    return SafetensorsHeader(
        path=str(file_path),
        file_size=size,
        header_len=header_len,
        metadata=dict(metadata),
        tensors={t.name: t for t in infos},
    )


def _info(header: SafetensorsHeader, name: str) -> TensorInfo:
    try:
        return header.tensors[name]
    except KeyError:
        raise ForensicsInputError(f"tensor '{name}' is not in {Path(header.path).name}") from None


def open_raw(path: str | os.PathLike[str], header: SafetensorsHeader, name: str) -> np.ndarray:
    """The tensor's stored values, memory-mapped read-only (no copy; BF16/F8 appear as unsigned ints)."""
    info = _info(header, name)
    storage = DTYPES[info.dtype].storage
    if info.numel == 0:
        return np.empty(info.shape, dtype=storage)
    return np.memmap(path, dtype=storage, mode="r", offset=header.data_start + info.begin, shape=info.shape)


def open_tensor(
    path: str | os.PathLike[str], header: SafetensorsHeader, name: str, dtype: type[np.floating] = np.float32
) -> np.ndarray:
    """The whole tensor decoded to float32 (float64 for F64/64-bit ints). Use `iter_row_blocks` for big ones."""
    info = _info(header, name)
    return decode(open_raw(path, header, name), info.dtype, dtype)


def _map_range(path: str | os.PathLike[str], start: int, length: int) -> tuple[mmap.mmap, int]:
    """Map ``length`` bytes at ``start`` read-only; returns the map and where the range begins inside it."""
    aligned = start - start % mmap.ALLOCATIONGRANULARITY
    with open(path, "rb") as handle:
        mapped = mmap.mmap(handle.fileno(), length + start - aligned, access=mmap.ACCESS_READ, offset=aligned)
    return mapped, start - aligned


def _release(mapped: mmap.mmap, begin: int, end: int) -> None:
    """Drop already-read pages from this process's resident set (they stay in the page cache), so a pass over
    a multi-GB file keeps a small RSS. Reading them again simply faults them back in."""
    page_start = begin - begin % mmap.PAGESIZE
    if end > page_start and hasattr(mapped, "madvise"):
        mapped.madvise(mmap.MADV_DONTNEED, page_start, end - page_start)


def iter_row_blocks(
    path: str | os.PathLike[str],
    header: SafetensorsHeader,
    name: str,
    max_elements: int = 1 << 22,
    dtype: type[np.floating] = np.float32,
) -> Iterator[np.ndarray]:
    """Yield the tensor as decoded 2-D blocks of whole rows (shape[0] rows by the product of the rest).

    Memory stays bounded by ``max_elements`` (at least one row) whatever the tensor's size: each block's pages
    are released from the resident set once the consumer asks for the next one.
    """
    info = _info(header, name)
    storage = DTYPES[info.dtype].storage
    # A scalar is one row of one value; a vector is one value per row.
    rows = info.shape[0] if info.shape else 1
    cols = math.prod(info.shape[1:])
    step = max(1, max_elements // max(cols, 1))
    if info.numel == 0:
        yield decode(np.empty((rows, cols), dtype=storage), info.dtype, dtype)
        return
    mapped, skip = _map_range(path, header.data_start + info.begin, info.nbytes)
    matrix = np.frombuffer(mapped, dtype=storage, count=info.numel, offset=skip).reshape(rows, cols)
    row_bytes = cols * storage.itemsize
    for start in range(0, rows, step):
        stop = min(rows, start + step)
        yield decode(matrix[start:stop], info.dtype, dtype)
        _release(mapped, skip + start * row_bytes, skip + stop * row_bytes)
