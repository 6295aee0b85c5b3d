"""Fixtures for the evidence API: a case in the evidence stage, API clients per persona, tus request helpers."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from rest_framework.test import APIClient

TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}
OCTETS = "application/offset+octet-stream"


@pytest.fixture(autouse=True)
def _fresh_throttles(settings):
    # Throttle counters live in the cache: per test, not in var/cache across runs.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def evidence_case(case_at):
    return case_at("evidence")


@pytest.fixture
def client_for(personas):
    def make(name: str) -> APIClient:
        client = APIClient()
        client.force_login(getattr(personas, name))
        return client

    return make


def metadata_header(**fields: Any) -> str:
    return ",".join(f"{k} {base64.b64encode(str(v).encode()).decode()}" for k, v in fields.items())


def checksum(chunk: bytes) -> str:
    return "sha256 " + base64.b64encode(hashlib.sha256(chunk).digest()).decode()


def create(client: APIClient, case: Any, data: bytes, *, length: int | None = None, **fields: Any) -> Any:
    meta = {
        "case": case.pk,
        "filename": "weights.safetensors",
        "sha256": hashlib.sha256(data).hexdigest(),
        "kind": "document",
        "title": "An exhibit",
        "tier": "parties",
    }
    meta.update(fields)
    return client.post(
        "/api/v1/uploads/",
        HTTP_UPLOAD_LENGTH=str(len(data) if length is None else length),
        HTTP_UPLOAD_METADATA=metadata_header(**meta),
        **TUS,
    )


def patch(client: APIClient, url: str, chunk: bytes, offset: int, *, with_checksum: bool = True, **extra: Any) -> Any:
    headers = {"HTTP_UPLOAD_OFFSET": str(offset), **TUS}
    if with_checksum:
        headers["HTTP_UPLOAD_CHECKSUM"] = checksum(chunk)
    headers.update(extra)
    return client.generic("PATCH", url, chunk, content_type=OCTETS, **headers)


def head(client: APIClient, url: str) -> Any:
    return client.head(url, **TUS)
