"""Access matrix: every named route of the project (pages, API, downloads, exports, reports, feeds) is listed in one
table with the outcome each role must get, by exhibit tier where the route is about evidence. A route added to the
URL configuration without a row here fails `test_every_route_is_in_the_table`.

Outcomes (GET): ok = served; login = anonymous sent to sign in (pages) or 401 (API); hidden = 404, exactly as for
something that does not exist; forbidden = 403 (only where the object itself is not secret); method = 405 (a POST-only
route), never a 200 or a 500. Roles: anon, uma (unrelated), otto (arbitrator of another case), clara (claimant's
outside counsel), staff (claimant's in-house staff: no attorneys'-eyes-only), rafael (respondent's counsel, who files
the tiered exhibits), ada (this case's arbitrator), greta (registrar).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import URLResolver, get_resolver

from disputes.models import Participant
from evidence import jobs
from evidence.models import ExhibitFile, HearingBundle
from evidence.reports import job_charts
from tests.evidence.helpers import upload

ROLES = ("anon", "uma", "otto", "clara", "staff", "rafael", "ada", "greta")
TIERS = ("parties", "aeo", "tribunal")
CASE_ROLES = {"clara", "staff", "rafael", "ada", "greta"}

# Who may see an exhibit filed by the respondent, per tier (the filing side and the tribunal side see everything).
SEES_TIER = {
    "parties": CASE_ROLES,
    "aeo": {"clara", "rafael", "ada", "greta"},
    "tribunal": {"rafael", "ada", "greta"},
}

# Routes outside the case permission layer, with the reason.
EXCLUDED_PREFIXES = {
    "accounts/": "django-allauth's sign-in, sign-up, email and MFA pages: no case data",
    "admin/": "Django admin: superusers only, not part of the case permission layer",
}


@dataclass(frozen=True)
class Row:
    url: Callable[[dict[str, Any], str], str]
    expect: Callable[[str, str], str]  # (role, tier) -> outcome
    api: bool = False
    tiered: bool = False


def signed_in(outcome_for_signed_in: Callable[[str], str]) -> Callable[[str, str], str]:
    return lambda role, tier: "login" if role == "anon" else outcome_for_signed_in(role)


def case_route(roles: set[str] = CASE_ROLES) -> Callable[[str, str], str]:
    return signed_in(lambda role: "ok" if role in roles else "hidden")


def tier_route(extra: Callable[[str, str], str | None] | None = None) -> Callable[[str, str], str]:
    def expect(role: str, tier: str) -> str:
        if role == "anon":
            return "login"
        if extra and extra(role, tier):
            return extra(role, tier)  # type: ignore[return-value]
        return "ok" if role in SEES_TIER[tier] else "hidden"

    return expect


BUNDLE_ROLES = {"ada", "greta"}  # hearing bundles: the case's arbitrators and the registry
TRIBUNAL_ONLY = signed_in(
    lambda role: "ok" if role in BUNDLE_ROLES else ("forbidden" if role in CASE_ROLES else "hidden")
)


def post_only(visible: Callable[[str, str], bool]) -> Callable[[str, str], str]:
    return lambda role, tier: "login" if role == "anon" else ("method" if visible(role, tier) else "hidden|method")


ROUTES: dict[str, Row] = {
    # --- pages -----------------------------------------------------------------------------------------------------
    "dashboard": Row(lambda c, t: "/", signed_in(lambda r: "ok")),
    "case_list": Row(lambda c, t: "/cases/", signed_in(lambda r: "ok")),
    "request_new": Row(lambda c, t: "/cases/new/", signed_in(lambda r: "ok")),
    "case_detail": Row(lambda c, t: f"/cases/{c['case']}/", case_route()),
    "case_tab": Row(lambda c, t: f"/cases/{c['case']}/tabs/timeline/", case_route()),
    "request_step": Row(lambda c, t: f"/cases/{c['draft']}/request/1/", case_route({"clara"})),
    "request_discard": Row(lambda c, t: f"/cases/{c['draft']}/request/discard/", post_only(lambda r, t: r == "clara")),
    "case_action": Row(lambda c, t: f"/cases/{c['case']}/actions/post_message/", case_route()),
    "document_download": Row(lambda c, t: f"/cases/{c['case']}/documents/{c['document']}/", case_route()),
    # Anonymous visitors get a sign-in page that names nothing (whatever the token); signed-in users a 404.
    "invitation_accept": Row(lambda c, t: "/invitations/not-a-token/", lambda r, t: "ok" if r == "anon" else "hidden"),
    "deadline_board": Row(lambda c, t: "/registry/deadlines/", case_route({"greta"})),
    "notifications": Row(lambda c, t: "/notifications/", signed_in(lambda r: "ok")),
    "notifications_mark_read": Row(lambda c, t: "/notifications/read/", post_only(lambda r, t: True)),
    "outbox": Row(lambda c, t: "/dev/outbox/", case_route({"greta"})),
    "calendar_feed": Row(lambda c, t: "/calendar/not-a-token.ics", lambda r, t: "hidden"),
    "profile": Row(lambda c, t: "/profile/", signed_in(lambda r: "ok")),
    "calendar_regenerate": Row(lambda c, t: "/profile/calendar/regenerate/", post_only(lambda r, t: True)),
    "exhibit_new": Row(
        lambda c, t: f"/cases/{c['case']}/exhibits/new/",
        signed_in(lambda r: {"greta": "forbidden"}.get(r, "ok" if r in CASE_ROLES else "hidden")),
    ),
    "exhibit_detail": Row(lambda c, t: f"/cases/{c['case']}/exhibits/{c['exhibit'][t]}/", tier_route(), tiered=True),
    "exhibit_file_download": Row(
        lambda c, t: f"/cases/{c['case']}/exhibits/{c['exhibit'][t]}/files/{c['file'][t]}/download/",
        tier_route(),
        tiered=True,
    ),
    "exhibit_custody_export": Row(
        lambda c, t: f"/cases/{c['case']}/exhibits/{c['exhibit'][t]}/custody.json",
        tier_route(),
        tiered=True,
    ),
    "exhibit_withdraw": Row(
        lambda c, t: f"/cases/{c['case']}/exhibits/{c['exhibit'][t]}/withdraw/",
        post_only(lambda r, t: r in SEES_TIER[t]),
        tiered=True,
    ),
    "exhibit_tier": Row(
        lambda c, t: f"/cases/{c['case']}/exhibits/{c['exhibit'][t]}/tier/",
        post_only(lambda r, t: r in SEES_TIER[t]),
        tiered=True,
    ),
    "job_detail": Row(lambda c, t: f"/cases/{c['case']}/jobs/{c['job'][t]}/", tier_route(), tiered=True),
    "job_status": Row(lambda c, t: f"/cases/{c['case']}/jobs/{c['job'][t]}/status/", tier_route(), tiered=True),
    "job_cancel": Row(
        lambda c, t: f"/cases/{c['case']}/jobs/{c['job'][t]}/cancel/",
        post_only(lambda r, t: r in SEES_TIER[t]),
        tiered=True,
    ),
    "job_rerun": Row(
        lambda c, t: f"/cases/{c['case']}/jobs/{c['job'][t]}/rerun/",
        post_only(lambda r, t: r in SEES_TIER[t]),
        tiered=True,
    ),
    "order_analysis": Row(
        lambda c, t: f"/cases/{c['case']}/analyses/new/text.similarity/",
        case_route({"clara", "staff", "rafael", "ada"}),
    ),
    "job_report": Row(lambda c, t: f"/cases/{c['case']}/jobs/{c['job'][t]}/report/", tier_route(), tiered=True),
    "job_report_pdf": Row(lambda c, t: f"/cases/{c['case']}/jobs/{c['job'][t]}/report.pdf", tier_route(), tiered=True),
    "job_chart": Row(
        lambda c, t: f"/cases/{c['case']}/jobs/{c['job'][t]}/charts/{c['chart'][t]}.svg",
        tier_route(),
        tiered=True,
    ),
    # The case export holds only what the requester may see, so every role on the case may export.
    "case_export": Row(lambda c, t: f"/cases/{c['case']}/export.zip", case_route()),
    # Hearing bundles are the tribunal's (they may hold sealed items): the parties know the case, so the list is a
    # 403 for them; any bundle itself is a 404.
    "hearing_bundle_list": Row(lambda c, t: f"/cases/{c['case']}/hearing-bundles/", TRIBUNAL_ONLY),
    "hearing_bundle_detail": Row(
        lambda c, t: f"/cases/{c['case']}/hearing-bundles/{c['bundle']}/", case_route(BUNDLE_ROLES)
    ),
    "hearing_bundle_status": Row(
        lambda c, t: f"/cases/{c['case']}/hearing-bundles/{c['bundle']}/status/", case_route(BUNDLE_ROLES)
    ),
    "hearing_bundle_download": Row(
        lambda c, t: f"/cases/{c['case']}/hearing-bundles/{c['bundle']}/bundle.pdf", case_route(BUNDLE_ROLES)
    ),
    "api_schema": Row(lambda c, t: "/api/schema/", signed_in(lambda r: "ok"), api=True),
    "api_docs": Row(lambda c, t: "/api/docs/", signed_in(lambda r: "ok"), api=True),
    # --- API ------------------------------------------------------------------------------------------------------
    "api:token": Row(lambda c, t: "/api/v1/auth/token/", lambda r, t: "login" if r == "anon" else "method", api=True),
    "api:me": Row(lambda c, t: "/api/v1/me/", signed_in(lambda r: "ok"), api=True),
    "api:api-root": Row(lambda c, t: "/api/v1/", signed_in(lambda r: "ok"), api=True),
    "api:case-list": Row(lambda c, t: "/api/v1/cases/", signed_in(lambda r: "ok"), api=True),
    "api:case-detail": Row(lambda c, t: f"/api/v1/cases/{c['case']}/", case_route(), api=True),
    "api:case-transitions": Row(lambda c, t: f"/api/v1/cases/{c['case']}/transitions/", case_route(), api=True),
    "api:case-events": Row(lambda c, t: f"/api/v1/cases/{c['case']}/events/", case_route(), api=True),
    "api:case-deadlines": Row(lambda c, t: f"/api/v1/cases/{c['case']}/deadlines/", case_route(), api=True),
    "api:case-participants": Row(lambda c, t: f"/api/v1/cases/{c['case']}/participants/", case_route(), api=True),
    "api:case-docket": Row(lambda c, t: f"/api/v1/cases/{c['case']}/docket/", case_route(), api=True),
    "api:docket-document": Row(
        lambda c, t: f"/api/v1/cases/{c['case']}/docket/{c['filing']}/documents/{c['document']}/",
        case_route(),
        api=True,
    ),
    "api:case-messages": Row(lambda c, t: f"/api/v1/cases/{c['case']}/messages/", case_route(), api=True),
    "api:deadline-board": Row(
        lambda c, t: "/api/v1/deadlines/", signed_in(lambda r: "ok" if r == "greta" else "forbidden"), api=True
    ),
    "api:my-deadlines": Row(lambda c, t: "/api/v1/deadlines/mine/", signed_in(lambda r: "ok"), api=True),
    "api:invitation-accept": Row(lambda c, t: "/api/v1/invitations/accept/", post_only(lambda r, t: True), api=True),
    # tus answers 412 to any request without its Tus-Resumable header, before looking anything up.
    "evidence_api:uploads": Row(lambda c, t: "/api/v1/uploads/", signed_in(lambda r: "precondition"), api=True),
    "evidence_api:upload": Row(
        lambda c, t: "/api/v1/uploads/00000000-0000-0000-0000-000000000000/",
        signed_in(lambda r: "precondition"),
        api=True,
    ),
    "evidence_api:case-exhibits": Row(lambda c, t: f"/api/v1/cases/{c['case']}/exhibits/", case_route(), api=True),
    "evidence_api:exhibit": Row(
        lambda c, t: f"/api/v1/cases/{c['case']}/exhibits/{c['exhibit'][t]}/", tier_route(), api=True, tiered=True
    ),
    "evidence_api:exhibit-withdraw": Row(
        lambda c, t: f"/api/v1/cases/{c['case']}/exhibits/{c['exhibit'][t]}/withdraw/",
        post_only(lambda r, t: r in SEES_TIER[t]),
        api=True,
        tiered=True,
    ),
    "evidence_api:exhibit-tier": Row(
        lambda c, t: f"/api/v1/cases/{c['case']}/exhibits/{c['exhibit'][t]}/tier/",
        post_only(lambda r, t: r in SEES_TIER[t]),
        api=True,
        tiered=True,
    ),
    "evidence_api:exhibit-file-download": Row(
        lambda c, t: f"/api/v1/cases/{c['case']}/exhibits/{c['exhibit'][t]}/files/{c['file'][t]}/download/",
        tier_route(),
        api=True,
        tiered=True,
    ),
    "evidence_api:exhibit-custody": Row(
        lambda c, t: f"/api/v1/cases/{c['case']}/exhibits/{c['exhibit'][t]}/custody/",
        tier_route(),
        api=True,
        tiered=True,
    ),
    "evidence_api:exhibit-custody-csv": Row(
        lambda c, t: f"/api/v1/cases/{c['case']}/exhibits/{c['exhibit'][t]}/custody.csv",
        tier_route(),
        api=True,
        tiered=True,
    ),
    "evidence_api:case-export": Row(lambda c, t: f"/api/v1/cases/{c['case']}/export/", case_route(), api=True),
    "evidence_api:case-hearing-bundles": Row(
        lambda c, t: f"/api/v1/cases/{c['case']}/hearing-bundles/", TRIBUNAL_ONLY, api=True
    ),
    "evidence_api:hearing-bundle": Row(
        lambda c, t: f"/api/v1/cases/{c['case']}/hearing-bundles/{c['bundle']}/", case_route(BUNDLE_ROLES), api=True
    ),
    "evidence_api:hearing-bundle-download": Row(
        lambda c, t: f"/api/v1/cases/{c['case']}/hearing-bundles/{c['bundle']}/download/",
        case_route(BUNDLE_ROLES),
        api=True,
    ),
    "evidence_api:case-jobs": Row(lambda c, t: f"/api/v1/cases/{c['case']}/jobs/", case_route(), api=True),
    "evidence_api:job": Row(
        lambda c, t: f"/api/v1/cases/{c['case']}/jobs/{c['job'][t]}/", tier_route(), api=True, tiered=True
    ),
    "evidence_api:job-cancel": Row(
        lambda c, t: f"/api/v1/cases/{c['case']}/jobs/{c['job'][t]}/cancel/",
        post_only(lambda r, t: r in SEES_TIER[t]),
        api=True,
        tiered=True,
    ),
    "evidence_api:job-rerun": Row(
        lambda c, t: f"/api/v1/cases/{c['case']}/jobs/{c['job'][t]}/rerun/",
        post_only(lambda r, t: r in SEES_TIER[t]),
        api=True,
        tiered=True,
    ),
}


def _named_routes() -> dict[str, str]:
    found: dict[str, str] = {}

    def walk(patterns: Any, prefix: str = "", namespace: str | None = None) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route, pattern.namespace or namespace)
            elif not route.startswith(tuple(EXCLUDED_PREFIXES)):
                found[(f"{namespace}:" if namespace else "") + (pattern.name or route)] = route

    walk(get_resolver().url_patterns)
    return found


def test_every_route_is_in_the_table():
    routes = _named_routes()
    missing = sorted(set(routes) - set(ROUTES))
    assert not missing, f"routes with no row in the access matrix: {missing}"
    assert not sorted(set(ROUTES) - set(routes)), "rows for routes that no longer exist"


def _outcome(response: Any, *, api: bool) -> str:
    code = response.status_code
    if code >= 500:
        return f"error {code}"
    if code in (401,) or (code == 302 and "/accounts/login/" in response.get("Location", "")):
        return "login"
    if code == 403 and api and "credentials were not provided" in response.content.decode(errors="replace"):
        return "login"
    return {404: "hidden", 403: "forbidden", 405: "method", 412: "precondition"}.get(
        code, "ok" if code < 400 else f"status {code}"
    )


@pytest.fixture
def world(case_at, personas, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from disputes.services.events import case_apply_event

    other = case_at("tribunal_formation")  # otto sits on another case
    case_apply_event(
        case_id=other.pk, event="appoint_arbitrator", actor=personas.greta, payload={"arbitrator": personas.otto.pk}
    )
    case_apply_event(case_id=other.pk, event="file_declaration", actor=personas.otto, payload={"independent": True})
    case = case_at("evidence")
    staff = personas.clara.__class__.objects.create_user(email="staff@frontier.example", password="x" * 16)
    Participant.objects.create(case=case, user=staff, role="claimant", is_outside_counsel=False)
    draft = case_at("draft")
    event = case_apply_event(
        case_id=case.pk,
        event="file_submission",
        actor=personas.rafael,
        payload={"title": "Letter"},
        documents=[SimpleUploadedFile("l.pdf", b"%PDF-1.4 x")],
    )
    filing = event.filing
    lines = "".join(f'{{"prompt": "prompt {i}", "output": "answer number {i} about topic {i}"}}\n' for i in range(8))
    ours = upload(personas.clara, case, lines.encode(), kind="model_outputs", title="Ours")
    context: dict[str, Any] = {
        "case": case.pk,
        "draft": draft.pk,
        "filing": filing.number,
        "document": filing.documents.get().pk,
        "exhibit": {},
        "file": {},
        "job": {},
    }
    for tier in TIERS:
        theirs = upload(
            personas.rafael,
            case,
            (lines + f'{{"prompt": "extra", "output": "{tier}"}}\n').encode(),
            kind="model_outputs",
            title=f"Respondent {tier}",
            tier=tier,
        )
        ExhibitFile.objects.filter(pk__in=[ours.pk, theirs.pk]).update(status=ExhibitFile.Status.OK)
        with mock.patch("evidence.jobs.job_enqueue"):
            job = jobs.job_create(
                case=case,
                kind="text.similarity",
                inputs=[(ours, "a"), (theirs, "b")],
                parameters={"use_embeddings": False},
                created_by_id=personas.ada.pk,
            )
        assert jobs.job_run(job_id=job.pk, worker="matrix") == "succeeded"
        context["exhibit"][tier], context["file"][tier], context["job"][tier] = theirs.exhibit_id, theirs.pk, job.pk
        job.refresh_from_db()
        context.setdefault("chart", {})[tier] = sorted(job_charts(job))[0]
    pdf = b"%PDF-1.4 stored hearing bundle"
    context["bundle"] = HearingBundle.objects.create(
        case=case,
        requested_by=personas.ada,
        title="Day one",
        items=[{"type": "exhibit", "id": context["exhibit"]["tribunal"]}],
        status="succeeded",
        storage_name=default_storage.save(f"hearing-bundles/{case.pk}/matrix.pdf", ContentFile(pdf)),
        sha256=hashlib.sha256(pdf).hexdigest(),
        page_count=1,
    ).pk
    users = {name: getattr(personas, name) for name in ("uma", "otto", "clara", "rafael", "ada", "greta")}
    users["staff"] = staff
    return context, users


@pytest.mark.django_db
def test_access_matrix(world, client):
    context, users = world
    cells = 0
    failures = []
    for name, row in sorted(ROUTES.items()):
        for tier in TIERS if row.tiered else ("parties",):
            url = row.url(context, tier)
            for role in ROLES:
                client.logout()
                if role != "anon":
                    client.force_login(users[role])
                response = client.get(url)
                got = _outcome(response, api=row.api)
                expected = row.expect(role, tier)
                cells += 1
                if got not in expected.split("|"):
                    failures.append(f"{name} [{tier}] as {role}: expected {expected}, got {got} ({url})")
    print(f"access matrix: {cells} cells checked ({len(ROUTES)} routes x {len(ROLES)} roles x tiers)")
    assert not failures, "\n".join(failures)
