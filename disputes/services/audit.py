from __future__ import annotations

from datetime import datetime
from typing import Any

from disputes.audit import GENESIS, event_hash
from disputes.models import Case, CaseEvent, EventVisibility


def case_event_append(
    *,
    case: Case,
    name: str,
    from_state: str,
    to_state: str,
    actor_id: int | None,
    actor_role: str,
    occurred_at: datetime,
    payload: dict[str, Any],
    visibility: str = EventVisibility.ALL,
) -> CaseEvent:
    """Append an event to the case's chain. The caller holds the case row lock (select_for_update)."""
    seq = case.audit_length + 1
    prev_hash = case.audit_head or GENESIS
    digest = event_hash(
        case_id=case.pk,
        seq=seq,
        name=name,
        from_state=from_state,
        to_state=to_state,
        actor_id=actor_id,
        actor_role=actor_role,
        occurred_at=occurred_at,
        payload=payload,
        visibility=visibility,
        prev_hash=prev_hash,
    )
    event = CaseEvent.objects.create(
        case=case,
        seq=seq,
        name=name,
        from_state=from_state,
        to_state=to_state,
        actor_id=actor_id,
        actor_role=actor_role,
        occurred_at=occurred_at,
        payload=payload,
        visibility=visibility,
        prev_hash=prev_hash,
        hash=digest,
    )
    case.audit_head = digest
    case.audit_length = seq
    Case.objects.filter(pk=case.pk).update(audit_head=digest, audit_length=seq)
    return event
