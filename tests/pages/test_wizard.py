"""The Request wizard: a draft saved at every step, resumable, filed through the 'submit' event."""

from __future__ import annotations

import pytest
from django.urls import reverse

from disputes.lifecycle.states import State
from disputes.models import Case, Filing, Party

pytestmark = pytest.mark.django_db

PARTIES = {
    "claimant_name": "Frontier Labs Ltd",
    "claimant_jurisdiction": "England and Wales",
    "respondent_name": "Copycat AI Inc.",
    "respondent_jurisdiction": "Delaware",
    "respondent_affiliates": "Copycat Holdings",
    "respondent_counsel_name": "Rafael",
    "respondent_counsel_email": "rafael@respondent-law.example",
}
SYSTEMS = {
    "systems-TOTAL_FORMS": "1",
    "systems-INITIAL_FORMS": "0",
    "systems-MIN_NUM_FORMS": "0",
    "systems-MAX_NUM_FORMS": "20",
    "systems-0-name": "Frontier-7B",
    "systems-0-version": "2.1",
    "systems-0-endpoint": "https://api.frontier.example/v1",
}
CLAIMS = {
    "facts": "The respondent's model reproduces our weights.",
    "relief_sought": "Damages.",
    "arbitration_agreement": "Clause 17 of the API Terms.",
    "rule_pack": "expedited",
}


def step_url(case: Case, step: int) -> str:
    return reverse("request_step", args=[case.pk, step])


def start_draft(client) -> Case:
    response = client.post(reverse("request_new"))
    case = Case.objects.latest("id")
    assert response.status_code == 302 and response["Location"] == step_url(case, 1)
    return case


def test_start_page_does_not_create_a_draft_on_get(personas, as_user):
    client = as_user(personas.clara)
    assert client.get(reverse("request_new")).status_code == 200
    assert not Case.objects.exists()


def test_happy_path_files_the_request(personas, as_user):
    client = as_user(personas.clara)
    case = start_draft(client)
    assert client.get(step_url(case, 1)).status_code == 200

    assert client.post(step_url(case, 1), PARTIES)["Location"] == step_url(case, 2)
    response = client.post(step_url(case, 2), {"title": "Frontier v. Copycat", "dispute_types": ["weight_copying"]})
    assert response["Location"] == step_url(case, 3)
    assert client.post(step_url(case, 3), SYSTEMS)["Location"] == step_url(case, 4)
    assert client.post(step_url(case, 4), CLAIMS)["Location"] == step_url(case, 5)

    review = client.get(step_url(case, 5)).content.decode()
    assert "Frontier-7B" in review and "Copycat Holdings" in review and "Expedited" in review

    response = client.post(step_url(case, 5), {"go": "file"})
    case.refresh_from_db()
    assert case.state == State.SUBMITTED
    assert case.reference.startswith("AIP-")
    assert case.rule_pack == "expedited"
    assert response["Location"] == reverse("case_detail", args=[case.pk])
    assert Filing.objects.filter(case=case, kind="request").exists()
    page = client.get(response["Location"]).content.decode()
    assert f"Your Request was filed as {case.reference}" in page


def test_validation_errors_are_shown_inline_and_nothing_is_saved(personas, as_user):
    client = as_user(personas.clara)
    case = start_draft(client)
    response = client.post(step_url(case, 1), {**PARTIES, "respondent_counsel_email": "not-an-email"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter a valid email address." in body
    assert 'aria-invalid="true"' in body
    assert Party.objects.get(case=case, side="respondent").name == ""


def test_dispute_types_are_required(personas, as_user):
    client = as_user(personas.clara)
    case = start_draft(client)
    response = client.post(step_url(case, 2), {"title": "A title"})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_a_draft_resumes_where_it_was_left(personas, as_user):
    client = as_user(personas.clara)
    case = start_draft(client)
    client.post(step_url(case, 1), PARTIES)
    client.post(step_url(case, 2), {"title": "Frontier v. Copycat", "dispute_types": ["trade_secret"], "go": "stay"})

    # Later: the case page (or the dashboard link) brings the owner back to the next step, with what was saved.
    response = client.get(reverse("case_detail", args=[case.pk]))
    assert response["Location"] == step_url(case, 3)
    step_1 = client.get(step_url(case, 1)).content.decode()
    assert 'value="Copycat AI Inc."' in step_1
    step_2 = client.get(step_url(case, 2)).content.decode()
    assert 'value="Frontier v. Copycat"' in step_2 and 'value="trade_secret"' in step_2 and "checked" in step_2
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert step_url(case, 3) in dashboard


def test_systems_formset_adds_and_removes_rows(personas, as_user):
    client = as_user(personas.clara)
    case = start_draft(client)
    response = client.post(step_url(case, 3), {**SYSTEMS, "go": "add"})
    assert response["Location"] == f"{step_url(case, 3)}?add=1"
    page = client.get(response["Location"]).content.decode()
    assert 'name="systems-TOTAL_FORMS" value="2"' in page and 'value="Frontier-7B"' in page

    two_rows = {
        **SYSTEMS,
        "systems-TOTAL_FORMS": "2",
        "systems-1-name": "Copycat-7B",
        "systems-0-DELETE": "on",
    }
    client.post(step_url(case, 3), two_rows)
    case.refresh_from_db()
    assert case.ai_systems == [{"name": "Copycat-7B", "version": "", "endpoint": ""}]

    empty = {**SYSTEMS, "systems-0-name": "", "systems-0-version": "", "systems-0-endpoint": ""}
    response = client.post(step_url(case, 3), empty)
    assert response.status_code == 400
    assert "Name at least one AI system" in response.content.decode()


def test_filing_an_incomplete_draft_shows_what_is_missing(personas, as_user):
    client = as_user(personas.clara)
    case = start_draft(client)
    response = client.post(step_url(case, 5), {"go": "file"})
    assert response.status_code == 409
    body = response.content.decode()
    assert "The Request was not filed." in body
    assert "the respondent&#x27;s name" in body and "at least one dispute type" in body
    case.refresh_from_db()
    assert case.state == State.DRAFT


def test_back_does_not_trap_the_user_behind_errors(personas, as_user):
    client = as_user(personas.clara)
    case = start_draft(client)
    response = client.post(step_url(case, 2), {"title": "", "go": "back"})
    assert response["Location"] == step_url(case, 1)


def test_only_the_owner_may_use_the_draft(personas, case_at, as_user):
    draft = case_at("draft")
    for persona in ("rafael", "greta", "uma"):
        client = as_user(getattr(personas, persona))
        assert client.get(step_url(draft, 1)).status_code == 404
        assert client.post(step_url(draft, 1), PARTIES).status_code == 404
        assert client.post(reverse("request_discard", args=[draft.pk])).status_code == 404
    assert Case.objects.filter(pk=draft.pk).exists()


def test_discarding_a_draft(personas, case_at, as_user):
    draft = case_at("draft")
    client = as_user(personas.clara)
    assert client.get(reverse("request_discard", args=[draft.pk])).status_code == 405
    response = client.post(reverse("request_discard", args=[draft.pk]))
    assert response["Location"] == reverse("dashboard")
    assert not Case.objects.filter(pk=draft.pk).exists()


def test_unknown_step_is_404(personas, case_at, as_user):
    draft = case_at("draft")
    assert as_user(personas.clara).get(step_url(draft, 9)).status_code == 404
