"""API fixtures: a client per persona (signed in through the session, as a browser-based client would be) and a
case in which the respondent's counsel has been served but has not accepted the invitation yet."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings):
    # tests/conftest.py sets TRIBUNAL_FAST_PASSWORD_HASHER after the settings were read, so personas would be hashed
    # with PBKDF2 (~3 s per test); MD5 here is only for the test users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Throttle counters live in the cache: keep them per test, not in var/cache across runs.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def anon():
    return APIClient()


@pytest.fixture
def client_for(personas):
    def make(name: str) -> APIClient:
        client = APIClient()
        client.force_login(getattr(personas, name))
        return client

    return make


@pytest.fixture
def served_case(personas):
    """Notice served on Rafael's address; he has not accepted the invitation, so he is not on the case."""
    from disputes.services.events import case_apply_event
    from tests.factories import complete_draft

    case = complete_draft(personas)
    case_apply_event(case_id=case.pk, event="submit", actor=personas.clara)
    case_apply_event(case_id=case.pk, event="serve_notice", actor=personas.greta)
    case.refresh_from_db()
    return case
