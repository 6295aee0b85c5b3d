"""Viewing, downloading, withdrawing and re-tiering exhibits; every touch is written to custody."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from disputes import permissions as case_permissions
from disputes.exceptions import GuardFailed, NotPermitted
from evidence import permissions
from evidence.custody import custody_append
from evidence.models import TIER_STRICTNESS, CustodyAction, Exhibit, ExhibitFile, Tier
from evidence.runners import verify_stored_file
from evidence.storage import evidence_storage


def _role(user: Any, exhibit: Exhibit) -> str:
    roles = sorted(case_permissions.case_roles(user, exhibit.case))
    return roles[0] if roles else ""


def exhibit_record_view(*, user: Any, exhibit: Exhibit, ip: str | None) -> None:
    custody_append(
        exhibit_id=exhibit.pk, action=CustodyAction.VIEWED, actor_id=user.pk, actor_role=_role(user, exhibit), ip=ip
    )


def exhibit_file_open_for_download(*, user: Any, exhibit_file: ExhibitFile, ip: str | None) -> Any:
    """Re-verify the original's hash, log the download, and return an open file handle to stream.

    Raises evidence.runners.HashMismatch (the registry is alerted) when the stored bytes changed."""
    exhibit = exhibit_file.exhibit
    if exhibit_file.status == ExhibitFile.Status.QUARANTINED and not case_permissions.is_tribunal_side(
        user, exhibit.case
    ):
        raise NotPermitted("This file is quarantined; only the tribunal and the registry may download it.")
    # Not inside a transaction: a mismatch must stay recorded in custody when the download is refused.
    verify_stored_file(exhibit_file, purpose="download", actor_id=user.pk)
    custody_append(
        exhibit_id=exhibit.pk,
        action=CustodyAction.DOWNLOADED,
        actor_id=user.pk,
        actor_role=_role(user, exhibit),
        ip=ip,
        file=exhibit_file,
        details={"sha256": exhibit_file.sha256},
    )
    return evidence_storage().open(exhibit_file.storage_name, "rb")


def exhibit_withdraw(*, user: Any, exhibit: Exhibit, reason: str, ip: str | None) -> Exhibit:
    if not user.has_perm("evidence.withdraw_exhibit", exhibit):
        raise NotPermitted("Only the side that filed this exhibit, or the tribunal, can withdraw it.")
    if not reason.strip():
        raise GuardFailed("Give the reason for withdrawing the exhibit.")
    with transaction.atomic():
        locked = Exhibit.objects.select_for_update().get(pk=exhibit.pk)
        if locked.withdrawn_at is not None:
            raise GuardFailed("The exhibit is already withdrawn.")
        locked.withdrawn_at, locked.withdrawal_reason = timezone.now(), reason.strip()[:5000]
        locked.save(update_fields=["withdrawn_at", "withdrawal_reason"])
        custody_append(
            exhibit_id=locked.pk,
            action=CustodyAction.WITHDRAWN,
            actor_id=user.pk,
            actor_role=_role(user, locked),
            ip=ip,
            details={"reason": locked.withdrawal_reason, "original_kept": True},
        )
    return locked


def exhibit_change_tier(*, user: Any, exhibit: Exhibit, tier: str, reason: str, ip: str | None) -> Exhibit:
    """The tribunal may set any tier; the filing side may only make its exhibit stricter."""
    if tier not in Tier.values:
        raise GuardFailed(f"Unknown tier '{tier}'.")
    if not user.has_perm("evidence.change_tier", exhibit):
        raise NotPermitted("You cannot change the confidentiality of this exhibit.")
    tribunal = permissions.is_tribunal_member(user, exhibit.case)
    if not tribunal and TIER_STRICTNESS[Tier(tier)] < TIER_STRICTNESS[Tier(exhibit.tier)]:
        raise NotPermitted("Only the tribunal can make an exhibit less confidential.")
    with transaction.atomic():
        locked = Exhibit.objects.select_for_update().get(pk=exhibit.pk)
        previous = locked.tier
        if previous == tier:
            return locked
        locked.tier = tier
        locked.save(update_fields=["tier"])
        custody_append(
            exhibit_id=locked.pk,
            action=CustodyAction.TIER_CHANGED,
            actor_id=user.pk,
            actor_role=_role(user, locked),
            ip=ip,
            details={"from": previous, "to": tier, "reason": reason.strip()[:2000]},
        )
    return locked
