"""Cases: the scoped list and its filters, one case, and the claimant's draft (create, edit, discard)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from disputes.models import Case, CaseEvent, Participant, Party
from disputes.services.cases import case_draft_create
from disputes.services.events import case_apply_event
from tests.factories import complete_draft

DRAFT_BODY = {
    "title": "Frontier Labs v. Copycat AI",
    "rule_pack": "expedited",
    "dispute_types": ["weight_copying", "api_extraction", "weight_copying"],
    "ai_systems": [{"name": "Frontier-7B", "version": "2.1", "endpoint": "https://api.frontier.example/v1"}],
    "facts": "The respondent's model reproduces our weights up to a permutation.",
    "relief_sought": "A declaration of infringement.",
    "arbitration_agreement": "Clause 17 of the API Terms of Service.",
    "claimant": {"name": "Frontier Labs Ltd", "jurisdiction": "England and Wales"},
    "respondent": {"name": "Copycat AI Inc.", "counsel_email": "rafael@respondent-law.example"},
}


def _filed(personas, title="Frontier Labs v. Copycat AI", rule_pack="standard"):
    case = complete_draft(personas, rule_pack=rule_pack)
    Case.objects.filter(pk=case.pk).update(title=title)
    case_apply_event(case_id=case.pk, event="submit", actor=personas.clara)
    case.refresh_from_db()
    return case


def _ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# --- List ------------------------------------------------------------------------------------------------------------


def test_the_list_holds_only_the_cases_the_user_takes_part_in(client_for, personas, served_case):
    draft = case_draft_create(user=personas.clara, title="Unfinished")
    assert _ids(client_for("clara").get("/api/v1/cases/")) == [draft.pk, served_case.pk]
    # The registry sees every filed case, never a claimant's private draft.
    assert _ids(client_for("greta").get("/api/v1/cases/")) == [served_case.pk]
    # Served but not yet joined: nothing.
    assert _ids(client_for("rafael").get("/api/v1/cases/")) == []
    assert _ids(client_for("uma").get("/api/v1/cases/")) == []


def test_a_list_row_names_the_parties_and_the_next_deadline(client_for, served_case):
    row = client_for("greta").get("/api/v1/cases/").json()["results"][0]
    assert row["reference"] == served_case.reference
    assert row["state"] == "notified"
    assert row["state_label"] == "Notified — awaiting Answer"
    assert row["claimant_name"] == "Frontier Labs Ltd"
    assert row["respondent_name"] == "Copycat AI Inc."
    assert row["next_deadline"]["key"] == "answer"
    assert row["next_deadline"]["responsible"] == "respondent"


def test_the_list_filters_by_state_search_and_rule_pack(client_for, personas):
    standard = _filed(personas, title="Alpha Labs v. Beta")
    expedited = _filed(personas, title="Gamma Inc v. Delta", rule_pack="expedited")
    case_apply_event(case_id=expedited.pk, event="serve_notice", actor=personas.greta)
    greta = client_for("greta")
    assert _ids(greta.get("/api/v1/cases/", {"state": "submitted"})) == [standard.pk]
    assert _ids(greta.get("/api/v1/cases/", {"state": "notified"})) == [expedited.pk]
    assert _ids(greta.get("/api/v1/cases/", {"rule_pack": "expedited"})) == [expedited.pk]
    assert _ids(greta.get("/api/v1/cases/", {"search": "gamma"})) == [expedited.pk]
    assert _ids(greta.get("/api/v1/cases/", {"search": standard.reference})) == [standard.pk]
    # Party names are searched too, and a case matching twice is listed once.
    assert _ids(greta.get("/api/v1/cases/", {"search": "Frontier"})) == [expedited.pk, standard.pk]


def test_a_bad_filter_value_is_a_400_naming_the_parameter(client_for, db):
    response = client_for("greta").get("/api/v1/cases/", {"state": "limbo"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"state"}


def test_the_list_is_cursor_paginated(client_for, personas):
    cases = [case_draft_create(user=personas.clara, title=f"Draft {n}") for n in range(3)]
    first = client_for("clara").get("/api/v1/cases/", {"page_size": 2}).json()
    assert [row["id"] for row in first["results"]] == [cases[2].pk, cases[1].pk]
    second = client_for("clara").get(first["next"]).json()
    assert [row["id"] for row in second["results"]] == [cases[0].pk]
    assert second["next"] is None


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/cases/").status_code == 200
    return len(queries)


@pytest.mark.parametrize("persona", ["clara", "greta"])
def test_the_list_costs_the_same_queries_whatever_the_number_of_cases(client_for, personas, persona):
    client = client_for(persona)
    _filed(personas)
    _list_queries(client)  # the first request of a session also records it as active: not part of the list's cost
    few = _list_queries(client)
    for _ in range(5):
        _filed(personas)
    case_draft_create(user=personas.clara, title="Another draft")
    assert _list_queries(client) == few


# --- One case ---------------------------------------------------------------------------------------------------------


def test_the_case_shows_parties_state_rule_pack_next_deadline_and_participants(client_for, case_at, personas):
    case = case_at("tribunal_formation")
    body = client_for("rafael").get(f"/api/v1/cases/{case.pk}/").json()
    assert body["reference"] == case.reference
    assert body["state"] == "tribunal_formation"
    assert body["rule_pack"] == "standard"
    assert body["rule_pack_version"]
    assert {party["side"]: party["name"] for party in body["parties"]} == {
        "claimant": "Frontier Labs Ltd",
        "respondent": "Copycat AI Inc.",
    }
    assert body["next_deadline"]["key"] == "nomination"
    assert {(p["name"], p["role"], p["side"]) for p in body["participants"]} == {
        ("Clara Claimant-Counsel", "claimant", "claimant"),
        ("Rafael Respondent-Counsel", "respondent", "respondent"),
    }
    assert body["my_roles"] == ["respondent"]
    assert body["dispute_types"] == ["weight_copying", "api_extraction"]


def test_the_case_costs_the_same_queries_whatever_its_history(client_for, case_at):
    early = case_at("notified")
    late = case_at("award_issued")
    client = client_for("greta")
    client.get("/api/v1/me/")  # the first request of a session also records it as active
    counts = []
    for case in (early, late):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- Drafts -----------------------------------------------------------------------------------------------------------


def test_the_claimant_starts_a_draft_with_its_content(client_for, personas):
    response = client_for("clara").post("/api/v1/cases/", DRAFT_BODY, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get(pk=body["id"])
    assert case.state == "draft"
    assert case.created_by == personas.clara
    assert case.rule_pack == "expedited"
    assert case.dispute_types == ["weight_copying", "api_extraction"]
    assert case.ai_systems == DRAFT_BODY["ai_systems"]
    assert Participant.objects.get(case=case).role == "claimant"
    assert Party.objects.get(case=case, side="respondent").counsel_email == "rafael@respondent-law.example"
    assert body["my_roles"] == ["claimant"]
    assert body["reference"] is None


def test_a_draft_can_start_empty(client_for):
    response = client_for("clara").post("/api/v1/cases/", {}, format="json")
    assert response.status_code == 201
    assert response.json()["title"] == "Untitled request"


def test_a_bad_draft_writes_nothing(client_for):
    body = {**DRAFT_BODY, "dispute_types": ["astrology"], "respondent": {"counsel_email": "not-an-address"}}
    response = client_for("clara").post("/api/v1/cases/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"dispute_types", "respondent"}
    assert not Case.objects.exists()


def test_the_owner_edits_the_draft_field_by_field(client_for, personas):
    case = case_draft_create(user=personas.clara, title="Draft")
    response = client_for("clara").patch(
        f"/api/v1/cases/{case.pk}/", {"facts": "New facts.", "respondent": {"jurisdiction": "Delaware"}}, format="json"
    )
    assert response.status_code == 200, response.content
    case.refresh_from_db()
    assert case.facts == "New facts."
    assert case.title == "Draft"  # untouched
    respondent = Party.objects.get(case=case, side="respondent")
    assert respondent.jurisdiction == "Delaware"
    assert response.json()["facts"] == "New facts."


def test_a_filed_request_can_no_longer_be_edited_or_discarded(client_for, personas):
    case = _filed(personas)
    clara = client_for("clara")
    edit = clara.patch(f"/api/v1/cases/{case.pk}/", {"title": "Changed"}, format="json")
    assert edit.status_code == 409
    assert edit.json() == {
        "detail": "The Request has been filed; it can no longer be edited.",
        "code": "wrong_state",
        "errors": {},
    }
    discard = clara.delete(f"/api/v1/cases/{case.pk}/")
    assert discard.status_code == 409
    assert discard.json()["code"] == "wrong_state"
    case.refresh_from_db()
    assert case.title == "Frontier Labs v. Copycat AI"


@pytest.mark.parametrize("method", ["patch", "delete"])
@pytest.mark.parametrize("persona", ["greta", "rafael"])
def test_only_the_claimant_may_edit_or_discard(client_for, case_at, method, persona):
    case = case_at("tribunal_formation")
    response = getattr(client_for(persona), method)(f"/api/v1/cases/{case.pk}/", {"title": "Mine"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "Only the claimant's counsel can change or discard the Request."
    assert Case.objects.filter(pk=case.pk, title="Frontier Labs v. Copycat AI").exists()


def test_the_owner_discards_the_draft(client_for, personas):
    case = case_draft_create(user=personas.clara, title="Draft")
    assert client_for("clara").delete(f"/api/v1/cases/{case.pk}/").status_code == 204
    assert not Case.objects.filter(pk=case.pk).exists()
    assert not CaseEvent.objects.exists()


def test_a_mangled_cursor_is_a_400_naming_it(client_for, db):
    response = client_for("clara").get("/api/v1/cases/", {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"cursor": ["Invalid cursor"]}


def test_a_registrar_does_not_see_a_claimant_draft(client_for, personas):
    draft = case_draft_create(user=personas.clara, title="Private")
    assert client_for("greta").get(f"/api/v1/cases/{draft.pk}/").status_code == 404
