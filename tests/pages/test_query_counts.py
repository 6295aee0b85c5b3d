"""The case list, the case page and the deadlines board issue the same number of SQL queries however much data
there is (DESIGN §7): build a little, count; build much more, count again; the counts must be equal."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from disputes.services.events import case_apply_event

pytestmark = pytest.mark.django_db

STATES = ["submitted", "notified", "tribunal_formation", "evidence", "award_issued"]


def count_queries(client, url: str) -> int:
    client.get(url)  # warm up: the session's first write is not the page's doing
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def build(case_at, n: int) -> list:
    return [case_at(STATES[i % len(STATES)]) for i in range(n)]


def grow_case(case, personas, n: int) -> None:
    """More events, filings, documents and messages on the same case."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    for i in range(n):
        case_apply_event(
            case_id=case.pk,
            event="post_message",
            actor=personas.clara,
            payload={"addressed_to": "tribunal", "subject": f"Message {i}", "body": "..."},
        )
        case_apply_event(
            case_id=case.pk,
            event="file_submission",
            actor=personas.rafael,
            payload={"title": f"Submission {i}"},
            documents=[SimpleUploadedFile(f"exhibit-{i}.pdf", f"%PDF {i}".encode())],
        )


@pytest.mark.parametrize("persona", ["greta", "clara"])
def test_case_list_query_count_is_constant(persona, personas, case_at, as_user):
    client = as_user(getattr(personas, persona))
    url = reverse("case_list")
    build(case_at, 2)
    few = count_queries(client, url)
    build(case_at, 10)
    many = count_queries(client, url)
    assert few == many
    assert many <= 12


@pytest.mark.parametrize("tab", ["timeline", "deadlines", "participants", "docket", "messages", "overview"])
def test_case_page_query_count_is_constant(tab, personas, case_at, as_user):
    case = case_at("evidence")
    client = as_user(personas.clara)
    url = f"{reverse('case_detail', args=[case.pk])}?tab={tab}"
    build(case_at, 1)
    grow_case(case, personas, 1)  # an empty page is answered without a query: start with one row of everything
    few = count_queries(client, url)
    build(case_at, 4)
    grow_case(case, personas, 8)
    many = count_queries(client, url)
    assert few == many
    assert many <= 25


def test_deadlines_board_query_count_is_constant(personas, case_at, as_user):
    client = as_user(personas.greta)
    url = reverse("deadline_board")
    build(case_at, 2)
    few = count_queries(client, url)
    build(case_at, 10)
    many = count_queries(client, url)
    assert few == many
    assert many <= 15


def test_dashboard_query_count_is_constant(personas, case_at, as_user):
    build(case_at, 2)
    counts = {}
    for persona in ("clara", "greta"):
        counts[persona] = count_queries(as_user(getattr(personas, persona)), reverse("dashboard"))
    build(case_at, 10)
    for persona in ("clara", "greta"):
        assert count_queries(as_user(getattr(personas, persona)), reverse("dashboard")) == counts[persona]


def test_dashboard_unread_filings_and_analyses_query_count_is_constant(
    personas, case_at, as_user, django_capture_on_commit_callbacks
):
    """Unread filings and finished analyses (with a sealed exhibit's job, hidden from the claimant) on every case:
    the tier checks per case run from roles loaded once, so more cases and jobs cost no more queries."""
    import os

    from tests.evidence.helpers import upload

    def add_cases(n: int) -> None:
        for case in build(case_at, 0) + [case_at("evidence") for _ in range(n)]:
            grow_case(case, personas, 1)
            with django_capture_on_commit_callbacks(execute=True):
                upload(personas.clara, case, b"%PDF-1.4\n" + os.urandom(512), title="Open exhibit")
                upload(personas.rafael, case, b"%PDF-1.4\n" + os.urandom(512), title="Sealed", tier="tribunal")

    add_cases(1)
    personas_ = ("clara", "rafael", "ada")
    counts = {name: count_queries(as_user(getattr(personas, name)), reverse("dashboard")) for name in personas_}
    add_cases(3)
    for name in personas_:
        page = as_user(getattr(personas, name)).get(reverse("dashboard")).content.decode()
        assert "No unread filings" not in page and "No analysis finished" not in page, name
        assert count_queries(as_user(getattr(personas, name)), reverse("dashboard")) == counts[name], name
