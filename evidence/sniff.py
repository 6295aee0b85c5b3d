"""Detect what an uploaded file really is, by content — never by its name — and check its structure.

Two stages:
- `gatekeep(path)` runs when an upload completes, before anything is stored. It refuses what must never enter the
  vault: empty files, pickle checkpoints, malformed safetensors headers, hostile archives, logs without the
  required columns. A refusal is a clear 4xx and leaves no exhibit, no blob and no row behind.
- `inspect(path, kind)` runs in the ingest job: type detection (own sniffers, libmagic for the rest), deeper
  validation (GGUF parse, log bad rows with line numbers), PDF text extraction for search and active-content flags.
"""

from __future__ import annotations

import json
import logging
import re
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from evidence.archives import inspect_tar, inspect_zip
from evidence.pickle_scan import looks_like_pickle, scan_pickle
from forensics.common import ForensicsInputError
from forensics.formats.gguf_header import read_gguf_header
from forensics.formats.safetensors import read_header

logger = logging.getLogger(__name__)

CONVERT_ADVICE = (
    "Pickle-based checkpoints (.bin, .pt, .pth, .ckpt) can run code when loaded, so Tribunal never opens them. "
    "Convert the weights to safetensors (e.g. with the `safetensors` library's convert script, run on your own "
    "machine) and upload the .safetensors file instead."
)


class Refused(Exception):
    """The file must not enter the vault. The message is shown to the uploader."""


@dataclass
class Inspection:
    detected_type: str
    checks: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    quarantine: str = ""
    text: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def report(self) -> dict[str, Any]:
        return {
            "detected_type": self.detected_type,
            "checks": self.checks,
            "warnings": self.warnings,
            "quarantine": self.quarantine,
            "details": self.details,
        }


def _head(path: Path, size: int = 4096) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(size)


def _looks_like_safetensors(head: bytes, *, size: int, kind: str) -> bool:
    """An 8-byte header length then '{'. Any file has a 1-in-256 chance of a '{' at byte 8, so outside the model
    weights kind the length must also fit in the file; for model weights a misfit is judged (and refused) as a
    malformed header."""
    if len(head) < 10 or head[8:9] != b"{":
        return False
    (length,) = struct.unpack("<Q", head[:8])
    return length > 0 and (kind == "model_weights" or 8 + length <= size)


def _is_tar(path: Path, head: bytes) -> bool:
    if len(head) > 262 and head[257:262] == b"ustar":
        return True
    return head[:2] == b"\x1f\x8b" and path.stat().st_size > 0 and _gzip_wraps_tar(path)


def _gzip_wraps_tar(path: Path) -> bool:
    import gzip

    try:
        with gzip.open(path, "rb") as handle:
            block = handle.read(512)
    except OSError:
        return False
    return len(block) > 262 and block[257:262] == b"ustar"


def gatekeep(path: Path, *, kind: str) -> str:
    """Refuse files that must never be stored. Returns a short detected type for the receipt."""
    size = path.stat().st_size
    if size == 0:
        raise Refused("The file is empty (0 bytes).")
    head = _head(path)
    if looks_like_pickle(head):
        with open(path, "rb") as handle:
            scan = scan_pickle(handle)
        raise Refused(f"This is a pickle file, which {scan.verdict}. {CONVERT_ADVICE}")
    if _looks_like_safetensors(head, size=size, kind=kind):
        try:
            header = read_header(path, max_header_bytes=settings.EVIDENCE_MAX_SAFETENSORS_HEADER_BYTES)
        except ForensicsInputError as error:
            raise Refused(f"Malformed safetensors file: {error}.") from None
        return f"safetensors ({len(header.tensors)} tensors)"
    if head[:4] == b"PK\x03\x04" or head[:4] == b"PK\x05\x06":
        try:
            report = inspect_zip(str(path))
        except zipfile.BadZipFile as error:
            raise Refused(f"Damaged ZIP archive: {error}.") from None
        if report.contains_pickle:
            raise Refused(f"This ZIP is a PyTorch checkpoint (it holds data.pkl or another pickle). {CONVERT_ADVICE}")
        if report.problems:
            raise Refused("Unsafe archive, refused: " + "; ".join(report.problems[:5]) + ".")
        return f"zip archive ({report.entries} entries, not extracted)"
    if _is_tar(path, head):
        try:
            report = inspect_tar(str(path), size)
        except Exception as error:  # noqa: BLE001 - tarfile raises many kinds of errors on hostile input
            raise Refused(f"Damaged TAR archive: {error}.") from None
        if report.contains_pickle:
            raise Refused(f"This archive holds a pickle checkpoint (data.pkl or another .pkl file). {CONVERT_ADVICE}")
        if report.problems:
            raise Refused("Unsafe archive, refused: " + "; ".join(report.problems[:5]) + ".")
        return f"tar archive ({report.entries} entries, not extracted)"
    if zipfile.is_zipfile(path):
        # A polyglot: something else at the front (a PDF, say) with a ZIP appended, which any unzip tool opens.
        # Judge the archive inside as strictly as a plain ZIP.
        report = inspect_zip(str(path))
        if report.contains_pickle:
            raise Refused(f"This file hides a PyTorch checkpoint (a ZIP holding a .pkl pickle). {CONVERT_ADVICE}")
        if report.problems:
            raise Refused("This file hides an unsafe archive, refused: " + "; ".join(report.problems[:5]) + ".")
    if kind == "api_log":
        _gatekeep_log(path)
        return "API query log"
    if head[:4] == b"GGUF":
        return "GGUF model file"
    return "file"


def _gatekeep_log(path: Path) -> None:
    """Only the structure (format and required columns) is checked here; bad rows are counted at ingest."""
    from forensics.logs.reader import LogSource, connect

    con = connect("256MB")
    try:
        LogSource(con, path)
    except ForensicsInputError as error:
        raise Refused(f"This is not an API query log in the required schema: {error}") from None
    except Exception as error:  # noqa: BLE001 - duckdb raises its own error types on malformed files
        raise Refused(f"The log cannot be read: {error}") from None
    finally:
        con.close()


def inspect(path: Path, *, kind: str) -> Inspection:
    head = _head(path)
    if _looks_like_safetensors(head, size=path.stat().st_size, kind=kind):
        return _inspect_safetensors(path)
    if head[:4] == b"GGUF":
        return _inspect_gguf(path)
    if head[:5] == b"%PDF-":
        return _inspect_pdf(path)
    if kind == "api_log" or head[:4] == b"PAR1":
        return _inspect_log(path)
    if kind in {"model_outputs", "tokenizer"} or head[:1] in (b"{", b"["):
        json_inspection = _inspect_json_like(path, head)
        if json_inspection is not None:
            return json_inspection
    return _inspect_generic(path, head)


def _inspect_safetensors(path: Path) -> Inspection:
    header = read_header(path, max_header_bytes=settings.EVIDENCE_MAX_SAFETENSORS_HEADER_BYTES)
    dtypes = sorted({t.dtype for t in header.tensors.values()})
    parameters = sum(t.numel for t in header.tensors.values())
    return Inspection(
        detected_type="safetensors",
        checks=["header validated: JSON, known dtypes, sizes match shapes, offsets contiguous without holes"],
        details={
            "tensors": len(header.tensors),
            "parameters": parameters,
            "dtypes": dtypes,
            "metadata": dict(list(header.metadata.items())[:20]),
        },
    )


def _inspect_gguf(path: Path) -> Inspection:
    # The strict walk first: the gguf reader trusts declared counts and lengths and accepts a zero alignment.
    try:
        header = read_gguf_header(path)
    except ForensicsInputError as error:
        return Inspection(detected_type="GGUF (malformed)", quarantine=f"Malformed GGUF file: {error}.")
    try:
        from gguf import GGUFReader

        reader = GGUFReader(str(path), "r")
        tensors = len(reader.tensors)
        architecture = ""
        field_ = reader.fields.get("general.architecture")
        if field_ is not None:
            architecture = bytes(field_.parts[field_.data[0]]).decode("utf-8", "replace")
    except Exception as error:  # noqa: BLE001 - the gguf reader raises assorted errors on malformed files
        return Inspection(detected_type="GGUF (malformed)", quarantine=f"Malformed GGUF file: {error}")
    return Inspection(
        detected_type="GGUF",
        checks=["GGUF header, key-value pairs and tensor table checked: counts, lengths, alignment, bounds"],
        details={"tensors": tensors, "architecture": architecture, "version": header.version},
    )


ACTIVE_PDF_KEYS = {
    "/JavaScript": "JavaScript",
    "/JS": "JavaScript",
    "/Launch": "a launch action",
    "/EmbeddedFile": "embedded files",
    "/OpenAction": "an open action",
    "/AA": "automatic actions",
}


def _inspect_pdf(path: Path) -> Inspection:
    from pypdf import PdfReader

    inspection = Inspection(detected_type="PDF document")
    limit = settings.EVIDENCE_SEARCH_TEXT_MAX_CHARS
    flags = _scan_pdf_tokens(path)
    # pypdf reads a path into memory whole; given an open file it seeks, so a large PDF is never copied to RAM.
    with open(path, "rb") as handle:
        try:
            reader = PdfReader(handle, strict=False)
            flags |= _catalog_flags(reader)
            inspection.details["pages"] = len(reader.pages)
            pieces: list[str] = []
            total = 0
            for page in reader.pages:
                text = page.extract_text() or ""
                pieces.append(text)
                total += len(text)
                if total >= limit:
                    inspection.warnings.append(f"text truncated to {limit:,} characters for search")
                    break
            inspection.text = "\n".join(pieces)[:limit]
            inspection.checks.append(f"text extracted from {len(pieces)} page(s) for search")
        except Exception as error:  # noqa: BLE001 - damaged PDFs are common; keep the file, say what failed
            inspection.warnings.append(f"text could not be extracted: {error}"[:300])
    if flags:
        inspection.warnings.append("contains " + ", ".join(sorted(flags)) + " (flagged; never executed here)")
        inspection.details["active_content"] = sorted(flags)
    return inspection


# A PDF name may spell any byte as #xx: /J#61vaScript is /JavaScript to every reader.
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


def _scan_pdf_tokens(path: Path) -> set[str]:
    """Look for active-content keys in the raw bytes, streaming, so a damaged PDF is still flagged."""
    found: set[str] = set()
    tail = b""
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            window = _PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), tail + chunk)
            for key, label in ACTIVE_PDF_KEYS.items():
                if key.encode() in window:
                    found.add(label)
            tail = chunk[-96:]  # room for a key spelled entirely in #xx escapes across the chunk boundary
    return found


def _catalog_flags(reader: Any) -> set[str]:
    """Keys in compressed object streams are invisible to the byte scan: ask the parsed document catalogue."""
    found: set[str] = set()
    root = reader.trailer.get("/Root")
    root = root.get_object() if root is not None else {}
    for key in ("/OpenAction", "/AA"):
        if key in root:
            found.add(ACTIVE_PDF_KEYS[key])
    names = root.get("/Names")
    names = names.get_object() if names is not None else {}
    if "/JavaScript" in names:
        found.add("JavaScript")
    if "/EmbeddedFiles" in names:
        found.add("embedded files")
    return found


def _inspect_log(path: Path) -> Inspection:
    from forensics.logs.reader import validate_log

    try:
        summary = validate_log(path)
    except ForensicsInputError as error:
        return Inspection(detected_type="API query log (invalid)", quarantine=str(error))
    inspection = Inspection(detected_type=f"API query log ({summary['format']})", details=summary)
    rows = summary["rows"]
    inspection.checks.append(f"{rows['valid']:,} valid rows of {rows['total']:,}")
    if rows["bad"]:
        examples = ", ".join(f"line {e['line']}: {e['reason']}" for e in summary["bad_rows"]["examples"][:5])
        inspection.warnings.append(f"{rows['bad']:,} bad rows reported, not dropped ({examples})")
    if not summary["valid"]:
        inspection.quarantine = "The log has no valid rows."
    return inspection


def _inspect_json_like(path: Path, head: bytes) -> Inspection | None:
    stripped = head.lstrip()
    if stripped[:1] == b"{" and b"\n" in stripped:
        first = stripped.split(b"\n", 1)[0]
        try:
            json.loads(first)
            return Inspection(detected_type="JSON Lines", checks=["first line parses as JSON"])
        except ValueError:
            pass
    if stripped[:1] in (b"{", b"[") and path.stat().st_size <= 50 * 1024 * 1024:
        try:
            with open(path, "rb") as handle:
                document = json.load(handle)
        except (ValueError, RecursionError) as error:
            return Inspection(detected_type="JSON (malformed)", warnings=[f"not valid JSON: {error}"[:300]])
        if isinstance(document, dict) and "model" in document and "added_tokens" in document:
            return Inspection(detected_type="tokenizer.json", checks=["tokenizer.json structure recognised"])
        return Inspection(detected_type="JSON", checks=["valid JSON"])
    return None


def _inspect_generic(path: Path, head: bytes) -> Inspection:
    try:
        import magic

        description = magic.from_file(str(path))
        mime = magic.from_file(str(path), mime=True)
    except Exception as error:  # noqa: BLE001 - libmagic can fail on odd files; the type is then unknown
        description, mime = f"unknown ({error})", "application/octet-stream"
    inspection = Inspection(detected_type=description[:120], details={"mime": mime})
    if mime.startswith("text/"):
        with open(path, "rb") as handle:
            inspection.text = handle.read(settings.EVIDENCE_SEARCH_TEXT_MAX_CHARS).decode("utf-8", "replace")
        inspection.checks.append("text indexed for search")
    return inspection
