"""A strict walk over a GGUF file's header (key-value pairs and tensor table) before the `gguf` package maps it.

The `gguf` reader trusts the counts and lengths it reads: a hostile file fails it with an IndexError or a numpy
reshape message, and an alignment of 0 or 3 is accepted (it divides by the value). This walk reads the header
once, sequentially, checking every count and length against the bytes that are left, so any defect becomes a
`ForensicsInputError` naming the field and its byte offset. Nothing is allocated in proportion to a declared size.
"""

from __future__ import annotations

import math
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from forensics.common import ForensicsInputError

MAGIC = b"GGUF"
SUPPORTED_VERSIONS = {2, 3}
DEFAULT_ALIGNMENT = 32
MAX_DIMS = 4  # GGML_MAX_DIMS
MAX_ARRAY_NESTING = 2
MAX_KEY_BYTES = 65_535

# Value types of the spec: fixed sizes; 8 is a string, 9 an array.
FIXED_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
STRING, ARRAY = 8, 9
UINT32 = 4
TENSOR_INFO_MIN_BYTES = 8 + 4 + 4 + 8  # empty name, no dims, type, offset
KV_MIN_BYTES = 8 + 4 + 1


@dataclass(frozen=True)
class GGUFHeader:
    version: int
    tensor_count: int
    kv_count: int
    alignment: int
    architecture: str
    data_start: int


class _Cursor:
    def __init__(self, handle: IO[bytes], size: int) -> None:
        self.handle, self.size, self.pos = handle, size, 0

    @property
    def left(self) -> int:
        return self.size - self.pos

    def take(self, count: int, what: str) -> bytes:
        if count > self.left:
            raise ForensicsInputError(
                f"{what} at byte {self.pos} needs {count:,} bytes but the file ends after {self.left:,} more"
            )
        data = self.handle.read(count)
        self.pos += count
        return data

    def unpack(self, fmt: str, what: str) -> Any:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt), what))[0]

    def skip(self, count: int, what: str) -> None:
        if count > self.left:
            raise ForensicsInputError(
                f"{what} at byte {self.pos} needs {count:,} bytes but the file ends after {self.left:,} more"
            )
        self.handle.seek(count, os.SEEK_CUR)
        self.pos += count

    def string(self, what: str, *, keep: bool = True) -> str:
        length = self.unpack("Q", f"length of {what}")
        if length > self.left:
            raise ForensicsInputError(
                f"{what} at byte {self.pos} declares {length:,} bytes but only {self.left:,} are left"
            )
        if not keep:
            self.skip(length, what)
            return ""
        raw = self.take(length, what)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ForensicsInputError(f"{what} at byte {self.pos - length} is not valid UTF-8") from None


def _value(cursor: _Cursor, kind: int, key: str, depth: int = 0) -> Any:
    if kind in FIXED_SIZES:
        raw = cursor.take(FIXED_SIZES[kind], f"value of '{key}'")
        return int.from_bytes(raw, "little") if kind in (UINT32, 10) else None
    if kind == STRING:
        return cursor.string(f"string value of '{key}'", keep=key == "general.architecture")
    if kind == ARRAY:
        if depth >= MAX_ARRAY_NESTING:
            raise ForensicsInputError(f"'{key}' nests arrays more than {MAX_ARRAY_NESTING} deep")
        item_kind = cursor.unpack("I", f"array type of '{key}'")
        count = cursor.unpack("Q", f"array length of '{key}'")
        smallest = FIXED_SIZES.get(item_kind, 8 if item_kind in (STRING, ARRAY) else 0)
        if item_kind not in FIXED_SIZES and item_kind not in (STRING, ARRAY):
            raise ForensicsInputError(f"'{key}' is an array of unknown value type {item_kind}")
        if count * smallest > cursor.left:
            raise ForensicsInputError(
                f"'{key}' declares {count:,} array items, more than the {cursor.left:,} bytes left can hold"
            )
        if item_kind in FIXED_SIZES:
            cursor.skip(count * smallest, f"array '{key}'")
        else:
            for _ in range(count):
                _value(cursor, item_kind, key, depth + 1)
        return None
    raise ForensicsInputError(f"'{key}' has unknown value type {kind}")


def _tensor_bytes(name: str, dims: list[int], ggml_type: int) -> int:
    from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType

    try:
        block, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(ggml_type)]
    except (ValueError, KeyError):
        raise ForensicsInputError(f"tensor '{name}' has unknown tensor type {ggml_type}") from None
    count = math.prod(dims)
    if dims and dims[0] % block:
        raise ForensicsInputError(f"tensor '{name}': row length {dims[0]} is not a multiple of its block size {block}")
    return count // block * type_size


def read_gguf_header(path: str | os.PathLike[str]) -> GGUFHeader:
    """Validate the whole header and tensor table; raise `ForensicsInputError` on any defect."""
    file_path = Path(path)
    size = file_path.stat().st_size
    with open(file_path, "rb") as handle:
        cursor = _Cursor(handle, size)
        if cursor.take(min(4, size), "magic") != MAGIC:
            raise ForensicsInputError("not a GGUF file (the magic bytes are not 'GGUF')")
        version = cursor.unpack("I", "version")
        if version not in SUPPORTED_VERSIONS:
            raise ForensicsInputError(f"GGUF version {version} is not supported (only 2 and 3)")
        tensor_count = cursor.unpack("Q", "tensor count")
        kv_count = cursor.unpack("Q", "key-value count")
        if kv_count * KV_MIN_BYTES > cursor.left:
            raise ForensicsInputError(f"declares {kv_count:,} key-value pairs; the file is too short for them")
        alignment, architecture = DEFAULT_ALIGNMENT, ""
        for _ in range(kv_count):
            key = cursor.string("key")
            if not key or len(key) > MAX_KEY_BYTES:
                raise ForensicsInputError(f"empty or overlong key before byte {cursor.pos}")
            kind = cursor.unpack("I", f"value type of '{key}'")
            value = _value(cursor, kind, key)
            if key == "general.alignment":
                if kind != UINT32 or not value or value % 8 or value & (value - 1):
                    raise ForensicsInputError(
                        f"general.alignment must be a uint32 power of two, at least 8; got {value!r}"
                    )
                alignment = value
            elif key == "general.architecture" and isinstance(value, str):
                architecture = value[:100]
        if tensor_count * TENSOR_INFO_MIN_BYTES > cursor.left:
            raise ForensicsInputError(f"declares {tensor_count:,} tensors; the file is too short for their table")
        tensors: list[tuple[str, int, int]] = []
        for _ in range(tensor_count):
            name = cursor.string("tensor name")
            n_dims = cursor.unpack("I", f"dimension count of tensor '{name}'")
            if n_dims > MAX_DIMS:
                raise ForensicsInputError(f"tensor '{name}' has {n_dims:,} dimensions (at most {MAX_DIMS})")
            dims = [cursor.unpack("Q", f"dimension of tensor '{name}'") for _ in range(n_dims)]
            ggml_type = cursor.unpack("I", f"type of tensor '{name}'")
            offset = cursor.unpack("Q", f"offset of tensor '{name}'")
            if offset % alignment:
                raise ForensicsInputError(f"tensor '{name}' offset {offset} is not a multiple of {alignment}")
            tensors.append((name, offset, _tensor_bytes(name, dims, ggml_type)))
        data_start = cursor.pos + (-cursor.pos) % alignment
        for name, offset, nbytes in tensors:
            if data_start + offset + nbytes > size:
                raise ForensicsInputError(
                    f"file is truncated: tensor '{name}' ends at byte {data_start + offset + nbytes:,} "
                    f"of a {size:,}-byte file"
                )
    return GGUFHeader(
        version=version,
        tensor_count=tensor_count,
        kv_count=kv_count,
        alignment=alignment,
        architecture=architecture,
        data_start=data_start,
    )
