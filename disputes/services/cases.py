"""Drafting a Request for Arbitration. Drafts belong to the claimant's counsel until filed (event 'submit')."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts.models import User
from disputes.exceptions import WrongState
from disputes.lifecycle.states import State
from disputes.models import Case, Participant, Party, Role, Side

PARTY_FIELDS = ("name", "jurisdiction", "address", "affiliates", "counsel_name", "counsel_email")
CASE_FIELDS = ("title", "rule_pack", "dispute_types", "ai_systems", "facts", "relief_sought", "arbitration_agreement")


@transaction.atomic
def case_draft_create(*, user: User, title: str = "", rule_pack: str = "standard") -> Case:
    case = Case.objects.create(title=title or "Untitled request", rule_pack=rule_pack, created_by=user)
    Participant.objects.create(case=case, user=user, role=Role.CLAIMANT)
    Party.objects.create(case=case, side=Side.CLAIMANT, name="")
    Party.objects.create(case=case, side=Side.RESPONDENT, name="")
    return case


@transaction.atomic
def case_draft_update(
    *,
    case_id: int,
    fields: dict[str, Any] | None = None,
    claimant: dict[str, Any] | None = None,
    respondent: dict[str, Any] | None = None,
    step: int | None = None,
) -> Case:
    case = Case.objects.select_for_update().get(pk=case_id)
    if case.state != State.DRAFT:
        raise WrongState("The Request has been filed; it can no longer be edited.")
    for name, value in (fields or {}).items():
        if name not in CASE_FIELDS:
            raise ValueError(f"unknown case field {name}")
        setattr(case, name, value)
    for side, values in ((Side.CLAIMANT, claimant), (Side.RESPONDENT, respondent)):
        if values:
            party = Party.objects.get(case=case, side=side)
            for name, value in values.items():
                if name not in PARTY_FIELDS:
                    raise ValueError(f"unknown party field {name}")
                setattr(party, name, value)
            party.save()
    if step is not None:
        case.draft_step = max(case.draft_step, step)
    case.save()
    return case


@transaction.atomic
def case_draft_discard(*, case_id: int) -> None:
    case = Case.objects.select_for_update().get(pk=case_id)
    if case.state != State.DRAFT:
        raise WrongState("Only a draft can be discarded; a filed case is withdrawn instead.")
    case.participants.all().delete()
    case.parties.all().delete()
    case.delete()
