"""The case export from the case page and the API: the same ZIP as `manage.py export_case` (evidence.bundle), made
for the requesting user, written to a private temporary file on local disk (never built in memory) and streamed.

Why not a background job: the ZIP is written at disk speed and the originals copied into a web export are capped
(TRIBUNAL_EXPORT_MAX_FILE_BYTES each; larger ones are listed in the manifest with their SHA-256, and the operator's
`export_case --max-file-mb` includes them), so the wait is bounded by the case's small files, not by its 40 GB
weights. One export per user at a time keeps a hurried double-click from filling the disk.

The temporary file is unlinked as soon as it is open: the stream reads the open handle and the disk space is freed
when the response closes it, whatever happens to the connection. Every exhibit exported is recorded in its custody.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import zipfile
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.text import slugify

from disputes import permissions as case_permissions
from disputes.exceptions import NotPermitted, WrongState
from disputes.models import Case
from evidence.bundle import case_bundle_write
from evidence.custody import custody_append
from evidence.models import CustodyAction

logger = logging.getLogger(__name__)

LOCK_SECONDS = 30 * 60


def export_dir() -> Path:
    directory = Path(settings.EVIDENCE_STAGING_DIR) / "exports"
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    return directory


def export_filename(case: Case) -> str:
    return slugify(f"{case.display_reference}-export-{timezone.now():%Y%m%d-%H%M}") + ".zip"


def case_export_open(*, user: Any, case: Case, ip: str | None) -> tuple[IO[bytes], int]:
    """Build the user's export and return (an open handle on it, its size). The caller streams and closes it."""
    if not user.has_perm("disputes.export_case", case):
        raise NotPermitted("Only the parties' representatives, the tribunal and the registry may export a case.")
    lock = f"case-export:{user.pk}"
    if not cache.add(lock, 1, timeout=LOCK_SECONDS):
        raise WrongState("An export of yours is already being prepared; wait for it to finish.")
    handle = tempfile.NamedTemporaryFile(dir=export_dir(), prefix="export-", suffix=".zip", delete=False)  # noqa: SIM115
    path = Path(handle.name)
    handle.close()
    try:
        case_bundle_write(case=case, user=user, target=path, max_file_bytes=settings.TRIBUNAL_EXPORT_MAX_FILE_BYTES)
        with zipfile.ZipFile(path) as bundle:
            manifest = json.loads(bundle.read("manifest.json"))
        _record_custody(user=user, case=case, manifest=manifest, ip=ip)
        stream = path.open("rb")
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    finally:
        cache.delete(lock)
    size = os.fstat(stream.fileno()).st_size
    path.unlink()  # the open handle keeps the bytes until the response closes it
    logger.info("case export: case=%s user=%s exhibits=%d bytes=%d", case.pk, user.pk, len(manifest["exhibits"]), size)
    return stream, size


def _record_custody(*, user: Any, case: Case, manifest: dict[str, Any], ip: str | None) -> None:
    roles = sorted(case_permissions.case_roles(user, case))
    # The open chain: the entry names only this exhibit's own files, nothing about any other exhibit.
    for exhibit in manifest["exhibits"]:
        custody_append(
            exhibit_id=exhibit["id"],
            action=CustodyAction.EXPORTED,
            actor_id=user.pk,
            actor_role=roles[0] if roles else "",
            ip=ip,
            details={
                "export": "case bundle",
                "format": manifest["format"],
                "files_included": [f["id"] for f in exhibit["files"] if f["included"]],
            },
        )
