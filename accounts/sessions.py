"""Database sessions that refuse malformed session keys before they reach the database.

A hostile cookie (say, one with a NUL byte, which PostgreSQL text cannot hold) would otherwise make the session
lookup raise a database error — a 500 for a request that should simply be anonymous. Django's own keys are 32
characters from [a-z0-9]; anything else is treated as no session at all.
"""

from __future__ import annotations

import re

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

WELL_FORMED_KEY = re.compile(r"^[a-z0-9]{8,64}$")


class SessionStore(DatabaseSessionStore):
    def _validate_session_key(self, key: str | None) -> bool:
        return bool(key) and WELL_FORMED_KEY.fullmatch(str(key)) is not None
