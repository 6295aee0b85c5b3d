"""Page tests sign in as the named personas through Django's test client."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def as_user(db):
    """as_user(personas.clara) -> a Client signed in as Clara."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return make


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Signing in is not under test here, and PBKDF2 for six personas per test dominates the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
