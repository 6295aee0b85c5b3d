"""The strict safetensors reader: every malformed layout is refused with a specific message."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest
from safetensors.numpy import save_file

from forensics.common import ForensicsInputError
from forensics.formats import iter_arrays, iter_row_blocks, open_source, open_tensor, read_header
from forensics.formats.safetensors_writer import write_arrays


def raw_file(path: Path, header: dict | bytes, data: bytes, declared_len: int | None = None) -> Path:
    blob = header if isinstance(header, bytes) else json.dumps(header).encode()
    length = len(blob) if declared_len is None else declared_len
    path.write_bytes(struct.pack("<Q", length) + blob + data)
    return path


def entry(dtype: str, shape: list[int], begin: int, end: int) -> dict:
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


def test_reads_reference_writer_output_exactly(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    arrays = {"a": rng.normal(size=(7, 5)).astype(np.float32), "b": rng.normal(size=(3,)).astype(np.float16)}
    path = tmp_path / "m.safetensors"
    save_file(arrays, str(path), metadata={"format": "np"})
    header = read_header(path)
    assert header.metadata == {"format": "np"}
    assert {n: t.shape for n, t in header.tensors.items()} == {"a": (7, 5), "b": (3,)}
    np.testing.assert_array_equal(open_tensor(path, header, "a"), arrays["a"])
    np.testing.assert_array_equal(open_tensor(path, header, "b"), arrays["b"].astype(np.float32))
    blocks = list(iter_row_blocks(path, header, "a", max_elements=10))
    assert [b.shape for b in blocks] == [(2, 5), (2, 5), (2, 5), (1, 5)]
    np.testing.assert_array_equal(np.concatenate(blocks), arrays["a"])


def test_bf16_and_f8_decode_match_ml_dtypes(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    values = rng.normal(size=(4, 6)).astype(np.float32)
    for code, ml in (
        ("BF16", ml_dtypes.bfloat16),
        ("F8_E4M3", ml_dtypes.float8_e4m3fn),
        ("F8_E5M2", ml_dtypes.float8_e5m2),
    ):
        path = tmp_path / f"{code}.safetensors"
        write_arrays(path, {"w": values}, dtype=code)
        got = open_tensor(path, read_header(path), "w")
        np.testing.assert_array_equal(got, values.astype(ml).astype(np.float32))


def test_bf16_file_written_by_reference_library(tmp_path: Path) -> None:
    values = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    path = tmp_path / "bf.safetensors"
    save_file({"w": values.astype(ml_dtypes.bfloat16)}, str(path))
    header = read_header(path)
    assert header.tensors["w"].dtype == "BF16"
    np.testing.assert_array_equal(open_tensor(path, header, "w"), values.astype(ml_dtypes.bfloat16).astype(np.float32))


def test_zero_sized_tensor_is_accepted(tmp_path: Path) -> None:
    path = raw_file(
        tmp_path / "z.safetensors", {"e": entry("F32", [0, 4], 0, 0), "x": entry("F32", [2], 0, 8)}, bytes(8)
    )
    header = read_header(path)
    assert open_tensor(path, header, "e").shape == (0, 4)


@pytest.mark.parametrize(
    ("header", "data", "message"),
    [
        ({"a": entry("F32", [2], 0, 8), "b": entry("F32", [2], 4, 12)}, bytes(12), "data_offsets overlap tensor 'a'"),
        ({"a": entry("F32", [2], 0, 8), "b": entry("F32", [2], 12, 20)}, bytes(20), "hole of 4 bytes after tensor 'a'"),
        ({"a": entry("F32", [2], 4, 12)}, bytes(12), "hole of 4 bytes at the start"),
        ({"a": entry("F32", [3], 0, 8)}, bytes(8), "span 8 bytes but shape [3] of F32 needs 12"),
        ({"a": entry("Q4_K", [2], 0, 8)}, bytes(8), "unknown dtype 'Q4_K'"),
        ({"a": entry("F32", [2], 0, 8)}, bytes(4), "file is truncated: tensor 'a' ends at byte 8"),
        ({"a": entry("F32", [2], 0, 8)}, bytes(12), "4 unexplained bytes after the last tensor"),
        ({"a": entry("F32", [-2], 0, 8)}, bytes(8), "shape must be a list of non-negative integers"),
        ({"a": entry("F32", [2.0], 0, 8)}, bytes(8), "shape must be a list of non-negative integers"),
        ({"a": entry("F32", [2], 8, 0)}, bytes(8), "end 0 is before begin 8"),
        ({"a": {"dtype": "F32", "shape": [2]}}, bytes(8), "lacks data_offsets"),
        ({"a": {**entry("F32", [2], 0, 8), "x": 1}}, bytes(8), "unexpected header keys x"),
        ({"a": [1, 2]}, b"", "header entry must be an object"),
        ({"__metadata__": {"k": 1}, "a": entry("F32", [2], 0, 8)}, bytes(8), "__metadata__ must map strings"),
        ([1, 2], b"", "header is not a JSON object"),
        (b"not json at all", b"", "header is not a JSON object"),
        (b'{"a": ', b"", "header is not valid JSON"),
        (b'{"a": \xff}', b"", "header is not valid UTF-8"),
        (b'{"a": {"dtype":"F32","shape":[1],"data_offsets":[0,4]}, "a": {}}', bytes(4), "names 'a' twice"),
    ],
)
def test_malformed_headers_are_refused_specifically(tmp_path: Path, header, data: bytes, message: str) -> None:
    path = raw_file(tmp_path / "bad.safetensors", header, data)
    with pytest.raises(ForensicsInputError, match=re.escape(message)):
        read_header(path)


def test_header_length_over_cap(tmp_path: Path) -> None:
    path = raw_file(tmp_path / "big.safetensors", {}, b"", declared_len=9 * 10**12)
    with pytest.raises(ForensicsInputError, match=r"header length 9000000000000 exceeds the 100 MiB cap"):
        read_header(path)
    small = raw_file(tmp_path / "cap.safetensors", {"a": entry("F32", [2], 0, 8)}, bytes(8))
    with pytest.raises(ForensicsInputError, match="exceeds the 10 byte cap"):
        read_header(small, max_header_bytes=10)


def test_header_length_past_end_of_file_and_short_file(tmp_path: Path) -> None:
    path = raw_file(tmp_path / "past.safetensors", b"{}", b"", declared_len=1000)
    with pytest.raises(ForensicsInputError, match="runs past the end of the file"):
        read_header(path)
    short = tmp_path / "short.safetensors"
    short.write_bytes(b"\x01\x02")
    with pytest.raises(ForensicsInputError, match="8-byte header length"):
        read_header(short)


def test_truncated_copy_of_valid_file(tmp_path: Path) -> None:
    path = tmp_path / "ok.safetensors"
    write_arrays(path, {"a": np.ones((16, 16), np.float32), "b": np.ones((16,), np.float32)})
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ForensicsInputError, match="file is truncated: tensor 'b'"):
        read_header(cut)


def _shards(tmp_path: Path, weight_map: dict[str, str]) -> Path:
    write_arrays(tmp_path / "s1.safetensors", {"a": np.arange(6, dtype=np.float32).reshape(2, 3)})
    write_arrays(tmp_path / "s2.safetensors", {"b": np.ones(4, np.float32)})
    index = tmp_path / "model.safetensors.index.json"
    index.write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    return index


def test_sharded_source_lists_and_reads_across_shards(tmp_path: Path) -> None:
    index = _shards(tmp_path, {"a": "s1.safetensors", "b": "s2.safetensors"})
    source = open_source(tmp_path)
    assert sorted((m.name, m.shape) for m in source.tensors()) == [("a", (2, 3)), ("b", (4,))]
    np.testing.assert_array_equal(source.read("a"), np.arange(6).reshape(2, 3))
    assert [p.name for p in source.files] == [index.name, "s1.safetensors", "s2.safetensors"]
    assert {meta.name: array.shape for meta, array in iter_arrays(source)} == {"a": (2, 3), "b": (4,)}


@pytest.mark.parametrize(
    ("weight_map", "message"),
    [
        ({"a": "../s1.safetensors", "b": "s2.safetensors"}, "must be a plain file name"),
        ({"a": "/etc/passwd", "b": "s2.safetensors"}, "must be a plain file name"),
        ({"a": "s1.safetensors", "b": "missing.safetensors"}, "not beside"),
        ({"a": "s2.safetensors", "b": "s2.safetensors"}, "does not hold it"),
        ({}, "has no 'weight_map' object"),
    ],
)
def test_bad_shard_index_is_refused(tmp_path: Path, weight_map: dict[str, str], message: str) -> None:
    index = _shards(tmp_path, weight_map)
    with pytest.raises(ForensicsInputError, match=message):
        open_source(index)
