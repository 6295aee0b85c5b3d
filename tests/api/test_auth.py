"""Token sign-in (email, password, verified address, second factor), token use and revocation, /me/."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from disputes.api.throttling import TokenObtainThrottle

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's


@pytest.fixture
def verified(personas):
    EmailAddress.objects.create(user=personas.clara, email=personas.clara.email, verified=True, primary=True)
    return personas.clara


def _obtain(client: APIClient, **body):
    return client.post("/api/v1/auth/token/", body, format="json")


def test_a_token_for_email_and_password_authenticates_later_requests(anon, verified):
    response = _obtain(anon, email=verified.email, password=PASSWORD)
    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=verified).key == token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["email"] == verified.email
    assert "calendar_token" not in me.json()


def test_signing_in_twice_returns_the_same_token(anon, verified):
    first = _obtain(anon, email=verified.email, password=PASSWORD).json()["token"]
    assert _obtain(anon, email=verified.email, password=PASSWORD).json()["token"] == first


def test_a_wrong_password_gets_no_token(anon, verified):
    response = _obtain(anon, email=verified.email, password="wrong-horse-battery")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["detail"] == "Unable to sign in with that email and password."
    assert not Token.objects.exists()


def test_an_unverified_address_gets_no_token(anon, personas):
    response = _obtain(anon, email=personas.rafael.email, password=PASSWORD)
    assert response.status_code == 400
    assert "Verify your email address" in response.json()["detail"]
    assert not Token.objects.exists()


def test_a_user_with_two_factor_sign_in_needs_the_current_code(anon, verified):
    from allauth.mfa.totp.internal.auth import (
        TOTP,
        format_hotp_value,
        generate_totp_secret,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    secret = generate_totp_secret()
    TOTP.activate(verified, secret)

    without = _obtain(anon, email=verified.email, password=PASSWORD)
    assert without.status_code == 400
    assert without.json()["errors"]["code"] == ["Enter the current code from your authenticator app."]
    wrong = _obtain(anon, email=verified.email, password=PASSWORD, code="000000")
    assert wrong.status_code == 400
    assert not Token.objects.exists()

    counters = list(yield_hotp_counters_from_time())
    code = format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))
    assert _obtain(anon, email=verified.email, password=PASSWORD, code=code).status_code == 200


def test_the_token_endpoint_is_throttled(anon, verified, monkeypatch):
    monkeypatch.setattr(TokenObtainThrottle, "THROTTLE_RATES", {"api_token": "3/minute"})
    statuses = [_obtain(anon, email=verified.email, password="guess").status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]
    blocked = _obtain(anon, email=verified.email, password=PASSWORD)
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "throttled"
    assert int(blocked["Retry-After"]) > 0


def test_the_default_token_rate_applies_without_a_setting(verified):
    throttle = TokenObtainThrottle()
    throttle.scope = "api_token"
    assert throttle.get_rate() == "10/minute"


def test_revoking_the_token_signs_the_client_out(anon, verified):
    token = _obtain(anon, email=verified.email, password=PASSWORD).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.delete("/api/v1/auth/token/").status_code == 204
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_bad_token_is_a_401_with_a_token_challenge(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get("/api/v1/cases/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_me_describes_the_signed_in_user(client_for, personas):
    body = client_for("greta").get("/api/v1/me/").json()
    assert body["email"] == personas.greta.email
    assert body["is_registrar"] is True
    assert body["on_arbitrator_roster"] is False
