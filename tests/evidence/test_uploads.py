"""Resumable uploads through the tus service: chunks, broken connections, resume, hashes, limits, refusals."""

from __future__ import annotations

import io
import os

import pytest

from evidence.models import CustodyAction, Exhibit, ExhibitFile, UploadSession
from evidence.services.uploads import UploadError, staging_path, upload_append, upload_terminate
from evidence.storage import evidence_storage
from tests.evidence.helpers import random_bytes, send, sha256, start_upload, upload


class BrokenConnection(io.BytesIO):
    """A request body that stops after `limit` bytes, as when the client's connection drops."""

    def __init__(self, data: bytes, limit: int) -> None:
        super().__init__(data[:limit])


def _stored_blobs() -> list[str]:
    storage = evidence_storage()
    root = storage.path("")
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files] if os.path.exists(root) else []


@pytest.fixture
def evidence_case(case_at):
    return case_at("evidence")


@pytest.mark.django_db
def test_multi_chunk_upload_with_broken_connection_resumes(evidence_case, personas):
    data = random_bytes(700_000)
    session = start_upload(personas.clara, evidence_case, data, kind="model_weights", title="Weights dump")
    send(session, data, 0, 250_000)
    # The connection drops 100 kB into the next chunk: the server keeps what arrived.
    upload_append(
        session=session,
        offset=250_000,
        stream=BrokenConnection(data[250_000:500_000], 100_000),
        content_length=250_000,
        checksum_header=None,
    )
    session.refresh_from_db()
    assert session.offset == 350_000 and session.status == UploadSession.Status.RECEIVING
    assert not Exhibit.objects.filter(case=evidence_case).exists(), "a partial upload is never an exhibit"
    # The client asks for the offset (HEAD) and resumes from there.
    send(session, data, session.offset, 600_000)
    session = send(session, data, 600_000, len(data))
    exhibit_file = session.result_file
    assert exhibit_file.sha256 == sha256(data) and exhibit_file.size == len(data)
    with evidence_storage().open(exhibit_file.storage_name, "rb") as stored:
        assert stored.read() == data
    assert exhibit_file.exhibit.label == "C-1"
    assert not staging_path(session.id).exists()
    received = exhibit_file.exhibit.custody.get(action=CustodyAction.RECEIVED)
    assert received.details["declared_sha256"] == received.details["computed_sha256"] == sha256(data)
    assert received.ip == "203.0.113.7" and received.actor == personas.clara


@pytest.mark.django_db
def test_wrong_offset_is_a_conflict(evidence_case, personas):
    data = random_bytes(1000)
    session = start_upload(personas.clara, evidence_case, data)
    send(session, data, 0, 400)
    with pytest.raises(UploadError) as error:
        send(session, data, 200, 600)
    assert error.value.status == 409 and "offset 400" in error.value.message


@pytest.mark.django_db
def test_chunk_checksum_mismatch_discards_only_that_chunk(evidence_case, personas):
    data = random_bytes(1000)
    session = start_upload(personas.clara, evidence_case, data)
    send(session, data, 0, 500)
    with pytest.raises(UploadError) as error:
        upload_append(
            session=session,
            offset=500,
            stream=io.BytesIO(b"x" * 500),
            content_length=500,
            checksum_header="sha256 " + "A" * 43 + "=",
        )
    assert error.value.status == 460
    session.refresh_from_db()
    assert session.offset == 500 and staging_path(session.id).stat().st_size == 500
    session = send(session, data, 500, 1000)
    assert session.result_file.sha256 == sha256(data)


@pytest.mark.django_db
def test_declared_hash_mismatch_is_rejected_and_nothing_is_stored(evidence_case, personas):
    data = random_bytes(5000)
    session = start_upload(personas.clara, evidence_case, data, sha256="0" * 64)
    with pytest.raises(UploadError) as error:
        send(session, data, 0, len(data))
    assert error.value.status == 422 and "SHA-256 mismatch" in error.value.message
    session.refresh_from_db()
    assert session.status == UploadSession.Status.REJECTED
    assert not staging_path(session.id).exists()
    assert not Exhibit.objects.exists() and not ExhibitFile.objects.exists() and _stored_blobs() == []


@pytest.mark.django_db
def test_truncated_upload_never_becomes_an_exhibit_and_can_be_terminated(evidence_case, personas):
    data = random_bytes(3000)
    session = start_upload(personas.clara, evidence_case, data)
    send(session, data, 0, 2999)
    assert not Exhibit.objects.exists()
    upload_terminate(session=session)
    session.refresh_from_db()
    assert session.status == UploadSession.Status.TERMINATED and not staging_path(session.id).exists()
    with pytest.raises(UploadError) as error:
        send(session, data, 2999, 3000)
    assert error.value.status == 410


@pytest.mark.django_db
def test_size_quota_and_concurrency_limits(evidence_case, personas, settings):
    settings.EVIDENCE_MAX_FILE_BYTES = 10_000
    with pytest.raises(UploadError) as too_big:
        start_upload(personas.clara, evidence_case, random_bytes(10_001))
    assert too_big.value.status == 413
    settings.EVIDENCE_CASE_QUOTA_BYTES = 15_000
    upload(personas.clara, evidence_case, random_bytes(9_000))
    with pytest.raises(UploadError) as quota:
        start_upload(personas.clara, evidence_case, random_bytes(7_000))
    assert quota.value.status == 413 and "quota" in quota.value.message
    settings.EVIDENCE_CASE_QUOTA_BYTES = 10**9
    settings.EVIDENCE_MAX_CONCURRENT_UPLOADS = 2
    start_upload(personas.clara, evidence_case, b"a" * 10)
    start_upload(personas.clara, evidence_case, b"b" * 10)
    with pytest.raises(UploadError) as busy:
        start_upload(personas.clara, evidence_case, b"c" * 10)
    assert busy.value.status == 429
    settings.EVIDENCE_MAX_CHUNK_BYTES = 100
    session = start_upload(personas.rafael, evidence_case, b"d" * 500)
    with pytest.raises(UploadError) as chunk:
        send(session, b"d" * 500, 0, 500)
    assert chunk.value.status == 413


@pytest.mark.django_db
def test_metadata_is_validated_before_any_byte(evidence_case, personas):
    data = b"hello"
    for bad, message in (
        ({"kind": "spreadsheet"}, "Unknown exhibit kind"),
        ({"tier": "secret"}, "Unknown confidentiality tier"),
        ({"title": ""}, "needs a title"),
        ({"sha256": "abc"}, "Declare the file's SHA-256"),
        ({"filename": ""}, "file's name"),
        ({"title": "Contract\x00.pdf"}, "NUL"),
    ):
        with pytest.raises(UploadError, match=message):
            start_upload(personas.clara, evidence_case, data, **bad)
    assert not UploadSession.objects.exists()


@pytest.mark.django_db
def test_who_may_upload(case_at, personas):
    case = case_at("evidence")
    for outsider in (personas.uma, personas.otto, personas.greta):
        with pytest.raises(UploadError) as error:
            start_upload(outsider, case, b"x")
        assert error.value.status == 403
    draft = case_at("draft")
    with pytest.raises(UploadError):
        start_upload(personas.clara, draft, b"x")


@pytest.mark.django_db
def test_numbering_by_side_and_second_file_joins_the_exhibit(evidence_case, personas):
    first = upload(personas.clara, evidence_case, b"claimant one")
    upload(personas.clara, evidence_case, b"claimant two")
    r1 = upload(personas.rafael, evidence_case, b"respondent one")
    t1 = upload(personas.ada, evidence_case, b"tribunal one")
    assert [first.exhibit.label, r1.exhibit.label, t1.exhibit.label] == ["C-1", "R-1", "T-1"]
    assert Exhibit.objects.get(case=evidence_case, side="claimant", number=2).label == "C-2"
    extra = upload(personas.clara, evidence_case, b"appendix", exhibit=first.exhibit_id)
    assert extra.exhibit_id == first.exhibit_id and first.exhibit.files.count() == 2
    with pytest.raises(UploadError) as error:
        start_upload(personas.rafael, evidence_case, b"sneaky", exhibit=first.exhibit_id)
    assert error.value.status == 403
