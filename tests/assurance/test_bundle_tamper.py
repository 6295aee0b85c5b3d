"""Case export bundles verify offline with tools/verify_bundle.py (standard library only, run with `python3 -I`),
and every kind of tampering — a flipped byte in an original, a deleted, inserted, reordered or altered audit or
custody entry, a truncated log — is caught. Sealed material stays out of the other side's bundle."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.evidence.helpers import upload

VERIFIER = Path(__file__).resolve().parents[2] / "tools" / "verify_bundle.py"


def verify(path: Path) -> tuple[int, str]:
    result = subprocess.run(
        [sys.executable, "-I", str(VERIFIER), str(path)], capture_output=True, text=True, check=False
    )
    return result.returncode, result.stdout


def rewrite(source: Path, target: Path, member: str, change) -> Path:
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for item in original.infolist():
            data = original.read(item.filename)
            copy.writestr(item, change(data) if item.filename == member else data)
    return target


def lines_of(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


@pytest.fixture
def bundle(case_at, personas, tmp_path, django_capture_on_commit_callbacks):
    case = case_at("evidence")
    with django_capture_on_commit_callbacks(execute=True):
        upload(personas.clara, case, b"licence agreement text", kind="document", title="Licence")
        upload(personas.rafael, case, b"SEALED-CANARY secret", kind="document", title="Sealed", tier="tribunal")
    path = tmp_path / "bundle.zip"
    call_command("export_case", case.reference, "--for", personas.ada.email, "-o", str(path))
    return case, path


@pytest.mark.django_db
def test_intact_bundle_verifies(bundle):
    _, path = bundle
    code, out = verify(path)
    assert code == 0 and out.startswith("INTACT") and "exhibit C-1" in out and "exhibit R-1" in out


@pytest.mark.django_db
def test_other_side_bundle_has_no_sealed_material(bundle, personas, tmp_path):
    case, _ = bundle
    path = tmp_path / "clara.zip"
    call_command("export_case", case.reference, "--for", personas.clara.email, "-o", str(path))
    with zipfile.ZipFile(path) as archive:
        everything = b"".join(archive.read(name) for name in archive.namelist())
    assert b"SEALED-CANARY" not in everything and b"Sealed" not in everything
    assert verify(path)[0] == 0


TAMPERINGS = {
    "flipped byte in an original": ("files", lambda d: bytes([d[0] ^ 1]) + d[1:]),
    "audit entry altered": ("audit.jsonl", lambda d: d.replace(b'"serve_notice"', b'"dismiss"', 1)),
    "audit entry deleted": ("audit.jsonl", lambda d: b"".join(lines_of(d)[:2] + lines_of(d)[3:])),
    "audit entry inserted": ("audit.jsonl", lambda d: b"".join(lines_of(d)[:3] + lines_of(d)[2:])),
    "audit entries reordered": (
        "audit.jsonl",
        lambda d: b"".join([*lines_of(d)[:1], lines_of(d)[2], lines_of(d)[1], *lines_of(d)[3:]]),
    ),
    "audit log truncated": ("audit.jsonl", lambda d: b"".join(lines_of(d)[:-1])),
    "custody entry deleted": ("custody", lambda d: b"".join(lines_of(d)[1:])),
    "custody entry altered": ("custody", lambda d: d.replace(b'"received"', b'"ingested"', 1)),
    "custody truncated": ("custody", lambda d: b"".join(lines_of(d)[:-1])),
}


@pytest.mark.django_db
@pytest.mark.parametrize("tampering", sorted(TAMPERINGS))
def test_tampering_is_detected(tampering, bundle, tmp_path):
    _, path = bundle
    where, change = TAMPERINGS[tampering]
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    first = manifest["exhibits"][0]
    member = {
        "files": f"exhibits/{first['label']}/files/{first['files'][0]['sha256']}",
        "custody": f"exhibits/{first['label']}/custody.jsonl",
    }.get(where, where)
    tampered = rewrite(path, tmp_path / "tampered.zip", member, change)
    code, out = verify(tampered)
    assert code == 1 and out.startswith("NOT INTACT"), (tampering, out)
