"""Every case route, every method: a user who may not see the case gets 404 (never 403), whether the case exists or
not; the respondent's counsel sees nothing before accepting the invitation; anonymous callers get 401."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from disputes.models import CaseEvent, Filing, Message
from disputes.services.events import case_apply_event

# (url name, method, body): every route under a case. test_every_case_route_is_in_the_matrix keeps it complete.
CASE_ROUTES = [
    ("case-detail", "get", None),
    ("case-detail", "patch", {"title": "Hijacked"}),
    ("case-detail", "delete", None),
    ("case-transitions", "get", None),
    ("case-transitions", "post", {"event": "file_answer", "payload": {"title": "Answer"}}),
    ("case-events", "get", None),
    ("case-deadlines", "get", None),
    ("case-participants", "get", None),
    ("case-docket", "get", None),
    ("case-docket", "post", {"title": "Submission"}),
    ("docket-document", "get", None),
    ("case-messages", "get", None),
    ("case-messages", "post", {"addressed_to": "tribunal", "subject": "Hello", "body": "Psst"}),
]


def _case_route_names() -> set[str]:
    names = set()

    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, pattern.namespace or namespace)
            elif (
                isinstance(pattern, URLPattern)
                and namespace == "api"
                and {"case_pk", "pk"} & set(pattern.pattern.converters)
            ):
                names.add(pattern.name)

    walk(get_resolver().url_patterns)
    return names


def test_every_case_route_is_in_the_matrix():
    assert _case_route_names() == {name for name, _, _ in CASE_ROUTES}


@pytest.fixture
def document_case(served_case, personas):
    upload = SimpleUploadedFile("exhibit.pdf", b"%PDF-1.4 claimant exhibit", content_type="application/pdf")
    case_apply_event(
        case_id=served_case.pk,
        event="file_submission",
        actor=personas.clara,
        payload={"title": "Exhibit C-1"},
        documents=[upload],
    )
    return served_case


def _url(name: str, case_pk: int) -> str:
    if name == "docket-document":
        filing = Filing.objects.filter(case_id=case_pk, documents__isnull=False).first()
        if filing is None:  # a case that does not exist: any numbers will do
            return reverse(f"api:{name}", kwargs={"case_pk": case_pk, "number": 1, "document_pk": 1})
        document = filing.documents.first()
        return reverse(f"api:{name}", kwargs={"case_pk": case_pk, "number": filing.number, "document_pk": document.pk})
    if name == "case-detail":
        return reverse(f"api:{name}", kwargs={"pk": case_pk})
    return reverse(f"api:{name}", kwargs={"case_pk": case_pk})


def _snapshot(case_pk: int) -> tuple:
    return (
        CaseEvent.objects.filter(case_id=case_pk).count(),
        Filing.objects.filter(case_id=case_pk).count(),
        Message.objects.filter(case_id=case_pk).count(),
    )


@pytest.mark.parametrize(("name", "method", "body"), CASE_ROUTES)
@pytest.mark.parametrize("outsider", ["uma", "rafael", "otto"])
def test_outsiders_get_404_and_change_nothing(client_for, document_case, name, method, body, outsider):
    """Uma is unrelated, Rafael has not accepted his invitation yet, Otto is on the roster but not on this case."""
    before = _snapshot(document_case.pk)
    response = getattr(client_for(outsider), method)(_url(name, document_case.pk), body, format="json")
    assert response.status_code == 404, response.content
    assert response.json() == {"detail": "No such case.", "code": "not_found", "errors": {}}
    assert _snapshot(document_case.pk) == before


@pytest.mark.parametrize(("name", "method", "body"), CASE_ROUTES)
def test_an_invisible_case_looks_like_a_missing_one(client_for, document_case, name, method, body):
    invisible = getattr(client_for("uma"), method)(_url(name, document_case.pk), body, format="json")
    missing = getattr(client_for("uma"), method)(_url(name, document_case.pk + 1000), body, format="json")
    assert invisible.status_code == missing.status_code == 404
    assert invisible.json() == missing.json()


@pytest.mark.parametrize(("name", "method", "body"), CASE_ROUTES)
def test_anonymous_callers_get_401(anon, document_case, name, method, body):
    response = getattr(anon, method)(_url(name, document_case.pk), body, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/"),
        ("get", "/api/v1/me/"),
        ("get", "/api/v1/cases/"),
        ("post", "/api/v1/cases/"),
        ("get", "/api/v1/deadlines/"),
        ("get", "/api/v1/deadlines/mine/"),
        ("post", "/api/v1/invitations/accept/"),
        ("delete", "/api/v1/auth/token/"),
        ("get", "/api/schema/"),
        ("get", "/api/docs/"),
    ],
)
def test_anonymous_callers_get_401_outside_cases_too(anon, db, method, path):
    response = getattr(anon, method)(path, {}, format="json")
    assert response.status_code == 401


def test_the_respondent_sees_the_case_once_the_invitation_is_accepted(client_for, served_case, personas):
    from django.utils import timezone

    from disputes.models import Role
    from disputes.services.invitations import invitation_create

    rafael = client_for("rafael")
    assert rafael.get(f"/api/v1/cases/{served_case.pk}/").status_code == 404
    _, token = invitation_create(
        case=served_case, email=personas.rafael.email, role=Role.RESPONDENT, now=timezone.now()
    )
    assert rafael.post("/api/v1/invitations/accept/", {"token": token}, format="json").status_code == 200
    assert rafael.get(f"/api/v1/cases/{served_case.pk}/").status_code == 200
