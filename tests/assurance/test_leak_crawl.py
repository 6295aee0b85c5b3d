"""Leak crawl: seed canary strings into a sealed (tribunal-tier) exhibit — its title, description, extracted text,
an analysis report that read it and its custody — then crawl every page and API response reachable from the
dashboard as each role not entitled to it, following links, tabs, pagination, search and exports. No canary may
appear anywhere, nor in their email. The same crawl as the arbitrator must find the canaries (so it can fail)."""

from __future__ import annotations

import json
import re
from collections import deque
from unittest import mock
from urllib.parse import urljoin, urlsplit

import pytest
from django.core import mail

from evidence import jobs
from evidence.models import ExhibitFile
from tests.evidence.helpers import upload

CANARY_TITLE = "CANARY-TITLE-7f3a9c"
CANARY_DESCRIPTION = "CANARY-DESCRIPTION-51b2"
CANARY_TEXT = "CANARY-EXTRACTED-TEXT-c0d4"
CANARIES = (CANARY_TITLE, CANARY_DESCRIPTION, CANARY_TEXT)
SEARCH = "CANARY"  # what an outsider might guess: a prefix, so an echo of the query is not itself a canary
HREF = re.compile(r"""(?:href|hx-get|action)=["']([^"'#]+)""")
SKIP = ("/accounts/logout", "/static/", "/admin/", "/api/docs", "/api/schema")
MAX_PAGES = 600


def _links(base: str, response) -> list[str]:
    content_type = response.get("Content-Type", "")
    body = response.content.decode(errors="replace") if not response.streaming else ""
    found: list[str] = []
    if "html" in content_type:
        found = HREF.findall(body)
    elif "json" in content_type:

        def walk(value):
            if isinstance(value, dict):
                for item in value.values():
                    yield from walk(item)
            elif isinstance(value, list):
                for item in value:
                    yield from walk(item)
            elif isinstance(value, str) and value.startswith(("/", "http://testserver/")):
                yield value

        found = list(walk(json.loads(body or "null")))
    urls = []
    for href in found:
        url = urljoin(base, href.replace("&amp;", "&"))
        parts = urlsplit(url)
        if parts.netloc not in ("", "testserver") or url.startswith(("mailto:", "javascript:")):
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if not path.startswith(SKIP):
            urls.append(path)
    return urls


def crawl(client, starts: list[str]) -> tuple[int, list[tuple[str, str]]]:
    seen: set[str] = set()
    queue = deque(starts)
    hits: list[tuple[str, str]] = []
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode(errors="replace")
        hits += [(url, canary) for canary in CANARIES if canary in text]
        if response.status_code == 200 and not response.streaming:
            queue.extend(u for u in _links(url, response) if u not in seen)
    return len(seen), hits


@pytest.fixture
def sealed_world(case_at, personas, django_capture_on_commit_callbacks):
    case = case_at("evidence")
    with django_capture_on_commit_callbacks(execute=True):
        public = upload(
            personas.clara,
            case,
            b'{"prompt": "p1", "output": "the same answer"}\n',
            kind="model_outputs",
            title="Claimant outputs",
        )
        sealed = upload(
            personas.rafael,
            case,
            f"{CANARY_TEXT} appears only inside the sealed file.\n".encode(),
            kind="document",
            title=CANARY_TITLE,
            description=CANARY_DESCRIPTION,
            tier="tribunal",
        )
    sealed_outputs = upload(
        personas.rafael,
        case,
        b'{"prompt": "p1", "output": "the same answer"}\n',
        kind="model_outputs",
        title=f"{CANARY_TITLE} outputs",
        tier="tribunal",
    )
    ExhibitFile.objects.filter(pk__in=[public.pk, sealed_outputs.pk]).update(status=ExhibitFile.Status.OK)
    with mock.patch("evidence.jobs.job_enqueue"):
        job = jobs.job_create(
            case=case,
            kind="text.similarity",
            inputs=[(public, "a"), (sealed_outputs, "b")],
            parameters={"use_embeddings": False},
            created_by_id=personas.ada.pk,
        )
    assert jobs.job_run(job_id=job.pk, worker="crawl") == "succeeded"
    return case, sealed


@pytest.mark.django_db
def test_no_sealed_canary_reaches_roles_not_entitled(sealed_world, personas, client):
    case, _ = sealed_world
    starts = [
        "/",
        "/cases/",
        f"/cases/{case.pk}/",
        "/notifications/",
        "/api/v1/cases/",
        f"/api/v1/cases/{case.pk}/",
        f"/api/v1/cases/{case.pk}/exhibits/",
        f"/api/v1/cases/{case.pk}/jobs/",
        f"/api/v1/cases/{case.pk}/events/",
        f"/api/v1/cases/{case.pk}/exhibits/?q={SEARCH}",
        f"/cases/{case.pk}/?tab=exhibits&q={SEARCH}",
        f"/cases/{case.pk}/?tab=exhibits&q=sealed",
    ]
    for tab in ("request", "timeline", "deadlines", "participants", "docket", "messages", "exhibits", "analyses"):
        starts.append(f"/cases/{case.pk}/?tab={tab}")
    crawled = 0
    for name in ("clara", "uma", "otto"):
        client.force_login(getattr(personas, name))
        pages, hits = crawl(client, starts)
        crawled += pages
        assert hits == [], f"{name} saw sealed material: {hits[:5]}"
        for message in mail.outbox:
            if getattr(personas, name).email in message.to:
                text = message.body + "".join(str(a[0]) for a in getattr(message, "alternatives", []))
                assert not any(canary in text for canary in CANARIES), f"email to {name} leaks: {message.subject}"
    print(f"leak crawl: {crawled} responses checked for {len(CANARIES)} canaries, 0 hits")
    assert crawled > 60  # the crawl really walked the case

    # Positive control: the tribunal reaches the sealed material by the same crawl.
    client.force_login(personas.ada)
    _, ada_hits = crawl(client, starts)
    assert {canary for _, canary in ada_hits} == set(CANARIES)
