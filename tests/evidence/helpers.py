"""Upload through the real tus service, the way the HTTP view drives it, in chunks."""

from __future__ import annotations

import base64
import hashlib
import io
from typing import Any

from evidence.models import ExhibitFile, UploadSession
from evidence.services.uploads import upload_append, upload_create


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def chunk_checksum(data: bytes) -> str:
    return "sha256 " + base64.b64encode(hashlib.sha256(data).digest()).decode()


def start_upload(user: Any, case: Any, data: bytes, **metadata: Any) -> UploadSession:
    fields = {
        "filename": "evidence.bin",
        "sha256": sha256(data),
        "kind": "document",
        "title": "An exhibit",
        "tier": "parties",
    }
    fields.update({k: str(v) for k, v in metadata.items()})
    return upload_create(user=user, case=case, length=len(data), metadata=fields, ip="203.0.113.7")


def send(session: UploadSession, data: bytes, start: int, end: int, *, checksum: bool = True) -> UploadSession:
    chunk = data[start:end]
    return upload_append(
        session=session,
        offset=start,
        stream=io.BytesIO(chunk),
        content_length=len(chunk),
        checksum_header=chunk_checksum(chunk) if checksum else None,
    )


def upload(user: Any, case: Any, data: bytes, *, chunk: int = 64 * 1024, **metadata: Any) -> ExhibitFile:
    session = start_upload(user, case, data, **metadata)
    for start in range(0, len(data), chunk):
        session = send(session, data, start, min(len(data), start + chunk))
    assert session.result_file is not None
    return session.result_file


def random_bytes(size: int) -> bytes:
    """Random content with a fixed, neutral prefix: bare random bytes look like a pickle, a safetensors header or an
    archive to the content sniffers once in a few hundred runs, and the test would then flake."""
    import os

    prefix = b"TRIBUNAL-TEST-DATA\n"
    return (prefix + os.urandom(max(0, size - len(prefix))))[:size]
