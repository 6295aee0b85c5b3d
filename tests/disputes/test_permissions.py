"""The permission layer: who sees which case, and the respondent sees nothing before accepting the invitation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from disputes import permissions
from disputes.exceptions import TransitionError
from disputes.models import Invitation, Role
from disputes.services.events import case_apply_event
from disputes.services.invitations import invitation_accept, invitation_create


@pytest.mark.django_db
def test_visibility_by_persona(case_at, personas):
    draft = case_at("draft")
    filed = case_at("evidence")
    visible = {
        name: set(permissions.visible_cases(getattr(personas, name)))
        for name in ("clara", "rafael", "ada", "otto", "greta", "uma")
    }
    assert visible["clara"] == {draft, filed}
    assert visible["rafael"] == {filed}
    assert visible["ada"] == {filed}
    assert visible["greta"] == {filed}, "the registry does not see unfiled drafts"
    assert visible["otto"] == set() and visible["uma"] == set()
    for name in ("otto", "uma"):
        with pytest.raises(Http404):
            permissions.case_for_user_or_404(getattr(personas, name), filed.pk)


@pytest.mark.django_db
def test_respondent_sees_nothing_before_accepting(case_at, personas):
    case = case_at("submitted")
    case_apply_event(case_id=case.pk, event="serve_notice", actor=personas.greta)
    assert not permissions.can_see_case(personas.rafael, case)
    assert case not in permissions.visible_cases(personas.rafael)
    _, token = invitation_create(case=case, email=personas.rafael.email, role=Role.RESPONDENT, now=timezone.now())
    invitation_accept(token=token, user=personas.rafael)
    permissions.forget_roles(personas.rafael)
    assert permissions.can_see_case(personas.rafael, case)
    assert case.events.filter(name="join_case", actor=personas.rafael).exists()


@pytest.mark.django_db
def test_invitation_is_single_use_and_expires(case_at, personas):
    case = case_at("submitted")
    _, token = invitation_create(case=case, email=personas.rafael.email, role=Role.RESPONDENT, now=timezone.now())
    invitation_accept(token=token, user=personas.rafael)
    with pytest.raises(TransitionError, match="already been used"):
        invitation_accept(token=token, user=personas.uma)
    invitation, other = invitation_create(
        case=case, email="late@firm.example", role=Role.RESPONDENT, now=timezone.now()
    )
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(TransitionError, match="expired"):
        invitation_accept(token=other, user=personas.uma)
    with pytest.raises(TransitionError, match="not valid"):
        invitation_accept(token="forged-token", user=personas.uma)
    _, forwarded = invitation_create(case=case, email="partner@firm.example", role=Role.RESPONDENT, now=timezone.now())
    with pytest.raises(TransitionError, match="Sign in with that address"):
        invitation_accept(token=forwarded, user=personas.uma)
    assert not permissions.can_see_case(personas.uma, case)


@pytest.mark.django_db
def test_claimant_cannot_join_the_other_side(case_at, personas):
    case = case_at("submitted")
    _, token = invitation_create(case=case, email=personas.clara.email, role=Role.RESPONDENT, now=timezone.now())
    with pytest.raises(TransitionError, match="another role"):
        invitation_accept(token=token, user=personas.clara)


@pytest.mark.django_db
def test_candidate_arbitrator_sees_case_but_is_not_yet_tribunal(case_at, personas):
    case = case_at("tribunal_formation")
    case_apply_event(
        case_id=case.pk, event="appoint_arbitrator", actor=personas.greta, payload={"arbitrator": personas.otto.pk}
    )
    permissions.forget_roles(personas.otto)
    assert permissions.case_roles(personas.otto, case) == {"candidate"}
    assert permissions.can_see_case(personas.otto, case)
    assert not permissions.is_tribunal_side(personas.otto, case)
    assert not personas.otto.has_perm("disputes.view_docket", case)


@pytest.mark.django_db
def test_rules_permissions(case_at, personas):
    draft = case_at("draft")
    case = case_at("evidence")
    assert personas.clara.has_perm("disputes.edit_draft", draft)
    assert not personas.clara.has_perm("disputes.edit_draft", case)
    assert not personas.greta.has_perm("disputes.view_case", draft)
    assert personas.greta.has_perm("disputes.view_board")
    assert not personas.clara.has_perm("disputes.view_board")
    assert personas.rafael.has_perm("disputes.view_docket", case)
    assert not personas.uma.has_perm("disputes.view_case", case)


@pytest.mark.django_db
def test_deactivated_user_loses_access(case_at, personas):
    case = case_at("evidence")
    personas.rafael.is_active = False
    personas.rafael.save()
    permissions.forget_roles(personas.rafael)
    assert not permissions.can_see_case(personas.rafael, case)
    assert not permissions.visible_cases(personas.rafael).exists()


def test_roles_are_loaded_once_per_request_through_the_lazy_user_and_the_real_one(
    case_at, personas, django_assert_num_queries
):
    """Views hold request.user (a lazy wrapper); rules receive the user behind it. Both share one role cache."""
    from django.utils.functional import SimpleLazyObject

    case = case_at("notified")
    user = type(personas.clara).objects.get(pk=personas.clara.pk)
    lazy = SimpleLazyObject(lambda: user)
    with django_assert_num_queries(2):  # participants + candidacies, once
        assert permissions.case_roles(lazy, case) == {Role.CLAIMANT}
        assert permissions.case_roles(user, case) == {Role.CLAIMANT}
        assert user.has_perm("disputes.view_case", case)
    permissions.forget_roles(lazy)
    with django_assert_num_queries(2):
        assert permissions.case_roles(user, case) == {Role.CLAIMANT}
