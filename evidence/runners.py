"""What each job kind does. Every runner re-verifies its inputs' SHA-256 first and records the read in custody."""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from evidence.custody import custody_append
from evidence.hashing import sha256_storage
from evidence.jobs import ProgressReporter, Runner
from evidence.models import AnalysisJob, CustodyAction, CustodyEvent, Exhibit, ExhibitFile, JobInput, Tier
from evidence.sniff import inspect
from evidence.storage import evidence_storage
from forensics import __version__ as forensics_version
from forensics.common import ForensicsInputError

logger = logging.getLogger(__name__)


class UserFacingError(Exception):
    """A failure whose message is safe and useful to show on the job (bad input, altered file...)."""


class HashMismatch(UserFacingError):
    pass


def verify_stored_file(exhibit_file: ExhibitFile, *, purpose: str, actor_id: int | None = None) -> None:
    """Re-hash the stored original; on mismatch record it in custody, alert the registry, and refuse."""
    computed = sha256_storage(evidence_storage(), exhibit_file.storage_name)
    if computed == exhibit_file.sha256:
        return
    custody_append(
        exhibit_id=exhibit_file.exhibit_id,
        action=CustodyAction.HASH_MISMATCH,
        actor_id=actor_id,
        file=exhibit_file,
        details={"expected_sha256": exhibit_file.sha256, "computed_sha256": computed, "blocked": purpose},
    )
    from evidence.alerts import alert_registry_hash_mismatch

    transaction.on_commit(lambda: alert_registry_hash_mismatch(exhibit_file_id=exhibit_file.pk, purpose=purpose))
    raise HashMismatch(
        f"The stored file {exhibit_file.exhibit.label}/{exhibit_file.original_name} no longer matches its SHA-256 "
        f"recorded at receipt; {purpose} was blocked and the registry alerted."
    )


@contextlib.contextmanager
def local_path(exhibit_file: ExhibitFile) -> Iterator[Path]:
    """A local path to read the original from: the file itself on disk storage, a streamed temp copy otherwise."""
    storage = evidence_storage()
    try:
        yield Path(storage.path(exhibit_file.storage_name))
        return
    except NotImplementedError:
        pass
    with tempfile.TemporaryDirectory(dir=settings.EVIDENCE_STAGING_DIR) as folder:
        target = Path(folder) / "input"
        with storage.open(exhibit_file.storage_name, "rb") as source, open(target, "wb") as sink:
            shutil.copyfileobj(source, sink, length=8 * 1024 * 1024)
        yield target


def _inputs(job: AnalysisJob) -> list[JobInput]:
    return list(job.inputs.select_related("file__exhibit").order_by("id"))


def _record_analysis(job: AnalysisJob, inputs: list[JobInput]) -> None:
    # The open chain may only mention jobs everyone who sees the exhibit may see: a job that also read other
    # material above the 'parties' tier is recorded on the tribunal-only chain.
    exhibits = {item.file.exhibit_id for item in inputs}
    mixed = len(exhibits) > 1 and any(item.file.exhibit.tier != Tier.PARTIES for item in inputs)
    for item in inputs:
        custody_append(
            exhibit_id=item.file.exhibit_id,
            action=CustodyAction.ANALYSED,
            actor_id=job.created_by_id,
            file=item.file,
            # A killed attempt's read stays on record; the attempt number tells it from the one that finished.
            details={
                "job": job.pk,
                "attempt": job.attempts,
                "kind": job.kind,
                "code_version": forensics_version,
                "role": item.role,
            },
            sealed=mixed,
        )


def _ingest_recorded(job: AnalysisJob, exhibit_file: ExhibitFile) -> bool:
    """Whether an earlier attempt of this job already committed its outcome (and was killed before finishing)."""
    return CustodyEvent.objects.filter(
        exhibit_id=exhibit_file.exhibit_id,
        file=exhibit_file,
        action__in=[CustodyAction.INGESTED, CustodyAction.QUARANTINED],
        details__job=job.pk,
    ).exists()


def run_ingest(job: AnalysisJob, progress: ProgressReporter) -> dict[str, Any]:
    (item,) = _inputs(job)
    exhibit_file = item.file
    if _ingest_recorded(job, exhibit_file):
        # Recording it again would add a second custody receipt and start the follow-up analyses twice.
        return exhibit_file.ingest_report
    progress(0.05, "Verifying SHA-256")
    verify_stored_file(exhibit_file, purpose="ingest")
    progress(0.4, "Detecting the type and checking the structure")
    with local_path(exhibit_file) as path:
        try:
            found = inspect(path, kind=exhibit_file.exhibit.kind)
        except ForensicsInputError as error:
            from evidence.sniff import Inspection

            found = Inspection(detected_type="malformed", quarantine=str(error))
    progress(0.8, "Recording the results")
    report = found.report()
    with transaction.atomic():
        exhibit = Exhibit.objects.select_for_update().get(pk=exhibit_file.exhibit_id)
        if _ingest_recorded(job, exhibit_file):  # a superseded attempt got here first
            return ExhibitFile.objects.get(pk=exhibit_file.pk).ingest_report
        status = ExhibitFile.Status.QUARANTINED if found.quarantine else ExhibitFile.Status.OK
        ExhibitFile.objects.filter(pk=exhibit_file.pk).update(
            status=status,
            detected_type=found.detected_type[:120],
            quarantine_reason=found.quarantine,
            ingest_report=report,
        )
        if found.text:
            exhibit.search_text = (exhibit.search_text + "\n" + found.text)[: settings.EVIDENCE_SEARCH_TEXT_MAX_CHARS]
        files = list(exhibit.files.values_list("status", flat=True))
        if ExhibitFile.Status.QUARANTINED in files:
            exhibit.status = Exhibit.Status.QUARANTINED
        elif ExhibitFile.Status.INGESTING not in files:
            exhibit.status = Exhibit.Status.READY
        exhibit.save(update_fields=["search_text", "status"])
        custody_append(
            exhibit_id=exhibit.pk,
            action=CustodyAction.QUARANTINED if found.quarantine else CustodyAction.INGESTED,
            actor_id=None,
            actor_role="system",
            file=exhibit_file,
            details={
                "job": job.pk,
                "detected_type": found.detected_type,
                "checks": found.checks,
                "warnings": found.warnings,
                "quarantine": found.quarantine,
                "code_version": forensics_version,
            },
        )
        if not found.quarantine:
            from evidence.analyses import follow_up_analyses

            follow_up_analyses(exhibit_file=exhibit_file, created_by_id=job.created_by_id)
    return report


def run_analysis(job: AnalysisJob, progress: ProgressReporter) -> dict[str, Any]:
    from evidence.analyses import ANALYSES

    inputs = _inputs(job)
    for item in inputs:
        verify_stored_file(item.file, purpose=f"analysis job #{job.pk}")
    _record_analysis(job, inputs)
    with contextlib.ExitStack() as stack:
        paths = {item.role: stack.enter_context(local_path(item.file)) for item in inputs}
        hashes = {item.role: item.file.sha256 for item in inputs}
        try:
            return ANALYSES[job.kind](paths, job.parameters, progress, hashes)
        except ForensicsInputError as error:
            raise UserFacingError(str(error)) from None


RUNNERS: dict[str, Runner] = {
    "ingest": run_ingest,
    "weights.lineage": run_analysis,
    "logs.extraction": run_analysis,
    "text.watermark": run_analysis,
    "text.similarity": run_analysis,
}
