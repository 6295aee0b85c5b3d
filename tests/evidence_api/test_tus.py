"""The tus 1.0 endpoint over HTTP: discovery, creation, HEAD, chunked PATCH, broken connections and resume,
checksums, offsets, declared-hash mismatch, termination, limits checked before the body, authentication."""

from __future__ import annotations

import hashlib
import io
import os
import uuid

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from evidence.models import CustodyAction, Exhibit, ExhibitFile, UploadSession
from evidence.services.uploads import staging_path
from evidence.storage import evidence_storage
from tests.evidence.helpers import random_bytes
from tests.evidence_api.conftest import OCTETS, TUS, create, head, patch

pytestmark = pytest.mark.django_db


class ExplodingBody(io.RawIOBase):
    """A request body that fails the test if anything reads it: the limit must be enforced from headers alone."""

    def read(self, *args):
        raise AssertionError("the body was read before the limit was checked")


class DroppedConnection(io.BytesIO):
    """The first `limit` bytes arrive, then the peer resets the connection (the server's read raises)."""

    def __init__(self, data: bytes, limit: int) -> None:
        super().__init__(data)
        self.limit = limit

    def read(self, size=-1):
        if self.tell() >= self.limit:
            raise ConnectionResetError("peer went away")
        return super().read(min(size, self.limit - self.tell()) if size >= 0 else self.limit - self.tell())


def _blobs() -> list[str]:
    root = evidence_storage().path("")
    return [f for _, _, files in os.walk(root) for f in files] if os.path.exists(root) else []


def _location(response) -> str:
    assert response.status_code == 201, response.content
    location = response["Location"]
    assert location.startswith("/api/v1/uploads/") and location.endswith("/")
    return location


def test_discovery_advertises_version_extensions_checksums_and_max_size(client_for, settings):
    response = client_for("clara").options("/api/v1/uploads/")
    assert response.status_code == 204
    assert response["Tus-Version"] == "1.0.0" and response["Tus-Resumable"] == "1.0.0"
    assert set(response["Tus-Extension"].split(",")) == {"creation", "termination", "checksum"}
    assert set(response["Tus-Checksum-Algorithm"].split(",")) == {"sha256", "sha1", "md5"}
    assert response["Tus-Max-Size"] == str(settings.EVIDENCE_MAX_FILE_BYTES)


def test_upload_in_chunks_creates_the_exhibit(client_for, evidence_case, personas):
    clara = client_for("clara")
    data = random_bytes(300_000)
    url = _location(create(clara, evidence_case, data, kind="model_weights", title="Frontier-7B weights"))
    status = head(clara, url)
    assert status.status_code == 200 and status["Upload-Offset"] == "0"
    assert status["Upload-Length"] == str(len(data)) and status["Cache-Control"] == "no-store"
    assert status["Tus-Resumable"] == "1.0.0"
    for start in (0, 100_000):
        response = patch(clara, url, data[start : start + 100_000], start)
        assert response.status_code == 204, response.content
        assert response["Upload-Offset"] == str(start + 100_000) and "Tribunal-Exhibit" not in response
    assert not Exhibit.objects.filter(case=evidence_case).exists(), "an unfinished upload is never an exhibit"
    last = patch(clara, url, data[200_000:], 200_000)
    assert last.status_code == 204 and last["Upload-Offset"] == str(len(data))
    exhibit = Exhibit.objects.get(pk=int(last["Tribunal-Exhibit"]))
    assert last["Tribunal-Exhibit-Label"] == "C-1" == exhibit.label
    assert last["Tribunal-Exhibit-Url"] == f"/cases/{evidence_case.pk}/exhibits/{exhibit.pk}/"
    stored = exhibit.files.get()
    assert stored.sha256 == hashlib.sha256(data).hexdigest() and stored.size == len(data)
    with evidence_storage().open(stored.storage_name, "rb") as handle:
        assert handle.read() == data
    received = exhibit.custody.get(action=CustodyAction.RECEIVED)
    assert received.actor == personas.clara and received.ip == "127.0.0.1"
    # A client that lost the last response learns where its file went from HEAD.
    again = head(clara, url)
    assert again["Upload-Offset"] == str(len(data)) and again["Tribunal-Exhibit"] == str(exhibit.pk)


def test_a_second_file_joins_an_existing_exhibit(client_for, evidence_case, personas):
    clara = client_for("clara")
    first, second = random_bytes(1000), random_bytes(2000)
    url = _location(create(clara, evidence_case, first))
    exhibit_pk = int(patch(clara, url, first, 0)["Tribunal-Exhibit"])
    url = _location(create(clara, evidence_case, second, exhibit=exhibit_pk, filename="part2.bin"))
    assert patch(clara, url, second, 0)["Tribunal-Exhibit"] == str(exhibit_pk)
    assert list(Exhibit.objects.get(pk=exhibit_pk).files.values_list("original_name", flat=True)) == [
        "weights.safetensors",
        "part2.bin",
    ]
    # Rafael cannot add files to the claimant's exhibit.
    response = create(client_for("rafael"), evidence_case, second, exhibit=exhibit_pk)
    assert response.status_code == 403 and response["Tus-Resumable"] == "1.0.0"


def test_a_body_shorter_than_its_content_length_keeps_what_arrived_and_resumes_from_head(client_for, evidence_case):
    clara = client_for("clara")
    data = random_bytes(400_000)
    url = _location(create(clara, evidence_case, data))
    assert patch(clara, url, data[:100_000], 0).status_code == 204
    # The client announced 200 000 bytes, but the connection broke after 50 000.
    broken = patch(
        clara,
        url,
        data[100_000:300_000],
        100_000,
        with_checksum=False,
        **{"wsgi.input": io.BytesIO(data[100_000:150_000]), "CONTENT_LENGTH": "200000"},
    )
    assert broken.status_code == 204 and broken["Upload-Offset"] == "150000"
    offset = int(head(clara, url)["Upload-Offset"])
    assert offset == 150_000
    # A reset connection (the read raises) also keeps the bytes that arrived before it.
    reset = patch(
        clara,
        url,
        data[offset:],
        offset,
        with_checksum=False,
        **{"wsgi.input": DroppedConnection(data[offset:], 70_000)},
    )
    assert reset.status_code == 204 and reset["Upload-Offset"] == str(offset + 70_000)
    offset = int(head(clara, url)["Upload-Offset"])
    done = patch(clara, url, data[offset:], offset)
    assert done.status_code == 204 and "Tribunal-Exhibit" in done
    stored = ExhibitFile.objects.get(exhibit_id=int(done["Tribunal-Exhibit"]))
    assert stored.sha256 == hashlib.sha256(data).hexdigest()


def test_a_chunk_with_a_wrong_checksum_is_discarded_with_460(client_for, evidence_case):
    clara = client_for("clara")
    data = random_bytes(10_000)
    url = _location(create(clara, evidence_case, data))
    patch(clara, url, data[:4000], 0)
    bad = patch(clara, url, data[4000:], 4000, HTTP_UPLOAD_CHECKSUM="sha256 " + "A" * 43 + "=")
    assert bad.status_code == 460 and bad.reason_phrase == "Checksum Mismatch"
    assert bad.json()["code"] == "checksum_mismatch" and bad["Tus-Resumable"] == "1.0.0"
    assert head(clara, url)["Upload-Offset"] == "4000"
    unknown = patch(clara, url, data[4000:], 4000, HTTP_UPLOAD_CHECKSUM="crc32 AAAA")
    assert unknown.status_code == 400
    assert patch(clara, url, data[4000:], 4000).status_code == 204


def test_a_wrong_offset_is_a_409_conflict(client_for, evidence_case):
    clara = client_for("clara")
    data = random_bytes(5000)
    url = _location(create(clara, evidence_case, data))
    patch(clara, url, data[:2000], 0)
    response = patch(clara, url, data[1000:3000], 1000)
    assert response.status_code == 409 and "2000" in response.json()["detail"]
    assert head(clara, url)["Upload-Offset"] == "2000"


def test_a_declared_hash_mismatch_is_422_and_stores_nothing(client_for, evidence_case, settings):
    clara = client_for("clara")
    data = random_bytes(50_000)
    url = _location(create(clara, evidence_case, data, sha256="0" * 64))
    patch(clara, url, data[:30_000], 0)
    response = patch(clara, url, data[30_000:], 30_000)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "rejected"
    assert "SHA-256 mismatch" in body["detail"] and "Nothing was stored" in body["detail"]
    assert not Exhibit.objects.exists() and not ExhibitFile.objects.exists()
    assert _blobs() == []
    assert not any(settings.EVIDENCE_STAGING_DIR.iterdir())
    assert head(clara, url).status_code == 410


def test_a_patch_that_is_not_offset_octet_stream_is_415(client_for, evidence_case):
    clara = client_for("clara")
    data = random_bytes(100)
    url = _location(create(clara, evidence_case, data))
    response = clara.generic("PATCH", url, data, content_type="application/json", HTTP_UPLOAD_OFFSET="0", **TUS)
    assert response.status_code == 415 and response.json()["code"] == "unsupported_media_type"
    assert head(clara, url)["Upload-Offset"] == "0"


def test_termination_discards_the_bytes(client_for, evidence_case):
    clara = client_for("clara")
    data = random_bytes(4000)
    url = _location(create(clara, evidence_case, data))
    patch(clara, url, data[:1000], 0)
    session = UploadSession.objects.get()
    assert staging_path(session.id).exists()
    assert client_for("rafael").delete(url, **TUS).status_code == 404, "only the uploader knows the upload"
    response = clara.delete(url, **TUS)
    assert response.status_code == 204 and response["Tus-Resumable"] == "1.0.0"
    assert not staging_path(session.id).exists()
    assert head(clara, url).status_code == 410
    assert patch(clara, url, data[1000:], 1000).status_code == 410
    # A finished upload is evidence: it cannot be terminated.
    url = _location(create(clara, evidence_case, data))
    patch(clara, url, data, 0)
    assert clara.delete(url, **TUS).status_code == 409


def test_limits_are_refused_before_any_body_is_read(client_for, evidence_case, settings):
    clara = client_for("clara")
    settings.EVIDENCE_MAX_FILE_BYTES = 10_000
    too_big = create(clara, evidence_case, b"x", length=10_001)
    assert too_big.status_code == 413 and "10,000" in too_big.json()["detail"]
    assert too_big["Tus-Resumable"] == "1.0.0" and not UploadSession.objects.exists()
    settings.EVIDENCE_MAX_FILE_BYTES = 10**9
    settings.EVIDENCE_CASE_QUOTA_BYTES = 20_000
    assert create(clara, evidence_case, b"x", length=15_000).status_code == 201
    over_quota = create(clara, evidence_case, b"x", length=6_000)
    assert over_quota.status_code == 413 and "quota" in over_quota.json()["detail"]
    settings.EVIDENCE_CASE_QUOTA_BYTES = 10**12
    settings.EVIDENCE_MAX_CONCURRENT_UPLOADS = 2
    assert create(clara, evidence_case, b"x", length=10).status_code == 201
    busy = create(clara, evidence_case, b"x", length=10)
    assert busy.status_code == 429 and busy.json()["code"] == "too_many_uploads"
    # A chunk larger than the per-request limit is refused from its Content-Length, unread.
    settings.EVIDENCE_MAX_CHUNK_BYTES = 1000
    url = f"/api/v1/uploads/{UploadSession.objects.order_by('created_at').first().pk}/"
    response = patch(
        clara, url, b"y" * 5000, 0, with_checksum=False, **{"wsgi.input": ExplodingBody(), "CONTENT_LENGTH": "5000"}
    )
    assert response.status_code == 413 and "1,000 bytes per request" in response.json()["detail"]
    assert head(clara, url)["Upload-Offset"] == "0"


def test_a_chunk_larger_than_django_s_in_memory_limit_is_streamed(client_for, evidence_case, settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < 3 * 1024 * 1024
    clara = client_for("clara")
    data = random_bytes(3 * 1024 * 1024 + 17)
    url = _location(create(clara, evidence_case, data))
    response = patch(clara, url, data, 0)
    assert response.status_code == 204, response.content
    assert ExhibitFile.objects.get().sha256 == hashlib.sha256(data).hexdigest()


def test_bad_requests_say_what_is_wrong(client_for, evidence_case, personas):
    clara = client_for("clara")
    no_version = clara.post("/api/v1/uploads/", HTTP_UPLOAD_LENGTH="10")
    assert no_version.status_code == 412 and no_version["Tus-Version"] == "1.0.0"
    no_length = clara.post("/api/v1/uploads/", **TUS)
    assert no_length.status_code == 400 and "Upload-Length" in no_length.json()["detail"]
    no_case = clara.post("/api/v1/uploads/", HTTP_UPLOAD_LENGTH="10", **TUS)
    assert no_case.status_code == 400 and "case" in no_case.json()["detail"]
    bad_metadata = clara.post("/api/v1/uploads/", HTTP_UPLOAD_LENGTH="10", HTTP_UPLOAD_METADATA="case %%%", **TUS)
    assert bad_metadata.status_code == 400
    assert create(clara, evidence_case, b"abc", sha256="not-a-hash").status_code == 400
    assert create(clara, evidence_case, b"abc", kind="pickle").status_code == 400
    deferred = clara.post("/api/v1/uploads/", HTTP_UPLOAD_DEFER_LENGTH="1", **TUS)
    assert deferred.status_code == 400
    url = _location(create(clara, evidence_case, b"abc"))
    no_offset = clara.generic("PATCH", url, b"abc", content_type=OCTETS, **TUS)
    assert no_offset.status_code == 400 and "Upload-Offset" in no_offset.json()["detail"]
    no_length = patch(clara, url, b"abc", 0, CONTENT_LENGTH="")
    assert no_length.status_code == 411
    assert head(clara, f"/api/v1/uploads/{uuid.uuid4()}/").status_code == 404


def test_who_may_upload_where(client_for, evidence_case, case_at, personas):
    data = b"evidence"
    # Uma is not on the case: it does not exist for her. Greta (registry) files no evidence.
    assert create(client_for("uma"), evidence_case, data).status_code == 404
    refused = create(client_for("greta"), evidence_case, data)
    assert refused.status_code == 403 and refused.json()["code"] == "not_permitted"
    # The arbitrator files tribunal exhibits (T-1...).
    ada = client_for("ada")
    url = _location(create(ada, evidence_case, data, tier="tribunal"))
    assert patch(ada, url, data, 0)["Tribunal-Exhibit-Label"] == "T-1"
    # Somebody else's upload is a 404, as if it did not exist.
    url = _location(create(client_for("clara"), evidence_case, data))
    assert head(client_for("rafael"), url).status_code == 404
    assert patch(client_for("rafael"), url, data, 0).status_code == 404


def test_authentication_token_or_session_with_csrf(evidence_case, personas):
    data = random_bytes(64)
    anonymous = create(APIClient(), evidence_case, data)
    assert anonymous.status_code == 401 and anonymous["Tus-Resumable"] == "1.0.0"
    token = Token.objects.create(user=personas.clara).key
    by_token = APIClient()
    by_token.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    url = _location(create(by_token, evidence_case, data))
    # A signed-in browser must send the CSRF token: a cross-site page cannot append to an upload.
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(personas.clara)
    forged = patch(browser, url, data, 0)
    assert forged.status_code == 403 and "CSRF" in forged.json()["detail"]
    secret = "a" * 32
    browser.cookies["csrftoken"] = secret
    assert patch(browser, url, data, 0, HTTP_X_CSRFTOKEN=secret).status_code == 204
