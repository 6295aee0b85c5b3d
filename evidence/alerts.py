"""Registry alerts about evidence integrity."""

from __future__ import annotations

from disputes import notifications
from evidence.models import ExhibitFile


def alert_registry_hash_mismatch(*, exhibit_file_id: int, purpose: str) -> None:
    exhibit_file = ExhibitFile.objects.select_related("exhibit__case").get(pk=exhibit_file_id)
    case = exhibit_file.exhibit.case
    # Registry-only message: the exhibit label is enough to find it; no title, which could be sealed content.
    notifications.notify(
        users=notifications.registrars(),
        case=case,
        key=f"hash-mismatch:{exhibit_file.pk}:{purpose}"[:120],
        kind="integrity",
        subject=f"[{case.display_reference}] Integrity alert: exhibit {exhibit_file.exhibit.label}",
        body=(
            f"A stored original of exhibit {exhibit_file.exhibit.label} failed SHA-256 verification before "
            f"{purpose}. The action was blocked. Investigate the storage and the custody log."
        ),
        url=notifications.case_url(case),
    )
