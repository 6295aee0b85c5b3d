"""The registrar's deadlines board and each user's own deadlines."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from disputes.models import Deadline


def _keys(response):
    assert response.status_code == 200, response.content
    return [(row["case"]["reference"], row["key"]) for row in response.json()["results"]]


def test_the_board_lists_every_open_deadline_of_every_filed_case(client_for, case_at):
    notified = case_at("notified")
    formation = case_at("tribunal_formation")
    rows = _keys(client_for("greta").get("/api/v1/deadlines/"))
    assert sorted(rows) == sorted([(notified.reference, "answer"), (formation.reference, "nomination")])


def test_the_board_filters_by_responsible_stage_case_and_window(client_for, case_at):
    notified = case_at("notified")
    formation = case_at("tribunal_formation")
    greta = client_for("greta")
    assert _keys(greta.get("/api/v1/deadlines/", {"responsible": "respondent"})) == [(notified.reference, "answer")]
    assert _keys(greta.get("/api/v1/deadlines/", {"stage": "tribunal_formation"})) == [
        (formation.reference, "nomination")
    ]
    assert _keys(greta.get("/api/v1/deadlines/", {"case": formation.reference[-4:]})) == [
        (formation.reference, "nomination")
    ]
    assert _keys(greta.get("/api/v1/deadlines/", {"window": "overdue"})) == []
    Deadline.objects.filter(case=notified, key="answer").update(due_at=timezone.now() - timedelta(hours=1))
    overdue = greta.get("/api/v1/deadlines/", {"window": "overdue"}).json()["results"]
    assert [(row["key"], row["is_overdue"]) for row in overdue] == [("answer", True)]
    assert [row["key"] for row in greta.get("/api/v1/deadlines/", {"window": "7"}).json()["results"]] == ["answer"]


def test_a_bad_board_filter_is_a_400(client_for, db):
    response = client_for("greta").get("/api/v1/deadlines/", {"window": "fortnight", "stage": "draft"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"window", "stage"}


@pytest.mark.parametrize("persona", ["clara", "rafael", "ada", "uma"])
def test_the_board_is_for_the_registry_only(client_for, case_at, persona):
    case_at("procedural_setup")
    response = client_for(persona).get("/api/v1/deadlines/")
    assert response.status_code == 403
    assert response.json()["detail"] == "The deadlines board is for the registry."


def test_the_board_costs_the_same_queries_whatever_the_number_of_deadlines(client_for, case_at):
    greta = client_for("greta")
    case_at("notified")
    greta.get("/api/v1/me/")  # the first request of a session also records it as active

    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert greta.get("/api/v1/deadlines/").status_code == 200
        return len(queries)

    few = cost()
    case_at("tribunal_formation")
    case_at("procedural_setup")
    assert cost() == few


def test_my_deadlines_are_those_of_my_cases(client_for, case_at):
    notified = case_at("notified")
    assert _keys(client_for("rafael").get("/api/v1/deadlines/mine/")) == [(notified.reference, "answer")]
    assert _keys(client_for("clara").get("/api/v1/deadlines/mine/")) == [(notified.reference, "answer")]
    assert _keys(client_for("uma").get("/api/v1/deadlines/mine/")) == []
