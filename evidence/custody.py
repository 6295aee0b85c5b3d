"""The chain of custody: append-only, hash-chained per exhibit (same canonical form as the case audit log)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from disputes.audit import GENESIS
from evidence.models import CustodyEvent, Exhibit, ExhibitFile


def custody_canonical(
    *,
    exhibit_id: int,
    seq: int,
    action: str,
    file_id: int | None,
    actor_id: int | None,
    actor_role: str,
    at: datetime,
    ip: str | None,
    details: dict[str, Any],
    prev_hash: str,
) -> bytes:
    body = {
        "exhibit": exhibit_id,
        "seq": seq,
        "action": action,
        "file": file_id,
        "actor": actor_id,
        "actor_role": actor_role,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "ip": ip,
        "details": details,
        "prev": prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def custody_append(
    *,
    exhibit_id: int,
    action: str,
    actor_id: int | None = None,
    actor_role: str = "",
    ip: str | None = None,
    file: ExhibitFile | None = None,
    details: dict[str, Any] | None = None,
) -> CustodyEvent:
    details = details or {}
    with transaction.atomic():
        exhibit = Exhibit.objects.select_for_update().only("id", "custody_head", "custody_length").get(pk=exhibit_id)
        seq = exhibit.custody_length + 1
        prev = exhibit.custody_head or GENESIS
        at = timezone.now()
        digest = hashlib.sha256(
            custody_canonical(
                exhibit_id=exhibit_id,
                seq=seq,
                action=action,
                file_id=file.pk if file else None,
                actor_id=actor_id,
                actor_role=actor_role,
                at=at,
                ip=ip,
                details=details,
                prev_hash=prev,
            )
        ).hexdigest()
        event = CustodyEvent.objects.create(
            exhibit_id=exhibit_id,
            file=file,
            seq=seq,
            action=action,
            actor_id=actor_id,
            actor_role=actor_role,
            at=at,
            ip=ip,
            details=details,
            prev_hash=prev,
            hash=digest,
        )
        Exhibit.objects.filter(pk=exhibit_id).update(custody_head=digest, custody_length=seq)
    return event


def custody_verify(exhibit: Exhibit) -> str | None:
    """First problem in the exhibit's custody chain, or None when intact."""
    prev, expected = GENESIS, 1
    for row in exhibit.custody.order_by("seq").iterator():
        if row.seq != expected:
            return f"custody row #{expected} missing or reordered"
        if row.prev_hash != prev:
            return f"custody row #{row.seq}: link to the previous row broken"
        recomputed = hashlib.sha256(
            custody_canonical(
                exhibit_id=row.exhibit_id,
                seq=row.seq,
                action=row.action,
                file_id=row.file_id,
                actor_id=row.actor_id,
                actor_role=row.actor_role,
                at=row.at,
                ip=row.ip,
                details=row.details,
                prev_hash=row.prev_hash,
            )
        ).hexdigest()
        if recomputed != row.hash:
            return f"custody row #{row.seq}: content altered"
        prev, expected = row.hash, expected + 1
    head, length = Exhibit.objects.filter(pk=exhibit.pk).values_list("custody_head", "custody_length").get()
    if expected - 1 != length or prev != (head or GENESIS):
        return "custody rows missing at the end of the chain"
    return None
