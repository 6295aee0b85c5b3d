"""Hearing bundles: the tribunal chooses docket items and exhibits; a worker builds the PDF (evidence.hearing_bundle)
and the page polls the bundle row for progress.

The row is the truth, like an analysis job's: each attempt claims it under a row lock with a fresh `run_token`, and
only that attempt may record progress or finish it. A worker that dies leaves a stale heartbeat; the message is
redelivered (acks_late) and the next attempt takes over. Each exhibit put in a bundle gets a custody entry.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from disputes import permissions as case_permissions
from disputes.exceptions import InvalidPayload, NotPermitted, WrongState
from disputes.models import Case, Filing
from evidence import permissions
from evidence.custody import custody_append
from evidence.hearing_bundle import BundleError, hearing_bundle_pdf
from evidence.models import CustodyAction, Exhibit, HearingBundle, JobStatus, Tier
from evidence.runners import UserFacingError

logger = logging.getLogger(__name__)


class BundleSuperseded(Exception):
    """Another attempt owns the bundle now: stop without writing."""


def hearing_bundle_create(
    *, user: Any, case: Case, title: str, filing_ids: list[int], exhibit_ids: list[int]
) -> HearingBundle:
    if not permissions.may_make_hearing_bundle(user, case):
        raise NotPermitted("Only the tribunal and the registry prepare hearing bundles.")
    title = " ".join(title.split())[:200] or "Hearing bundle"
    filing_ids, exhibit_ids = sorted(set(filing_ids)), sorted(set(exhibit_ids))
    if not filing_ids and not exhibit_ids:
        raise InvalidPayload("Choose at least one docket item or exhibit.")
    if len(filing_ids) + len(exhibit_ids) > settings.TRIBUNAL_BUNDLE_MAX_ITEMS:
        raise InvalidPayload(f"A bundle holds at most {settings.TRIBUNAL_BUNDLE_MAX_ITEMS} items; split it.")
    known_filings = set(Filing.objects.filter(case=case, pk__in=filing_ids).values_list("pk", flat=True))
    if missing := [i for i in filing_ids if i not in known_filings]:
        raise InvalidPayload(f"No such docket item on this case: {missing[0]}.")
    visible = permissions.visible_exhibits(user, case, include_withdrawn=True)
    known_exhibits = set(visible.filter(pk__in=exhibit_ids).values_list("pk", flat=True))
    if missing := [i for i in exhibit_ids if i not in known_exhibits]:
        raise InvalidPayload(f"No such exhibit on this case: {missing[0]}.")
    items = [{"type": "filing", "id": i} for i in filing_ids] + [{"type": "exhibit", "id": i} for i in exhibit_ids]
    bundle = HearingBundle.objects.create(
        case=case, requested_by=user, title=title, items=items, progress_message="Waiting for a worker"
    )
    transaction.on_commit(lambda: hearing_bundle_enqueue(bundle_id=bundle.pk))
    return bundle


def hearing_bundle_enqueue(*, bundle_id: int) -> None:
    from evidence.tasks import build_hearing_bundle

    build_hearing_bundle.apply_async(args=(bundle_id,), queue=settings.TRIBUNAL_ANALYSIS_QUEUE)


def _claim(bundle_id: int) -> uuid.UUID | None:
    stale_before = timezone.now() - timedelta(seconds=settings.TRIBUNAL_JOB_STALE_SECONDS)
    with transaction.atomic():
        bundle = HearingBundle.objects.select_for_update().get(pk=bundle_id)
        if bundle.is_finished:
            return None
        if bundle.status == JobStatus.RUNNING and bundle.heartbeat_at and bundle.heartbeat_at > stale_before:
            return None  # a live attempt owns it (duplicate delivery)
        now = timezone.now()
        if bundle.attempts >= settings.TRIBUNAL_JOB_MAX_ATTEMPTS:
            bundle.status, bundle.finished_at, bundle.progress_message = JobStatus.FAILED, now, "Failed"
            bundle.error = (
                f"Gave up after {bundle.attempts} attempts: the worker stopped each time. Choose fewer items."
            )
            bundle.save(update_fields=["status", "finished_at", "progress_message", "error"])
            return None
        token = uuid.uuid4()
        bundle.status, bundle.run_token, bundle.attempts = JobStatus.RUNNING, token, bundle.attempts + 1
        bundle.started_at, bundle.heartbeat_at = now, now
        bundle.progress, bundle.progress_message = 0.0, "Starting"
        bundle.save(
            update_fields=[
                "status",
                "run_token",
                "attempts",
                "started_at",
                "heartbeat_at",
                "progress",
                "progress_message",
            ]
        )
    return token


class _Progress:
    def __init__(self, bundle_id: int, token: uuid.UUID) -> None:
        self.bundle_id, self.token, self.last = bundle_id, token, 0.0

    def __call__(self, fraction: float, message: str = "") -> None:
        now = time.monotonic()
        if now - self.last < 1.0 and fraction < 1.0:
            return
        self.last = now
        updated = HearingBundle.objects.filter(pk=self.bundle_id, run_token=self.token).update(
            progress=max(0.0, min(1.0, fraction)), progress_message=message[:200], heartbeat_at=timezone.now()
        )
        if not updated:
            raise BundleSuperseded()


def _finish(bundle_id: int, token: uuid.UUID, **fields: Any) -> bool:
    with transaction.atomic():
        bundle = HearingBundle.objects.select_for_update().get(pk=bundle_id)
        if bundle.run_token != token or bundle.is_finished:
            return False
        for name, value in fields.items():
            setattr(bundle, name, value)
        bundle.finished_at = timezone.now()
        bundle.save()
    return True


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(8 * 1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def hearing_bundle_run(*, bundle_id: int) -> str:
    """Build one bundle (one attempt). Returns what happened, for logs and tests."""
    token = _claim(bundle_id)
    if token is None:
        return "skipped"
    bundle = HearingBundle.objects.select_related("case", "requested_by").get(pk=bundle_id)
    case, user = bundle.case, bundle.requested_by
    progress = _Progress(bundle_id, token)
    try:
        # The requester's rights are checked again at build time: an arbitrator removed meanwhile gets nothing.
        if not permissions.may_make_hearing_bundle(user, case):
            raise UserFacingError("The requester may no longer prepare bundles on this case.")
        filing_ids = [i["id"] for i in bundle.items if i["type"] == "filing"]
        exhibit_ids = [i["id"] for i in bundle.items if i["type"] == "exhibit"]
        filings = list(
            Filing.objects.filter(case=case, pk__in=filing_ids)
            .select_related("filed_by")
            .prefetch_related("documents")
            .order_by("number")
        )
        exhibits = list(
            permissions.visible_exhibits(user, case, include_withdrawn=True)
            .filter(pk__in=exhibit_ids)
            .select_related("submitted_by")
            .prefetch_related("files")
            .order_by("side", "number")
        )
        with tempfile.TemporaryDirectory(dir=_work_root()) as folder:
            built = hearing_bundle_pdf(
                case=case,
                title=bundle.title,
                made_for=user.display_name,
                filings=filings,
                exhibits=exhibits,
                actor_id=user.pk,
                workdir=Path(folder),
                progress=progress,
            )
            digest = _sha256(built.path)
            with open(built.path, "rb") as handle:
                name = default_storage.save(f"hearing-bundles/{case.pk}/{bundle.pk}-{token.hex}.pdf", File(handle))
            size = built.path.stat().st_size
    except BundleSuperseded:
        return "superseded"
    except (UserFacingError, BundleError) as error:
        _finish(bundle_id, token, status=JobStatus.FAILED, error=str(error), progress_message="Failed")
        return "failed"
    except Exception as error:
        logger.exception("hearing bundle %s crashed", bundle_id)
        _finish(
            bundle_id,
            token,
            status=JobStatus.FAILED,
            error=f"Internal error ({type(error).__name__}); the registry has been told. Prepare the bundle again.",
            progress_message="Failed",
        )
        return "failed"
    finished = _finish(
        bundle_id,
        token,
        status=JobStatus.SUCCEEDED,
        storage_name=name,
        sha256=digest,
        size=size,
        page_count=built.page_count,
        index=built.index,
        manifest=built.manifest,
        progress=1.0,
        progress_message="Ready",
    )
    if not finished:
        default_storage.delete(name)
        return "superseded"
    _record_custody(bundle, exhibits, user)
    return "succeeded"


def hearing_bundles_recover(*, now: Any = None) -> list[int]:
    """Re-queue bundles whose worker stopped (stale heartbeat) or whose message was lost (beat, every minute)."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.TRIBUNAL_JOB_STALE_SECONDS)
    requeued: list[int] = []
    for bundle_id in HearingBundle.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=stale).values_list(
        "pk", flat=True
    ):
        updated = HearingBundle.objects.filter(pk=bundle_id, status=JobStatus.RUNNING, heartbeat_at__lt=stale).update(
            status=JobStatus.QUEUED, run_token=None, progress_message="Re-queued: the worker stopped responding"
        )
        if updated:
            requeued.append(bundle_id)
    # A queued bundle may just be waiting for a busy worker: re-send only after a longer while (duplicates are
    # harmless: the claim skips a bundle another attempt is building or has finished).
    lost_before = now - timedelta(seconds=5 * settings.TRIBUNAL_JOB_STALE_SECONDS)
    lost = HearingBundle.objects.filter(status=JobStatus.QUEUED, created_at__lt=lost_before, heartbeat_at__isnull=True)
    requeued += list(lost.values_list("pk", flat=True))
    for bundle_id in requeued:
        hearing_bundle_enqueue(bundle_id=bundle_id)
    return requeued


def _work_root() -> Path:
    root = Path(settings.EVIDENCE_STAGING_DIR) / "bundles"
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    return root


def _record_custody(bundle: HearingBundle, exhibits: list[Exhibit], user: Any) -> None:
    # As for analyses: a bundle that also holds material above the 'parties' tier is recorded on the tribunal-only
    # chain, so an exhibit's open custody never hints at what else the tribunal put next to it.
    mixed = len(exhibits) > 1 and any(e.tier != Tier.PARTIES for e in exhibits)
    roles = sorted(case_permissions.case_roles(user, bundle.case))
    for exhibit in exhibits:
        custody_append(
            exhibit_id=exhibit.pk,
            action=CustodyAction.BUNDLED,
            actor_id=user.pk,
            actor_role=roles[0] if roles else "",
            details={"hearing_bundle": bundle.pk, "files": [f.pk for f in exhibit.files.all()]},
            sealed=mixed,
        )


def hearing_bundle_open(*, bundle: HearingBundle) -> IO[bytes]:
    if bundle.status != JobStatus.SUCCEEDED or not bundle.storage_name:
        raise WrongState("This bundle is not ready.")
    handle: IO[bytes] = default_storage.open(bundle.storage_name, "rb")
    return handle
