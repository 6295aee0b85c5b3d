"""Shared fixtures: named personas (Clara the claimant's counsel, Rafael the respondent's counsel, Ada the
arbitrator, Greta the registrar, Uma an unrelated user) and a factory for cases at any stage."""

from __future__ import annotations

from pathlib import Path

import pytest

FORENSICS_TESTS = Path(__file__).parent / "forensics"


@pytest.fixture(autouse=True)
def _isolated_media(request, tmp_path):
    # The forensics library has no Django: its tests must also run with `-p no:django`.
    if request.node.path.is_relative_to(FORENSICS_TESTS):
        return
    settings = request.getfixturevalue("settings")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
        "evidence": {
            "BACKEND": "evidence.storage.WriteOnceFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "evidence")},
        },
    }
    settings.EVIDENCE_STAGING_DIR = tmp_path / "uploads"
    # A private cache per test: throttle and rate-limit counters must not leak between tests or runs.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": str(tmp_path)}
    }
    # Password hashing would otherwise dominate the suite's run time (settings load before this module).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the Celery app reads the CELERY_* Django settings live
    return


@pytest.fixture
def personas(db):
    from tests.factories import Personas

    return Personas.create()


@pytest.fixture
def case_at(personas):
    from tests.factories import case_at_state

    def make(state: str, **kwargs):
        return case_at_state(state, personas=personas, **kwargs)

    return make
