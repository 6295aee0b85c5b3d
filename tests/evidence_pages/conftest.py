"""Evidence page fixtures: a case in the evidence stage, exhibits uploaded through the real tus service."""

from __future__ import annotations

import os

import pytest
from django.test import Client

from tests.evidence.helpers import upload


@pytest.fixture
def as_user(db):
    def make(user) -> Client:
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return make


@pytest.fixture
def evidence_case(case_at):
    return case_at("evidence")


@pytest.fixture
def file_exhibit(django_capture_on_commit_callbacks):
    """file_exhibit(user, case, data=None, **metadata) -> ExhibitFile, ingested (the ingest job ran)."""

    def make(user, case, data: bytes | None = None, **metadata):
        with django_capture_on_commit_callbacks(execute=True):
            exhibit_file = upload(
                user, case, data if data is not None else b"%PDF-1.4\n" + os.urandom(2048), **metadata
            )
        exhibit_file.refresh_from_db()
        exhibit_file.exhibit.refresh_from_db()
        return exhibit_file

    return make
