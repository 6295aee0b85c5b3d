"""Second factor policy: roles listed in TRIBUNAL_MFA_REQUIRED_ROLES must enrol TOTP before they can work."""

from __future__ import annotations

from typing import Any

from django.conf import settings

ROLE_CHECKS = {
    "registrar": lambda user: bool(user.is_registrar),
    "arbitrator": lambda user: bool(user.on_arbitrator_roster)
    or user.participations.filter(role="arbitrator", revoked_at__isnull=True).exists(),
    "expert": lambda user: user.participations.filter(role="expert", revoked_at__isnull=True).exists(),
    "counsel": lambda user: user.participations.filter(role__in=["claimant", "respondent"]).exists(),
}


def has_second_factor(user: Any) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def mfa_required(user: Any) -> bool:
    """True when one of the user's roles requires a second factor that the user has not enrolled yet."""
    roles = [r.strip() for r in settings.TRIBUNAL_MFA_REQUIRED_ROLES if r.strip()]
    if not roles or not getattr(user, "is_authenticated", False):
        return False
    if not any(ROLE_CHECKS[role](user) for role in roles if role in ROLE_CHECKS):
        return False
    return not has_second_factor(user)
