"""Backups of the whole registry (database, evidence originals, documents) and their restore into a fresh site.

A backup is a folder `tribunal-backup-<UTC time>/` holding:
- `database.sqlite3` (SQLite's online backup: consistent while the site runs) or `database.pgdump`
  (`pg_dump --format=custom`);
- `evidence.tar` and `media.tar`: the local evidence storage (write-once originals) and the default storage
  (filings, reports, bundles), paths relative to each root;
- `manifest.json`: the format, when, which database engine, the latest migration of every app, and the SHA-256 and
  size of every file inside the archives;
- `SHA256SUMS`: the archives' and the dump's digests, checkable with `sha256sum -c SHA256SUMS` and no Tribunal.

The database is dumped before the files are archived: an original is stored before the row that names it commits,
so every file a dumped row names is already on disk when the archive is made. (A file stored after the dump is
archived too; it names no row and is listed by `verify_evidence` as unreferenced.)

Restore refuses a target database that already has tables or storage folders that are not empty, checks every
digest before and after unpacking, and unpacks only regular files and folders inside the target root.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.files.storage import storages
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

FORMAT = "tribunal-backup/1"
READ_BLOCK = 8 * 1024 * 1024
STORAGES = {"evidence": "evidence.tar", "media": "media.tar"}  # archive name per storage ("media" = default)


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


Say = Callable[[str], None]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(READ_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _engine() -> str:
    engine = str(connection.settings_dict["ENGINE"])
    if engine.endswith("sqlite3"):
        return "sqlite"
    if engine.endswith("postgresql"):
        return "postgresql"
    raise BackupError(f"Unsupported database engine {engine}.")


def _storage_root(alias: str) -> Path:
    storage = storages["default" if alias == "media" else alias]
    try:
        return Path(storage.path(""))
    except NotImplementedError:
        raise BackupError(
            f"The {alias} storage is object storage (S3): back it up with bucket versioning and replication "
            "(docs/operations.md), and run this command with --database-only."
        ) from None


def _pg_env_and_args() -> tuple[dict[str, str], list[str]]:
    db = connection.settings_dict
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    args = []
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    return env, [*args, "--dbname", str(db["NAME"])]


def _run(argv: list[str], env: dict[str, str]) -> None:
    try:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(f"{argv[0]} is not installed (PostgreSQL client tools are needed).") from None
    if done.returncode != 0:
        raise BackupError(f"{argv[0]} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


# --- Backup -------------------------------------------------------------------------------------------------------


def _dump_database(folder: Path) -> Path:
    if _engine() == "sqlite":
        target = folder / "database.sqlite3"
        connection.ensure_connection()
        with sqlite3.connect(target) as copy:
            connection.connection.backup(copy)  # SQLite's online backup API: a consistent snapshot, WAL included
        copy.close()
        return target
    target = folder / "database.pgdump"
    env, args = _pg_env_and_args()
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(target), *args], env)
    return target


def _archive(root: Path, target: Path) -> dict[str, dict[str, Any]]:
    """tar the storage root (regular files only, relative names, sorted); return each file's SHA-256 and size."""
    files: dict[str, dict[str, Any]] = {}
    with tarfile.open(target, "w") as archive:
        for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
            name = path.relative_to(root).as_posix()
            files[name] = {"sha256": _sha256(path), "size": path.stat().st_size}
            archive.add(path, arcname=name, recursive=False)
    return files


def backup_create(destination: Path, *, database_only: bool = False, say: Say = lambda _: None) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = destination / f"tribunal-backup-{stamp}"
    if folder.exists():
        raise BackupError(f"{folder} already exists.")
    roots = {} if database_only else {alias: _storage_root(alias) for alias in STORAGES}
    folder.mkdir(parents=True, mode=0o700)
    dump = _dump_database(folder)
    say(f"database: {dump.name} ({dump.stat().st_size:,} bytes)")
    archives: dict[str, Any] = {}
    for alias, root in roots.items():
        target = folder / STORAGES[alias]
        root.mkdir(parents=True, exist_ok=True)  # a site with no file yet has no folder yet
        files = _archive(root, target)
        archives[alias] = {"archive": target.name, "root": str(root), "files": files}
        say(f"{alias}: {target.name} ({len(files)} files, {sum(f['size'] for f in files.values()):,} bytes)")
    top = [dump] + [folder / STORAGES[alias] for alias in roots]
    digests = {path.name: {"sha256": _sha256(path), "size": path.stat().st_size} for path in top}
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": {"engine": _engine(), "file": dump.name},
        "migrations": {
            row.app: row.name for row in MigrationRecorder.Migration.objects.order_by("applied", "id").iterator()
        },
        "storages": archives,
        "digests": digests,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    sums = "".join(f"{entry['sha256']}  {name}\n" for name, entry in digests.items())
    (folder / "SHA256SUMS").write_text(sums + f"{_sha256(folder / 'manifest.json')}  manifest.json\n")
    return folder


# --- Restore ------------------------------------------------------------------------------------------------------


@dataclass
class Restored:
    engine: str
    files: dict[str, int]


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / "manifest.json"
    if not path.is_file():
        raise BackupError(f"{folder} is not a Tribunal backup (no manifest.json).")
    sums = folder / "SHA256SUMS"
    if sums.is_file():
        listed = {name: digest for digest, _, name in (line.partition("  ") for line in sums.read_text().splitlines())}
        if listed.get("manifest.json") != _sha256(path):
            raise BackupError("manifest.json does not match its digest in SHA256SUMS: the backup was altered.")
    try:
        manifest = json.loads(path.read_text())
    except ValueError as error:
        raise BackupError(f"manifest.json is not valid JSON: {error}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Unknown backup format {manifest.get('format')!r} (this version reads {FORMAT}).")
    for name, entry in manifest["digests"].items():
        file = folder / name
        if not file.is_file():
            raise BackupError(f"{name} is missing from the backup.")
        if _sha256(file) != entry["sha256"]:
            raise BackupError(f"{name} does not match its SHA-256 in the manifest: the backup is damaged.")
    return manifest


def _database_is_empty() -> bool:
    with connection.cursor() as cursor:
        return not connection.introspection.table_names(cursor)


def _restore_database(folder: Path, manifest: dict[str, Any]) -> None:
    engine = manifest["database"]["engine"]
    if engine != _engine():
        raise BackupError(f"This backup is of a {engine} database; the configured database is {_engine()}.")
    if not _database_is_empty():
        raise BackupError(
            f"The target database {connection.settings_dict['NAME']} already has tables: restore into a new, "
            "empty database (create it, point DATABASE_URL at it, run restore)."
        )
    dump = folder / manifest["database"]["file"]
    if engine == "sqlite":
        connection.close()
        with sqlite3.connect(dump) as source, sqlite3.connect(str(connection.settings_dict["NAME"])) as target:
            source.backup(target)
        source.close()
        target.close()
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA integrity_check")
            (result,) = cursor.fetchone()
        if result != "ok":
            raise BackupError(f"The restored SQLite database fails its integrity check: {result}")
        return
    env, args = _pg_env_and_args()
    connection.close()
    _run(
        ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", *args, str(dump)],
        env,
    )


def _safe_members(archive: tarfile.TarFile, expected: dict[str, Any]) -> list[tarfile.TarInfo]:
    members = []
    for member in archive.getmembers():
        name = Path(member.name)
        if name.is_absolute() or ".." in name.parts or not (member.isfile() or member.isdir()):
            raise BackupError(f"Refusing archive member {member.name!r}: not a plain file inside the storage.")
        if member.isfile() and member.name not in expected:
            raise BackupError(f"Archive member {member.name!r} is not in the manifest.")
        members.append(member)
    return members


def _restore_storage(folder: Path, alias: str, entry: dict[str, Any]) -> int:
    root = _storage_root(alias)
    if root.exists() and any(root.iterdir()):
        raise BackupError(f"The {alias} storage folder {root} is not empty: restore into a new, empty folder.")
    root.mkdir(parents=True, exist_ok=True)
    expected = entry["files"]
    with tarfile.open(folder / entry["archive"], "r") as archive:
        for member in _safe_members(archive, expected):
            target = root / member.name
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            source = archive.extractfile(member)
            assert source is not None
            with source, open(target, "xb") as sink:
                shutil.copyfileobj(source, sink, READ_BLOCK)
            if alias == "evidence":
                target.chmod(0o440)  # originals stay read-only, as the write-once storage makes them
    for name, file in expected.items():
        path = root / name
        if not path.is_file() or _sha256(path) != file["sha256"]:
            raise BackupError(f"{alias}/{name} did not restore intact (missing or SHA-256 differs).")
    return len(expected)


def backup_restore(folder: Path, *, say: Say = lambda _: None) -> Restored:
    manifest = _read_manifest(folder)
    say(f"backup {folder.name}: digests verified")
    for alias in manifest["storages"]:
        _storage_root(alias)  # object storage cannot take a file restore: fail before touching the database
    _restore_database(folder, manifest)
    say(f"database restored ({manifest['database']['engine']}) into {connection.settings_dict['NAME']}")
    files = {}
    for alias, entry in manifest["storages"].items():
        files[alias] = _restore_storage(folder, alias, entry)
        say(f"{alias}: {files[alias]} files restored to {_storage_root(alias)}, each SHA-256 verified")
    return Restored(engine=manifest["database"]["engine"], files=files)
