"""Session policies: sign a browser session out after a period without requests (SESSION_IDLE_TIMEOUT seconds), and
send users whose role requires a second factor to enrol one before anything else."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

LAST_SEEN_KEY = "tribunal_last_seen"


class SessionIdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            last_seen = request.session.get(LAST_SEEN_KEY)
            if last_seen is not None and now - int(last_seen) > settings.SESSION_IDLE_TIMEOUT:
                logout(request)
            else:
                # Write at most once a minute so polling pages do not turn every request into a session save.
                if last_seen is None or now - int(last_seen) >= 60:
                    request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


class RequireSecondFactorMiddleware:
    """Pages only: API clients are refused a token instead (disputes/api/views/auth.py)."""

    ALLOWED_PREFIXES = ("/accounts/", "/static/", "/api/", "/calendar/", "/admin/logout/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from accounts.mfa import mfa_required

        if (
            settings.TRIBUNAL_MFA_REQUIRED_ROLES
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and mfa_required(request.user)
        ):
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
