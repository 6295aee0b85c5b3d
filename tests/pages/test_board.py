"""The registrar's deadlines board: filters, overdue rows, counts per stage and the time-in-stage chart."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from disputes.models import Deadline

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(case_at):
    submitted = case_at("submitted")  # screening: the registrar's, 3 business days
    notified = case_at("notified")  # Answer: the respondent's, 30 days
    # The screening deadline is made overdue.
    Deadline.objects.filter(case=submitted, key="screening").update(due_at=timezone.now() - timedelta(days=2))
    return submitted, notified


def rows(body: str) -> int:
    return body.count('<tr class="row--')


def board(client, **params):
    response = client.get(reverse("deadline_board"), params)
    assert response.status_code == 200
    return response.content.decode()


def test_only_the_registrar_sees_the_board(personas, cases, as_user):
    for persona in ("clara", "rafael", "ada", "uma"):
        assert as_user(getattr(personas, persona)).get(reverse("deadline_board")).status_code == 404
    assert as_user(personas.greta).get(reverse("deadline_board")).status_code == 200


def test_board_lists_every_open_deadline_with_overdue_rows_standing_out(personas, cases, as_user):
    submitted, notified = cases
    body = board(as_user(personas.greta))
    assert submitted.reference in body and notified.reference in body
    assert rows(body) == 2
    assert body.count('<tr class="row--overdue">') == 1
    assert "overdue — was due 2 days ago" in body
    assert "Cases per stage" in body and "<svg" in body and "Average time in each stage" in body


def test_window_filter(personas, cases, as_user):
    submitted, notified = cases
    client = as_user(personas.greta)
    overdue = board(client, window="overdue")
    assert submitted.reference in overdue and notified.reference not in overdue
    week = board(client, window="7")
    assert rows(week) == 1 and submitted.reference in week
    month = board(client, window="30")
    assert submitted.reference in month


def test_case_responsible_and_stage_filters(personas, cases, as_user):
    _, notified = cases
    client = as_user(personas.greta)
    by_case = board(client, case=notified.reference)
    assert rows(by_case) == 1 and "Answer to the Request" in by_case
    by_side = board(client, responsible="registrar")
    assert rows(by_side) == 1 and "Registry screening of the Request" in by_side
    by_stage = board(client, stage="notified")
    assert rows(by_stage) == 1 and notified.reference in by_stage
    nothing = board(client, responsible="tribunal")
    assert rows(nothing) == 0 and "No open deadline matches these filters." in nothing


def test_invalid_filters_are_ignored_not_errors(personas, cases, as_user):
    body = board(as_user(personas.greta), window="forever", stage="nonsense", page="x")
    assert rows(body) == 2


def test_board_is_paginated(personas, cases, as_user, monkeypatch):
    from disputes.views import board as board_view

    monkeypatch.setattr(board_view, "DEADLINES_PER_PAGE", 1)
    client = as_user(personas.greta)
    first = board(client)
    assert rows(first) == 1 and "Page 1 of 2" in first
    assert rows(board(client, page=2)) == 1


def test_case_list_filters_and_pagination(personas, cases, as_user, monkeypatch):
    from disputes.views import cases as case_views

    submitted, notified = cases
    client = as_user(personas.greta)
    by_state = client.get(reverse("case_list"), {"state": "submitted"}).content.decode()
    assert submitted.reference in by_state and notified.reference not in by_state
    by_search = client.get(reverse("case_list"), {"q": notified.reference}).content.decode()
    assert notified.reference in by_search and submitted.reference not in by_search
    by_party = client.get(reverse("case_list"), {"q": "copycat"}).content.decode()
    assert notified.reference in by_party and submitted.reference in by_party
    monkeypatch.setattr(case_views, "CASES_PER_PAGE", 1)
    assert "Page 1 of 2" in client.get(reverse("case_list")).content.decode()


def test_case_list_empty_state_explains_what_to_do(personas, as_user):
    body = as_user(personas.uma).get(reverse("case_list")).content.decode()
    assert "No cases yet" in body and "start a Request for Arbitration" in body
