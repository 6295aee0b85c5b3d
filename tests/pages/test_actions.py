"""Actions through the pages: the transitions table's forms, the event service, and its messages."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from disputes.lifecycle.states import State
from disputes.models import CaseEvent, Message

pytestmark = pytest.mark.django_db


def action_url(case, event: str) -> str:
    return reverse("case_action", args=[case.pk, event])


def test_actions_panel_lists_what_the_user_may_do(personas, case_at, as_user):
    case = case_at("submitted")
    greta = as_user(personas.greta).get(reverse("case_detail", args=[case.pk])).content.decode()
    assert action_url(case, "serve_notice") in greta and action_url(case, "mark_deficient") in greta
    clara = as_user(personas.clara).get(reverse("case_detail", args=[case.pk])).content.decode()
    assert action_url(case, "serve_notice") not in clara
    assert action_url(case, "withdraw") in clara


def test_get_renders_the_transitions_form_and_description(personas, case_at, as_user):
    case = case_at("submitted")
    body = as_user(personas.greta).get(action_url(case, "mark_deficient")).content.decode()
    assert "Return the Request to the claimant with the defects to cure." in body
    assert 'name="reasons"' in body and 'for="id_reasons"' in body


def test_post_moves_the_case_and_redirects_with_a_message(personas, case_at, as_user):
    case = case_at("submitted")
    client = as_user(personas.greta)
    response = client.post(action_url(case, "serve_notice"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('case_detail', args=[case.pk])}?tab=timeline"
    case.refresh_from_db()
    assert case.state == State.NOTIFIED
    assert "Done: Accept and serve notice." in client.get(response["Location"]).content.decode()


def test_a_refused_role_shows_the_services_message_and_writes_nothing(personas, case_at, as_user):
    case = case_at("submitted")
    client = as_user(personas.clara)
    events_before = CaseEvent.objects.filter(case=case).count()
    page = client.get(action_url(case, "serve_notice")).content.decode()
    assert "not available to you" in page
    response = client.post(action_url(case, "serve_notice"))
    assert response.status_code == 403
    assert "Your role on this case does not allow you to accept and serve notice." in response.content.decode()
    case.refresh_from_db()
    assert case.state == State.SUBMITTED
    assert CaseEvent.objects.filter(case=case).count() == events_before


def test_a_failed_guard_shows_its_message(personas, case_at, as_user):
    case = case_at("notified")
    client = as_user(personas.rafael)
    assert client.post(action_url(case, "request_extension")).status_code == 302
    response = client.post(action_url(case, "request_extension"))
    assert response.status_code == 409
    assert "The automatic extension of the Answer deadline has already been taken." in response.content.decode()


def test_a_wrong_state_shows_its_message(personas, case_at, as_user):
    case = case_at("notified")
    response = as_user(personas.greta).post(action_url(case, "serve_notice"))
    assert response.status_code == 409
    assert "is not possible while the case is notified" in response.content.decode()


def test_invalid_payload_errors_appear_on_the_fields(personas, case_at, as_user):
    case = case_at("evidence")
    response = as_user(personas.clara).post(action_url(case, "post_message"), {"addressed_to": "tribunal", "body": "x"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Please correct the form" in body
    assert 'id="id_subject"' in body and 'aria-invalid="true"' in body
    assert not Message.objects.filter(case=case).exists()


def test_posting_a_message_from_the_board(personas, case_at, as_user):
    case = case_at("evidence")
    client = as_user(personas.rafael)
    board = client.get(f"{reverse('case_detail', args=[case.pk])}?tab=messages").content.decode()
    assert "no one-sided contact" in board and action_url(case, "post_message") in board
    response = client.post(
        action_url(case, "post_message"),
        {"addressed_to": "tribunal", "subject": "Hearing dates", "body": "We propose the week of 12 January."},
    )
    assert response["Location"].endswith("?tab=messages")
    page = client.get(response["Location"]).content.decode()
    assert "Hearing dates" in page and "We propose the week of 12 January." in page
    other_side = as_user(personas.clara).get(f"{reverse('case_detail', args=[case.pk])}?tab=messages")
    assert "Hearing dates" in other_side.content.decode()


def test_danger_actions_need_confirmation(personas, case_at, as_user):
    case = case_at("notified")
    client = as_user(personas.clara)
    page = client.get(action_url(case, "withdraw")).content.decode()
    assert 'name="confirm"' in page
    response = client.post(action_url(case, "withdraw"), {"reasons": "Settled privately."})
    assert response.status_code == 400
    assert "Tick the box to confirm" in response.content.decode()
    case.refresh_from_db()
    assert case.state == State.NOTIFIED
    client.post(action_url(case, "withdraw"), {"reasons": "Settled privately.", "confirm": "1"})
    case.refresh_from_db()
    assert case.state == State.WITHDRAWN


def test_documents_are_uploaded_with_the_event(personas, case_at, as_user):
    case = case_at("deliberation")
    client = as_user(personas.ada)
    page = client.get(action_url(case, "issue_award")).content.decode()
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page and "multiple" in page

    missing = client.post(action_url(case, "issue_award"), {"title": "Final Award", "body": "Granted."})
    assert missing.status_code == 400
    assert "needs at least one document" in missing.content.decode()

    files = [
        SimpleUploadedFile("award.pdf", b"%PDF-1.4 award", content_type="application/pdf"),
        SimpleUploadedFile("annex.pdf", b"%PDF-1.4 annex", content_type="application/pdf"),
    ]
    response = client.post(
        action_url(case, "issue_award"), {"title": "Final Award", "body": "Granted.", "documents": files}
    )
    assert response["Location"].endswith("?tab=docket")
    case.refresh_from_db()
    assert case.state == State.AWARD_ISSUED
    docket = client.get(response["Location"]).content.decode()
    assert "award.pdf" in docket and "annex.pdf" in docket


def test_declaration_form_is_prefilled_with_the_arbitrators_affiliations(personas, case_at, as_user):
    from disputes.services.events import case_apply_event

    case = case_at("tribunal_formation")
    personas.otto.affiliations = "Big Model Co"
    personas.otto.save()
    case_apply_event(
        case_id=case.pk, event="appoint_arbitrator", actor=personas.greta, payload={"arbitrator": personas.otto.pk}
    )
    page = as_user(personas.otto).get(action_url(case, "file_declaration")).content.decode()
    assert "Big Model Co" in page
