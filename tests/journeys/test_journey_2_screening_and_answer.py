"""Journey 2: the registrar screens a new Request from the deadlines board and marks it deficient with reasons;
the claimant cures; the registrar accepts it and serves notice; the respondent's counsel opens the invitation link
from the email, signs in, joins and files the Answer. The stage and the docket are checked after every step."""

from __future__ import annotations

import pytest
from django.core import mail

from disputes.models import Participant, Role
from tests.journeys.conftest import do_action, docket_titles, link_in_mail, stage_of, text_of, verified

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_screening_deficiency_cure_notice_and_answer(personas, case_at, open_as, new_page, screens):
    case = case_at("submitted")
    registrar = open_as(personas.greta)
    claimant = open_as(personas.clara)

    # 1. The registrar's dashboard and board: the Request waits for screening; open it from the board.
    registrar.goto("/")
    assert case.reference in registrar.locator(".card", has_text="Screening queue").inner_text()
    screens.shot(registrar, "registrar-dashboard")
    registrar.locator("nav.mainnav").get_by_role("link", name="Deadlines board").click()
    row = registrar.locator("tr", has_text="Registry screening of the Request")
    assert case.reference in row.inner_text()
    screens.shot(registrar, "deadlines-board")
    row.get_by_role("link", name=case.reference).click()
    assert "Registry screening of the Request" in text_of(registrar)
    assert stage_of(registrar, case.pk) == "Submitted"
    assert docket_titles(registrar, case.pk) == ["No. 1 Request for Arbitration"]

    # 2. Deficient, with reasons the claimant will read.
    reasons = "The arbitration agreement relied on is not attached. File the API Terms of Service (2025)."
    do_action(registrar, case.pk, "Mark deficient", {"#id_reasons": reasons})
    assert stage_of(registrar, case.pk) == "Deficient"
    screens.shot(registrar, "marked-deficient", a11y=False)  # the same page as a checked screen, other data

    # 3. The claimant sees why, and cures with a filing.
    claimant.goto(f"/cases/{case.pk}/?tab=timeline")
    assert reasons in text_of(claimant)
    screens.shot(claimant, "claimant-sees-deficiency")
    do_action(
        claimant,
        case.pk,
        "Cure the defects",
        {"#id_title": "Request with the arbitration agreement", "#id_body": "The Terms of Service are attached."},
    )
    assert stage_of(claimant, case.pk) == "Submitted"
    assert sorted(docket_titles(claimant, case.pk)) == [
        "No. 1 Request for Arbitration",
        "No. 2 Request with the arbitration agreement",
    ]

    # 4. The registrar accepts and serves notice: the respondent's counsel gets an invitation by email.
    mail.outbox.clear()
    do_action(registrar, case.pk, "Accept and serve notice")
    assert stage_of(registrar, case.pk) == "Notified"
    screens.shot(registrar, "notice-served", a11y=False)  # the same page as a checked screen, other data
    [invitation] = [m for m in mail.outbox if personas.rafael.email in m.to and "/invitations/" in m.body]
    link = link_in_mail(invitation, "/invitations/")

    # 5. Rafael opens the link, signs in (he has an account), comes back to the invitation and joins.
    verified(personas.rafael)
    respondent = new_page()
    respondent.goto(link)
    assert case.title not in text_of(respondent)  # nothing about the case before signing in
    screens.shot(respondent, "invitation-anonymous")
    respondent.locator("#main").get_by_role("link", name="Sign in").click()
    respondent.fill("input[name=login]", personas.rafael.email)
    respondent.fill("input[name=password]", "correct-horse-battery")
    respondent.locator("form button[type=submit]").first.click()
    respondent.wait_for_load_state()
    assert "/invitations/" in respondent.url
    assert "Join the case as respondent" in text_of(respondent)
    screens.shot(respondent, "invitation")
    respondent.get_by_role("button", name="Accept and open the case").click()
    assert f"You have joined {case.reference}" in text_of(respondent)
    assert Participant.objects.filter(case=case, user=personas.rafael, role=Role.RESPONDENT).exists()

    # 6. The Answer.
    do_action(respondent, case.pk, "File the Answer", {"#id_title": "Answer", "#id_body": "We deny every claim."})
    assert stage_of(respondent, case.pk) == "Tribunal formation"
    titles = docket_titles(respondent, case.pk)
    assert sorted(titles) == [
        "No. 1 Request for Arbitration",
        "No. 2 Request with the arbitration agreement",
        "No. 3 Answer",
    ]
    screens.shot(respondent, "docket-after-answer")
    respondent.get_by_role("link", name="Dashboard").click()
    assert case.reference in text_of(respondent)
    screens.shot(respondent, "respondent-dashboard")
