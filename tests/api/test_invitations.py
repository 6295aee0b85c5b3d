"""Accepting an invitation through the API: single use, and refusals with the service's reasons."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from disputes.models import Invitation, Participant, Role
from disputes.services.invitations import invitation_create


@pytest.fixture
def token(served_case, personas):
    _, token = invitation_create(
        case=served_case, email=personas.rafael.email, role=Role.RESPONDENT, now=timezone.now()
    )
    return token


def test_accepting_makes_the_user_a_participant(client_for, served_case, personas, token):
    response = client_for("rafael").post("/api/v1/invitations/accept/", {"token": token}, format="json")
    assert response.status_code == 200
    assert response.json() == {
        "case": {
            "id": served_case.pk,
            "reference": served_case.reference,
            "title": served_case.title,
            "state": "notified",
            "state_label": "Notified — awaiting Answer",
        },
        "role": "respondent",
    }
    assert Participant.objects.active().filter(case=served_case, user=personas.rafael, role="respondent").exists()


def test_an_invitation_is_single_use(client_for, token):
    assert client_for("rafael").post("/api/v1/invitations/accept/", {"token": token}, format="json").status_code == 200
    again = client_for("uma").post("/api/v1/invitations/accept/", {"token": token}, format="json")
    assert again.status_code == 400
    assert again.json() == {"detail": "This invitation has already been used.", "code": "invitation_used", "errors": {}}


def test_an_unknown_or_expired_token_is_refused(client_for, served_case, personas, token):
    unknown = client_for("rafael").post("/api/v1/invitations/accept/", {"token": "guess"}, format="json")
    assert unknown.status_code == 400
    assert unknown.json()["code"] == "invalid_invitation"
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    expired = client_for("rafael").post("/api/v1/invitations/accept/", {"token": token}, format="json")
    assert expired.json()["code"] == "invitation_expired"
    assert not Participant.objects.filter(case=served_case, user=personas.rafael).exists()


def test_a_missing_token_is_a_400(client_for, db):
    response = client_for("rafael").post("/api/v1/invitations/accept/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"token"}
