"""Ingest jobs, custody entries, download re-verification, withdrawal, and the tier matrix."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core import mail

from disputes.models import Participant
from evidence import permissions
from evidence.custody import custody_verify
from evidence.models import AnalysisJob, CustodyAction, Exhibit, ExhibitFile, JobStatus
from evidence.runners import HashMismatch
from evidence.selectors import exhibit_search
from evidence.services.exhibits import (
    exhibit_change_tier,
    exhibit_file_open_for_download,
    exhibit_record_view,
    exhibit_withdraw,
)
from evidence.storage import evidence_storage
from tests.evidence.helpers import random_bytes, upload


def pdf_with_javascript() -> bytes:
    """A real PDF (rendered by WeasyPrint) with a document-level JavaScript action added by pypdf."""
    import io

    from pypdf import PdfReader, PdfWriter
    from weasyprint import HTML

    rendered = HTML(string="<p>Licence clause seven grants no right to distil.</p>").write_pdf()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(rendered)))
    writer.add_js("app.alert('hello');")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def evidence_case(case_at):
    return case_at("evidence")


def _ingested(django_capture_on_commit_callbacks, *args, **kwargs) -> ExhibitFile:
    with django_capture_on_commit_callbacks(execute=True):
        exhibit_file = upload(*args, **kwargs)
    exhibit_file.refresh_from_db()
    return exhibit_file


@pytest.mark.django_db
def test_ingest_extracts_pdf_text_flags_javascript_and_logs_custody(
    evidence_case, personas, django_capture_on_commit_callbacks
):
    exhibit_file = _ingested(
        django_capture_on_commit_callbacks,
        personas.clara,
        evidence_case,
        pdf_with_javascript(),
        kind="document",
        title="Licence agreement",
    )
    job = AnalysisJob.objects.get(kind="ingest")
    assert job.status == JobStatus.SUCCEEDED and job.attempts == 1 and job.code_version
    assert exhibit_file.status == ExhibitFile.Status.OK
    assert exhibit_file.detected_type == "PDF document"
    assert any("JavaScript" in w for w in exhibit_file.ingest_report["warnings"])
    exhibit = exhibit_file.exhibit
    assert exhibit.status == Exhibit.Status.READY and "clause seven" in exhibit.search_text
    actions = list(exhibit.custody.values_list("action", flat=True))
    assert actions == [CustodyAction.RECEIVED, CustodyAction.INGESTED]
    assert custody_verify(exhibit) is None
    assert [e.pk for e in exhibit_search(user=personas.rafael, case=evidence_case, query="clause seven")] == [
        exhibit.pk
    ]


@pytest.mark.django_db
def test_log_ingest_reports_bad_rows_and_starts_extraction(evidence_case, personas, django_capture_on_commit_callbacks):
    rows = ["timestamp,account_id,prompt"]
    rows += [f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}Z,acct{i % 3},prompt number {i}" for i in range(200)]
    rows.insert(5, "not-a-time,acct1,broken row")
    data = ("\n".join(rows) + "\n").encode()
    exhibit_file = _ingested(
        django_capture_on_commit_callbacks, personas.clara, evidence_case, data, kind="api_log", title="API log"
    )
    report = exhibit_file.ingest_report
    assert report["details"]["rows"]["bad"] == 1
    assert report["details"]["bad_rows"]["examples"][0]["line"] == 6
    assert any("bad rows reported" in w for w in report["warnings"])
    extraction = AnalysisJob.objects.get(kind="logs.extraction")
    assert extraction.status == JobStatus.SUCCEEDED, extraction.error
    assert extraction.inputs.get().file == exhibit_file
    assert "accounts" in extraction.result
    assert exhibit_file.exhibit.custody.filter(action=CustodyAction.ANALYSED).exists()


@pytest.mark.django_db
def test_download_reverifies_and_blocks_an_altered_file(evidence_case, personas, django_capture_on_commit_callbacks):
    data = random_bytes(4096)
    exhibit_file = upload(personas.clara, evidence_case, data)
    with exhibit_file_open_for_download(user=personas.rafael, exhibit_file=exhibit_file, ip="198.51.100.1") as f:
        assert f.read() == data
    downloaded = exhibit_file.exhibit.custody.get(action=CustodyAction.DOWNLOADED)
    assert downloaded.actor == personas.rafael and downloaded.ip == "198.51.100.1"
    path = Path(evidence_storage().path(exhibit_file.storage_name))
    path.chmod(0o640)
    with open(path, "r+b") as handle:  # someone with disk access flips one byte
        handle.seek(100)
        byte = handle.read(1)
        handle.seek(100)
        handle.write(bytes([byte[0] ^ 0xFF]))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(HashMismatch, match="registry alerted"):
        exhibit_file_open_for_download(user=personas.rafael, exhibit_file=exhibit_file, ip=None)
    assert exhibit_file.exhibit.custody.filter(action=CustodyAction.HASH_MISMATCH).exists()
    assert [m.to for m in mail.outbox if "Integrity alert" in m.subject] == [[personas.greta.email]]


@pytest.mark.django_db
def test_view_withdraw_and_tier_change_are_in_custody(evidence_case, personas):
    exhibit = upload(personas.clara, evidence_case, b"contract").exhibit
    exhibit_record_view(user=personas.ada, exhibit=exhibit, ip="192.0.2.1")
    exhibit = exhibit_change_tier(user=personas.clara, exhibit=exhibit, tier="aeo", reason="Pricing data", ip=None)
    from disputes.exceptions import NotPermitted

    with pytest.raises(NotPermitted, match="less confidential"):
        exhibit_change_tier(user=personas.clara, exhibit=exhibit, tier="parties", reason="", ip=None)
    with pytest.raises(NotPermitted):
        exhibit_withdraw(user=personas.rafael, exhibit=exhibit, reason="not theirs", ip=None)
    exhibit = exhibit_withdraw(user=personas.clara, exhibit=exhibit, reason="Filed by mistake", ip=None)
    actions = list(exhibit.custody.values_list("action", flat=True))
    assert actions == ["received", "viewed", "tier_changed", "withdrawn"]
    assert custody_verify(exhibit) is None
    assert exhibit.files.count() == 1 and evidence_storage().exists(exhibit.files.get().storage_name)
    assert exhibit not in permissions.visible_exhibits(personas.rafael, evidence_case)
    assert exhibit in permissions.visible_exhibits(personas.ada, evidence_case, include_withdrawn=True)


@pytest.mark.django_db
def test_originals_cannot_be_deleted_or_overwritten(evidence_case, personas):
    from django.core.files.base import ContentFile

    from evidence.storage import OriginalsAreWriteOnce

    exhibit_file = upload(personas.clara, evidence_case, b"original")
    storage = evidence_storage()
    with pytest.raises(OriginalsAreWriteOnce):
        storage.delete(exhibit_file.storage_name)
    again = storage.save(exhibit_file.storage_name, ContentFile(b"replacement"))
    assert again != exhibit_file.storage_name
    with storage.open(exhibit_file.storage_name, "rb") as handle:
        assert handle.read() == b"original"


@pytest.mark.django_db
def test_tier_matrix(evidence_case, personas):
    """Rows: who looks. Columns: (filing side, tier). True = the exhibit is visible to them."""
    staff = personas.rafael.__class__.objects.create_user(email="inhouse@copycat.example", password="x" * 16)
    Participant.objects.create(case=evidence_case, user=staff, role="respondent", is_outside_counsel=False)
    exhibits = {}
    for side_user, side in ((personas.clara, "C"), (personas.rafael, "R"), (personas.ada, "T")):
        for tier in ("parties", "aeo", "tribunal"):
            exhibits[(side, tier)] = upload(
                side_user, evidence_case, f"{side}-{tier}".encode(), tier=tier, title=f"{side} {tier}"
            ).exhibit
    expected = {
        "clara": {("C", t) for t in ("parties", "aeo", "tribunal")}
        | {("R", "parties"), ("R", "aeo"), ("T", "parties"), ("T", "aeo")},
        "rafael": {("R", t) for t in ("parties", "aeo", "tribunal")}
        | {("C", "parties"), ("C", "aeo"), ("T", "parties"), ("T", "aeo")},
        "staff": {("R", t) for t in ("parties", "aeo", "tribunal")} | {("C", "parties"), ("T", "parties")},
        "ada": set(exhibits),
        "greta": set(exhibits),
        "otto": set(),
        "uma": set(),
    }
    users = {"staff": staff, **{n: getattr(personas, n) for n in ("clara", "rafael", "ada", "greta", "otto", "uma")}}
    for name, user in users.items():
        visible = set(permissions.visible_exhibits(user, evidence_case))
        assert {k for k, e in exhibits.items() if e in visible} == expected[name], name
        assert permissions.visible_exhibits(user, evidence_case).count() == len(expected[name])
        hits = {e.pk for e in exhibit_search(user=user, case=evidence_case, query="tribunal")}
        assert hits == {e.pk for k, e in exhibits.items() if k[1] == "tribunal" and k in expected[name]}, name


@pytest.mark.django_db
def test_jobs_inherit_the_strictest_tier_and_hide_from_the_other_side(evidence_case, personas):
    from evidence.jobs import job_create

    public = upload(personas.clara, evidence_case, b"a", kind="model_outputs", title="Our outputs")
    sealed = upload(personas.rafael, evidence_case, b"b", kind="model_outputs", title="Their outputs", tier="tribunal")
    job = job_create(
        case=evidence_case,
        kind="text.similarity",
        inputs=[(public, "a"), (sealed, "b")],
        parameters={},
        created_by_id=personas.ada.pk,
    )
    assert job.tier == "tribunal"
    assert job in permissions.visible_jobs(personas.ada, evidence_case)
    assert job in permissions.visible_jobs(personas.rafael, evidence_case)
    assert job not in permissions.visible_jobs(personas.clara, evidence_case)
    ingest_jobs = permissions.visible_jobs(personas.clara, evidence_case)
    assert all(sealed.pk not in [i.file_id for i in j.inputs.all()] for j in ingest_jobs)


@pytest.mark.django_db
def test_an_analysis_that_read_sealed_material_is_on_the_sealed_chain_only(evidence_case, personas):
    """The other side must not learn from its own exhibit's custody that a sealed comparison ran."""
    from evidence.models import CustodyEvent
    from evidence.runners import _record_analysis
    from evidence.selectors import custody_for

    ours = upload(personas.clara, evidence_case, b"a", kind="model_outputs", title="Ours")
    sealed = upload(personas.rafael, evidence_case, b"b", kind="model_outputs", title="Sealed", tier="tribunal")
    plain = upload(personas.rafael, evidence_case, b"c", kind="model_outputs", title="Theirs")
    from unittest import mock

    from evidence import jobs

    with mock.patch("evidence.jobs.job_enqueue"):
        mixed = jobs.job_create(
            case=evidence_case,
            kind="text.similarity",
            inputs=[(ours, "a"), (sealed, "b")],
            parameters={},
            created_by_id=personas.ada.pk,
        )
        open_job = jobs.job_create(
            case=evidence_case,
            kind="text.similarity",
            inputs=[(ours, "a"), (plain, "b")],
            parameters={},
            created_by_id=personas.ada.pk,
        )
    _record_analysis(mixed, list(mixed.inputs.select_related("file__exhibit")))
    _record_analysis(open_job, list(open_job.inputs.select_related("file__exhibit")))
    exhibit = ours.exhibit
    clara_sees = [(e.action, e.details.get("job")) for e in custody_for(exhibit=exhibit, user=personas.clara)]
    assert ("analysed", open_job.pk) in clara_sees and ("analysed", mixed.pk) not in clara_sees
    ada_sees = [(e.action, e.details.get("job")) for e in custody_for(exhibit=exhibit, user=personas.ada)]
    assert ("analysed", mixed.pk) in ada_sees
    assert CustodyEvent.objects.get(exhibit=exhibit, details__job=mixed.pk).sealed
    assert custody_verify(exhibit) is None
    assert custody_verify(exhibit, sealed=False) is None  # the open chain verifies on its own
