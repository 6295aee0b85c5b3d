"""Hostile files are refused when the upload completes: a clear message, and no exhibit, blob or row left."""

from __future__ import annotations

import os

import pytest

from evidence.models import CustodyEvent, Exhibit, ExhibitFile, UploadSession
from evidence.services.uploads import UploadError
from evidence.storage import evidence_storage
from tests.evidence import hostile
from tests.evidence.helpers import send, start_upload, upload


def _stored_blobs() -> list[str]:
    root = evidence_storage().path("")
    return [f for _, _, files in os.walk(root) for f in files] if os.path.exists(root) else []


def _refused(user, case, data: bytes, kind: str = "model_weights") -> str:
    session = start_upload(user, case, data, kind=kind, filename="model.bin")
    with pytest.raises(UploadError) as error:
        send(session, data, 0, len(data))
    assert error.value.status == 422
    session.refresh_from_db()
    assert session.status == UploadSession.Status.REJECTED and session.failure == error.value.message
    assert not Exhibit.objects.exists() and not ExhibitFile.objects.exists() and not CustodyEvent.objects.exists()
    assert _stored_blobs() == []
    return error.value.message


@pytest.fixture
def evidence_case(case_at):
    return case_at("evidence")


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(hostile.MALFORMED_SAFETENSORS))
def test_malformed_safetensors_are_refused(name, evidence_case, personas):
    message = _refused(personas.clara, evidence_case, hostile.MALFORMED_SAFETENSORS[name])
    assert message.startswith("Malformed safetensors file:")


@pytest.mark.django_db
def test_specific_safetensors_messages(evidence_case, personas):
    assert "overlap" in _refused(personas.clara, evidence_case, hostile.MALFORMED_SAFETENSORS["overlapping offsets"])
    assert "cap" in _refused(personas.clara, evidence_case, hostile.MALFORMED_SAFETENSORS["header larger than the cap"])


@pytest.mark.django_db
def test_code_running_pickle_is_refused_and_never_runs(evidence_case, personas, tmp_path):
    marker = tmp_path / "pwned"
    message = _refused(personas.clara, evidence_case, hostile.code_running_pickle(marker))
    assert "tries to run code" in message and "builtins eval" in message
    assert "Convert the weights to safetensors" in message
    assert not marker.exists()


@pytest.mark.django_db
def test_pytorch_zip_checkpoint_is_refused(evidence_case, personas, tmp_path):
    marker = tmp_path / "pwned"
    message = _refused(personas.clara, evidence_case, hostile.torch_style_zip_checkpoint(marker))
    assert "PyTorch checkpoint" in message and not marker.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("builder", "expected"),
    [
        (hostile.zip_bomb, "archive bomb"),
        (hostile.zip_traversal, "path traversal"),
        (hostile.zip_absolute, "absolute path"),
        (hostile.zip_symlink, "symbolic link"),
        (hostile.tar_symlink, "link"),
    ],
)
def test_hostile_archives_are_refused(builder, expected, evidence_case, personas):
    assert expected in _refused(personas.clara, evidence_case, builder(), kind="other")


@pytest.mark.django_db
def test_archive_with_too_many_entries(evidence_case, personas, settings):
    settings.EVIDENCE_ARCHIVE_MAX_ENTRIES = 50
    assert "entries" in _refused(personas.clara, evidence_case, hostile.zip_with_many_entries(60), kind="other")


@pytest.mark.django_db
def test_empty_file_is_refused_before_upload(evidence_case, personas):
    with pytest.raises(UploadError, match="empty"):
        start_upload(personas.clara, evidence_case, b"")


@pytest.mark.django_db
def test_log_without_required_columns_is_refused(evidence_case, personas):
    message = _refused(personas.clara, evidence_case, hostile.csv_log_missing_columns(), kind="api_log")
    assert "not an API query log" in message


@pytest.mark.django_db
def test_good_safetensors_and_harmless_zip_are_accepted(evidence_case, personas):
    weights = upload(personas.clara, evidence_case, hostile.good_safetensors(), kind="model_weights")
    assert weights.detected_type.startswith("safetensors")
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("docs/readme.txt", "hello")
    bundle = upload(personas.clara, evidence_case, buffer.getvalue(), kind="other")
    assert "zip archive" in bundle.detected_type


@pytest.mark.django_db
def test_polyglot_pdf_hiding_a_checkpoint_or_a_bomb_is_refused(evidence_case, personas, tmp_path):
    pdf_front = b"%PDF-1.4\n% a harmless-looking first page\n"
    marker = tmp_path / "pwned"
    message = _refused(
        personas.clara, evidence_case, pdf_front + hostile.torch_style_zip_checkpoint(marker), kind="document"
    )
    assert "hides a PyTorch checkpoint" in message and not marker.exists()
    assert "archive bomb" in _refused(personas.clara, evidence_case, pdf_front + hostile.zip_bomb(), kind="document")


@pytest.mark.django_db
def test_unicode_trick_filename_is_kept_as_a_label_never_as_a_path(evidence_case, personas):
    name = "invoice\u202efdp.exe"  # right-to-left override: displays as "invoiceexe.pdf"
    stored = upload(personas.clara, evidence_case, b"plain text evidence", filename=name)
    assert stored.original_name == name
    assert name not in stored.storage_name and stored.storage_name.endswith(stored.sha256)
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(personas.rafael)
    url = reverse("exhibit_file_download", args=[evidence_case.pk, stored.exhibit_id, stored.pk])
    disposition = client.get(url)["Content-Disposition"]
    assert "\u202e" not in disposition and "%E2%80%AE" not in disposition.upper()
    assert "invoicefdp.exe" in disposition  # what the user's disk will show is what the file is


@pytest.mark.django_db
def test_a_brace_at_byte_eight_does_not_make_any_file_a_safetensors(evidence_case, personas):
    # 1 file in 256 has '{' at byte 8: outside model weights that is not enough to judge it as safetensors.
    data = b"\xff" * 8 + b"{" + os.urandom(4000)
    assert "Malformed safetensors" in _refused(personas.clara, evidence_case, data, kind="model_weights")
    assert upload(personas.clara, evidence_case, data, kind="other").detected_type == "file"
