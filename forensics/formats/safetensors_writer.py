"""Write safetensors files tensor by tensor, so fixtures and benchmarks never hold a whole model in memory."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from forensics.formats.dtypes import DTYPES, encode_bf16


@dataclass
class TensorSpec:
    """A tensor to write: ``chunks()`` yields its values (any float dtype) in row order, in pieces."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    chunks: Callable[[], Iterator[np.ndarray]]


def to_storage(values: np.ndarray, code: str) -> np.ndarray:
    """Convert float values to the on-disk representation of ``code``."""
    if code == "BF16":
        return encode_bf16(values)
    if code in ("F8_E4M3", "F8_E5M2"):
        import ml_dtypes

        f8 = ml_dtypes.float8_e4m3fn if code == "F8_E4M3" else ml_dtypes.float8_e5m2
        return np.asarray(values, dtype=np.float32).astype(f8).view(np.uint8)
    return np.asarray(values).astype(DTYPES[code].storage)


def write_safetensors(
    path: str | os.PathLike[str], specs: Iterable[TensorSpec], metadata: dict[str, str] | None = None
) -> None:
    """Write a valid safetensors file; header padded with spaces to an 8-byte multiple like the reference writer."""
    spec_list = list(specs)
    header: dict[str, object] = {}
    if metadata:
        header["__metadata__"] = metadata
    offset = 0
    for spec in spec_list:
        nbytes = math.prod(spec.shape) * DTYPES[spec.dtype].itemsize
        header[spec.name] = {"dtype": spec.dtype, "shape": list(spec.shape), "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    blob = json.dumps(header, separators=(",", ":")).encode()
    blob += b" " * (-(len(blob)) % 8)
    with open(path, "wb") as handle:
        handle.write(len(blob).to_bytes(8, "little"))
        handle.write(blob)
        for spec in spec_list:
            written = 0
            for chunk in spec.chunks():
                data = to_storage(chunk, spec.dtype)
                handle.write(np.ascontiguousarray(data).tobytes())
                written += data.size
            if written != math.prod(spec.shape):
                raise ValueError(f"tensor {spec.name}: wrote {written} values, shape needs {math.prod(spec.shape)}")


def spec_of(name: str, array: np.ndarray, dtype: str = "F32") -> TensorSpec:
    """A spec for an in-memory array (small fixtures)."""
    return TensorSpec(name=name, dtype=dtype, shape=tuple(array.shape), chunks=lambda: iter([array.reshape(-1)]))


def write_arrays(
    path: str | os.PathLike[str],
    arrays: dict[str, np.ndarray],
    dtype: str = "F32",
    metadata: dict[str, str] | None = None,
) -> None:
    """Write a dict of in-memory arrays, all stored as ``dtype``."""
    write_safetensors(path, [spec_of(name, arr, dtype) for name, arr in arrays.items()], metadata)
