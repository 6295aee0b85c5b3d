"""Docket filings and messages. Documents are stored under their SHA-256, streamed in chunks."""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Max

from disputes.exceptions import InvalidPayload
from disputes.models import Case, CaseEvent, Filing, FilingDocument


def filing_documents_validate(documents: list[UploadedFile]) -> None:
    limit = settings.FILING_DOCUMENT_MAX_BYTES
    for document in documents:
        if document.size is not None and document.size > limit:
            raise InvalidPayload(
                f"'{document.name}' is {document.size:,} bytes; docket documents are limited to {limit:,} bytes. "
                "Large evidence goes into the evidence vault as an exhibit."
            )
        if document.size == 0:
            raise InvalidPayload(f"'{document.name}' is empty.")


def _sha256_of(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def filing_create(
    *,
    case: Case,
    kind: str,
    title: str,
    body: str,
    filed_by_id: int,
    side: str,
    event: CaseEvent,
    now: datetime,
    documents: list[UploadedFile],
) -> Filing:
    number = (Filing.objects.filter(case=case).aggregate(last=Max("number"))["last"] or 0) + 1
    filing = Filing.objects.create(
        case=case,
        number=number,
        kind=kind,
        title=title,
        body=body,
        filed_by_id=filed_by_id,
        side=side,
        filed_at=now,
        event=event,
    )
    for upload in documents:
        document = FilingDocument(
            filing=filing,
            original_name=(upload.name or "document")[:255],
            content_type=(upload.content_type or "")[:120],
            size=upload.size or 0,
            sha256=_sha256_of(upload),
        )
        document.file.save(document.sha256, upload, save=False)
        document.save()
    return filing
