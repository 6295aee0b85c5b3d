"""The backup and restore drill of docs/operations.md, end to end: back up a seeded site, restore it into a fresh
database (a new SQLite file, or a new PostgreSQL database) and fresh storage folders with `manage.py restore` in
another process, check that the audit chains and every exhibit file's SHA-256 verify there, then corrupt a
restored original and check that `verify_evidence` catches it."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection

from disputes.models import Case, CaseEvent
from evidence.backup import BackupError, backup_restore
from evidence.models import CustodyEvent, ExhibitFile
from tests.evidence.helpers import random_bytes, upload

BASE_DIR = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


def _url(db: dict[str, Any], name: str) -> str:
    user = quote(str(db.get("USER") or ""), safe="")
    password = quote(str(db.get("PASSWORD") or ""), safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}{db.get('HOST') or ''}{port}/{name}"


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[str]:
    """DATABASE_URL of a new, empty database: a new SQLite file, or a PostgreSQL database made (and dropped) here."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    import psycopg

    name = f"faults_restore_{uuid.uuid4().hex[:10]}"
    admin_url = _url(db, "postgres")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _url(db, name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _manage(*args: str, database_url: str, var_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "TRIBUNAL_VAR_DIR": str(var_dir),
        "CELERY_BROKER_URL": "filesystem://",  # restore sends no task; keep it off any shared broker
    }
    env.pop("REDIS_CACHE_URL", None)
    return subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_backup_restores_into_a_fresh_site_that_verifies_and_a_corrupted_original_is_caught(
    case_at, personas, tmp_path, fresh_database, capsys
):
    # A case with its audit trail, three exhibits (received, ingested: custody rows), and a document in media.
    case = case_at("evidence")
    originals = {f"exhibit-{i}.bin": random_bytes(200_000 + i) for i in range(3)}
    for name, data in originals.items():
        upload(personas.clara, case, data, kind="other", title=name, filename=name)
    default_storage.save(f"filings/{case.pk}/statement.txt", ContentFile(b"The claimant's statement of claim.\n"))
    cases, events = Case.objects.count(), CaseEvent.objects.count()
    assert events >= 3 and CustodyEvent.objects.count() >= 6 and ExhibitFile.objects.count() == 3
    call_command("verify_evidence")  # the live site is sound before it is backed up

    call_command("backup", str(tmp_path / "backups"))
    (folder,) = (tmp_path / "backups").iterdir()
    assert {p.name for p in folder.iterdir()} >= {"manifest.json", "SHA256SUMS", "evidence.tar", "media.tar"}
    assert subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=folder, check=False).returncode == 0

    # A fresh site: a new database and empty storage folders, restored by another process as an operator would.
    var_dir = tmp_path / "restored-var"
    restored = _manage("restore", str(folder), database_url=fresh_database, var_dir=var_dir)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "evidence: 3 files restored" in restored.stdout and "media: 1 files restored" in restored.stdout
    assert f"OK: {cases} case audit chain(s) verified." in restored.stdout
    assert "OK: 3 exhibit file(s) re-hashed" in restored.stdout, restored.stdout
    for name, data in originals.items():
        path = var_dir / "evidence" / "exhibits" / str(case.pk) / hashlib.sha256(data).hexdigest()
        assert path.read_bytes() == data, name
    assert (var_dir / "media" / "filings" / str(case.pk) / "statement.txt").exists()

    # Restoring over a site that has data is refused (here, the live test database).
    with pytest.raises(BackupError, match="already has tables"):
        backup_restore(folder)

    # Corrupt one restored original: the verifier names it and fails.
    victim = var_dir / "evidence" / "exhibits" / str(case.pk) / hashlib.sha256(originals["exhibit-1.bin"]).hexdigest()
    victim.chmod(0o640)
    content = bytearray(victim.read_bytes())
    content[len(content) // 2] ^= 0x01
    victim.write_bytes(bytes(content))
    verified = _manage("verify_evidence", database_url=fresh_database, var_dir=var_dir)
    assert verified.returncode != 0
    assert "exhibit-1.bin" in verified.stderr and "differs from" in verified.stderr, verified.stderr
    assert "1 problem(s) in 3 exhibit file(s)" in verified.stderr

    # A damaged backup is refused before anything is restored.
    archive = folder / "evidence.tar"
    data = bytearray(archive.read_bytes())
    data[-1] ^= 0x01
    archive.write_bytes(bytes(data))
    with pytest.raises(BackupError, match=r"evidence\.tar does not match its SHA-256"):
        backup_restore(folder)
    with capsys.disabled():
        print(
            f"\nbackup/restore drill ({connection.vendor}): {cases} case chain(s), {events} audit events, 3 exhibit "
            "files restored and verified; 1 corrupted original caught; 1 damaged backup refused"
        )
