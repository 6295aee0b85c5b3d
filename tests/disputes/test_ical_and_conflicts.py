from __future__ import annotations

import pytest
from icalendar import Calendar

from disputes.conflicts import find_conflicts, normalise_organisation
from disputes.ical import deadlines_calendar
from disputes.services.events import case_apply_event


def _events(raw: bytes) -> dict[str, object]:
    calendar = Calendar.from_ical(raw)
    return {str(c["uid"]): c for c in calendar.walk("VEVENT")}


@pytest.mark.django_db
def test_feed_lists_only_my_cases_deadlines_and_follows_suspension(case_at, personas):
    case = case_at("notified")
    other = case_at("procedural_setup")
    rafael_feed = _events(deadlines_calendar(personas.rafael))
    answer = case.deadlines.get(key="answer")
    assert f"deadline-{answer.pk}@tribunal" in rafael_feed
    assert all(f"deadline-{d.pk}@tribunal" in rafael_feed for d in other.deadlines.filter(status="open"))  # on both
    uma_feed = _events(deadlines_calendar(personas.uma))
    assert uma_feed == {}
    entry = rafael_feed[f"deadline-{answer.pk}@tribunal"]
    assert case.reference in str(entry["summary"])
    assert entry["dtstart"].dt == answer.due_at

    case_apply_event(case_id=case.pk, event="suspend", actor=personas.greta, payload={"reasons": "Talks"})
    paused = _events(deadlines_calendar(personas.rafael))[f"deadline-{answer.pk}@tribunal"]
    assert "paused" in str(paused["summary"]) and str(paused["status"]) == "TENTATIVE"


def test_conflict_check_normalises_legal_forms_and_matches_whole_words():
    assert normalise_organisation("ACME AI, Inc.") == normalise_organisation("Acme AI Ltd") == "acme ai"
    parties = [("claimant", "Frontier Labs Ltd", []), ("respondent", "Copycat AI Inc.", ["Copycat Holdings"])]
    assert find_conflicts(["University of Somewhere"], parties) == []
    hits = find_conflicts(["copycat holdings limited", "Frontier Labs"], parties)
    assert {(h.party_side, h.matched) for h in hits} == {
        ("respondent", "Copycat Holdings"),
        ("claimant", "Frontier Labs Ltd"),
    }
    assert find_conflicts(["Copycats Anonymous"], parties) == []
