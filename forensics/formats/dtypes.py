"""Safetensors dtype codes: their sizes on disk and how to decode them into numpy floats.

Kept apart from the reader so that the GGUF source and the fixtures share one table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DType:
    """One safetensors dtype: ``storage`` is the numpy dtype we memory-map the raw bytes as."""

    code: str
    itemsize: int
    storage: np.dtype
    is_float: bool


def _dt(code: str, itemsize: int, storage: str, is_float: bool) -> DType:
    return DType(code, itemsize, np.dtype(storage), is_float)


# BF16 and the F8 formats are mapped as unsigned integers and decoded by `decode` (numpy has no native type).
DTYPES: dict[str, DType] = {
    d.code: d
    for d in (
        _dt("F64", 8, "<f8", True),
        _dt("F32", 4, "<f4", True),
        _dt("F16", 2, "<f2", True),
        _dt("BF16", 2, "<u2", True),
        _dt("F8_E4M3", 1, "u1", True),
        _dt("F8_E5M2", 1, "u1", True),
        _dt("I64", 8, "<i8", False),
        _dt("I32", 4, "<i4", False),
        _dt("I16", 2, "<i2", False),
        _dt("I8", 1, "i1", False),
        _dt("U64", 8, "<u8", False),
        _dt("U32", 4, "<u4", False),
        _dt("U16", 2, "<u2", False),
        _dt("U8", 1, "u1", False),
        _dt("BOOL", 1, "u1", False),
    )
}


def decode(raw: np.ndarray, code: str, out_dtype: type[np.floating] = np.float32) -> np.ndarray:
    """Decode raw storage values (as mapped with ``DTYPES[code].storage``) into a float array.

    BF16 is the top half of an IEEE float32, so shifting the 16 bits up is exact and needs no ml_dtypes.
    F64 and 64-bit integers are returned as float64 whatever ``out_dtype`` says, so that nothing is rounded.
    """
    if code == "BF16":
        widened = raw.astype(np.uint32) << np.uint32(16)
        values = widened.view(np.float32)
        return values if out_dtype is np.float32 else values.astype(out_dtype)
    if code in ("F8_E4M3", "F8_E5M2"):
        import ml_dtypes

        f8 = ml_dtypes.float8_e4m3fn if code == "F8_E4M3" else ml_dtypes.float8_e5m2
        return np.asarray(raw).view(f8).astype(out_dtype)
    if code in ("F64", "I64", "U64", "I32", "U32"):
        return np.asarray(raw, dtype=np.float64)
    return np.asarray(raw, dtype=out_dtype)


def encode_bf16(values: np.ndarray) -> np.ndarray:
    """Round float32 values to BF16 (round-to-nearest-even) and return the uint16 bit patterns."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    rounding = ((bits >> np.uint32(16)) & np.uint32(1)) + np.uint32(0x7FFF)
    return ((bits + rounding) >> np.uint32(16)).astype(np.uint16)
