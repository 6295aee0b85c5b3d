"""Transitions through the API: what may happen next, firing events, and every refusal mapped to its status with
nothing written."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from disputes.models import Case, CaseEvent, Deadline, Filing, FilingDocument, Invitation
from disputes.services.cases import case_draft_create
from disputes.services.events import case_apply_event
from tests.api.test_cases import DRAFT_BODY
from tests.factories import complete_draft


def _snapshot(case_pk: int) -> tuple:
    case = Case.objects.get(pk=case_pk)
    return (
        case.state,
        case.audit_head,
        CaseEvent.objects.filter(case_id=case_pk).count(),
        Filing.objects.filter(case_id=case_pk).count(),
        FilingDocument.objects.filter(filing__case_id=case_pk).count(),
        sorted(Deadline.objects.filter(case_id=case_pk).values_list("key", "status")),
    )


# --- What may happen next ------------------------------------------------------------------------------------------


def test_the_registrar_is_offered_the_screening_events_with_their_payloads(client_for, personas):
    case = complete_draft(personas)
    case_apply_event(case_id=case.pk, event="submit", actor=personas.clara)
    response = client_for("greta").get(f"/api/v1/cases/{case.pk}/transitions/")
    assert response.status_code == 200
    offered = {row["event"]: row for row in response.json()}
    assert {"serve_notice", "mark_deficient", "dismiss", "suspend", "post_message"} <= set(offered)
    assert "submit" not in offered
    deficient = offered["mark_deficient"]
    assert deficient["role"] == "registrar"
    assert deficient["target"] == "deficient"
    assert deficient["documents"] == "none"
    assert deficient["payload"] == [
        {
            "name": "reasons",
            "label": "Reasons",
            "type": "text",
            "required": True,
            "help_text": "",
            "choices": None,
            "max_length": 10_000,
            "min_value": None,
            "max_value": None,
        }
    ]
    assert offered["serve_notice"]["payload"] == []
    assert offered["dismiss"]["danger"] is True


def test_choices_are_resolved_for_the_case(client_for, case_at, personas):
    case = case_at("tribunal_formation")
    offered = {row["event"]: row for row in client_for("greta").get(f"/api/v1/cases/{case.pk}/transitions/").json()}
    [arbitrator] = offered["appoint_arbitrator"]["payload"]
    assert arbitrator["type"] == "choice"
    assert {choice["value"] for choice in arbitrator["choices"]} == {str(personas.ada.pk), str(personas.otto.pk)}
    deadline = next(field for field in offered["extend_deadline"]["payload"] if field["name"] == "deadline")
    assert [choice["value"] for choice in deadline["choices"]] == [
        str(pk) for pk in Deadline.objects.filter(case=case, key="nomination").values_list("pk", flat=True)
    ]
    days = next(field for field in offered["extend_deadline"]["payload"] if field["name"] == "days")
    assert (days["type"], days["min_value"], days["max_value"]) == ("integer", 1, 90)


def test_a_party_is_offered_only_its_own_events(client_for, case_at):
    case = case_at("notified")
    offered = {row["event"] for row in client_for("rafael").get(f"/api/v1/cases/{case.pk}/transitions/").json()}
    assert {"file_answer", "request_extension", "file_submission", "post_message"} == offered
    award = {
        row["event"]: row
        for row in client_for("ada").get(f"/api/v1/cases/{case_at('deliberation').pk}/transitions/").json()
    }
    assert award["issue_award"]["documents"] == "required"


# --- A walk through the API ------------------------------------------------------------------------------------------


def test_a_case_walked_through_the_api_matches_one_walked_through_the_services(
    client_for, case_at, personas, monkeypatch, django_capture_on_commit_callbacks
):
    from disputes import tasks

    sent: list[tuple[int, str]] = []
    monkeypatch.setattr(
        tasks.send_invitation, "delay", lambda invitation_id, token: sent.append((invitation_id, token))
    )
    monkeypatch.setattr(tasks.notify_event, "delay", lambda event_id: None)
    clara, greta, rafael = client_for("clara"), client_for("greta"), client_for("rafael")

    body = {
        **DRAFT_BODY,
        "rule_pack": "standard",
        "respondent": {**DRAFT_BODY["respondent"], "name": "Copycat AI Inc."},
    }
    case_id = clara.post("/api/v1/cases/", body, format="json").json()["id"]
    url = f"/api/v1/cases/{case_id}/transitions/"

    submitted = clara.post(url, {"event": "submit"}, format="json")
    assert submitted.status_code == 201, submitted.content
    assert (submitted.json()["name"], submitted.json()["to_state"]) == ("submit", "submitted")

    with django_capture_on_commit_callbacks(execute=True):
        served = greta.post(url, {"event": "serve_notice"}, format="json")
    assert served.status_code == 201, served.content
    [(invitation_id, token)] = sent
    assert Invitation.objects.get(pk=invitation_id).email == "rafael@respondent-law.example"

    assert rafael.get(f"/api/v1/cases/{case_id}/").status_code == 404
    joined = rafael.post("/api/v1/invitations/accept/", {"token": token}, format="json")
    assert joined.status_code == 200
    assert joined.json()["role"] == "respondent"

    answer = SimpleUploadedFile("answer.pdf", b"%PDF-1.4 the answer", content_type="application/pdf")
    answered = rafael.post(
        url,
        {
            "event": "file_answer",
            "payload": json.dumps({"title": "Answer", "body": "We deny everything."}),
            "documents": [answer],
        },
        format="multipart",
    )
    assert answered.status_code == 201, answered.content
    event = answered.json()
    assert (event["name"], event["from_state"], event["to_state"], event["actor_role"]) == (
        "file_answer",
        "notified",
        "tribunal_formation",
        "respondent",
    )

    via_api = Case.objects.get(pk=case_id)
    via_services = case_at("tribunal_formation")
    assert via_api.state == via_services.state == "tribunal_formation"
    assert list(via_api.events.values_list("name", "from_state", "to_state", "actor_role")) == list(
        via_services.events.values_list("name", "from_state", "to_state", "actor_role")
    )
    assert sorted(via_api.deadlines.values_list("key", "status")) == sorted(
        via_services.deadlines.values_list("key", "status")
    )
    filing = Filing.objects.get(case=via_api, kind="answer")
    assert filing.title == "Answer"
    assert filing.documents.get().original_name == "answer.pdf"
    # The timeline shows the same events, newest first.
    timeline = rafael.get(f"/api/v1/cases/{case_id}/events/").json()["results"]
    assert [row["name"] for row in timeline] == ["file_answer", "join_case", "serve_notice", "submit"]


# --- Refusals ---------------------------------------------------------------------------------------------------------


def _refused(client, case, body, *, status, code, format="json"):
    before = _snapshot(case.pk)
    response = client.post(f"/api/v1/cases/{case.pk}/transitions/", body, format=format)
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert _snapshot(case.pk) == before
    return response.json()


def test_a_role_that_may_not_fire_the_event_gets_403(client_for, served_case):
    body = _refused(
        client_for("clara"),
        served_case,
        {"event": "dismiss", "payload": {"reasons": "x"}},
        status=403,
        code="not_permitted",
    )
    assert body["detail"] == "Your role on this case does not allow you to dismiss the case."
    assert body["errors"] == {}


def test_an_event_from_the_wrong_state_gets_409(client_for, served_case):
    body = _refused(client_for("greta"), served_case, {"event": "serve_notice"}, status=409, code="wrong_state")
    assert body["detail"] == "'Accept and serve notice' is not possible while the case is notified — awaiting answer."


def test_a_failed_guard_gets_409_with_the_reason(client_for, personas):
    case = case_draft_create(user=personas.clara, title="Half-written")
    body = _refused(client_for("clara"), case, {"event": "submit"}, status=409, code="guard_failed")
    assert body["detail"].startswith("The Request cannot be filed yet: add")


def test_an_invalid_payload_gets_400_with_the_field_errors(client_for, personas):
    case = complete_draft(personas)
    case_apply_event(case_id=case.pk, event="submit", actor=personas.clara)
    body = _refused(
        client_for("greta"), case, {"event": "mark_deficient", "payload": {}}, status=400, code="invalid_payload"
    )
    assert body["errors"] == {"reasons": ["This field is required."]}
    assert body["detail"] == "Please correct the form: reasons: This field is required."


def test_a_missing_required_document_gets_400(client_for, case_at):
    case = case_at("deliberation")
    body = _refused(
        client_for("ada"),
        case,
        {"event": "issue_award", "payload": {"title": "Final Award", "body": "Claim upheld."}},
        status=400,
        code="invalid_payload",
    )
    assert body["detail"] == "'Issue the award' needs at least one document."


def test_documents_on_an_event_that_takes_none_get_400(client_for, served_case):
    upload = SimpleUploadedFile("notes.txt", b"notes")
    _refused(
        client_for("greta"),
        served_case,
        {"event": "extend_deadline", "documents": [upload]},
        status=400,
        code="invalid_payload",
        format="multipart",
    )


@pytest.mark.parametrize("event", ["no_such_event", "constitute_tribunal", "join_case"])
def test_unknown_system_and_invitation_events_are_not_accepted(client_for, served_case, event):
    body = _refused(client_for("greta"), served_case, {"event": event}, status=400, code="invalid")
    assert set(body["errors"]) == {"event"}


def test_a_payload_that_is_not_an_object_gets_400(client_for, served_case):
    body = _refused(
        client_for("greta"),
        served_case,
        {"event": "suspend", "payload": "{not json"},
        status=400,
        code="invalid",
        format="multipart",
    )
    assert body["errors"] == {"payload": ["Expected a JSON object."]}


def test_not_found_from_the_service_is_a_404_like_any_invisible_case():
    from config.api import exception_handler
    from disputes.exceptions import NotPermitted

    response = exception_handler(NotPermitted("No such case.", code="not_found"), {})
    assert response.status_code == 404
    assert response.data == {"detail": "No such case.", "code": "not_found", "errors": {}}


def test_multipart_events_store_every_document(client_for, case_at):
    case = case_at("deliberation")
    award = SimpleUploadedFile("award.pdf", b"%PDF-1.4 award", content_type="application/pdf")
    annex = SimpleUploadedFile("annex.pdf", b"%PDF-1.4 annex", content_type="application/pdf")
    response = client_for("ada").post(
        f"/api/v1/cases/{case.pk}/transitions/",
        {
            "event": "issue_award",
            "payload": json.dumps({"title": "Final Award", "body": "Claim upheld."}),
            "documents": [award, annex],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    case.refresh_from_db()
    assert case.state == "award_issued"
    filing = Filing.objects.get(case=case, kind="award")
    assert sorted(filing.documents.values_list("original_name", flat=True)) == ["annex.pdf", "award.pdf"]
    docket = client_for("clara").get(reverse("api:case-docket", kwargs={"case_pk": case.pk})).json()["results"]
    assert docket[0]["title"] == "Final Award"
    assert len(docket[0]["documents"]) == 2
