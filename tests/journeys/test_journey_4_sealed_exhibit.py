"""Journey 4: the respondent files a sealed exhibit (tier "tribunal"); the claimant, in the browser, finds no
trace of it anywhere (exhibit list and count, search, timeline, docket, analyses, notifications, dashboard, case
list, and its own URL); the arbitrator sees it."""

from __future__ import annotations

import re

import pytest

from evidence.models import Exhibit
from tests.journeys.conftest import tab, text_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Quillfeather training ledger"
NUMBER = "R-1"


@pytest.fixture
def sealed_file(tmp_path):
    path = tmp_path / "ledger-2025.txt"
    path.write_text("".join(f"{n:06d} batch {n % 17} shard {n % 5}\n" for n in range(4000)))
    return path


def assert_no_trace(page, where: str) -> None:
    text, html = text_of(page), page.content()
    assert TITLE not in text and TITLE not in html, f"the sealed exhibit's title shows in {where}"
    leaks = [word for word in ("Quillfeather", "ledger-2025", "Which shards") if word in html]
    assert not leaks, f"the sealed exhibit leaks into {where}: {leaks}"
    # The empty state explains the numbering ("R-1… for the respondent"): that is not this exhibit's number.
    assert not re.search(rf"\b{NUMBER}\b(?!…)", text), f"the sealed exhibit's number shows in {where}"


def test_a_sealed_exhibit_leaves_no_trace_for_the_other_side(personas, case_at, open_as, screens, sealed_file):
    case = case_at("evidence")
    respondent = open_as(personas.rafael)

    # 1. The respondent files it, sealed for the tribunal.
    tab(respondent, case.pk, "Exhibits")
    respondent.get_by_role("link", name="File an exhibit").click()
    respondent.select_option("#id_kind", "document")
    respondent.fill("#id_title", TITLE)
    respondent.fill("#id_description", "Which shards were trained on, by date.")
    respondent.check("input[name=tier][value=tribunal]")
    respondent.set_input_files("#id_files", str(sealed_file))
    screens.shot(respondent, "respondent-files-sealed")
    respondent.click("#upload-button")
    respondent.wait_for_selector(".upload[data-state=done]", timeout=30_000)
    exhibit = Exhibit.objects.get(case=case)
    assert exhibit.label == NUMBER and exhibit.tier == "tribunal" and exhibit.title == TITLE
    tab(respondent, case.pk, "Exhibits")
    assert TITLE in text_of(respondent)  # its own side sees it
    screens.shot(respondent, "respondent-exhibits")

    # 2. The claimant looks everywhere.
    claimant = open_as(personas.clara)
    claimant.goto("/")
    assert case.reference in text_of(claimant)
    assert_no_trace(claimant, "the dashboard")
    screens.shot(claimant, "claimant-dashboard")
    claimant.get_by_role("link", name="Cases").first.click()
    assert_no_trace(claimant, "the case list")
    for name in ("Request", "Timeline", "Docket", "Deadlines", "Participants", "Messages", "Analyses", "Exhibits"):
        tab(claimant, case.pk, name)
        assert_no_trace(claimant, f"the {name} tab")
    assert "No exhibits" in text_of(claimant) or "0 exhibits" in text_of(claimant)
    screens.shot(claimant, "claimant-exhibits")
    claimant.fill("input[name=q]", "training ledger")  # words of the title (the page echoes the query itself)
    claimant.get_by_role("button", name="Search").click()
    claimant.wait_for_url("**q=training**")
    assert "No exhibit" in text_of(claimant) or "0 exhibits" in text_of(claimant)
    assert_no_trace(claimant, "the exhibit search")
    screens.shot(claimant, "claimant-search", a11y=False)  # the same page as a checked screen, other data
    claimant.get_by_role("link", name="Notifications").first.click()
    assert_no_trace(claimant, "the notifications")
    screens.shot(claimant, "claimant-notifications")
    response = claimant.goto(f"/cases/{case.pk}/exhibits/{exhibit.pk}/")
    assert response is not None and response.status == 404
    assert_no_trace(claimant, "the exhibit's own URL")

    # 3. The arbitrator sees it, sealed.
    arbitrator = open_as(personas.ada)
    tab(arbitrator, case.pk, "Exhibits")
    row = arbitrator.locator("table.exhibits tbody tr", has_text=TITLE)
    assert NUMBER in row.inner_text() and "Sealed" in row.inner_text()
    screens.shot(arbitrator, "arbitrator-exhibits")
    row.get_by_role("link", name=TITLE).click()
    assert TITLE in text_of(arbitrator)
    screens.shot(arbitrator, "arbitrator-sealed-exhibit")
