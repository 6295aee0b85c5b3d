"""Readers for model weight files: strict safetensors (single and sharded) and GGUF, behind `WeightSource`."""

from forensics.formats.safetensors import (
    SafetensorsHeader,
    TensorInfo,
    iter_row_blocks,
    open_raw,
    open_tensor,
    read_header,
)
from forensics.formats.source import TensorMeta, WeightSource, iter_arrays, open_source

__all__ = [
    "SafetensorsHeader",
    "TensorInfo",
    "TensorMeta",
    "WeightSource",
    "iter_arrays",
    "iter_row_blocks",
    "open_raw",
    "open_source",
    "open_tensor",
    "read_header",
]
