"""Case export bundle: a ZIP a third party can verify offline with `tools/verify_bundle.py` (standard library only).

Contents, for what the requesting user may see:
- `case.json` — reference, title, parties, state;
- `audit.jsonl` — the case's hash-chained events, with the chain head;
- `exhibits/<label>/custody.jsonl` — each exhibit's custody chain(s), with heads;
- `exhibits/<label>/files/<sha256>` — the original files up to `max_file_bytes` each (larger ones, and for the
  parties quarantined ones, are listed in the manifest with their SHA-256 only);
- `manifest.json` — every file with its SHA-256 and size, and how the bundle was made.
"""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from disputes import permissions as case_permissions
from disputes.models import Case, EventVisibility
from evidence import permissions
from evidence.models import Exhibit, ExhibitFile
from evidence.storage import evidence_storage

FORMAT = "tribunal-case-bundle/1"


def _event_row(event: Any) -> dict[str, Any]:
    return {
        "case": event.case_id,
        "seq": event.seq,
        "name": event.name,
        "from": event.from_state,
        "to": event.to_state,
        "actor": event.actor_id,
        "actor_role": event.actor_role,
        "at": event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "payload": event.payload,
        "visibility": event.visibility,
        "prev": event.prev_hash,
        "hash": event.hash,
    }


def _custody_row(row: Any) -> dict[str, Any]:
    return {
        "exhibit": row.exhibit_id,
        "seq": row.seq,
        "sealed": row.sealed,
        "action": row.action,
        "file": row.file_id,
        "actor": row.actor_id,
        "actor_role": row.actor_role,
        "at": row.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "ip": row.ip,
        "details": row.details,
        "prev": row.prev_hash,
        "hash": row.hash,
    }


def _jsonl(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(row, sort_keys=True, ensure_ascii=False) + "\n" for row in rows)


def case_bundle_write(*, case: Case, user: Any, target: Path, max_file_bytes: int = 200 * 1024 * 1024) -> Path:
    tribunal_side = case_permissions.is_tribunal_side(user, case)
    events = case.events.order_by("seq")
    if not tribunal_side:
        events = events.filter(visibility=EventVisibility.ALL)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "case": case.reference,
        "made_at": datetime.now(UTC).isoformat(),
        "made_for": user.email,
        "audit_head": case.audit_head
        if tribunal_side or not case.events.exclude(visibility=EventVisibility.ALL).exists()
        else None,
        "audit_length": case.audit_length,
        "exhibits": [],
    }
    storage = evidence_storage()
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as bundle:
        parties = [{"side": p.side, "name": p.name} for p in case.parties.all()]
        bundle.writestr(
            "case.json",
            json.dumps(
                {"reference": case.reference, "title": case.title, "state": case.state, "parties": parties}, indent=2
            ),
        )
        bundle.writestr("audit.jsonl", _jsonl([_event_row(e) for e in events]))
        for exhibit in permissions.visible_exhibits(user, case, include_withdrawn=True).order_by("side", "number"):
            manifest["exhibits"].append(_add_exhibit(bundle, exhibit, tribunal_side, storage, max_file_bytes))
        bundle.writestr("manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
    return target


def _add_exhibit(
    bundle: zipfile.ZipFile, exhibit: Exhibit, tribunal_side: bool, storage: Any, max_file_bytes: int
) -> dict[str, Any]:
    folder = f"exhibits/{exhibit.label}"
    custody = exhibit.custody.order_by("sealed", "seq")
    if not tribunal_side:
        custody = custody.filter(sealed=False)
    bundle.writestr(f"{folder}/custody.jsonl", _jsonl([_custody_row(r) for r in custody]))
    files = []
    for exhibit_file in exhibit.files.order_by("id"):
        # A quarantined original (e.g. a pickle that would run code) goes only to the tribunal side, as downloads do.
        quarantined = exhibit_file.status == ExhibitFile.Status.QUARANTINED
        included = exhibit_file.size <= max_file_bytes and (tribunal_side or not quarantined)
        if included:
            with (
                storage.open(exhibit_file.storage_name, "rb") as source,
                bundle.open(f"{folder}/files/{exhibit_file.sha256}", "w", force_zip64=True) as sink,
            ):
                while chunk := source.read(8 * 1024 * 1024):
                    sink.write(chunk)
        files.append(
            {
                "id": exhibit_file.pk,
                "name": exhibit_file.original_name,
                "sha256": exhibit_file.sha256,
                "size": exhibit_file.size,
                "included": included,
                "quarantined": quarantined,
            }
        )
    return {
        "id": exhibit.pk,
        "label": exhibit.label,
        "title": exhibit.title,
        "tier": exhibit.tier,
        "withdrawn": exhibit.withdrawn_at is not None,
        "files": files,
        "custody_head": exhibit.custody_head,
        "custody_length": exhibit.custody_length,
        "sealed_custody_head": exhibit.sealed_custody_head if tribunal_side else None,
        "sealed_custody_length": exhibit.sealed_custody_length if tribunal_side else None,
    }
