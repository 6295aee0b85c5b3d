"""A case's records through the API: timeline, deadlines, participants, docket (with downloads) and messages."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from disputes.models import CaseEvent, Filing, FilingDocument, Message
from disputes.services.events import case_apply_event


@pytest.fixture
def formation_with_candidate(case_at, personas):
    """Ada appointed by the registry, her independence declaration not yet filed: a candidate, not a member."""
    case = case_at("tribunal_formation")
    case_apply_event(
        case_id=case.pk, event="appoint_arbitrator", actor=personas.greta, payload={"arbitrator": personas.ada.pk}
    )
    return case


# --- Timeline, deadlines, participants ---------------------------------------------------------------------------


def test_the_timeline_lists_events_newest_first_with_their_hash_chain(client_for, served_case):
    rows = client_for("clara").get(f"/api/v1/cases/{served_case.pk}/events/").json()["results"]
    assert [(row["seq"], row["name"], row["label"]) for row in rows] == [
        (2, "serve_notice", "Accept and serve notice"),
        (1, "submit", "File the Request"),
    ]
    assert rows[0]["prev_hash"] == rows[1]["hash"]
    assert rows[0]["actor_name"] == "Greta Registrar"
    assert rows[0]["actor_role"] == "registrar"


def test_the_deadlines_of_the_case(client_for, served_case):
    rows = client_for("clara").get(f"/api/v1/cases/{served_case.pk}/deadlines/").json()
    assert [(row["key"], row["status"], row["responsible"]) for row in rows] == [
        ("screening", "met", "registrar"),
        ("answer", "open", "respondent"),
    ]
    answer = rows[1]
    assert answer["rule_ref"]
    assert answer["is_overdue"] is False
    assert 0 <= answer["progress"] < 0.1


def test_participants_carry_names_and_roles_but_no_addresses(client_for, case_at):
    case = case_at("procedural_setup")
    rows = client_for("rafael").get(f"/api/v1/cases/{case.pk}/participants/").json()
    assert {(row["name"], row["role"], row["side"]) for row in rows} == {
        ("Clara Claimant-Counsel", "claimant", "claimant"),
        ("Rafael Respondent-Counsel", "respondent", "respondent"),
        ("Ada Arbiter", "arbitrator", "tribunal"),
    }
    assert all("email" not in row for row in rows)


@pytest.mark.parametrize("route", ["deadlines", "participants", "docket", "messages"])
def test_a_candidate_sees_the_case_but_not_its_records(client_for, formation_with_candidate, route):
    ada = client_for("ada")
    assert ada.get(f"/api/v1/cases/{formation_with_candidate.pk}/").status_code == 200
    response = ada.get(f"/api/v1/cases/{formation_with_candidate.pk}/{route}/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_a_candidate_is_offered_the_declaration(client_for, formation_with_candidate):
    offered = client_for("ada").get(f"/api/v1/cases/{formation_with_candidate.pk}/transitions/").json()
    assert [row["event"] for row in offered] == ["file_declaration"]


# --- Docket ---------------------------------------------------------------------------------------------------------


def _pdf(name: str, content: bytes = b"%PDF-1.4 exhibit") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_a_party_files_a_submission_with_documents(client_for, served_case, personas):
    response = client_for("clara").post(
        f"/api/v1/cases/{served_case.pk}/docket/",
        {
            "title": "Exhibit bundle",
            "body": "Exhibits C-1 and C-2.",
            "documents": [_pdf("c1.pdf"), _pdf("c2.pdf", b"two")],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    filing = response.json()
    assert (filing["kind"], filing["title"], filing["side"], filing["filed_by_name"]) == (
        "submission",
        "Exhibit bundle",
        "claimant",
        "Clara Claimant-Counsel",
    )
    assert [doc["original_name"] for doc in filing["documents"]] == ["c1.pdf", "c2.pdf"]
    assert CaseEvent.objects.filter(case=served_case, name="file_submission").count() == 1

    docket = client_for("greta").get(f"/api/v1/cases/{served_case.pk}/docket/").json()["results"]
    assert [row["title"] for row in docket] == ["Exhibit bundle", "Request for Arbitration"]
    assert docket[0]["documents"][1]["size"] == 3


def test_a_submission_by_json_needs_no_documents(client_for, served_case):
    response = client_for("greta").post(
        f"/api/v1/cases/{served_case.pk}/docket/", {"title": "Registry note"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["side"] == "registry"


def test_a_submission_without_a_title_writes_nothing(client_for, served_case):
    before = Filing.objects.filter(case=served_case).count()
    response = client_for("clara").post(f"/api/v1/cases/{served_case.pk}/docket/", {"body": "No title"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"title"}
    assert Filing.objects.filter(case=served_case).count() == before


def test_an_overlong_title_is_refused_by_the_payload_form(client_for, served_case):
    response = client_for("clara").post(f"/api/v1/cases/{served_case.pk}/docket/", {"title": "x" * 301}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_payload"
    assert set(response.json()["errors"]) == {"title"}


def test_a_candidate_may_not_file(client_for, formation_with_candidate):
    response = client_for("ada").post(
        f"/api/v1/cases/{formation_with_candidate.pk}/docket/", {"title": "x"}, format="json"
    )
    assert response.status_code == 403


@pytest.fixture
def filed_document(client_for, served_case):
    response = client_for("clara").post(
        f"/api/v1/cases/{served_case.pk}/docket/",
        {"title": "Exhibit C-1", "documents": [_pdf("<script>.html", b"<html><script>alert(1)</script></html>")]},
        format="multipart",
    )
    return response.json()["documents"][0]


def test_a_document_downloads_as_an_attachment_that_is_never_sniffed(client_for, served_case, filed_document):
    response = client_for("greta").get(filed_document["download_url"])
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"<html><script>alert(1)</script></html>"
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Checksum-SHA256"] == filed_document["sha256"]


def test_a_document_downloads_for_a_client_that_asks_for_bytes(client_for, filed_document):
    response = client_for("clara").get(filed_document["download_url"], HTTP_ACCEPT="application/octet-stream")
    assert response.status_code == 200


def test_a_document_of_another_filing_or_case_is_a_404(client_for, served_case, case_at, filed_document):
    other = case_at("notified")
    client = client_for("clara")
    number = Filing.objects.get(case=served_case, title="Exhibit C-1").number
    doc = filed_document["id"]
    assert client.get(f"/api/v1/cases/{served_case.pk}/docket/{number - 1}/documents/{doc}/").status_code == 404
    assert client.get(f"/api/v1/cases/{other.pk}/docket/{number}/documents/{doc}/").status_code == 404
    missing = client.get(f"/api/v1/cases/{served_case.pk}/docket/{number}/documents/{doc + 1}/")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "No such document."


def test_a_document_altered_in_storage_is_not_served(client_for, filed_document):
    document = FilingDocument.objects.get(pk=filed_document["id"])
    with open(document.file.path, "wb") as handle:
        handle.write(b"tampered")
    response = client_for("clara").get(filed_document["download_url"])
    assert response.status_code == 500
    assert response.json()["code"] == "integrity_check_failed"


# --- Messages -------------------------------------------------------------------------------------------------------


def test_a_message_to_the_tribunal_reaches_every_party(client_for, case_at):
    case = case_at("procedural_setup")
    posted = client_for("clara").post(
        f"/api/v1/cases/{case.pk}/messages/",
        {"addressed_to": "tribunal", "subject": "Timetable", "body": "We propose four weeks."},
        format="json",
    )
    assert posted.status_code == 201, posted.content
    assert posted.json()["author_role"] == "claimant"
    message = Message.objects.get(case=case)
    assert message.event.name == "post_message"
    for reader in ("rafael", "ada", "greta"):
        rows = client_for(reader).get(f"/api/v1/cases/{case.pk}/messages/").json()["results"]
        assert [(row["subject"], row["author_name"]) for row in rows] == [("Timetable", "Clara Claimant-Counsel")]


def test_a_bad_message_writes_nothing(client_for, served_case):
    response = client_for("clara").post(
        f"/api/v1/cases/{served_case.pk}/messages/",
        {"addressed_to": "judge", "subject": "", "body": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"addressed_to", "subject"}
    assert not Message.objects.exists()
