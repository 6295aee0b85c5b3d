"""Hostile inputs: one harness tries the whole corpus through the real HTTP entry points and prints one total.

Uploads go through the tus endpoint (create, then one PATCH) with the ingest job run on commit, exactly as a client
drives them; requests go to the JSON API and the page forms. For every input the harness asserts:
- the outcome the corpus names: a 4xx whose message says what is wrong, or (for what only ingest can judge) a
  quarantined exhibit with its reason, or a flag in the ingest report, or an inert stored blob;
- no response is a 5xx and no job ends in an internal error;
- no code ran: every pickle payload would create a file in a canary directory, which stays empty;
- no file is written outside storage: the test's whole temporary tree (staging, media, evidence storage and a
  private TMPDIR for anything that uses `tempfile`) gains exactly the one stored blob, or nothing when refused;
- no partial rows: exhibits, files, custody events, upload sessions, filings and messages change by exactly what
  the outcome implies, and no upload is left half-received.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from disputes.models import CaseEvent, Filing, FilingDocument, Message
from evidence.models import AnalysisJob, CustodyAction, CustodyEvent, Exhibit, ExhibitFile, JobStatus, UploadSession
from evidence.services.uploads import staging_path
from tests.assurance import hostile_corpus as corpus
from tests.assurance.hostile_corpus import UploadCase

TUS: dict[str, Any] = {"HTTP_TUS_RESUMABLE": "1.0.0"}
OCTETS = "application/offset+octet-stream"
COUNTED = (Exhibit, ExhibitFile, CustodyEvent, UploadSession, Filing, FilingDocument, Message, CaseEvent)
# Where a traversal or absolute name would land if anything extracted or saved by name.
OUTSIDE_TARGETS = [Path("/tmp/evil"), Path("/etc/cron.d/evil"), Path.cwd().parent.parent / "etc/cron.d/evil"]


@dataclass
class Tally:
    tried: int = 0
    failures: list[str] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)

    def fail(self, name: str, problem: str) -> None:
        self.failures.append(f"{name}: {problem}")
        self.failed.add(name)


@dataclass(frozen=True)
class RequestCase:
    name: str
    send: Callable[[], Any]
    status: int
    message: str


def _files(root: Path) -> set[str]:
    return {str(Path(d, f).relative_to(root)) for d, _, files in os.walk(root) for f in files}


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def _detail(response: Any) -> str:
    if response.get("Content-Type", "").startswith("application/json"):
        return str(response.json().get("detail", ""))
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode("utf-8", "replace")))


def _meta(**fields: Any) -> str:
    return ",".join(f"{k} {base64.b64encode(str(v).encode()).decode()}" for k, v in fields.items())


class Harness:
    def __init__(self, case: Any, api: Any, page: Any, root: Path, canary: Path) -> None:
        # Clients typed Any: the test clients take raw WSGI keys (HTTP_*, CONTENT_LENGTH) their stubs do not list.
        self.case, self.api, self.page, self.root, self.canary = case, api, page, root, canary
        self.tally = Tally()

    def _invariants(self, name: str, responses: list[Any], before: set[str], new_blobs: int) -> None:
        for response in responses:
            if response.status_code >= 500:
                self.tally.fail(name, f"{response.status_code} from {response.request['PATH_INFO']}")
        if any(self.canary.iterdir()):
            self.tally.fail(name, f"code ran: {sorted(p.name for p in self.canary.iterdir())}")
        added = _files(self.root) - before
        blobs = {f for f in added if f.startswith("evidence/")}
        if len(blobs) != new_blobs or added - blobs:
            self.tally.fail(name, f"files written: {sorted(added)[:5]} (expected {new_blobs} stored blob(s))")
        if list((self.root / "systmp").iterdir()):
            self.tally.fail(name, "temporary files left behind")
        created = [str(p) for p in OUTSIDE_TARGETS if p.exists()]
        if created:
            self.tally.fail(name, f"written outside storage: {created}")
        crashed = AnalysisJob.objects.filter(status=JobStatus.FAILED, error__startswith="Internal error")
        if crashed.exists():
            self.tally.fail(name, f"a job crashed: {crashed.first().error}")  # type: ignore[union-attr]

    # --- uploads ---------------------------------------------------------------------------------------------------

    def _tus(self, item: UploadCase) -> list[Any]:
        length = len(item.data) if item.length is None else item.length
        metadata = _meta(
            case=self.case.pk,
            filename=item.filename,
            sha256=hashlib.sha256(item.data).hexdigest(),
            kind=item.kind,
            title=item.name[:300],
            tier="parties",
        )
        created = self.api.post(
            "/api/v1/uploads/", HTTP_UPLOAD_LENGTH=str(length), HTTP_UPLOAD_METADATA=metadata, **TUS
        )
        if created.status_code != 201:
            return [created]
        extra = {"CONTENT_LENGTH": str(item.content_length)} if item.content_length is not None else {}
        checksum = "sha256 " + base64.b64encode(hashlib.sha256(item.data).digest()).decode()
        patched = self.api.generic(
            "PATCH",
            created["Location"],
            item.data,
            content_type=OCTETS,
            HTTP_UPLOAD_OFFSET="0",
            HTTP_UPLOAD_CHECKSUM=checksum,
            **TUS,
            **extra,
        )
        return [created, patched]

    def try_upload(self, item: UploadCase, capture: Any) -> None:
        self.tally.tried += 1
        before_files, before = _files(self.root), _counts()
        sessions_before = set(UploadSession.objects.values_list("pk", flat=True))
        with capture(execute=True):
            responses = self._tus(item)
        last = responses[-1]
        after = _counts()
        delta = {model: after[model] - before[model] for model in after}
        session = UploadSession.objects.exclude(pk__in=sessions_before).first()
        if item.expect == "refused":
            self._check_refused(item, last, delta, session)
            self._invariants(item.name, responses, before_files, new_blobs=0)
            return
        if last.status_code != 204 or session is None or session.result_file_id is None:
            self.tally.fail(item.name, f"not stored: {last.status_code} {_detail(last)[:200]}")
            self._invariants(item.name, responses, before_files, new_blobs=0)
            return
        stored = ExhibitFile.objects.select_related("exhibit").get(pk=session.result_file_id)
        if delta["Exhibit"] != 1 or delta["ExhibitFile"] != 1 or delta["UploadSession"] != 1:
            self.tally.fail(item.name, f"rows changed by {delta}")
        self._check_ingested(item, stored)
        if item.check is not None and (problem := item.check(stored)):
            self.tally.fail(item.name, problem)
        responses.append(self._check_download(item, stored))
        self._invariants(item.name, responses, before_files, new_blobs=1)

    def _check_refused(self, item: UploadCase, last: Any, delta: dict[str, int], session: Any) -> None:
        detail = _detail(last)
        if not 400 <= last.status_code < 500 or item.message.lower() not in detail.lower():
            self.tally.fail(item.name, f"expected a 4xx saying {item.message!r}; got {last.status_code} {detail[:300]}")
        if any(delta[model] for model in ("Exhibit", "ExhibitFile", "CustodyEvent", "Filing", "Message")):
            self.tally.fail(item.name, f"partial rows: {delta}")
        if session is None:
            return
        if session.status == UploadSession.Status.RECEIVING:
            # Refused before a byte was written (a chunk that overruns or lies about its length): nothing staged;
            # the client terminates it, as the tus protocol expects.
            part = staging_path(session.pk)
            if session.offset != 0 or (part.exists() and part.stat().st_size):
                self.tally.fail(item.name, f"half-received upload: offset {session.offset}")
            self.api.delete(f"/api/v1/uploads/{session.pk}/", **TUS)
        elif session.status != UploadSession.Status.REJECTED or not session.failure:
            self.tally.fail(item.name, f"upload session left {session.status} without a reason")

    def _check_ingested(self, item: UploadCase, stored: ExhibitFile) -> None:
        ingest = AnalysisJob.objects.filter(kind="ingest", inputs__file=stored).first()
        if ingest is None or ingest.status != JobStatus.SUCCEEDED:
            self.tally.fail(item.name, f"ingest did not finish: {ingest and ingest.status} {ingest and ingest.error}")
            return
        report = stored.ingest_report or {}
        warnings = " ".join(report.get("warnings", []))
        actions = set(stored.exhibit.custody.values_list("action", flat=True))
        if item.expect == "quarantined":
            ok = (
                stored.status == ExhibitFile.Status.QUARANTINED
                and stored.exhibit.status == Exhibit.Status.QUARANTINED
                and item.message.lower() in stored.quarantine_reason.lower()
                and CustodyAction.QUARANTINED in actions
            )
            if not ok:
                self.tally.fail(item.name, f"not quarantined for {item.message!r}: {stored.status} {report}"[:400])
        elif item.expect == "flagged":
            if item.message.lower() not in warnings.lower():
                self.tally.fail(item.name, f"not flagged with {item.message!r}: {report}"[:400])
        elif stored.status == ExhibitFile.Status.QUARANTINED and item.expect == "stored":
            self.tally.fail(item.name, f"unexpectedly quarantined: {stored.quarantine_reason}")

    def _check_download(self, item: UploadCase, stored: ExhibitFile) -> Any:
        """A stored file comes back as an attachment whose name carries no path, control or bidi character."""
        if stored.status == ExhibitFile.Status.QUARANTINED:
            return self.api.get(f"/api/v1/cases/{self.case.pk}/exhibits/{stored.exhibit_id}/")
        response = self.api.get(
            f"/api/v1/cases/{self.case.pk}/exhibits/{stored.exhibit_id}/files/{stored.pk}/download/"
        )
        disposition = unquote(response.get("Content-Disposition", ""))
        if response.status_code != 200 or not disposition.startswith("attachment"):
            self.tally.fail(item.name, f"download: {response.status_code} {disposition!r}")
        name = disposition.split("filename", 1)[-1]
        if re.search(r"[\x00-\x1f\x7f\u202a-\u202e\u200b-\u200f\u2066-\u2069/\\]", name):
            self.tally.fail(item.name, f"unsafe download name {disposition!r}")
        if response.get("X-Content-Type-Options") != "nosniff":
            self.tally.fail(item.name, "download without nosniff")
        if response.streaming:
            b"".join(response.streaming_content)  # close the file the download opened
        return response

    # --- plain requests --------------------------------------------------------------------------------------------

    def try_request(self, item: RequestCase) -> None:
        self.tally.tried += 1
        before_files, before = _files(self.root), _counts()
        response = item.send()
        detail = _detail(response)
        if response.status_code != item.status or item.message.lower() not in detail.lower():
            self.tally.fail(
                item.name, f"expected {item.status} saying {item.message!r}; got {response.status_code} {detail[:300]}"
            )
        if _counts() != before:
            self.tally.fail(item.name, f"rows changed: {before} -> {_counts()}")
        self._invariants(item.name, [response], before_files, new_blobs=0)


def request_cases(case: Any, api: Any, page: Any) -> list[RequestCase]:
    docket = f"/api/v1/cases/{case.pk}/docket/"
    messages = f"/api/v1/cases/{case.pk}/messages/"
    transitions = f"/api/v1/cases/{case.pk}/transitions/"
    action = f"/cases/{case.pk}/actions/file_submission/"
    deep_arrays, deep_objects = corpus.deep_json(), corpus.deep_json(objects=True)
    big = "x" * (3 * 1024 * 1024)

    def files(count: int) -> list[SimpleUploadedFile]:
        return [SimpleUploadedFile(f"doc{i}.txt", b"x") for i in range(count)]

    def post_json(url: str, body: str) -> Callable[[], Any]:
        return lambda: api.post(url, body, content_type="application/json")

    return [
        RequestCase("API: 100 000-deep JSON arrays (docket)", post_json(docket, deep_arrays), 400, "nested too deeply"),
        RequestCase("API: 100 000-deep JSON objects (messages)", post_json(messages, deep_objects), 400, "nested"),
        RequestCase("API: 100 000-deep JSON (transitions)", post_json(transitions, deep_objects), 400, "nested"),
        RequestCase(
            "API: 100 000-deep JSON inside a field",
            post_json(messages, '{"addressed_to": "tribunal", "subject": ' + deep_arrays + ', "body": "b"}'),
            400,
            "nested",
        ),
        RequestCase(
            "API: 3 MB JSON body",
            post_json(docket, corpus.json_body(title="t", body=big)),
            413,
            "exceed 2,097,152 bytes",
        ),
        RequestCase(
            "API: 100 000-character title",
            post_json(docket, corpus.json_body(title="t" * 100_000, body="b")),
            400,
            "at most 300 characters",
        ),
        RequestCase(
            "API: 101 files in one multipart request",
            lambda: api.post(docket, {"title": "t", "body": "b", "documents": files(101)}, format="multipart"),
            400,
            "at most 20 files",
        ),
        RequestCase(
            "API: 3 MB multipart text field",
            lambda: api.post(docket, {"title": "t", "body": big}, format="multipart"),
            413,
            "too large",
        ),
        RequestCase(
            "API: 600 multipart fields",
            lambda: api.post(docket, {f"f{i}": "x" for i in range(600)}, format="multipart"),
            400,
            "at most 500 fields",
        ),
        RequestCase(
            "page: 101 files in one form",
            lambda: page.post(action, {"title": "t", "body": "b", "documents": files(101)}),
            400,
            "at most 20 files",
        ),
        RequestCase("page: 3 MB form field", lambda: page.post(action, {"title": "t", "body": big}), 413, "too large"),
        RequestCase(
            "page: 100 000-character title",
            lambda: page.post(action, {"title": "t" * 100_000, "body": "b"}),
            400,
            "at most 300 characters",
        ),
        RequestCase(
            "page: 600 form fields",
            lambda: page.post(action, {f"f{i}": "x" for i in range(600)}),
            400,
            "at most 500 fields",
        ),
        RequestCase(
            "tus: 10 000-character title",
            lambda: api.post(
                "/api/v1/uploads/",
                HTTP_UPLOAD_LENGTH="10",
                HTTP_UPLOAD_METADATA=_meta(
                    case=case.pk, filename="a", sha256="0" * 64, kind="document", title="t" * 10_000
                ),
                **TUS,
            ),
            400,
            "at most 300 characters",
        ),
        RequestCase(
            "tus: negative Upload-Length",
            lambda: api.post("/api/v1/uploads/", HTTP_UPLOAD_LENGTH="-1", HTTP_UPLOAD_METADATA="", **TUS),
            400,
            "non-negative integer",
        ),
        RequestCase(
            "tus: overlong metadata key",
            lambda: api.post(
                "/api/v1/uploads/", HTTP_UPLOAD_LENGTH="10", HTTP_UPLOAD_METADATA="k" * 100 + " eA==", **TUS
            ),
            400,
            "overlong key",
        ),
    ]


@pytest.fixture
def private_tmp(tmp_path: Path) -> Iterator[Path]:
    """Anything that uses `tempfile` (Django's upload handlers, the PDF and log readers) writes here, so the harness
    sees every temporary file and can assert that none is left behind."""
    directory = tmp_path / "systmp"
    directory.mkdir()
    saved = tempfile.tempdir
    tempfile.tempdir = str(directory)
    try:
        yield directory
    finally:
        tempfile.tempdir = saved


@pytest.mark.django_db
def test_hostile_inputs(case_at, personas, tmp_path, private_tmp, settings, django_capture_on_commit_callbacks):
    settings.EVIDENCE_MAX_CONCURRENT_UPLOADS = 1_000  # the harness files many exhibits in a row
    case = case_at("evidence")
    api = APIClient(raise_request_exception=False)
    api.force_login(personas.clara)
    page = Client(raise_request_exception=False)
    page.force_login(personas.clara)
    canary = tmp_path / "canary"
    canary.mkdir()
    harness = Harness(case, api, page, tmp_path, canary)

    for item in corpus.upload_cases(canary):
        harness.try_upload(item, django_capture_on_commit_callbacks)
    for request in request_cases(case, api, page):
        harness.try_request(request)

    tally = harness.tally
    handled = tally.tried - len(tally.failed)
    print(f"hostile inputs: {tally.tried} tried, {handled} handled, {len(tally.failed)} failures")
    assert not tally.failures, "\n".join(tally.failures)
    assert not UploadSession.objects.filter(status=UploadSession.Status.RECEIVING).exists()
