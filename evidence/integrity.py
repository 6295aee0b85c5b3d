"""Re-verify the whole vault: every stored original against the SHA-256 recorded at receipt, every custody chain.

Used by `manage.py verify_evidence` (after a restore, and on a schedule). Read-only: unlike the check before an
analysis or a download (`evidence.runners.verify_stored_file`), it records nothing and alerts nobody; it reports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evidence.custody import custody_verify
from evidence.hashing import sha256_storage
from evidence.models import Exhibit, ExhibitFile
from evidence.storage import evidence_storage


@dataclass
class VaultReport:
    files: int = 0
    bytes: int = 0
    chains: int = 0
    problems: list[str] = field(default_factory=list)
    unreferenced: list[str] = field(default_factory=list)  # stored files no record names (not evidence)

    @property
    def ok(self) -> bool:
        return not self.problems


def _stored_names(storage: Any) -> Iterator[str] | None:
    """Every file in local evidence storage (None for object storage, whose listing is the bucket's business)."""
    try:
        root = Path(storage.path(""))
    except NotImplementedError:
        return None
    return (str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def vault_verify(
    *, case_reference: str | None = None, on_file: Callable[[ExhibitFile], None] | None = None
) -> VaultReport:
    storage = evidence_storage()
    report = VaultReport()
    files = ExhibitFile.objects.select_related("exhibit__case").order_by("id")
    exhibits = Exhibit.objects.order_by("id")
    if case_reference:
        files = files.filter(exhibit__case__reference=case_reference)
        exhibits = exhibits.filter(case__reference=case_reference)
    for exhibit_file in files.iterator():
        where = f"{exhibit_file.exhibit.case.reference} {exhibit_file.exhibit.label}/{exhibit_file.original_name}"
        report.files += 1
        if on_file:
            on_file(exhibit_file)
        if not storage.exists(exhibit_file.storage_name):
            report.problems.append(f"{where}: stored file {exhibit_file.storage_name} is missing")
            continue
        computed = sha256_storage(storage, exhibit_file.storage_name)
        if computed != exhibit_file.sha256:
            report.problems.append(
                f"{where}: SHA-256 {computed} of {exhibit_file.storage_name} differs from {exhibit_file.sha256} "
                "recorded at receipt"
            )
            continue
        report.bytes += exhibit_file.size
    for exhibit in exhibits.select_related("case").iterator():
        report.chains += 1
        problem = custody_verify(exhibit)
        if problem:
            report.problems.append(f"{exhibit.case.reference} {exhibit.label}: custody chain: {problem}")
    if not case_reference:
        names = _stored_names(storage)
        if names is not None:
            known = set(ExhibitFile.objects.values_list("storage_name", flat=True))
            report.unreferenced = sorted(name for name in names if name not in known)
    return report
