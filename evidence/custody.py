"""The chain of custody: append-only, hash-chained per exhibit (same canonical form as the case audit log).

Each exhibit has two chains: the open one, which everyone who may see the exhibit may read and verify, and a
sealed one for entries only the tribunal side may read (an analysis that also read material a party may not see
must not reveal, through this exhibit's custody, that such material exists). Each chain is complete by itself.
"""

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
    sealed: bool,
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
        "sealed": sealed,
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
    sealed: bool = False,
) -> CustodyEvent:
    details = details or {}
    head_field, length_field = _chain_fields(sealed)
    with transaction.atomic():
        exhibit = Exhibit.objects.select_for_update().only("id", head_field, length_field).get(pk=exhibit_id)
        seq = getattr(exhibit, length_field) + 1
        prev = getattr(exhibit, head_field) or GENESIS
        at = timezone.now()
        digest = hashlib.sha256(
            custody_canonical(
                exhibit_id=exhibit_id,
                seq=seq,
                sealed=sealed,
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
            sealed=sealed,
            action=action,
            actor_id=actor_id,
            actor_role=actor_role,
            at=at,
            ip=ip,
            details=details,
            prev_hash=prev,
            hash=digest,
        )
        Exhibit.objects.filter(pk=exhibit_id).update(**{head_field: digest, length_field: seq})
    return event


def _chain_fields(sealed: bool) -> tuple[str, str]:
    return ("sealed_custody_head", "sealed_custody_length") if sealed else ("custody_head", "custody_length")


def custody_verify(exhibit: Exhibit, *, sealed: bool | None = None) -> str | None:
    """First problem in the exhibit's custody chains (both unless `sealed` picks one), or None when intact."""
    for chain in (False, True) if sealed is None else (sealed,):
        problem = _verify_chain(exhibit, sealed=chain)
        if problem:
            return ("sealed " if chain else "") + problem
    return None


def _verify_chain(exhibit: Exhibit, *, sealed: bool) -> str | None:
    prev, expected = GENESIS, 1
    for row in exhibit.custody.filter(sealed=sealed).order_by("seq").iterator():
        if row.seq != expected:
            return f"custody row #{expected} missing or reordered"
        if row.prev_hash != prev:
            return f"custody row #{row.seq}: link to the previous row broken"
        recomputed = hashlib.sha256(
            custody_canonical(
                exhibit_id=row.exhibit_id,
                seq=row.seq,
                sealed=row.sealed,
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
    head_field, length_field = _chain_fields(sealed)
    head, length = Exhibit.objects.filter(pk=exhibit.pk).values_list(head_field, length_field).get()
    if expected - 1 != length or prev != (head or GENESIS):
        return "custody rows missing at the end of the chain"
    return None
