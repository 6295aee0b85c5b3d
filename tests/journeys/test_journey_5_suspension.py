"""Journey 5: the registrar suspends a case and later resumes it; the open deadline's due date moves by the time
the case was paused, on the case page and in the party's iCalendar feed (the secret address from the profile page).

The clock: a real suspension lasts days, a test seconds. Between "suspend" and "resume" the test moves the
suspension back in time by editing the paused deadline's `paused_at` (and its history entry) in the database —
exactly what ten days of waiting would have left there. No clock library is in the requirements, and the live
server's thread would not see a patched clock in the test's thread anyway.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from icalendar import Calendar

from disputes import clock
from disputes.models import Deadline
from tests.journeys.conftest import TABLET, do_action, stage_of, tab, text_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAUSED_FOR = timedelta(days=10)


def shown_due(page, case_pk: int, label: str) -> tuple[datetime, str]:
    """The due date in the Deadlines tab's row for `label`: the machine-readable instant and the row's text."""
    tab(page, case_pk, "Deadlines")
    row = page.locator("tr", has_text=label).first
    return datetime.fromisoformat(row.locator("time").get_attribute("datetime")), row.inner_text()


def feed_start(page, feed_url: str, uid: str) -> tuple[datetime, str]:
    """DTSTART and SUMMARY of one event in the iCalendar feed, fetched the way a calendar app would (no session)."""
    response = page.request.get(feed_url)
    assert response.ok and response.headers["content-type"].startswith("text/calendar")
    for event in Calendar.from_ical(response.body()).walk("VEVENT"):
        if str(event["uid"]) == uid:
            return event.decoded("dtstart"), str(event["summary"])
    raise AssertionError(f"{uid} is not in the feed")


def test_suspension_shifts_the_deadlines_on_the_page_and_in_the_feed(personas, case_at, open_as, screens):
    case = case_at("notified")
    answer = Deadline.objects.get(case=case, key="answer")
    uid = f"deadline-{answer.pk}@tribunal"
    registrar = open_as(personas.greta)
    respondent = open_as(personas.rafael)

    # 1. The respondent's calendar feed address, from the profile page; the Answer is in it.
    respondent.get_by_role("link", name=personas.rafael.display_name).click()
    feed_url = respondent.input_value("#feed-url")
    assert feed_url.startswith("http") and "/calendar/" in feed_url
    screens.shot(respondent, "profile-feed")
    feed_before, _ = feed_start(respondent, feed_url, uid)
    due_before, _ = shown_due(registrar, case.pk, answer.label)
    assert feed_before == due_before
    screens.shot(registrar, "deadlines-before")

    # 2. Suspend (a confirmed, reasoned step): every clock stops.
    do_action(registrar, case.pk, "Suspend the proceedings", {"#id_reasons": "The parties asked to mediate."}, True)
    assert stage_of(registrar, case.pk) == "Suspended"
    _, row = shown_due(registrar, case.pk, answer.label)
    assert "paused (case suspended)" in row
    screens.shot(registrar, "deadlines-suspended", a11y=False)  # the same page as a checked screen, other data
    _, summary = feed_start(respondent, feed_url, uid)
    assert "paused" in summary

    # 3. Ten days pass (see the module docstring).
    answer.refresh_from_db()
    assert answer.paused_at is not None
    paused_at = answer.paused_at - PAUSED_FOR
    history = [
        {**item, "at": paused_at.isoformat()} if item.get("type") == "pause" else item for item in answer.history
    ]
    Deadline.objects.filter(pk=answer.pk).update(paused_at=paused_at, history=history)

    # 4. Resume: the Answer is now due the time that remained later, counted from today.
    do_action(registrar, case.pk, "Resume the proceedings", {"#id_note": "Mediation failed."})
    assert stage_of(registrar, case.pk) == "Notified"
    due_after, row = shown_due(registrar, case.pk, answer.label)
    resumed = datetime.fromisoformat(Deadline.objects.get(pk=answer.pk).history[-1]["at"])
    assert due_after == clock.resume_due(due_before, paused_at, resumed)
    shift = due_after - due_before
    assert PAUSED_FOR - timedelta(days=1) <= shift <= PAUSED_FOR + timedelta(days=3), shift  # business-day rounding
    assert "Resumed with the time that remained" in row
    screens.shot(registrar, "deadlines-resumed", a11y=False)  # the same page as a checked screen, other data

    # 5. The feed moves the same event (same UID) to the new date.
    feed_after, summary = feed_start(respondent, feed_url, uid)
    assert feed_after == due_after and feed_after != feed_before and "paused" not in summary

    # 6. The respondent's case page on a tablet (820 x 1180): the tab bar stays on one row.
    tablet = open_as(personas.rafael, viewport=TABLET)
    tablet.goto(f"/cases/{case.pk}/?tab=deadlines")
    assert answer.label in text_of(tablet)
    bar = tablet.locator(".tabs__bar")
    tops = {round(box["y"]) for box in (link.bounding_box() for link in bar.locator("a").all()) if box}
    assert len(tops) == 1, f"the tab bar wraps onto {len(tops)} rows"
    assert tablet.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
    screens.shot(tablet, "tablet-case-page")
    tablet.goto("/")
    screens.shot(tablet, "respondent-dashboard-tablet")
