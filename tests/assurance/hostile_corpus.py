"""The hostile-input corpus, generated in code (nothing binary is committed).

Every upload case names what must happen to it: `refused` (a 4xx from the tus endpoint, with the message), or,
for what is only judged by the ingest job, `quarantined` (with the reason) or `flagged` (a warning in the ingest
report), or `stored` (harmless once stored: kept as an inert label or blob, checked by `check`). The evidence
issue's corpus (tests/evidence/hostile.py) is re-used, so this one harness tries all of it.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
import subprocess
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.evidence import hostile
from tests.evidence.hostile import safetensors_bytes


@dataclass(frozen=True)
class UploadCase:
    name: str
    data: bytes
    kind: str
    expect: str  # refused | quarantined | flagged | stored
    message: str  # must appear in the refusal, the quarantine reason or the ingest warnings
    filename: str = "evidence.bin"
    length: int | None = None  # a declared Upload-Length other than len(data)
    content_length: int | None = None  # a PATCH Content-Length other than len(data)
    check: Callable[[Any], str | None] | None = None  # extra check of the stored ExhibitFile: an error or None


# --- safetensors -----------------------------------------------------------------------------------------------------


def _deep(depth: int, leaf: str = "1") -> str:
    return '{"a":' * depth + leaf + "}" * depth


def safetensors_cases() -> list[UploadCase]:
    tensor = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
    variants: dict[str, tuple[bytes, str]] = {
        name: (data, "") for name, data in hostile.MALFORMED_SAFETENSORS.items()
    } | {
        "header length beyond the file": (safetensors_bytes(b'{"a": 1}', length=4096), "runs past the end"),
        "negative shape": (
            safetensors_bytes({"a": {"dtype": "F32", "shape": [-1, 2], "data_offsets": [0, 8]}}, b"\0" * 8),
            "non-negative",
        ),
        "huge shape": (
            safetensors_bytes({"a": {"dtype": "F32", "shape": [2**62, 2**62], "data_offsets": [0, 8]}}, b"\0" * 8),
            "needs",
        ),
        "float shape": (
            safetensors_bytes({"a": {"dtype": "F32", "shape": [2.0], "data_offsets": [0, 8]}}, b"\0" * 8),
            "shape must be",
        ),
        "end before begin": (
            safetensors_bytes({"a": {"dtype": "F32", "shape": [0], "data_offsets": [8, 0]}}, b"\0" * 8),
            "before begin",
        ),
        "non-UTF-8 header": (safetensors_bytes(b'{"a": "\xff\xfe"}', b""), "UTF-8"),
        "deeply nested header JSON": (safetensors_bytes(('{"__metadata__": ' + _deep(100_000) + "}").encode()), "deep"),
        "duplicate tensor names": (
            safetensors_bytes(
                b'{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, '
                b'"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}',
                b"\0" * 16,
            ),
            "twice",
        ),
        "metadata not strings": (safetensors_bytes({"__metadata__": {"n": 1}, "a": tensor}, b"\0" * 8), "strings"),
        "extra key in entry": (safetensors_bytes({"a": {**tensor, "exec": "rm -rf /"}}, b"\0" * 8), "unexpected"),
        "bytes after the last tensor": (safetensors_bytes({"a": tensor}, b"\0" * 64), "unexplained bytes"),
        "safetensors with a ZIP appended": (
            hostile.good_safetensors() + hostile.zip_traversal(),
            "unexplained bytes",
        ),
    }
    return [
        UploadCase(
            f"safetensors: {name}",
            data,
            "model_weights",
            "refused",
            message or "Malformed safetensors file",
            filename="model.safetensors",
        )
        for name, (data, message) in variants.items()
    ]


# --- GGUF ------------------------------------------------------------------------------------------------------------


def _s(raw: bytes) -> bytes:
    return struct.pack("<Q", len(raw)) + raw


def _kv_str(key: str, value: str) -> bytes:
    return _s(key.encode()) + struct.pack("<I", 8) + _s(value.encode())


def _kv_u32(key: str, value: int) -> bytes:
    return _s(key.encode()) + struct.pack("<I", 4) + struct.pack("<I", value)


def gguf_bytes(
    *,
    magic: bytes = b"GGUF",
    version: int = 3,
    kvs: list[bytes] | None = None,
    tensors: list[tuple[str, list[int], int, int]] | None = None,
    tensor_count: int | None = None,
    kv_count: int | None = None,
    n_dims: int | None = None,
    data: bytes = b"\0" * 32,
) -> bytes:
    kvs = [_kv_str("general.architecture", "llama")] if kvs is None else kvs
    tensors = [("w", [4, 2], 0, 0)] if tensors is None else tensors  # 8 F32 values = 32 bytes
    out = magic + struct.pack("<I", version)
    out += struct.pack("<Q", len(tensors) if tensor_count is None else tensor_count)
    out += struct.pack("<Q", len(kvs) if kv_count is None else kv_count) + b"".join(kvs)
    for name, dims, ggml_type, offset in tensors:
        out += _s(name.encode()) + struct.pack("<I", len(dims) if n_dims is None else n_dims)
        out += b"".join(struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", ggml_type, offset)
    return out + b"\0" * ((-len(out)) % 32) + data


def gguf_cases() -> list[UploadCase]:
    huge_array = _s(b"tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, 2**61)
    variants = {
        "bad version": (gguf_bytes(version=99), "version 99"),
        "truncated header": (gguf_bytes()[:40], "only 8 are left"),
        "truncated data": (gguf_bytes(data=b"\0" * 8), "truncated"),
        "huge tensor count": (gguf_bytes(tensor_count=2**62), "tensors"),
        "huge key-value count": (gguf_bytes(kv_count=2**62), "key-value pairs"),
        "huge dimensions": (gguf_bytes(tensors=[("w", [2**40, 2**40], 0, 0)]), "truncated"),
        "too many dimensions": (gguf_bytes(n_dims=2**31), "dimensions"),
        "bad key length": (
            b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 2**60) + b"k" * 64,
            "declares",
        ),
        "bad string value length": (
            gguf_bytes(kvs=[_s(b"general.name") + struct.pack("<I", 8) + struct.pack("<Q", 2**50) + b"x" * 16]),
            "declares",
        ),
        "huge array length": (gguf_bytes(kvs=[huge_array]), "array items"),
        "zero alignment": (gguf_bytes(kvs=[_kv_u32("general.alignment", 0)]), "alignment"),
        "alignment not a power of two": (gguf_bytes(kvs=[_kv_u32("general.alignment", 24)]), "alignment"),
        "misaligned tensor offset": (gguf_bytes(tensors=[("w", [4, 2], 0, 3)], data=b"\0" * 64), "multiple of"),
        "unknown tensor type": (gguf_bytes(tensors=[("w", [4, 2], 999, 0)]), "unknown tensor type"),
        "unknown value type": (
            b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + _s(b"k") + struct.pack("<I", 77) + b"\0" * 16,
            "unknown value type",
        ),
        "tensor offset beyond the end": (gguf_bytes(tensors=[("w", [4, 2], 0, 2**50)]), "truncated"),
    }
    cases = [
        UploadCase(f"GGUF: {name}", data, "model_weights", "quarantined", message, filename="model.gguf")
        for name, (data, message) in variants.items()
    ]
    # Not GGUF at all: never parsed as one, stored as unrecognised data (and refused by any analysis that needs
    # weights, with the formats it reads).
    cases.append(
        UploadCase(
            "GGUF: bad magic",
            b"GGUX" + gguf_bytes()[4:],
            "model_weights",
            "stored",
            "",
            filename="model.gguf",
            check=lambda f: None if "GGUF" not in f.detected_type else f"taken for GGUF: {f.detected_type}",
        )
    )
    return cases


# --- pickles ---------------------------------------------------------------------------------------------------------


class _System:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> Any:
        return (os.system, (f"touch {self.marker}",))


class _Popen:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> Any:
        return (subprocess.Popen, (["touch", str(self.marker)],))


def _zip(entries: dict[str, bytes], *, compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _tar(members: list[tarfile.TarInfo], payloads: dict[str, bytes] | None = None, *, mode: str = "w") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:  # type: ignore[call-overload]
        for member in members:
            data = (payloads or {}).get(member.name)
            if data is not None:
                member.size = len(data)
            archive.addfile(member, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def pickle_cases(canary: Path) -> list[UploadCase]:
    cases = [
        UploadCase(
            f"pickle: os.system REDUCE, protocol {protocol}",
            pickle.dumps({"state_dict": _System(canary / f"system-{protocol}")}, protocol=protocol),
            "model_weights",
            "refused",
            "tries to run code when loaded: posix system",
            filename="pytorch_model.bin",
        )
        for protocol in range(6)
    ]
    cases += [
        UploadCase(
            "pickle: builtins.eval",
            hostile.code_running_pickle(canary / "eval"),
            "model_weights",
            "refused",
            "builtins eval",
            filename="model.pt",
        ),
        UploadCase(
            "pickle: subprocess.Popen via STACK_GLOBAL",
            pickle.dumps(_Popen(canary / "popen"), protocol=4),
            "model_weights",
            "refused",
            "subprocess Popen",
            filename="model.ckpt",
        ),
        UploadCase(
            "pickle: protocol 0 GLOBAL filed as a text document",
            pickle.dumps([_System(canary / "text")], protocol=0),
            "document",
            "refused",
            "tries to run code",
            filename="notes.txt",
        ),
        UploadCase(
            "pickle: only allow-listed globals is still a pickle",
            pickle.dumps(__import__("collections").OrderedDict(a=1), protocol=2),
            "model_weights",
            "refused",
            "Convert the weights to safetensors",
            filename="model.bin",
        ),
        UploadCase(
            "pickle: PyTorch zip checkpoint (archive/data.pkl)",
            hostile.torch_style_zip_checkpoint(canary / "torchzip"),
            "model_weights",
            "refused",
            "PyTorch checkpoint",
            filename="model.pt",
        ),
        UploadCase(
            "pickle: other .pkl inside a zip",
            _zip({"weights/model.pkl": pickle.dumps(_System(canary / "zipkl"), protocol=2)}),
            "other",
            "refused",
            "PyTorch checkpoint",
            filename="bundle.zip",
        ),
        UploadCase(
            "pickle: data.pkl inside a tar.gz",
            _tar(
                [tarfile.TarInfo("archive/data.pkl")],
                {"archive/data.pkl": pickle.dumps(_System(canary / "tarpkl"), protocol=2)},
                mode="w:gz",
            ),
            "model_weights",
            "refused",
            "pickle checkpoint",
            filename="model.tar.gz",
        ),
    ]
    return cases


# --- archives --------------------------------------------------------------------------------------------------------


def _tar_entry(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    return info


def archive_cases() -> list[UploadCase]:
    zeros = b"\0" * (20 * 1024 * 1024)
    many = 10_001  # EVIDENCE_ARCHIVE_MAX_ENTRIES is 10 000
    absolute_zip = hostile.zip_absolute()
    cases = [
        ("zip bomb (ratio)", hostile.zip_bomb(), "archive bomb"),
        ("zip bomb (entry count)", _zip({f"f{i}": b"" for i in range(many)}), f"{many:,} entries"),
        ("tar.gz bomb (ratio)", _tar([_tar_entry("zeros")], {"zeros": zeros}, mode="w:gz"), "archive bomb"),
        ("zip traversal ../", hostile.zip_traversal(), "path traversal"),
        ("zip traversal ..\\ (Windows)", _zip({"..\\..\\Windows\\evil.dll": b"x"}), "path traversal"),
        ("zip absolute /tmp", absolute_zip, "absolute path"),
        ("zip drive letter C:", _zip({"C:\\evil.bat": b"x"}), "absolute path"),
        ("zip control characters in a name", _zip({"a\x1b[2Jb": b"x"}), "control characters"),
        ("zip symlink", hostile.zip_symlink(), "symbolic link"),
        ("tar symlink", hostile.tar_symlink(), "link"),
        ("tar hard link", _tar([_tar_entry("h", tarfile.LNKTYPE, "/etc/shadow")]), "link"),
        ("tar device entry", _tar([_tar_entry("dev", tarfile.CHRTYPE)]), "device"),
        ("tar traversal", _tar([_tar_entry("../../evil")], {"../../evil": b"x"}), "path traversal"),
        ("tar absolute", _tar([_tar_entry("/tmp/evil")], {"/tmp/evil": b"x"}), "absolute path"),
        ("damaged zip", _zip({"a.txt": b"hello" * 100})[:-30], "Damaged ZIP"),
    ]
    return [
        UploadCase(f"archive: {name}", data, "other", "refused", message, filename="bundle.zip")
        for name, data, message in cases
    ]


def polyglot_cases(canary: Path) -> list[UploadCase]:
    pdf_front = b"%PDF-1.4\n% a harmless-looking first page\n"
    gif_front = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
    cases = [
        ("PDF + PyTorch checkpoint", pdf_front + hostile.torch_style_zip_checkpoint(canary / "poly"), "checkpoint"),
        ("PDF + zip bomb", pdf_front + hostile.zip_bomb(), "archive bomb"),
        ("GIF + zip traversal", gif_front + hostile.zip_traversal(), "path traversal"),
        ("PDF + zip symlink", pdf_front + hostile.zip_symlink(), "symbolic link"),
    ]
    return [
        UploadCase(f"polyglot: {name}", data, "document", "refused", message, filename="scan.pdf")
        for name, data, message in cases
    ]


# --- PDFs with active content ---------------------------------------------------------------------------------------


def _pdf(catalog_extra: str) -> bytes:
    """A minimal well-formed PDF (with a correct xref table) whose catalogue carries `catalog_extra`."""
    objects = [
        f"<< /Type /Catalog /Pages 2 0 R {catalog_extra} >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = b"%PDF-1.7\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def pdf_cases() -> list[UploadCase]:
    variants = {
        "OpenAction JavaScript": ("/OpenAction << /S /JavaScript /JS (app.alert(1)) >>", "JavaScript"),
        "Launch action": ("/OpenAction << /S /Launch /F (cmd.exe) >>", "a launch action"),
        "document JavaScript name tree": ("/Names << /JavaScript << /Names [(x) << /S /JavaScript >>] >> >>", "Java"),
        "names spelled with #xx escapes": ("/Open#41ction << /S /J#61vaScript /J#53 (app.alert(1)) >>", "JavaScript"),
        "automatic actions": ("/AA << /WC << /S /Launch /F (x) >> >>", "automatic actions"),
        "embedded file": ("/Names << /EmbeddedFiles << /Names [(x) 9 0 R] >> >>", "embedded files"),
    }
    return [
        UploadCase(f"PDF: {name}", _pdf(extra), "document", "flagged", label, filename="statement.pdf")
        for name, (extra, label) in variants.items()
    ]


# --- empty, huge, names ----------------------------------------------------------------------------------------------


def size_cases() -> list[UploadCase]:
    return [
        UploadCase("size: 0-byte file", b"", "document", "refused", "empty"),
        UploadCase("size: 5 TiB declared", b"x", "document", "refused", "the limit is", length=5 * 1024**4),
        UploadCase("size: 10^30 bytes declared", b"x", "document", "refused", "the limit is", length=10**30),
        UploadCase("size: chunk overruns the declared length", b"x" * 150, "document", "refused", "past", length=100),
        UploadCase(
            "size: 10 GB Content-Length on a chunk",
            b"x" * 100,
            "document",
            "refused",
            "per request",
            content_length=10 * 1024**3,
        ),
    ]


TRICK_NAMES = {
    "right-to-left override": "invoice\u202efdp.exe",
    "zero-width characters": "con\u200btract\u200d.pdf",
    "Cyrillic homoglyphs": "\u0441\u043e\u0441ontract.pdf",
    "path traversal": "../../../etc/passwd",
    "absolute path": "/etc/shadow",
    "Windows reserved name": "CON.txt",
    "header injection": "a.txt\r\nSet-Cookie: session=stolen",
    "overlong": "a" * 10_000 + ".txt",
    "only dots": "..",
}


def _name_is_inert(exhibit_file: Any) -> str | None:
    if not exhibit_file.storage_name.endswith(exhibit_file.sha256) or "/" in exhibit_file.storage_name.replace(
        f"exhibits/{exhibit_file.exhibit.case_id}/", ""
    ):
        return f"the name reached the storage path: {exhibit_file.storage_name!r}"
    return None


def filename_cases() -> list[UploadCase]:
    return [
        UploadCase(
            f"filename: {name}",
            f"evidence filed as {name}".encode(),
            "document",
            "stored",
            "",
            filename=filename,
            check=_name_is_inert,
        )
        for name, filename in TRICK_NAMES.items()
    ]


# --- logs and JSON ---------------------------------------------------------------------------------------------------

LOG_ROW = '{"timestamp": "2026-01-01T00:00:00Z", "account_id": "acct-1", "prompt": "hello"}'
DEEP_ROW = (
    '{"timestamp": "2026-01-01T00:00:00Z", "account_id": "acct-2", "prompt": "x", "extra": '
    + "[" * 100_000
    + "]" * 100_000
    + "}"
)


def _log_check(total: int, bad_lines: list[int]) -> Callable[[Any], str | None]:
    def check(exhibit_file: Any) -> str | None:
        details = exhibit_file.ingest_report.get("details", {})
        rows = details.get("rows", {})
        lines = sorted(example["line"] for example in details.get("bad_rows", {}).get("examples", []))
        if rows.get("total") != total or rows.get("bad") != len(bad_lines) or lines != bad_lines:
            return f"rows {rows}, bad lines {lines}; expected {total} rows, bad lines {bad_lines}"
        return None

    return check


def log_cases() -> list[UploadCase]:
    csv_rows = [
        "timestamp,account_id,prompt",
        "2026-01-01T00:00:00Z,acct-1,hello",  # line 2
        "2026-01-01T00:00:00Z,acct-1",  # line 3: a field short
        "not-a-time,acct-1,hello",  # line 4
        "2026-01-01T00:00:00Z,acct-1,hello,extra",  # line 5: a field too many
        "2026-01-01T00:00:00Z,,hello",  # line 6: no account
        "2026-01-01T00:00:00Z,acct-2,bye",  # line 7
    ]
    jsonl_rows = [
        LOG_ROW,  # 1
        "{not json",  # 2
        "[1, 2, 3]",  # 3: not an object
        DEEP_ROW,  # 4: 100 000 levels deep, valid JSON
        '{"timestamp": "yesterday", "account_id": "a", "prompt": "p"}',  # 5
        '{"account_id": "a", "prompt": "p"}',  # 6: no timestamp
        LOG_ROW,  # 7
    ]
    return [
        UploadCase(
            "log: CSV with broken rows",
            ("\n".join(csv_rows) + "\n").encode(),
            "api_log",
            "flagged",
            "bad rows reported",
            filename="queries.csv",
            check=_log_check(6, [3, 4, 5, 6]),
        ),
        UploadCase(
            "log: JSONL with broken rows and a 100 000-deep row",
            ("\n".join(jsonl_rows) + "\n").encode(),
            "api_log",
            "flagged",
            "bad rows reported",
            filename="queries.jsonl",
            check=_log_check(7, [2, 3, 5, 6]),
        ),
        UploadCase(
            "log: JSONL with no valid row",
            b'{"timestamp": "yesterday", "account_id": "a", "prompt": "p"}\n{"timestamp": "", "account_id": "b"}\n',
            "api_log",
            "quarantined",
            "no valid rows",
            filename="queries.jsonl",
        ),
        UploadCase(
            "log: JSONL with no JSON object at all",
            b"{broken\n[1]\n",
            "api_log",
            "refused",
            "No JSON object found",
            filename="queries.jsonl",
        ),
        UploadCase(
            "log: CSV without the required columns",
            hostile.csv_log_missing_columns(),
            "api_log",
            "refused",
            "not an API query log",
            filename="queries.csv",
        ),
        UploadCase(
            "log: binary junk filed as a log",
            b"\x00\x01\x02TRIBUNAL\xff" * 100,
            "api_log",
            "refused",
            "log",
            filename="queries.csv",
        ),
        UploadCase(
            "JSON: 100 000-deep document filed as model outputs",
            ("[" * 100_000 + "]" * 100_000).encode(),
            "model_outputs",
            "flagged",
            "not valid JSON",
            filename="outputs.json",
        ),
        UploadCase(
            "JSON: 100 000-deep tokenizer.json",
            _deep(100_000).encode(),
            "tokenizer",
            "flagged",
            "not valid JSON",
            filename="tokenizer.json",
        ),
    ]


def upload_cases(canary: Path) -> list[UploadCase]:
    return [
        *safetensors_cases(),
        *gguf_cases(),
        *pickle_cases(canary),
        *archive_cases(),
        *polyglot_cases(canary),
        *pdf_cases(),
        *size_cases(),
        *filename_cases(),
        *log_cases(),
    ]


def deep_json(depth: int = 100_000, *, objects: bool = False) -> str:
    return _deep(depth) if objects else "[" * depth + "]" * depth


def json_body(**fields: Any) -> str:
    return json.dumps(fields)
