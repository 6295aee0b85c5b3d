"""The hash-chained audit log. Each event's hash covers its content and the previous event's hash.

Canonical form: JSON with sorted keys and no whitespace, timestamps in UTC ISO 8601 with microseconds. The same
function is used by `verify_audit` and (copied, standard library only) by the offline bundle verifier.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


def canonical_event(
    *,
    case_id: int,
    seq: int,
    name: str,
    from_state: str,
    to_state: str,
    actor_id: int | None,
    actor_role: str,
    occurred_at: datetime,
    payload: dict[str, Any],
    visibility: str,
    prev_hash: str,
) -> bytes:
    body = {
        "case": case_id,
        "seq": seq,
        "name": name,
        "from": from_state,
        "to": to_state,
        "actor": actor_id,
        "actor_role": actor_role,
        "at": occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "payload": payload,
        "visibility": visibility,
        "prev": prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(**fields: Any) -> str:
    return hashlib.sha256(canonical_event(**fields)).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    case_reference: str
    seq: int | None
    reason: str

    def __str__(self) -> str:
        where = f"event #{self.seq}" if self.seq is not None else "chain head"
        return f"{self.case_reference}: {where}: {self.reason}"


def verify_chain(case: Any) -> ChainBreak | None:
    """Walk one case's chain; return the first broken link, or None if the chain is intact."""
    label = str(case)
    prev = GENESIS
    expected_seq = 1
    for event in case.events.order_by("seq").iterator():
        if event.seq != expected_seq:
            return ChainBreak(label, expected_seq, f"missing or reordered event (found #{event.seq})")
        if event.prev_hash != prev:
            return ChainBreak(label, event.seq, "previous-hash link does not match the preceding event")
        recomputed = event_hash(
            case_id=event.case_id,
            seq=event.seq,
            name=event.name,
            from_state=event.from_state,
            to_state=event.to_state,
            actor_id=event.actor_id,
            actor_role=event.actor_role,
            occurred_at=event.occurred_at,
            payload=event.payload,
            visibility=event.visibility,
            prev_hash=event.prev_hash,
        )
        if recomputed != event.hash:
            return ChainBreak(label, event.seq, "content altered: stored hash does not match the event")
        prev = event.hash
        expected_seq += 1
    if expected_seq - 1 != case.audit_length or prev != (case.audit_head or GENESIS):
        return ChainBreak(label, None, "events missing at the end of the chain (head does not match)")
    return None
