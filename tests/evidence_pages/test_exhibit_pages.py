"""Exhibits tab, exhibit page, downloads, custody exports, withdrawal and tier changes — through the pages."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evidence.custody import custody_canonical
from evidence.models import CustodyAction, Exhibit
from evidence.storage import evidence_storage

pytestmark = pytest.mark.django_db


def tab(case, name: str = "exhibits", **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{reverse('case_detail', args=[case.pk])}?tab={name}" + (f"&{query}" if query else "")


@pytest.fixture
def exhibits(personas, evidence_case, file_exhibit):
    """C-1 (parties), R-1 (sealed: for the tribunal only) and R-2 (parties), each with one ingested file."""
    licence = file_exhibit(personas.clara, evidence_case, title="Licence agreement", description="Clause seven")
    sealed = file_exhibit(
        personas.rafael, evidence_case, tier="tribunal", title="Confidential training recipe", description="zebra"
    )
    public = file_exhibit(personas.rafael, evidence_case, title="Model card", kind="other")
    return licence.exhibit, sealed.exhibit, public.exhibit


def test_exhibits_tab_lists_what_each_role_may_see(personas, evidence_case, exhibits, as_user):
    licence, sealed, public = exhibits
    clara = as_user(personas.clara).get(tab(evidence_case)).content.decode()
    assert rows(clara) == {licence.pk, public.pk}
    assert "Confidential training recipe" not in clara and "R-1" not in clara
    assert "2 exhibits" in clara  # the count does not betray the sealed one
    assert licence.files.get().sha256[:12] in clara and "File an exhibit" in clara
    for user in (personas.rafael, personas.ada, personas.greta):
        body = as_user(user).get(tab(evidence_case)).content.decode()
        assert rows(body) == {licence.pk, sealed.pk, public.pk} and "3 exhibits" in body
        assert 'class="tier tier--tribunal"' in body
    # Registrars see everything but do not file evidence.
    assert "File an exhibit" not in as_user(personas.greta).get(tab(evidence_case)).content.decode()
    assert as_user(personas.uma).get(tab(evidence_case)).status_code == 404


def rows(body: str) -> set[int]:
    """Exhibit ids listed in the exhibits table."""
    return {int(chunk.split('"', 1)[0]) for chunk in body.split('data-exhibit="')[1:]}


def test_search_and_filters_never_reveal_a_sealed_exhibit(personas, evidence_case, exhibits, as_user):
    licence, sealed, public = exhibits
    clara, ada = as_user(personas.clara), as_user(personas.ada)
    assert rows(ada.get(tab(evidence_case, q="zebra")).content.decode()) == {sealed.pk}
    body = clara.get(tab(evidence_case, q="zebra")).content.decode()
    assert rows(body) == set() and "training recipe" not in body and "No exhibit you can see matches" in body
    body = clara.get(tab(evidence_case, q="clause")).content.decode()
    assert rows(body) == {licence.pk} and "1 exhibit matches" in body
    assert rows(clara.get(tab(evidence_case, side="respondent")).content.decode()) == {public.pk}
    assert rows(ada.get(tab(evidence_case, side="respondent")).content.decode()) == {sealed.pk, public.pk}
    assert rows(ada.get(tab(evidence_case, kind="other")).content.decode()) == {public.pk}
    assert rows(ada.get(tab(evidence_case, kind="other", q="zebra")).content.decode()) == set()
    # The htmx tab partial is scoped the same way.
    partial = clara.get(reverse("case_tab", args=[evidence_case.pk, "exhibits"]) + "?q=zebra").content.decode()
    assert rows(partial) == set() and "training recipe" not in partial


def test_exhibits_tab_query_count_is_constant(personas, evidence_case, file_exhibit, as_user):
    client = as_user(personas.ada)
    file_exhibit(personas.clara, evidence_case, title="First")
    client.get(tab(evidence_case))  # warm per-process caches (sessions, content types)
    with CaptureQueriesContext(connection) as few:
        assert client.get(tab(evidence_case)).status_code == 200
    for n in range(4):
        file_exhibit(personas.rafael if n % 2 else personas.clara, evidence_case, title=f"More {n}", tier="aeo")
    with CaptureQueriesContext(connection) as many:
        body = client.get(tab(evidence_case)).content.decode()
    assert "More 3" in body
    assert len(many) == len(few)


def test_exhibit_page_shows_files_report_and_custody_and_records_the_view(personas, evidence_case, exhibits, as_user):
    licence, _, _ = exhibits
    url = reverse("exhibit_detail", args=[evidence_case.pk, licence.pk])
    response = as_user(personas.rafael).get(url)
    assert response.status_code == 200
    body = response.content.decode()
    exhibit_file = licence.files.get()
    assert exhibit_file.sha256 in body and "PDF document" in body and "Ingest report" in body
    assert reverse("exhibit_file_download", args=[evidence_case.pk, licence.pk, exhibit_file.pk]) in body
    assert 'data-action="received"' in body and 'data-action="ingested"' in body
    viewed = licence.custody.filter(action=CustodyAction.VIEWED).get()
    assert viewed.actor == personas.rafael and viewed.ip == "127.0.0.1"
    # The other side may neither withdraw nor re-tier it; the filing side may do both.
    assert 'id="withdraw-form"' not in body and 'id="tier-form"' not in body
    mine = as_user(personas.clara).get(url).content.decode()
    assert 'id="withdraw-form"' in mine and 'id="tier-form"' in mine


def test_sealed_exhibit_is_404_for_the_other_side_on_every_route(personas, evidence_case, exhibits, as_user):
    _, sealed, _ = exhibits
    exhibit_file = sealed.files.get()
    job = exhibit_file.job_inputs.get().job
    args = [evidence_case.pk, sealed.pk]
    gets = [
        reverse("exhibit_detail", args=args),
        reverse("exhibit_file_download", args=[*args, exhibit_file.pk]),
        reverse("exhibit_custody_export", args=[*args, "csv"]),
        reverse("exhibit_custody_export", args=[*args, "json"]),
        reverse("job_detail", args=[evidence_case.pk, job.pk]),
        reverse("job_status", args=[evidence_case.pk, job.pk]),
    ]
    posts = [
        reverse("exhibit_withdraw", args=args),
        reverse("exhibit_tier", args=args),
        reverse("job_cancel", args=[evidence_case.pk, job.pk]),
        reverse("job_rerun", args=[evidence_case.pk, job.pk]),
    ]
    before = sealed.custody.count()
    for user in (personas.clara, personas.uma):
        client = as_user(user)
        for url in gets:
            assert client.get(url).status_code == 404, (user, url)
        for url in posts:
            assert client.post(url, {"withdraw-reason": "x", "tier-tier": "parties"}).status_code == 404, (user, url)
    assert sealed.custody.count() == before  # nothing about it was even recorded as viewed
    assert (
        "Confidential training recipe"
        not in as_user(personas.clara).get(tab(evidence_case, "analyses")).content.decode()
    )
    # Those who may see it get the pages.
    for user in (personas.rafael, personas.ada, personas.greta):
        client = as_user(user)
        for url in gets:
            assert client.get(url).status_code == 200, (user, url)


def test_download_is_a_nosniff_attachment_with_a_safe_name_and_is_logged(
    personas, evidence_case, file_exhibit, as_user
):
    data = b"%PDF-1.4\n" + b"x" * 5000
    exhibit_file = file_exhibit(personas.clara, evidence_case, data, filename='..\\..\\etc/pass"wd\r\n.pdf')
    url = reverse("exhibit_file_download", args=[evidence_case.pk, exhibit_file.exhibit_id, exhibit_file.pk])
    response = as_user(personas.rafael).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and 'filename="pass_wd_.pdf"' in disposition
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/octet-stream"
    assert "sandbox" in response["Content-Security-Policy"]
    downloaded = exhibit_file.exhibit.custody.get(action=CustodyAction.DOWNLOADED)
    assert downloaded.actor == personas.rafael and downloaded.file == exhibit_file
    # A file id of another exhibit is not reachable through this exhibit's URL.
    other = file_exhibit(personas.clara, evidence_case, title="Other")
    wrong = reverse("exhibit_file_download", args=[evidence_case.pk, exhibit_file.exhibit_id, other.pk])
    assert as_user(personas.clara).get(wrong).status_code == 404


def test_an_altered_file_blocks_the_download_and_alerts_the_registry(
    personas, evidence_case, file_exhibit, as_user, django_capture_on_commit_callbacks
):
    exhibit_file = file_exhibit(personas.clara, evidence_case)
    path = Path(evidence_storage().path(exhibit_file.storage_name))
    path.chmod(0o640)
    with open(path, "r+b") as handle:
        handle.seek(10)
        handle.write(b"\x00")
    mail.outbox.clear()
    url = reverse("exhibit_file_download", args=[evidence_case.pk, exhibit_file.exhibit_id, exhibit_file.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(personas.rafael).get(url)
    assert response.status_code == 409
    assert "Content-Disposition" not in response
    body = response.content.decode()
    assert "Download blocked" in body and "registry" in body
    mismatch = exhibit_file.exhibit.custody.get(action=CustodyAction.HASH_MISMATCH)
    assert mismatch.details["blocked"] == "download"
    assert not exhibit_file.exhibit.custody.filter(action=CustodyAction.DOWNLOADED).exists()
    assert [m.to for m in mail.outbox if "Integrity alert" in m.subject] == [[personas.greta.email]]


def test_custody_exports_carry_the_verifiable_chain(personas, evidence_case, exhibits, as_user):
    licence, _, _ = exhibits
    client = as_user(personas.rafael)
    client.get(reverse("exhibit_detail", args=[evidence_case.pk, licence.pk]))
    response = client.get(reverse("exhibit_custody_export", args=[evidence_case.pk, licence.pk, "json"]))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")
    export = response.json()
    events = export["events"]
    assert [e["action"] for e in events] == ["received", "ingested", "viewed"]
    licence.refresh_from_db()
    assert export["custody_head"] == licence.custody_head == events[-1]["hash"]
    prev = events[0]["prev_hash"]
    for event in events:  # the export alone is enough to recompute every link of the chain
        from datetime import datetime

        canonical = custody_canonical(
            exhibit_id=export["exhibit"]["id"],
            seq=event["seq"],
            sealed=event["chain"] == "sealed",
            action=event["action"],
            file_id=event["file_id"],
            actor_id=event["actor_id"],
            actor_role=event["actor_role"],
            at=datetime.fromisoformat(event["at"]),
            ip=event["ip"],
            details=event["details"],
            prev_hash=prev,
        )
        assert hashlib.sha256(canonical).hexdigest() == event["hash"]
        prev = event["hash"]
    response = client.get(reverse("exhibit_custody_export", args=[evidence_case.pk, licence.pk, "csv"]))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["action"] for r in rows] == ["received", "ingested", "viewed"]
    assert json.loads(rows[0]["details"])["computed_sha256"] == licence.files.get().sha256
    assert response["X-Content-Type-Options"] == "nosniff"
    assert client.get(reverse("exhibit_custody_export", args=[evidence_case.pk, licence.pk, "xml"])).status_code == 404


def test_withdraw_form(personas, evidence_case, exhibits, as_user):
    licence, _, _ = exhibits
    url = reverse("exhibit_withdraw", args=[evidence_case.pk, licence.pk])
    # The other side cannot withdraw it; an empty reason is refused with the form shown again.
    assert as_user(personas.rafael).post(url, {"withdraw-reason": "mine now"}).status_code == 403
    response = as_user(personas.clara).post(url, {"withdraw-reason": "  "})
    assert response.status_code == 400 and 'id="withdraw-form"' in response.content.decode()
    response = as_user(personas.clara).post(url, {"withdraw-reason": "Superseded by C-2"})
    assert response.status_code == 302 and response["Location"].endswith("?tab=exhibits")
    licence.refresh_from_db()
    assert licence.withdrawn_at is not None and licence.withdrawal_reason == "Superseded by C-2"
    assert licence.custody.filter(action=CustodyAction.WITHDRAWN).exists()
    # Hidden from the other side and from the list; kept on record for the tribunal and the filing side.
    detail = reverse("exhibit_detail", args=[evidence_case.pk, licence.pk])
    assert as_user(personas.rafael).get(detail).status_code == 404
    assert "Licence agreement" not in as_user(personas.ada).get(tab(evidence_case)).content.decode()
    assert "Superseded by C-2" in as_user(personas.ada).get(detail).content.decode()
    assert as_user(personas.clara).post(url, {"withdraw-reason": "again"}).status_code == 403


def test_tier_change_form(personas, evidence_case, exhibits, as_user):
    licence, _, _ = exhibits
    url = reverse("exhibit_tier", args=[evidence_case.pk, licence.pk])
    detail = reverse("exhibit_detail", args=[evidence_case.pk, licence.pk])
    assert as_user(personas.rafael).post(url, {"tier-tier": "tribunal"}).status_code == 403
    response = as_user(personas.clara).post(url, {"tier-tier": "tribunal", "tier-reason": "trade secret"})
    assert response.status_code == 302
    licence.refresh_from_db()
    assert licence.tier == "tribunal"
    changed = licence.custody.get(action=CustodyAction.TIER_CHANGED)
    assert changed.details == {"from": "parties", "to": "tribunal", "reason": "trade secret"}
    assert as_user(personas.rafael).get(detail).status_code == 404
    # The filing side may not relax it (not even offered); the tribunal may.
    page = as_user(personas.clara).get(detail).content.decode()
    assert 'value="parties"' not in page.split('id="tier-form"')[1].split("</form>")[0]
    assert as_user(personas.clara).post(url, {"tier-tier": "parties"}).status_code == 400
    assert Exhibit.objects.get(pk=licence.pk).tier == "tribunal"
    assert as_user(personas.ada).post(url, {"tier-tier": "parties", "tier-reason": "not secret"}).status_code == 302
    assert Exhibit.objects.get(pk=licence.pk).tier == "parties"
    assert as_user(personas.rafael).get(detail).status_code == 200


def test_file_an_exhibit_page(personas, evidence_case, as_user, case_at):
    url = reverse("exhibit_new", args=[evidence_case.pk])
    response = as_user(personas.clara).get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-endpoint="/api/v1/uploads/"' in body and f'data-case="{evidence_case.pk}"' in body
    for script in ("vendor/tus-js-client/tus.min.js", "vendor/hash-wasm/sha256.umd.min.js", "evidence/upload.js"):
        assert script in body
    # Only this page lets hash-wasm compile its WebAssembly; others keep the strict policy.
    assert "script-src 'self' 'wasm-unsafe-eval'" in response["Content-Security-Policy"]
    assert "wasm-unsafe-eval" not in as_user(personas.clara).get(tab(evidence_case))["Content-Security-Policy"]
    assert "Attorneys' eyes only: on the other side" in body.replace("&#x27;", "'")
    assert as_user(personas.greta).get(url).status_code == 403  # registrars do not file evidence
    assert as_user(personas.uma).get(url).status_code == 404


def test_evidence_pages_have_no_inline_scripts_or_styles(personas, evidence_case, exhibits, as_user):
    licence, _, _ = exhibits
    job = licence.files.get().job_inputs.get().job
    client = as_user(personas.clara)
    urls = [
        tab(evidence_case),
        tab(evidence_case, "analyses"),
        reverse("exhibit_new", args=[evidence_case.pk]),
        reverse("exhibit_detail", args=[evidence_case.pk, licence.pk]),
        reverse("job_detail", args=[evidence_case.pk, job.pk]),
    ]
    for url in urls:
        body = client.get(url).content.decode()
        assert "style=" not in body and "<style" not in body, url
        for chunk in body.split("<script")[1:]:
            assert chunk.lstrip().startswith("src="), url
