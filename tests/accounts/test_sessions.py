"""A hostile session cookie is no session, never a server error (PostgreSQL cannot even store a NUL byte)."""

from __future__ import annotations

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize(
    "cookie", ["abc\x00def" * 4, "../../etc/passwd", "x" * 500, "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"]
)
def test_malformed_session_cookie_is_treated_as_anonymous(client, cookie):
    client.cookies["sessionid"] = cookie
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    page = client.get("/cases/")
    assert page.status_code == 302 and "/accounts/login/" in page["Location"]


@pytest.mark.django_db
def test_a_real_session_still_works(client, personas):
    client.force_login(personas.clara)
    assert client.get("/api/v1/me/").status_code == 200
