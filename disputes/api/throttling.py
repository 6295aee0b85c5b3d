"""Throttle for the token endpoint: the one route open to anonymous clients, so the one to guess passwords on."""

from __future__ import annotations

from rest_framework.throttling import ScopedRateThrottle

TOKEN_SCOPE = "api_token"
# Used unless REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api_token"] is set.
DEFAULT_TOKEN_RATE = "10/minute"


class TokenObtainThrottle(ScopedRateThrottle):
    """Per client IP (the caller is anonymous), on top of allauth's own limits for the sign-in page."""

    def get_rate(self) -> str | None:
        return self.THROTTLE_RATES.get(self.scope or TOKEN_SCOPE) or DEFAULT_TOKEN_RATE
