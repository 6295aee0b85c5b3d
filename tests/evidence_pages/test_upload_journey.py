"""In Debian's Chromium: file an exhibit with a ~30 MB file, lose the connection mid-upload, get it back (the
upload resumes on its own), lose it again and reload the page, choose the file again: it continues from the
server's offset without a second upload session, reaches 100 %, and the ingest job finishes on the exhibit page.

The live server runs in this process with eager Celery, so the ingest runs inside the last PATCH's request after
its commit. Screenshots go to artifacts/screenshots/ (git-ignored).
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

import pytest
from django.urls import reverse

from evidence.models import Exhibit, ExhibitFile, JobStatus, UploadSession
from tests.journeys import conftest as journeys

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHUNK = 2 * 1024 * 1024
SCREENSHOTS = journeys.SCREENSHOTS
browser = journeys.browser  # the fixtures are shared with the browser journeys
signed_in = journeys.signed_in


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


@pytest.fixture
def evidence_file(tmp_path) -> Path:
    """~30 MB of text: a document the gatekeeper accepts, hashed by the browser in four slices."""
    path = tmp_path / "hearing-transcript.txt"
    with open(path, "w") as handle:
        for n in range(30 * 1024 * 1024 // 64):
            handle.write(f"{n:010d} {os.urandom(26).hex()}\n")
    return path


def test_upload_survives_a_dropped_connection_and_a_reload(
    settings, personas, case_at, signed_in, evidence_file, live_server
):
    settings.EVIDENCE_MAX_CHUNK_BYTES = CHUNK  # 15 chunks: room to interrupt mid-way
    case = case_at("evidence")
    context, page = signed_in(personas.clara)
    posts: list[str] = []
    patches: list[dict[str, str]] = []
    network = {"drop_at_patch": 5, "refuse_patches": False}

    def on_upload_request(route, request):
        if request.method == "POST":
            posts.append(request.url)
        if request.method == "PATCH":
            patches.append(request.headers)
            if len(patches) == network["drop_at_patch"]:
                context.set_offline(True)  # the connection drops while the 5th chunk is on its way
                route.abort("internetdisconnected")
                return
            if network["refuse_patches"]:
                route.abort("connectionreset")
                return
        route.continue_()

    page.route("**/api/v1/uploads/**", on_upload_request)
    page.goto(reverse("exhibit_new", args=[case.pk]))
    page.select_option("#id_kind", "document")
    page.fill("#id_title", "Hearing transcript")
    page.fill("#id_description", "Day one, unredacted.")
    page.check("input[name=tier][value=parties]")
    page.set_input_files("#id_files", str(evidence_file))
    page.click("#upload-button")

    # 1. Offline mid-way: the row says so and keeps what was sent; back online, it resumes by itself.
    row = page.locator(".upload")
    page.wait_for_selector(".upload[data-state=paused]")
    assert "You are offline" in row.locator(".upload__message").inner_text()
    sent_before_drop = int(row.locator("progress").evaluate("bar => bar.value"))
    assert 0 < sent_before_drop < 100
    shot(page, "evidence-upload-1-offline.png")
    network["refuse_patches"] = True  # the connection comes back, but breaks again at once
    patches_before = len(patches)
    context.set_offline(False)
    deadline = 50
    while len(patches) <= patches_before and deadline:
        page.wait_for_timeout(100)
        deadline -= 1
    assert len(patches) > patches_before, "the upload did not resume when the browser came back online"
    session = UploadSession.objects.get()
    assert 0 < session.offset < session.length

    # 2. The user reloads the page (or closes the tab) while it is broken; the server kept its offset.
    page.reload()
    network["refuse_patches"] = False
    notice = page.locator("#resume-notice")
    notice.wait_for(state="visible")
    assert "hearing-transcript.txt" in notice.inner_text()
    shot(page, "evidence-upload-2-after-reload.png")
    offset_at_reload = UploadSession.objects.get().offset
    patches_at_reload = len(patches)
    page.fill("#id_title", "Hearing transcript")
    page.set_input_files("#id_files", str(evidence_file))
    page.click("#upload-button")
    page.wait_for_selector(".upload[data-state=done]", timeout=60_000)
    assert int(row.locator("progress").evaluate("bar => bar.value")) == 100
    assert "received" in row.locator(".upload__stats").inner_text()
    shot(page, "evidence-upload-3-done.png")

    # One upload session only: after the reload it continued at the server's offset, nothing was re-sent.
    assert len(posts) == 1
    assert int(patches[patches_at_reload]["upload-offset"]) == offset_at_reload > 0
    assert all(h["upload-checksum"].startswith("sha256 ") for h in patches)
    stored = ExhibitFile.objects.get()
    assert stored.sha256 == hashlib.sha256(evidence_file.read_bytes()).hexdigest()
    assert stored.size == evidence_file.stat().st_size and stored.original_name == "hearing-transcript.txt"
    assert UploadSession.objects.get().status == UploadSession.Status.COMPLETED

    # 3. The exhibit page: the ingest job has finished (it ran after the last chunk's commit).
    page.click("text=Open C-1")
    page.wait_for_selector(f"#job-{stored.job_inputs.get().job_id}[data-status=succeeded]")
    assert page.locator("#exhibit-status").inner_text() == "Ready"
    assert stored.job_inputs.get().job.status == JobStatus.SUCCEEDED
    shot(page, "evidence-upload-4-exhibit.png")
    page.goto(f"{reverse('case_detail', args=[case.pk])}?tab=analyses")
    assert page.locator(".job[data-status=succeeded]").count() == 1
    shot(page, "evidence-upload-5-analyses.png")
    # Nothing left to resume: tus forgot the finished upload, the page forgot the filing.
    assert page.evaluate("() => localStorage.length") == 0


def test_a_refused_file_gets_a_clear_message_and_files_nothing(personas, case_at, signed_in, tmp_path):
    case = case_at("evidence")
    checkpoint = tmp_path / "model.pt"
    checkpoint.write_bytes(pickle.dumps({"weights": list(range(1000))}, protocol=4))
    _, page = signed_in(personas.clara)
    page.goto(reverse("exhibit_new", args=[case.pk]))
    page.select_option("#id_kind", "model_weights")
    page.fill("#id_title", "Our checkpoint")
    page.set_input_files("#id_files", str(checkpoint))
    page.click("#upload-button")
    page.wait_for_selector(".upload[data-state=rejected]")
    message = page.locator(".upload__message").inner_text()
    assert "pickle" in message and "safetensors" in message
    assert "nothing was filed" in page.locator("#form-error").inner_text()
    assert page.locator("#upload-button").is_enabled()  # correct it and try again
    shot(page, "evidence-upload-6-refused.png")
    assert not Exhibit.objects.exists() and not ExhibitFile.objects.exists()
    assert UploadSession.objects.get().status == UploadSession.Status.REJECTED
