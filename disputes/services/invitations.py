"""Single-use invitations for counsel. Only the token's SHA-256 is stored; the token travels only in the email."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from disputes.exceptions import TransitionError
from disputes.models import Case, Invitation, Participant


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_create(*, case: Case, email: str, role: str, now: datetime) -> tuple[Invitation, str]:
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        case=case,
        email=email,
        role=role,
        token_sha256=_digest(token),
        expires_at=now + timedelta(days=settings.TRIBUNAL_INVITATION_DAYS),
    )
    return invitation, token


def invitation_find(*, token: str) -> Invitation | None:
    return Invitation.objects.select_related("case").filter(token_sha256=_digest(token)).first()


def invitation_accept(*, token: str, user: User) -> Participant:
    """Make the user a participant. Refused when used, expired, or when the user is already on the other side."""
    from disputes.services.events import case_apply_event

    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().filter(token_sha256=_digest(token)).first()
        if invitation is None:
            raise TransitionError("This invitation link is not valid.", code="invalid_invitation")
        if invitation.accepted_at is not None:
            raise TransitionError("This invitation has already been used.", code="invitation_used")
        if invitation.expires_at < timezone.now():
            raise TransitionError(
                "This invitation has expired. Ask the registry for a new one.", code="invitation_expired"
            )
        if invitation.email.strip().casefold() != (user.email or "").strip().casefold():
            # The link is a bearer token; tying it to the address it was sent to stops a forwarded link being used.
            raise TransitionError(
                f"This invitation was sent to {invitation.email}. Sign in with that address to accept it.",
                code="wrong_account",
            )
        conflicting = Participant.objects.active().filter(case=invitation.case, user=user).exclude(role=invitation.role)
        if conflicting.exists():
            raise TransitionError("You already take part in this case in another role.", code="conflicting_role")
        participant, _ = Participant.objects.get_or_create(
            case=invitation.case, user=user, role=invitation.role, revoked_at=None
        )
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        case_apply_event(
            case_id=invitation.case_id,
            event="join_case",
            actor=user,
            payload={"role": invitation.role, "invitation": invitation.pk},
            as_role=invitation.role,
        )
    return participant
