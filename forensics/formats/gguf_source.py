"""GGUF models as a `WeightSource`, through the `gguf` package's memory-mapped reader.

Quantised tensors are dequantised one row block at a time with `gguf.quants.dequantize`, so memory stays
bounded. Note that llama.cpp's converter reorders the rows of Q and K within each head (rotary layout); the
robust score does not depend on row order, but per-tensor cosine against the original safetensors does.
"""

from __future__ import annotations

import math
import mmap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from forensics.common import ForensicsInputError
from forensics.formats.gguf_header import read_gguf_header
from forensics.formats.source import DEFAULT_BLOCK_ELEMENTS, TensorMeta, _read_whole


class GGUFSource:
    kind = "gguf"

    def __init__(self, path: Path):
        import gguf

        self._gguf = gguf
        read_gguf_header(path)  # clear messages for hostile counts, lengths and alignments
        try:
            self._reader = gguf.GGUFReader(path, "r")
        except Exception as exc:  # the reader raises ValueError, KeyError, struct errors... on bad files
            raise ForensicsInputError(f"{path.name} is not a readable GGUF file: {exc}") from exc
        self._tensors: dict[str, Any] = {t.name: t for t in self._reader.tensors}
        self.files = [path]

    def _shape(self, tensor: Any) -> tuple[int, ...]:
        # GGUF stores dimensions fastest-first (ne0 = row length); numpy order is the reverse.
        return tuple(int(d) for d in reversed(list(tensor.shape)))

    def tensors(self) -> list[TensorMeta]:
        return [TensorMeta(t.name, self._shape(t), t.tensor_type.name) for t in self._tensors.values()]

    def row_blocks(self, name: str, max_elements: int = DEFAULT_BLOCK_ELEMENTS) -> Iterator[np.ndarray]:
        tensor = self._tensors[name]
        shape = self._shape(tensor)
        # Same blocking as the safetensors reader (rows = first dimension) so paired tensors line up block by block;
        # each such row holds whole GGUF rows, so quantised blocks stay intact.
        rows = shape[0] if shape else 1
        cols = math.prod(shape[1:])
        qtype = tensor.tensor_type
        plain = qtype in (self._gguf.GGMLQuantizationType.F32, self._gguf.GGMLQuantizationType.F16)
        matrix = tensor.data.reshape(rows, -1)  # bytes per row for quantised types, values for plain floats
        step = max(1, max_elements // max(cols, 1))
        for start in range(0, rows, step):
            block = np.asarray(matrix[start : start + step])
            if plain:
                yield block.astype(np.float32)
            else:
                yield self._gguf.quants.dequantize(block, qtype).reshape(-1, cols).astype(np.float32, copy=False)
        self._release(int(tensor.data_offset), int(tensor.n_bytes))

    def _release(self, offset: int, length: int) -> None:
        """Drop the tensor's pages from the resident set once read (see `forensics.formats.safetensors`).
        The reader maps the whole file through numpy; its mmap is reached defensively (a private attribute)."""
        mapped = getattr(self._reader.data, "_mmap", None)
        if mapped is None or not hasattr(mapped, "madvise"):
            return
        start = offset - offset % mmap.PAGESIZE
        end = min(offset + length, len(mapped))
        if end > start:
            mapped.madvise(mmap.MADV_DONTNEED, start, end - start)

    def read(self, name: str) -> np.ndarray:
        tensor = self._tensors[name]
        return _read_whole(self, TensorMeta(name, self._shape(tensor), tensor.tensor_type.name))
