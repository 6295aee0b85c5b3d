"""Accepting an emailed invitation: sign in first, see only what the email said, accept once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from disputes.models import Invitation, Participant, Role
from disputes.services.invitations import invitation_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def invited(personas, case_at):
    case = case_at("submitted")
    _, token = invitation_create(case=case, email=personas.rafael.email, role=Role.RESPONDENT, now=timezone.now())
    return case, token


def test_anonymous_visitor_is_asked_to_sign_in_and_learns_nothing(invited, client):
    case, token = invited
    url = reverse("invitation_accept", args=[token])
    body = client.get(url).content.decode()
    assert f"{reverse('account_login')}?next={url}" in body.replace("%2F", "/")
    assert case.reference not in body and "Copycat" not in body and "Frontier" not in body


def test_signed_in_user_sees_reference_parties_and_role(personas, invited, as_user):
    case, token = invited
    body = as_user(personas.rafael).get(reverse("invitation_accept", args=[token])).content.decode()
    assert case.reference in body and "Frontier Labs Ltd" in body and "Copycat AI Inc." in body
    assert "Respondent counsel" in body
    assert "The respondent&#x27;s model reproduces" not in body  # the facts stay hidden until accepted
    assert "sent to" not in body  # the address matches: no warning


def test_accepting_makes_the_user_a_participant(personas, invited, as_user):
    case, token = invited
    client = as_user(personas.rafael)
    assert client.get(reverse("case_detail", args=[case.pk])).status_code == 404
    response = client.post(reverse("invitation_accept", args=[token]))
    assert response["Location"] == reverse("case_detail", args=[case.pk])
    assert Participant.objects.filter(case=case, user=personas.rafael, role=Role.RESPONDENT).exists()
    assert client.get(reverse("case_detail", args=[case.pk])).status_code == 200


def test_used_invitation_is_refused_clearly(personas, invited, as_user):
    case, token = invited
    as_user(personas.rafael).post(reverse("invitation_accept", args=[token]))
    response = as_user(personas.uma).get(reverse("invitation_accept", args=[token]))
    assert response.status_code == 410
    body = response.content.decode()
    assert "already been used" in body and case.reference not in body
    # The person who used it is simply taken to the case.
    assert as_user(personas.rafael).get(reverse("invitation_accept", args=[token])).status_code == 302


def test_expired_invitation_is_refused_clearly(personas, invited, as_user):
    case, token = invited
    Invitation.objects.filter(case=case).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = as_user(personas.rafael).get(reverse("invitation_accept", args=[token]))
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert as_user(personas.rafael).post(reverse("invitation_accept", args=[token])).status_code == 410
    assert not Participant.objects.filter(case=case, user=personas.rafael).exists()


def test_invalid_token_is_a_clear_404(personas, as_user):
    response = as_user(personas.rafael).get(reverse("invitation_accept", args=["not-a-real-token"]))
    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()


def test_a_different_signed_in_address_is_warned(personas, invited, as_user):
    _, token = invited
    body = as_user(personas.uma).get(reverse("invitation_accept", args=[token])).content.decode()
    assert "This invitation was sent to" in body and personas.rafael.email in body


def test_a_forwarded_link_is_refused_with_the_services_message(personas, invited, as_user):
    _, token = invited
    response = as_user(personas.clara).post(reverse("invitation_accept", args=[token]))
    assert response.status_code == 409
    assert f"This invitation was sent to {personas.rafael.email}" in response.content.decode()
    assert not personas.clara.participations.filter(role="respondent").exists()
