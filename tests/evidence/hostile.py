"""A corpus of hostile inputs, generated in code (nothing binary is committed)."""

from __future__ import annotations

import io
import json
import pickle
import struct
import tarfile
import zipfile
from pathlib import Path


def safetensors_bytes(header: dict | bytes, data: bytes = b"", *, length: int | None = None) -> bytes:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(raw) if length is None else length) + raw + data


def good_safetensors() -> bytes:
    return safetensors_bytes({"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}, b"\x00" * 16)


MALFORMED_SAFETENSORS = {
    "overlapping offsets": safetensors_bytes(
        {
            "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
            "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]},
        },
        b"\x00" * 12,
    ),
    "hole between tensors": safetensors_bytes(
        {
            "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
            "b": {"dtype": "F32", "shape": [2], "data_offsets": [12, 20]},
        },
        b"\x00" * 20,
    ),
    "header larger than the cap": safetensors_bytes(b'{"a": 1}', length=2**40),
    "header not JSON": safetensors_bytes(b"{this is not json" + b" " * 16),
    "wrong byte count": safetensors_bytes({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 8]}}, b"\x00" * 8),
    "unknown dtype": safetensors_bytes({"a": {"dtype": "F33", "shape": [2], "data_offsets": [0, 8]}}, b"\x00" * 8),
    "truncated data": safetensors_bytes({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, b"\x00" * 8),
}


class RunsCode:
    """Unpickling this would create a marker file: the test asserts it never appears."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (eval, (f"open({str(self.marker)!r}, 'w').write('pwned')",))


def code_running_pickle(marker: Path) -> bytes:
    return pickle.dumps({"state_dict": RunsCode(marker)}, protocol=4)


def torch_style_zip_checkpoint(marker: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", code_running_pickle(marker))
        archive.writestr("archive/version", "3")
    return buffer.getvalue()


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.txt", b"\x00" * (20 * 1024 * 1024))  # 20 MB of zeros squeeze to ~20 kB
    return buffer.getvalue()


def zip_with_many_entries(count: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(count):
            archive.writestr(f"f{i}.txt", b"x")
    return buffer.getvalue()


def zip_traversal() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../etc/cron.d/evil", b"* * * * * root id")
    return buffer.getvalue()


def zip_absolute() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("/tmp/evil"), b"x")
    return buffer.getvalue()


def zip_symlink() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("link-to-passwd")
        info.external_attr = 0o120777 << 16
        archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def tar_symlink() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("innocent")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/shadow"
        archive.addfile(info)
    return buffer.getvalue()


def csv_log_missing_columns() -> bytes:
    return b"when,who\n2026-01-01T00:00:00Z,alice\n"
