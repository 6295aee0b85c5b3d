"""What guards and effects see while an event is applied (inside the transaction, under the case row lock)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.files.uploadedfile import UploadedFile

from disputes.lifecycle.rulepacks import RulePack

if TYPE_CHECKING:
    from accounts.models import User
    from disputes.lifecycle.transitions import Transition
    from disputes.models import Case, CaseEvent


@dataclass
class EventContext:
    case: Case
    transition: Transition
    actor: User | None
    actor_role: str
    payload: dict[str, Any]
    cleaned: dict[str, Any]
    documents: list[UploadedFile]
    now: datetime
    pack: RulePack
    from_state: str
    event: CaseEvent | None = None
    follow_ups: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    after_commit: list[Callable[[], None]] = field(default_factory=list)

    @property
    def actor_side(self) -> str:
        from disputes.models import ROLE_SIDE, Role

        if self.actor_role in {Role.CLAIMANT, Role.RESPONDENT, Role.ARBITRATOR, Role.EXPERT}:
            return str(ROLE_SIDE[Role(self.actor_role)])
        return "registry"
