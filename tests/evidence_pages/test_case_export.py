"""Case export from the case page and the API: a streamed ZIP of what the requester may see, which verifies offline
with tools/verify_bundle.py; the other side's has no sealed material; outsiders get 404, anonymous callers sign-in
(page) or 401 (API); every exhibit exported is recorded in custody; the temporary file does not outlive the stream."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from evidence.models import CustodyAction, CustodyEvent
from evidence.services.exports import export_dir

VERIFIER = Path(__file__).resolve().parents[2] / "tools" / "verify_bundle.py"
SEALED = b"SEALED-EXPORT-CANARY-7c1d"


def verify(data: bytes, tmp_path: Path) -> tuple[int, str]:
    path = tmp_path / "export.zip"
    path.write_bytes(data)
    result = subprocess.run([sys.executable, "-I", str(VERIFIER), str(path)], capture_output=True, text=True)
    return result.returncode, result.stdout


def unzip(data: bytes) -> tuple[dict, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        everything = b"".join(archive.read(name) for name in archive.namelist())
    return manifest, everything


@pytest.fixture
def export_world(evidence_case, personas, file_exhibit):
    licence = file_exhibit(personas.clara, evidence_case, b"licence agreement text", title="Licence")
    sealed = file_exhibit(
        personas.rafael, evidence_case, SEALED + b" inside", title=SEALED.decode() + " title", tier="tribunal"
    )
    return evidence_case, licence.exhibit, sealed.exhibit


def body_of(response) -> bytes:
    assert response.streaming  # never built in memory by the view
    return b"".join(response.streaming_content)


@pytest.mark.django_db
def test_the_tribunal_export_from_the_page_verifies_and_holds_the_sealed_exhibit(
    export_world, personas, as_user, tmp_path
):
    case, licence, sealed = export_world
    ada = as_user(personas.ada)
    page = ada.get(f"/cases/{case.pk}/").content.decode()
    assert f'href="/cases/{case.pk}/export.zip"' in page
    response = ada.get(f"/cases/{case.pk}/export.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    data = body_of(response)
    assert int(response["Content-Length"]) == len(data)
    code, out = verify(data, tmp_path)
    assert code == 0 and out.startswith("INTACT"), out
    manifest, everything = unzip(data)
    assert {e["label"] for e in manifest["exhibits"]} >= {licence.label, sealed.label}
    assert SEALED in everything and manifest["made_for"] == personas.ada.email
    for exhibit in (licence, sealed):
        row = CustodyEvent.objects.get(exhibit=exhibit, action=CustodyAction.EXPORTED)
        assert row.actor_id == personas.ada.pk and not row.sealed
    assert list(export_dir().iterdir()) == []  # the temporary ZIP is gone once the stream is open


@pytest.mark.django_db
def test_the_other_side_export_has_no_sealed_material_and_verifies(export_world, personas, as_user, tmp_path):
    case, licence, sealed = export_world
    data = body_of(as_user(personas.clara).get(f"/cases/{case.pk}/export.zip"))
    manifest, everything = unzip(data)
    assert SEALED not in everything and sealed.label not in {e["label"] for e in manifest["exhibits"]}
    assert licence.label in {e["label"] for e in manifest["exhibits"]}
    assert verify(data, tmp_path)[0] == 0
    assert not CustodyEvent.objects.filter(exhibit=sealed, action=CustodyAction.EXPORTED).exists()


@pytest.mark.django_db
def test_the_api_streams_the_export_for_the_caller(export_world, personas, tmp_path):
    case, _, sealed = export_world
    client = APIClient()
    client.force_login(personas.rafael)  # his own sealed exhibit is his to export
    response = client.get(f"/api/v1/cases/{case.pk}/export/", HTTP_ACCEPT="application/zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    data = body_of(response)
    assert verify(data, tmp_path)[0] == 0
    manifest, everything = unzip(data)
    assert manifest["made_for"] == personas.rafael.email and SEALED in everything
    assert sealed.label in {e["label"] for e in manifest["exhibits"]}


@pytest.mark.django_db
def test_outsiders_get_404_and_anonymous_callers_sign_in(export_world, personas, as_user, client):
    case, _, _ = export_world
    for name in ("uma", "otto"):
        assert as_user(getattr(personas, name)).get(f"/cases/{case.pk}/export.zip").status_code == 404
        api = APIClient()
        api.force_login(getattr(personas, name))
        assert api.get(f"/api/v1/cases/{case.pk}/export/").status_code == 404
    response = client.get(f"/cases/{case.pk}/export.zip")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert APIClient().get(f"/api/v1/cases/{case.pk}/export/").status_code == 401
    assert not CustodyEvent.objects.filter(action=CustodyAction.EXPORTED).exists()


@pytest.mark.django_db
def test_one_export_at_a_time_per_user(export_world, personas, as_user):
    case, _, _ = export_world
    cache.add(f"case-export:{personas.clara.pk}", 1, timeout=60)  # an export of hers is being prepared
    api = APIClient()
    api.force_login(personas.clara)
    busy = api.get(f"/api/v1/cases/{case.pk}/export/")
    assert busy.status_code == 409 and "already being prepared" in busy.json()["detail"]
    page = as_user(personas.clara).get(f"/cases/{case.pk}/export.zip")
    assert page.status_code == 302 and page["Location"] == f"/cases/{case.pk}/"
