"""Every page renders for the people it is for, and every case route is a 404 for anyone else."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from disputes.models import Filing, FilingDocument

pytestmark = pytest.mark.django_db

CASE_TABS = ("overview", "timeline", "deadlines", "participants", "docket", "messages")


def case_routes(case, document: FilingDocument) -> list[str]:
    return [
        reverse("case_detail", args=[case.pk]),
        *(f"{reverse('case_detail', args=[case.pk])}?tab={tab}" for tab in CASE_TABS),
        *(reverse("case_tab", args=[case.pk, tab]) for tab in CASE_TABS),
        reverse("case_action", args=[case.pk, "post_message"]),
        reverse("case_action", args=[case.pk, "file_evidence"]),
        reverse("document_download", args=[case.pk, document.pk]),
        reverse("request_step", args=[case.pk, 1]),
    ]


@pytest.fixture
def award_case(case_at):
    """A case with a document on the docket (the award)."""
    case = case_at("award_issued")
    document = FilingDocument.objects.get(filing__case=case)
    return case, document


@pytest.mark.parametrize("persona", ["clara", "rafael", "ada", "greta"])
def test_case_routes_render_for_everyone_on_the_case(persona, personas, award_case, as_user):
    case, document = award_case
    client = as_user(getattr(personas, persona))
    for url in case_routes(case, document)[:-1]:
        response = client.get(url)
        assert response.status_code == 200, url
    # A filed case sends the wizard's URL to the case page instead of offering to edit it.
    assert client.get(reverse("request_step", args=[case.pk, 1])).status_code == 302


@pytest.mark.parametrize("persona", ["uma", "otto"])
def test_every_case_route_is_404_for_outsiders(persona, personas, award_case, as_user):
    case, document = award_case
    client = as_user(getattr(personas, persona))
    for url in case_routes(case, document):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("case_action", args=[case.pk, "post_message"]), {"subject": "x"}).status_code == 404
    assert client.post(reverse("request_discard", args=[case.pk])).status_code == 404


def test_outsider_sees_no_trace_of_the_case_in_lists(personas, case_at, as_user):
    case = case_at("notified")
    client = as_user(personas.uma)
    for url in (reverse("dashboard"), reverse("case_list")):
        body = client.get(url).content.decode()
        assert case.reference not in body
        assert case.title not in body
    searched = client.get(reverse("case_list"), {"q": case.reference}).content.decode()
    assert "No case matches" in searched and case.title not in searched


def test_respondent_sees_nothing_before_accepting_the_invitation(personas, case_at, as_user):
    case = case_at("submitted")  # the respondent's counsel is not on the case until notice is served and accepted
    client = as_user(personas.rafael)
    assert client.get(reverse("case_detail", args=[case.pk])).status_code == 404
    assert case.reference not in client.get(reverse("case_list")).content.decode()


def test_a_draft_is_invisible_to_the_registrar(personas, case_at, as_user):
    draft = case_at("draft")
    client = as_user(personas.greta)
    assert client.get(reverse("case_detail", args=[draft.pk])).status_code == 404
    assert client.get(reverse("request_step", args=[draft.pk, 1])).status_code == 404


def test_anonymous_users_are_sent_to_sign_in(award_case, client):
    case, document = award_case
    for url in [reverse("dashboard"), reverse("case_list"), *case_routes(case, document)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("account_login")), url


def test_dashboard_per_role(personas, case_at, as_user):
    submitted = case_at("submitted")
    formation = case_at("tribunal_formation")
    # The registrar appoints Otto: he must file a declaration, and sees the case to do so.
    from disputes.services.events import case_apply_event

    case_apply_event(
        case_id=formation.pk, event="appoint_arbitrator", actor=personas.greta, payload={"arbitrator": personas.otto.pk}
    )

    clara = as_user(personas.clara).get(reverse("dashboard")).content.decode()
    assert "Start a Request for Arbitration" in clara
    assert submitted.reference in clara and "Registry screening of the Request" in clara
    assert '<span class="due__owner">Owed by registrar</span>' in clara  # who owes the next deadline

    greta = as_user(personas.greta).get(reverse("dashboard")).content.decode()
    assert "Screening queue" in greta and submitted.reference in greta
    assert "overdue deadline" in greta
    assert "Cases by stage" in greta
    # Time spent in each stage, drawn as an SVG chart (the submitted case has been in "Submitted" since filing).
    assert "Average time in each stage" in greta and '<svg class="chart"' in greta and "days." in greta

    otto = as_user(personas.otto).get(reverse("dashboard")).content.decode()
    assert "Appointments awaiting your declaration" in otto
    assert reverse("case_action", args=[formation.pk, "file_declaration"]) in otto


def test_arbitrator_dashboard_lists_what_the_tribunal_owes(personas, case_at, as_user):
    case = case_at("procedural_setup")
    body = as_user(personas.ada).get(reverse("dashboard")).content.decode()
    assert "Decisions the tribunal owes" in body
    assert "Procedural Order No. 1" in body and case.reference in body


def test_case_page_header(personas, case_at, as_user):
    case = case_at("notified")
    body = as_user(personas.clara).get(reverse("case_detail", args=[case.pk])).content.decode()
    assert case.reference in body
    assert "Frontier Labs Ltd" in body and "Copycat AI Inc." in body
    assert "Notified" in body
    assert "rules standard@2026.1 pinned" in body
    assert "Answer to the Request" in body and "Owed by: <strong>Respondent</strong>" in body
    assert re.search(r'<span class="due__rel">in 3\d days</span>', body)  # 30 days, rolled to a business day
    assert 'aria-current="step"' in body


def test_default_flag_shows_when_the_respondent_is_in_default(personas, case_at, as_user):
    case = case_at("tribunal_formation")
    type(case).objects.filter(pk=case.pk).update(respondent_in_default=True)
    body = as_user(personas.clara).get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "Respondent in default" in body


def test_conflict_hits_are_shown_to_the_registrar_only(personas, case_at, as_user):
    from disputes.services.events import case_apply_event

    case = case_at("tribunal_formation")
    personas.otto.affiliations = "Copycat Holdings"
    personas.otto.save()
    case_apply_event(
        case_id=case.pk, event="appoint_arbitrator", actor=personas.greta, payload={"arbitrator": personas.otto.pk}
    )
    case_apply_event(
        case_id=case.pk,
        event="file_declaration",
        actor=personas.otto,
        payload={"independent": True, "affiliations": "Copycat Holdings"},
    )
    url = f"{reverse('case_detail', args=[case.pk])}?tab=participants"
    greta = as_user(personas.greta).get(url).content.decode()
    assert "Conflict check: 1 hit" in greta and "Copycat Holdings" in greta
    clara = as_user(personas.clara).get(url).content.decode()
    assert "Conflict check" not in clara
    assert "Declaration filed; registrar reviewing" in clara


def test_a_candidate_arbitrator_sees_only_the_request(personas, case_at, as_user):
    from disputes.services.events import case_apply_event

    case = case_at("tribunal_formation")
    case_apply_event(
        case_id=case.pk, event="appoint_arbitrator", actor=personas.greta, payload={"arbitrator": personas.otto.pk}
    )
    client = as_user(personas.otto)
    body = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "The Request" in body and "File the independence declaration" in body
    assert client.get(reverse("case_tab", args=[case.pk, "docket"])).status_code == 404
    assert ">Docket<" not in body


def test_timeline_lists_events_with_actor_and_change(personas, case_at, as_user):
    case = case_at("notified")
    body = as_user(personas.clara).get(f"{reverse('case_detail', args=[case.pk])}?tab=timeline").content.decode()
    assert "Accept and serve notice" in body and "Greta Registrar" in body
    assert "File the Request" in body and "Clara Claimant-Counsel" in body


def test_docket_lists_filings_with_download_links(personas, award_case, as_user):
    case, document = award_case
    body = as_user(personas.rafael).get(reverse("case_tab", args=[case.pk, "docket"])).content.decode()
    assert "Final Award" in body
    assert reverse("document_download", args=[case.pk, document.pk]) in body
    assert Filing.objects.filter(case=case).count() >= 5


def test_htmx_tab_returns_only_the_tab_frame(personas, case_at, as_user):
    case = case_at("notified")
    response = as_user(personas.clara).get(reverse("case_tab", args=[case.pk, "deadlines"]), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert 'id="case-tabs"' in body and "Answer to the Request" in body


def test_unknown_tab_and_unknown_action_are_404(personas, case_at, as_user):
    case = case_at("notified")
    client = as_user(personas.clara)
    assert client.get(reverse("case_tab", args=[case.pk, "secrets"])).status_code == 404
    assert client.get(reverse("case_action", args=[case.pk, "no_such_event"])).status_code == 404
    assert client.get(reverse("case_action", args=[case.pk, "constitute_tribunal"])).status_code == 404  # system-only


def test_error_pages_leak_nothing(personas, case_at, as_user, settings):
    settings.DEBUG = False
    case = case_at("notified")
    response = as_user(personas.uma).get(reverse("case_detail", args=[case.pk]))
    body = response.content.decode()
    assert response.status_code == 404
    assert "There is nothing here" in body
    assert case.reference not in body and case.title not in body


def test_deadlines_tab_lists_open_deadlines_first_and_says_when_closed_ones_were_met(personas, case_at, as_user):
    case = case_at("notified")
    body = as_user(personas.clara).get(f"{reverse('case_detail', args=[case.pk])}?tab=deadlines").content.decode()
    assert body.index("Answer to the Request") < body.index("Registry screening of the Request")
    assert re.search(r'<span class="due__rel">met (just now|\d+ \w+ ago)</span>', body)
