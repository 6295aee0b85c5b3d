"""Resumable uploads (tus 1.0: core, creation, termination, checksum).

Bytes are appended to a staging file on local disk as they arrive — never held in memory — under a file lock so
two PATCH requests cannot interleave. When the last byte arrives the server computes the file's SHA-256 and
compares it with the one the client declared; the gatekeeper refuses dangerous or malformed files. Only then is
the file moved into write-once evidence storage and recorded, with its custody receipt, in one transaction; the
ingest job is queued after commit. A mismatch, a refusal or an abandoned upload leaves nothing behind.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import logging
import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, Any, Protocol

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import F, Max, Q, Sum
from django.utils import timezone

from accounts.models import User
from disputes.models import Case
from evidence import permissions
from evidence.custody import custody_append
from evidence.hashing import sha256_file
from evidence.models import CustodyAction, Exhibit, ExhibitFile, ExhibitKind, Tier, UploadSession
from evidence.sniff import Refused, gatekeep
from evidence.storage import evidence_storage

logger = logging.getLogger(__name__)

READ_BLOCK = 1024 * 1024
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
CHECKSUM_ALGORITHMS = {"sha256": hashlib.sha256, "sha1": hashlib.sha1, "md5": hashlib.md5}


class BodyStream(Protocol):
    """Anything with read(size) -> bytes: a request body, a file, a test's BytesIO."""

    def read(self, size: int = -1, /) -> bytes: ...


class UploadError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def staging_path(session_id: uuid.UUID | str) -> Path:
    return Path(settings.EVIDENCE_STAGING_DIR) / f"{session_id}.part"


def parse_metadata(header: str) -> dict[str, str]:
    """tus Upload-Metadata: comma-separated `key base64value` pairs."""
    metadata: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in header.split(","))):
        key, _, encoded = pair.partition(" ")
        if not key or len(key) > 64:
            raise UploadError(400, "Upload-Metadata has an empty or overlong key.")
        try:
            metadata[key] = base64.b64decode(encoded, validate=True).decode("utf-8") if encoded else ""
        except (binascii.Error, UnicodeDecodeError):
            raise UploadError(400, f"Upload-Metadata value for '{key}' is not valid base64 UTF-8.") from None
    return metadata


@dataclass(frozen=True)
class NewExhibit:
    kind: str
    title: str
    description: str
    tier: str
    parameters: dict[str, Any]


def _exhibit_fields(metadata: dict[str, str]) -> NewExhibit:
    if any("\x00" in value for value in metadata.values()):
        raise UploadError(400, "Upload-Metadata values must not contain NUL characters.")
    kind = metadata.get("kind", "")
    if kind not in ExhibitKind.values:
        raise UploadError(400, f"Unknown exhibit kind '{kind}'. Choose one of: {', '.join(ExhibitKind.values)}.")
    tier = metadata.get("tier", Tier.PARTIES)
    if tier not in Tier.values:
        raise UploadError(400, f"Unknown confidentiality tier '{tier}'. Choose one of: {', '.join(Tier.values)}.")
    title = metadata.get("title", "").strip()
    if not title or len(title) > 300:
        raise UploadError(400, "An exhibit needs a title of at most 300 characters.")
    description = metadata.get("description", "")[:10_000]
    parameters = {}
    if metadata.get("watermark_key"):
        parameters["watermark_key"] = metadata["watermark_key"].strip()[:40]
    return NewExhibit(kind=kind, title=title, description=description, tier=tier, parameters=parameters)


def _bytes_committed(case: Case) -> int:
    stored = ExhibitFile.objects.filter(exhibit__case=case).aggregate(n=Sum("size"))["n"] or 0
    pending = (
        UploadSession.objects.filter(
            case=case, status=UploadSession.Status.RECEIVING, expires_at__gt=timezone.now()
        ).aggregate(n=Sum("length"))["n"]
        or 0
    )
    return int(stored) + int(pending)


def upload_create(*, user: User, case: Case, length: int, metadata: dict[str, str], ip: str | None) -> UploadSession:
    """Validate everything knowable before a byte is sent: permission, size, quota, concurrency, metadata."""
    side = permissions.may_file_exhibits(user, case)
    if side is None:
        raise UploadError(403, "You cannot file evidence in this case at its current stage.")
    if length <= 0:
        raise UploadError(400, "The file is empty (Upload-Length must be at least 1 byte).")
    if length > settings.EVIDENCE_MAX_FILE_BYTES:
        raise UploadError(
            413, f"The file is {length:,} bytes; the limit is {settings.EVIDENCE_MAX_FILE_BYTES:,} bytes."
        )
    declared = metadata.get("sha256", "").strip().lower()
    if not SHA256_HEX.match(declared):
        raise UploadError(400, "Declare the file's SHA-256 (64 hexadecimal digits) in the 'sha256' metadata.")
    filename = (metadata.get("filename") or "").strip()
    if not filename:
        raise UploadError(400, "Give the file's name in the 'filename' metadata.")
    filename = filename.replace("\x00", "")[:255]

    exhibit: Exhibit | None = None
    fields: dict[str, Any] = {}
    if metadata.get("exhibit"):
        try:
            exhibit_id = int(metadata["exhibit"])
        except ValueError:
            raise UploadError(400, "'exhibit' must be an exhibit id.") from None
        exhibit = permissions.visible_exhibits(user, case).filter(pk=exhibit_id).first()
        if exhibit is None:
            raise UploadError(404, "No such exhibit in this case.")
        if exhibit.side != side:
            raise UploadError(403, "Files can be added only to your own side's exhibits.")
    else:
        new = _exhibit_fields(metadata)
        fields = {
            "kind": new.kind,
            "title": new.title,
            "description": new.description,
            "tier": new.tier,
            "parameters": new.parameters,
        }

    with transaction.atomic():
        Case.objects.select_for_update().filter(pk=case.pk).first()  # serialise quota checks per case
        open_sessions = UploadSession.objects.filter(
            user=user, status=UploadSession.Status.RECEIVING, expires_at__gt=timezone.now()
        ).count()
        if open_sessions >= settings.EVIDENCE_MAX_CONCURRENT_UPLOADS:
            raise UploadError(
                429,
                f"You already have {open_sessions} uploads in progress (limit "
                f"{settings.EVIDENCE_MAX_CONCURRENT_UPLOADS}). Finish or cancel one first.",
            )
        if _bytes_committed(case) + length > settings.EVIDENCE_CASE_QUOTA_BYTES:
            raise UploadError(
                413, f"This file would exceed the case's storage quota of {settings.EVIDENCE_CASE_QUOTA_BYTES:,} bytes."
            )
        session = UploadSession.objects.create(
            user=user,
            case=case,
            exhibit=exhibit,
            metadata=fields,
            filename=filename,
            declared_sha256=declared,
            length=length,
            client_ip=ip,
            expires_at=timezone.now() + timedelta(hours=settings.EVIDENCE_UPLOAD_EXPIRY_HOURS),
        )
    path = staging_path(session.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=False)
    return session


def upload_session_for(*, user: User, session_id: str) -> UploadSession:
    try:
        key = uuid.UUID(str(session_id))
    except ValueError:
        raise UploadError(404, "No such upload.") from None
    session = UploadSession.objects.select_related("case").filter(pk=key, user=user).first()
    if session is None:
        raise UploadError(404, "No such upload.")
    return session


def _parse_checksum(header: str | None) -> tuple[str, bytes] | None:
    if not header:
        return None
    algorithm, _, encoded = header.strip().partition(" ")
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise UploadError(400, f"Unsupported checksum algorithm '{algorithm}'.")
    try:
        return algorithm, base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise UploadError(400, "Upload-Checksum is not valid base64.") from None


def upload_append(
    *,
    session: UploadSession,
    offset: int,
    stream: BodyStream,
    content_length: int | None,
    checksum_header: str | None,
) -> UploadSession:
    """Append one PATCH body at `offset`. Completes the upload when the last byte arrives."""
    if session.status != UploadSession.Status.RECEIVING:
        raise UploadError(
            410 if session.status != UploadSession.Status.COMPLETED else 409,
            f"This upload is {session.get_status_display().lower()}."
            + (f" {session.failure}" if session.failure else ""),
        )
    if session.expires_at < timezone.now():
        raise UploadError(410, "This upload has expired; start it again.")
    checksum = _parse_checksum(checksum_header)
    if content_length is not None:
        if content_length > settings.EVIDENCE_MAX_CHUNK_BYTES:
            raise UploadError(413, f"Send at most {settings.EVIDENCE_MAX_CHUNK_BYTES:,} bytes per request.")
        if offset + content_length > session.length:
            raise UploadError(400, "This chunk would run past the declared Upload-Length.")
    path = staging_path(session.id)
    if not path.exists():
        if offset == session.offset == session.length:
            # Every byte had arrived and a completion died after storing the file: finish from the stored copy.
            upload_complete(session=session)
            return session
        raise UploadError(410, "The received bytes are no longer on the server; start the upload again.")
    with open(path, "r+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UploadError(423, "Another request is writing to this upload; retry shortly.") from None
        session.refresh_from_db()
        if session.offset != offset:
            raise UploadError(409, f"Upload-Offset {offset} does not match the server's offset {session.offset}.")
        handle.seek(offset)
        handle.truncate()
        chunk_hash = CHECKSUM_ALGORITHMS[checksum[0]]() if checksum else None
        received = _copy_body(
            stream, handle, limit=session.length - offset, chunk_hash=chunk_hash, expected=content_length
        )
        if chunk_hash is not None and checksum is not None and chunk_hash.digest() != checksum[1]:
            handle.truncate(offset)
            raise UploadError(460, "Checksum mismatch: this chunk was discarded; send it again.")
        handle.flush()
        os.fsync(handle.fileno())
        new_offset = offset + received
        UploadSession.objects.filter(pk=session.pk, offset=offset).update(offset=new_offset, updated_at=timezone.now())
        session.offset = new_offset
    if session.offset == session.length:
        upload_complete(session=session)
    return session


def _copy_body(stream: BodyStream, handle: IO[bytes], *, limit: int, chunk_hash: Any, expected: int | None) -> int:
    received = 0
    budget = limit if expected is None else min(limit, expected)
    while received < budget:
        block = stream.read(min(READ_BLOCK, budget - received))
        if not block:
            break  # the client went away: keep what arrived, tus resumes from here
        handle.write(block)
        if chunk_hash is not None:
            chunk_hash.update(block)
        received += len(block)
    return received


class StagedFile(File):
    """Lets FileSystemStorage move the staged file into place (a rename) instead of copying it."""

    def temporary_file_path(self) -> str:
        assert self.file is not None
        return str(self.file.name)


def _reject(session: UploadSession, message: str, status: int) -> None:
    staging_path(session.id).unlink(missing_ok=True)
    UploadSession.objects.filter(pk=session.pk).update(status=UploadSession.Status.REJECTED, failure=message)
    session.status, session.failure = UploadSession.Status.REJECTED, message
    raise UploadError(status, message)


def _stored_before_a_crash(session: UploadSession, storage: Any) -> str | None:
    """The original an earlier completion of this upload moved into storage before it died uncommitted.

    On local storage the staged file is moved (renamed) into place inside the completion's transaction: a server
    killed before the commit leaves the original stored under its content-addressed name, with no row and no
    staged file, and every byte received. That file (re-hashed below like any other) completes the upload.
    """
    name = f"exhibits/{session.case_id}/{session.declared_sha256}"
    if session.offset != session.length or not storage.exists(name):
        return None
    if ExhibitFile.objects.filter(storage_name=name).exists():
        return None
    try:
        storage.path(name)
    except NotImplementedError:
        return None
    return name


def upload_complete(*, session: UploadSession, on_received: Callable[[ExhibitFile], None] | None = None) -> ExhibitFile:
    path = staging_path(session.id)
    storage = evidence_storage()
    stored_before = None if path.exists() else _stored_before_a_crash(session, storage)
    if not path.exists() and stored_before is None:
        _reject(session, "The received bytes are no longer on the server; start the upload again.", 410)
    source = Path(storage.path(stored_before)) if stored_before else path
    computed = sha256_file(source)
    if computed != session.declared_sha256:
        _reject(
            session,
            f"SHA-256 mismatch: you declared {session.declared_sha256}, the server computed "
            f"{computed}. Nothing was stored; check the file and upload it again.",
            422,
        )
    kind = session.exhibit.kind if session.exhibit else session.metadata.get("kind", "other")
    try:
        detected = gatekeep(source, kind=kind)
    except Refused as refusal:
        _reject(session, str(refusal), 422)
    with transaction.atomic():
        locked = UploadSession.objects.select_for_update().get(pk=session.pk)
        if locked.status != UploadSession.Status.RECEIVING:
            raise UploadError(409, "This upload has already been completed.")
        exhibit = locked.exhibit or _exhibit_create(session=locked)
        if stored_before:
            stored_name = stored_before
        else:
            with open(path, "rb") as handle:
                stored_name = storage.save(f"exhibits/{exhibit.case_id}/{computed}", StagedFile(handle, name=computed))
        exhibit_file = ExhibitFile.objects.create(
            exhibit=exhibit,
            storage_name=stored_name,
            original_name=locked.filename,
            size=locked.length,
            sha256=computed,
            declared_sha256=locked.declared_sha256,
            received_at=timezone.now(),
            detected_type=detected[:120],
        )
        custody_append(
            exhibit_id=exhibit.pk,
            action=CustodyAction.RECEIVED,
            actor_id=locked.user_id,
            actor_role=exhibit.side,
            ip=locked.client_ip,
            file=exhibit_file,
            details={
                "declared_sha256": locked.declared_sha256,
                "computed_sha256": computed,
                "size": locked.length,
                "original_name": locked.filename,
                "gatekeeper": detected,
            },
        )
        Exhibit.objects.filter(pk=exhibit.pk).update(status=Exhibit.Status.INGESTING)
        locked.status, locked.result_file, locked.exhibit = UploadSession.Status.COMPLETED, exhibit_file, exhibit
        locked.save(update_fields=["status", "result_file", "exhibit", "updated_at"])
        from evidence.jobs import job_create

        job_create(
            case=exhibit.case,
            kind="ingest",
            inputs=[(exhibit_file, "file")],
            parameters={},
            created_by_id=locked.user_id,
        )
    path.unlink(missing_ok=True)  # only reached if the storage copied rather than moved the file
    session.status, session.result_file, session.exhibit = UploadSession.Status.COMPLETED, exhibit_file, exhibit
    return exhibit_file


def _exhibit_create(*, session: UploadSession) -> Exhibit:
    side = permissions.may_file_exhibits(session.user, session.case)
    if side is None:
        raise UploadError(403, "You can no longer file evidence in this case.")
    Case.objects.select_for_update().filter(pk=session.case_id).first()  # numbers are per case and side
    number = (Exhibit.objects.filter(case_id=session.case_id, side=side).aggregate(n=Max("number"))["n"] or 0) + 1
    fields = session.metadata
    return Exhibit.objects.create(
        case_id=session.case_id,
        side=side,
        number=number,
        kind=fields["kind"],
        title=fields["title"],
        description=fields.get("description", ""),
        tier=fields["tier"],
        submitted_by_id=session.user_id,
        analysis_parameters=fields.get("parameters", {}),
    )


def upload_terminate(*, session: UploadSession) -> None:
    if session.status == UploadSession.Status.COMPLETED:
        raise UploadError(
            409, "A completed upload is evidence now; it cannot be deleted (withdraw the exhibit instead)."
        )
    staging_path(session.id).unlink(missing_ok=True)
    UploadSession.objects.filter(pk=session.pk).update(status=UploadSession.Status.TERMINATED)


def uploads_finish_stalled(*, older_than: timedelta = timedelta(minutes=10)) -> int:
    """Finish uploads whose every byte arrived but whose completion died with its server (see
    _stored_before_a_crash): for clients that take `Upload-Offset` = `Upload-Length` as done and never send the
    empty last PATCH (tus-js-client). Returns how many became exhibits."""
    stalled = UploadSession.objects.filter(
        status=UploadSession.Status.RECEIVING,
        offset=F("length"),
        updated_at__lt=timezone.now() - older_than,
        expires_at__gt=timezone.now(),
    ).select_related("case", "exhibit", "user")
    finished = 0
    for session in stalled:
        try:
            upload_complete(session=session)
            finished += 1
        except UploadError as error:
            logger.warning("stalled upload %s could not be finished: %s", session.pk, error.message)
        except Exception:  # one bad upload must not stop the sweep (nor the expiry after it)
            logger.exception("stalled upload %s could not be finished", session.pk)
    return finished


def uploads_expire() -> int:
    """Finish stalled completions, then remove staging files of abandoned uploads (beat)."""
    uploads_finish_stalled()
    stale = UploadSession.objects.filter(Q(status=UploadSession.Status.RECEIVING) & Q(expires_at__lt=timezone.now()))
    count = 0
    for session in stale:
        staging_path(session.id).unlink(missing_ok=True)
        count += 1
    stale.update(status=UploadSession.Status.TERMINATED, failure="Expired before it was finished.")
    return count
