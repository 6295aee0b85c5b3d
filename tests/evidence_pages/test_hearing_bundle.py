"""Hearing bundles: the tribunal's PDF of chosen docket items and exhibits. The index's page numbers point at the
right pages, every page is numbered, the manifest's hashes are the originals', sealed items are in the tribunal's
bundle and parties can neither make nor see one, outsiders get 404, custody records each exhibit bundled."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from disputes.exceptions import NotPermitted
from disputes.services.events import case_apply_event
from evidence.models import CustodyAction, CustodyEvent, HearingBundle
from evidence.services.hearing_bundles import hearing_bundle_create
from evidence.storage import evidence_storage

SEALED_TITLE = "SEALED-BUNDLE-CANARY-9d2e"


def pdf(*pages: str) -> bytes:
    from weasyprint import HTML

    body = "".join(f'<p style="break-after: page">{text}</p>' for text in pages)
    return HTML(string=f"<html><body>{body}</body></html>").write_pdf()


def text_of(page) -> str:
    return re.sub(r"\s+", " ", page.extract_text() or "")


@pytest.fixture
def bundle_world(evidence_case, personas, file_exhibit):
    case = evidence_case
    event = case_apply_event(
        case_id=case.pk,
        event="file_submission",
        actor=personas.clara,
        payload={"title": "Claimant's skeleton argument"},
        documents=[
            SimpleUploadedFile("skeleton.pdf", pdf("SKELETON-PAGE-ONE", "SKELETON-PAGE-TWO"), "application/pdf"),
            SimpleUploadedFile("notes.txt", b"plain notes", "text/plain"),
        ],
    )
    licence = file_exhibit(
        personas.clara,
        case,
        pdf("LICENCE-PAGE-ONE", "LICENCE-PAGE-TWO", "LICENCE-PAGE-THREE"),
        title="Licence agreement",
        filename="licence.pdf",
    )
    logs = file_exhibit(
        personas.clara,
        case,
        b'{"prompt": "p", "output": "o"}\n',
        kind="model_outputs",
        title="Model outputs",
        filename="log.jsonl",
    )
    sealed = file_exhibit(
        personas.rafael, case, pdf("SEALED-PAGE-CONTENT"), title=SEALED_TITLE, tier="tribunal", filename="s.pdf"
    )
    return {
        "case": case,
        "filing": event.filing,
        "exhibits": [licence.exhibit, logs.exhibit, sealed.exhibit],
        "files": [licence, logs, sealed],
    }


def make_bundle(user, world, django_capture_on_commit_callbacks) -> HearingBundle:
    with django_capture_on_commit_callbacks(execute=True):  # the worker runs the task (eager in tests)
        bundle = hearing_bundle_create(
            user=user,
            case=world["case"],
            title="Hearing bundle for day one",
            filing_ids=[world["filing"].pk],
            exhibit_ids=[e.pk for e in world["exhibits"]],
        )
    bundle.refresh_from_db()
    assert bundle.status == "succeeded", bundle.error
    return bundle


def stored_bundle(user, world) -> HearingBundle:
    """A finished bundle row with a stored PDF, without running the builder (for the access checks)."""
    from django.core.files.base import ContentFile

    data = pdf(SEALED_TITLE)
    name = default_storage.save(f"hearing-bundles/{world['case'].pk}/test.pdf", ContentFile(data))
    return HearingBundle.objects.create(
        case=world["case"],
        requested_by=user,
        title="Stored",
        items=[{"type": "exhibit", "id": world["exhibits"][2].pk}],
        status="succeeded",
        storage_name=name,
        sha256=hashlib.sha256(data).hexdigest(),
        page_count=1,
    )


def read(bundle: HearingBundle) -> PdfReader:
    with default_storage.open(bundle.storage_name, "rb") as handle:
        return PdfReader(io.BytesIO(handle.read()))


@pytest.mark.django_db
def test_tribunal_bundle_has_the_sealed_item_an_index_that_points_right_numbered_pages_and_a_true_manifest(
    bundle_world, personas, django_capture_on_commit_callbacks
):
    before = {f.pk: evidence_storage().open(f.storage_name).read() for f in bundle_world["files"]}
    bundle = make_bundle(personas.ada, bundle_world, django_capture_on_commit_callbacks)
    check_manifest(bundle, bundle_world, before)
    check_custody(bundle, bundle_world, personas)
    reader = read(bundle)
    pages = [text_of(p) for p in reader.pages]
    assert bundle.page_count == len(reader.pages)

    # Every page carries "page N of M".
    for number, text in enumerate(pages, start=1):
        assert f"page {number} of {len(pages)}" in text, (number, text[-120:])

    # The index, on the cover, gives each item's first page; that page is the item's separator.
    titles = [row["title"] for row in bundle.index]
    assert titles == [
        f"Docket No. {bundle_world['filing'].number}: Claimant's skeleton argument",
        *[f"Exhibit {e.label}: {e.title}" for e in bundle_world["exhibits"]],
    ]
    for row in bundle.index:
        assert row["title"][:40] in pages[0]
        assert row["title"][:40] in pages[row["page"] - 1], (row, pages[row["page"] - 1][:200])
    # The cover's index line ends with the page number.
    sealed_row = next(r for r in bundle.index if SEALED_TITLE in r["title"])
    assert sealed_row["sealed"] and SEALED_TITLE in pages[0]

    # Merged PDFs follow their separators, in order; the text file and the log are placeholder pages.
    filing_row, licence_row = bundle.index[0], bundle.index[1]
    assert "SKELETON-PAGE-ONE" in pages[filing_row["page"]]
    assert "SKELETON-PAGE-TWO" in pages[filing_row["page"] + 1]
    assert "plain notes" not in " ".join(pages)
    assert "LICENCE-PAGE-ONE" in pages[licence_row["page"]]
    assert "LICENCE-PAGE-THREE" in pages[licence_row["page"] + 2]
    assert "SEALED-PAGE-CONTENT" in " ".join(pages)
    assert licence_row["pages"] == 1 + 3


def check_manifest(bundle: HearingBundle, bundle_world, before: dict[int, bytes]) -> None:
    """The manifest's hashes are the originals', and the originals are untouched."""
    documents = list(bundle_world["filing"].documents.all())
    expected = {hashlib.sha256(data).hexdigest() for data in before.values()}
    expected |= {hashlib.sha256(d.file.open("rb").read()).hexdigest() for d in documents}
    assert {row["sha256"] for row in bundle.manifest} == expected
    assert len(bundle.manifest) == len(bundle_world["files"]) + len(documents)

    reader = read(bundle)
    manifest_text = "".join(text_of(p) for p in reader.pages[-2:]).replace(" ", "")
    for digest in expected:
        assert digest in manifest_text
    # Each row says where the file is in the bundle: a merged PDF's pages, or its placeholder page.
    placeholder = next(r for r in bundle.manifest if r["name"] == "log.jsonl")
    assert placeholder["treatment"] == "placeholder"
    placeholder_page = text_of(reader.pages[placeholder["pages"][0] - 1]).replace(" ", "")
    assert "log.jsonl" in placeholder_page and placeholder["sha256"] in placeholder_page
    merged = next(r for r in bundle.manifest if r["name"] == "licence.pdf")
    assert merged["treatment"] == "merged" and merged["pages"][1] - merged["pages"][0] == 2
    assert {f.pk: evidence_storage().open(f.storage_name).read() for f in bundle_world["files"]} == before
    assert hashlib.sha256(default_storage.open(bundle.storage_name).read()).hexdigest() == bundle.sha256


def check_custody(bundle: HearingBundle, bundle_world, personas) -> None:
    for exhibit in bundle_world["exhibits"]:
        row = CustodyEvent.objects.get(exhibit=exhibit, action=CustodyAction.BUNDLED)
        # Bundled next to a sealed exhibit: recorded on the tribunal-only chain, out of the parties' sight.
        assert row.sealed and row.details["hearing_bundle"] == bundle.pk and row.actor_id == personas.ada.pk


@pytest.mark.django_db
def test_parties_may_neither_make_nor_see_a_bundle(bundle_world, personas, as_user, django_capture_on_commit_callbacks):
    case = bundle_world["case"]
    with pytest.raises(NotPermitted):
        hearing_bundle_create(
            user=personas.rafael, case=case, title="x", filing_ids=[], exhibit_ids=[bundle_world["exhibits"][2].pk]
        )
    bundle = stored_bundle(personas.ada, bundle_world)
    for name in ("clara", "rafael"):
        client = as_user(getattr(personas, name))
        assert client.get(f"/cases/{case.pk}/hearing-bundles/").status_code == 403
        assert client.post(f"/cases/{case.pk}/hearing-bundles/", {"title": "x", "exhibits": [1]}).status_code == 403
        for suffix in ("", "status/", "bundle.pdf"):
            assert client.get(f"/cases/{case.pk}/hearing-bundles/{bundle.pk}/{suffix}").status_code == 404
        page = client.get(f"/cases/{case.pk}/?tab=docket").content.decode()
        assert "hearing-bundles" not in page and "Prepare a hearing bundle" not in page


@pytest.mark.django_db
def test_unrelated_users_get_404_and_anonymous_sign_in(
    bundle_world, personas, as_user, client, django_capture_on_commit_callbacks
):
    case = bundle_world["case"]
    bundle = stored_bundle(personas.ada, bundle_world)
    assert as_user(personas.ada).get(f"/cases/{case.pk}/hearing-bundles/{bundle.pk}/bundle.pdf").status_code == 200
    urls = [f"/cases/{case.pk}/hearing-bundles/"] + [
        f"/cases/{case.pk}/hearing-bundles/{bundle.pk}/{s}" for s in ("", "status/", "bundle.pdf")
    ]
    for name in ("uma", "otto"):
        user_client = as_user(getattr(personas, name))
        for url in urls:
            assert user_client.get(url).status_code == 404, (name, url)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_the_tribunal_pages_choose_build_and_download(
    bundle_world, personas, as_user, django_capture_on_commit_callbacks
):
    case = bundle_world["case"]
    registry = as_user(personas.greta)  # the registry prepares bundles too
    docket = registry.get(f"/cases/{case.pk}/?tab=docket").content.decode()
    assert f"/cases/{case.pk}/hearing-bundles/" in docket
    filing = bundle_world["filing"]
    assert f'name="filing" value="{filing.pk}" form="bundle-pick"' in docket  # ticked on the docket tab...
    form = registry.get(f"/cases/{case.pk}/hearing-bundles/?filing={filing.pk}")
    assert form.status_code == 200 and SEALED_TITLE in form.content.decode()
    assert f'value="{filing.pk}" id="filing-{filing.pk}" checked' in form.content.decode()  # ...chosen on the next
    empty = registry.post(f"/cases/{case.pk}/hearing-bundles/", {"title": "Nothing"})
    assert empty.status_code == 400 and "Choose at least one" in empty.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        made = registry.post(
            f"/cases/{case.pk}/hearing-bundles/",
            {"title": "Day two", "filings": [bundle_world["filing"].pk], "exhibits": [bundle_world["exhibits"][0].pk]},
        )
    bundle = HearingBundle.objects.get(title="Day two")
    assert made.status_code == 302 and made["Location"] == f"/cases/{case.pk}/hearing-bundles/{bundle.pk}/"
    detail = registry.get(made["Location"]).content.decode()
    assert "Download the PDF" in detail and "Licence agreement" in detail
    download = registry.get(f"/cases/{case.pk}/hearing-bundles/{bundle.pk}/bundle.pdf")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    body = b"".join(download.streaming_content)
    assert hashlib.sha256(body).hexdigest() == bundle.sha256 == download["X-Checksum-SHA256"]
    assert len(PdfReader(io.BytesIO(body)).pages) == bundle.page_count


@pytest.mark.django_db
def test_the_api_prepares_polls_and_downloads_for_the_tribunal_only(bundle_world, personas):
    from rest_framework.test import APIClient

    case = bundle_world["case"]
    clients = {}
    for name in ("ada", "clara", "rafael", "uma"):
        clients[name] = APIClient()
        clients[name].force_login(getattr(personas, name))
    body = {
        "title": "Via the API",
        "filings": [bundle_world["filing"].number],
        "exhibits": [bundle_world["exhibits"][0].pk],
    }
    made = clients["ada"].post(f"/api/v1/cases/{case.pk}/hearing-bundles/", body, format="json")
    assert made.status_code == 202, made.content
    assert made.json()["status"] == "queued" and made.json()["download_url"] is None
    assert HearingBundle.objects.get(pk=made.json()["id"]).items == [
        {"type": "filing", "id": bundle_world["filing"].pk},
        {"type": "exhibit", "id": bundle_world["exhibits"][0].pk},
    ]
    bad = clients["ada"].post(f"/api/v1/cases/{case.pk}/hearing-bundles/", {"filings": [999]}, format="json")
    assert bad.status_code == 400 and "999" in bad.json()["detail"]
    nothing = clients["ada"].post(f"/api/v1/cases/{case.pk}/hearing-bundles/", {}, format="json")
    assert nothing.status_code == 400

    stored = stored_bundle(personas.ada, bundle_world)
    listed = clients["ada"].get(f"/api/v1/cases/{case.pk}/hearing-bundles/").json()["results"]
    assert {row["id"] for row in listed} == {stored.pk, made.json()["id"]}
    detail = clients["ada"].get(f"/api/v1/cases/{case.pk}/hearing-bundles/{stored.pk}/").json()
    assert detail["download_url"] == f"/api/v1/cases/{case.pk}/hearing-bundles/{stored.pk}/download/"
    download = clients["ada"].get(detail["download_url"], HTTP_ACCEPT="application/pdf")
    assert download.status_code == 200 and download["X-Checksum-SHA256"] == stored.sha256
    assert (
        clients["ada"].get(f"/api/v1/cases/{case.pk}/hearing-bundles/{made.json()['id']}/download/").status_code == 409
    )

    for name in ("clara", "rafael"):
        assert clients[name].get(f"/api/v1/cases/{case.pk}/hearing-bundles/").status_code == 403
        assert clients[name].post(f"/api/v1/cases/{case.pk}/hearing-bundles/", body, format="json").status_code == 403
        for suffix in ("", "download/"):
            assert clients[name].get(f"/api/v1/cases/{case.pk}/hearing-bundles/{stored.pk}/{suffix}").status_code == 404
    for suffix in ("", f"{stored.pk}/", f"{stored.pk}/download/"):
        assert clients["uma"].get(f"/api/v1/cases/{case.pk}/hearing-bundles/{suffix}").status_code == 404
        assert APIClient().get(f"/api/v1/cases/{case.pk}/hearing-bundles/{suffix}").status_code == 401


@pytest.mark.django_db
def test_a_bundle_whose_worker_died_is_requeued_and_given_up_after_the_attempts(
    bundle_world, personas, settings, monkeypatch
):
    from datetime import timedelta

    from django.utils import timezone

    from evidence.services import hearing_bundles

    sent: list[int] = []
    monkeypatch.setattr(hearing_bundles, "hearing_bundle_enqueue", lambda *, bundle_id: sent.append(bundle_id))
    now = timezone.now()
    bundle = hearing_bundle_create(
        user=personas.ada, case=bundle_world["case"], title="x", filing_ids=[bundle_world["filing"].pk], exhibit_ids=[]
    )
    HearingBundle.objects.filter(pk=bundle.pk).update(status="running", heartbeat_at=now, attempts=1)
    assert hearing_bundles.hearing_bundles_recover(now=now) == []  # alive: left alone
    assert hearing_bundles.hearing_bundle_run(bundle_id=bundle.pk) == "skipped"  # a duplicate message
    later = now + timedelta(seconds=settings.TRIBUNAL_JOB_STALE_SECONDS + 1)
    assert hearing_bundles.hearing_bundles_recover(now=later) == [bundle.pk] == sent
    bundle.refresh_from_db()
    assert bundle.status == "queued" and bundle.run_token is None
    HearingBundle.objects.filter(pk=bundle.pk).update(attempts=settings.TRIBUNAL_JOB_MAX_ATTEMPTS)
    assert hearing_bundles.hearing_bundle_run(bundle_id=bundle.pk) == "skipped"
    bundle.refresh_from_db()
    assert bundle.status == "failed" and "Gave up" in bundle.error
