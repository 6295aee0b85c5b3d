"""TRIBUNAL_MFA_REQUIRED_ROLES: pages send the listed roles to TOTP enrolment; the API refuses them a token."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse


@pytest.mark.django_db
def test_registrar_without_second_factor_is_sent_to_enrolment(personas, client, settings):
    settings.TRIBUNAL_MFA_REQUIRED_ROLES = ["registrar"]
    client.force_login(personas.greta)
    response = client.get(reverse("deadline_board"))
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")
    enrol = client.get(reverse("mfa_activate_totp"))  # reachable (allauth first asks for the password again)
    assert enrol.status_code == 200 or enrol["Location"].startswith("/accounts/")
    client.force_login(personas.clara)  # counsel are not in the list
    assert client.get(reverse("dashboard")).status_code == 200


@pytest.mark.django_db
def test_enrolled_registrar_works_normally(personas, client, settings):
    settings.TRIBUNAL_MFA_REQUIRED_ROLES = ["registrar"]
    Authenticator.objects.create(user=personas.greta, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client.force_login(personas.greta)
    assert client.get(reverse("deadline_board")).status_code == 200


@pytest.mark.django_db
def test_api_refuses_a_token_until_enrolled(personas, client, settings):
    from allauth.account.models import EmailAddress

    settings.TRIBUNAL_MFA_REQUIRED_ROLES = ["arbitrator"]
    EmailAddress.objects.create(user=personas.ada, email=personas.ada.email, verified=True, primary=True)
    response = client.post(
        "/api/v1/auth/token/",
        {"email": personas.ada.email, "password": "correct-horse-battery"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "mfa_enrolment_required"


def test_unknown_role_in_the_setting_fails_fast():
    import os
    import subprocess
    import sys

    env = {**os.environ, "TRIBUNAL_MFA_REQUIRED_ROLES": "registrar,wizard", "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0 and "unknown role" in result.stderr
