"""Exhibits, their write-once files, the append-only custody log, resumable upload sessions and analysis jobs."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models

from disputes.models import Case


class Tier(models.TextChoices):
    PARTIES = "parties", "Parties — both sides and the tribunal"
    AEO = "aeo", "Attorneys' eyes only — the other side's outside counsel, not party staff"
    TRIBUNAL = "tribunal", "Sealed — tribunal, its experts and the registry only"


TIER_STRICTNESS = {Tier.PARTIES: 0, Tier.AEO: 1, Tier.TRIBUNAL: 2}


def strictest_tier(tiers: list[str]) -> str:
    return max(tiers, key=lambda t: TIER_STRICTNESS[Tier(t)], default=Tier.PARTIES)


class ExhibitKind(models.TextChoices):
    DOCUMENT = "document", "Document"
    FORENSIC_REPORT = "forensic_report", "Forensic report"
    MODEL_WEIGHTS = "model_weights", "Model weights"
    API_LOG = "api_log", "API query log"
    MODEL_OUTPUTS = "model_outputs", "Model outputs"
    TOKENIZER = "tokenizer", "Tokenizer"
    OTHER = "other", "Other"


SIDE_PREFIX = {"claimant": "C", "respondent": "R", "tribunal": "T"}


class Exhibit(models.Model):
    class Status(models.TextChoices):
        INGESTING = "ingesting", "Being checked"
        READY = "ready", "Ready"
        QUARANTINED = "quarantined", "Quarantined"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="exhibits")
    side = models.CharField(max_length=16)
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=24, choices=ExhibitKind.choices)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    tier = models.CharField(max_length=16, choices=Tier.choices, default=Tier.PARTIES)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.INGESTING)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True)
    search_text = models.TextField(blank=True, help_text="Text extracted at ingest, for search.")
    # Kind-specific parameters given at filing (e.g. a watermark key for model outputs). Never shown to other sides.
    analysis_parameters = models.JSONField(default=dict, blank=True)
    # Head of the custody hash chain, so that removing the newest custody rows is detected too.
    custody_head = models.CharField(max_length=64, blank=True)
    custody_length = models.PositiveIntegerField(default=0)
    # A second chain for custody entries only the tribunal side may see (an analysis that also read material the
    # parties may not see): each chain stays complete and verifiable for whoever may read it.
    sealed_custody_head = models.CharField(max_length=64, blank=True)
    sealed_custody_length = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["case_id", "side", "number"]
        constraints = [models.UniqueConstraint(fields=["case", "side", "number"], name="one_exhibit_per_number")]
        indexes = [models.Index(fields=["case", "tier"])]

    def __str__(self) -> str:
        return f"{self.label} {self.title}"

    @property
    def label(self) -> str:
        return f"{SIDE_PREFIX.get(self.side, 'X')}-{self.number}"


class ExhibitFile(models.Model):
    """One original file of an exhibit. Write-once: the row and the stored bytes are never changed."""

    class Status(models.TextChoices):
        INGESTING = "ingesting", "Being checked"
        OK = "ok", "Checked"
        QUARANTINED = "quarantined", "Quarantined"

    exhibit = models.ForeignKey(Exhibit, on_delete=models.PROTECT, related_name="files")
    storage_name = models.CharField(max_length=400, unique=True)
    original_name = models.CharField(max_length=255, help_text="As the uploader named it; never used as a path.")
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    declared_sha256 = models.CharField(max_length=64)
    received_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.INGESTING)
    detected_type = models.CharField(max_length=120, blank=True)
    quarantine_reason = models.TextField(blank=True)
    ingest_report = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["exhibit_id", "id"]

    def __str__(self) -> str:
        return f"{self.exhibit.label}/{self.original_name}"


class CustodyAction(models.TextChoices):
    RECEIVED = "received", "Received"
    INGESTED = "ingested", "Ingested"
    QUARANTINED = "quarantined", "Quarantined"
    VIEWED = "viewed", "Viewed"
    DOWNLOADED = "downloaded", "Downloaded"
    ANALYSED = "analysed", "Analysed"
    TIER_CHANGED = "tier_changed", "Confidentiality tier changed"
    WITHDRAWN = "withdrawn", "Withdrawn"
    HASH_MISMATCH = "hash_mismatch", "Stored file failed hash verification"
    BUNDLED = "bundled", "Included in a hearing bundle"
    EXPORTED = "exported", "Included in a case export"


class CustodyEvent(models.Model):
    """Append-only, hash-chained per exhibit. Rows are never updated or deleted (see save/delete)."""

    exhibit = models.ForeignKey(Exhibit, on_delete=models.PROTECT, related_name="custody")
    file = models.ForeignKey(ExhibitFile, null=True, blank=True, on_delete=models.PROTECT, related_name="custody")
    seq = models.PositiveIntegerField()
    sealed = models.BooleanField(default=False, help_text="On the tribunal-only chain.")
    action = models.CharField(max_length=24, choices=CustodyAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_role = models.CharField(max_length=16, blank=True)
    at = models.DateTimeField()
    ip = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["exhibit_id", "sealed", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["exhibit", "sealed", "seq"], name="one_custody_row_per_chain_seq")
        ]

    def __str__(self) -> str:
        return f"{self.exhibit_id}#{self.seq} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("Custody rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("Custody rows are append-only.")


class UploadSession(models.Model):
    """A resumable (tus 1.0) upload in progress. Bytes are staged on local disk until the whole file verifies."""

    class Status(models.TextChoices):
        RECEIVING = "receiving", "Receiving"
        COMPLETED = "completed", "Completed"
        REJECTED = "rejected", "Rejected"
        TERMINATED = "terminated", "Terminated"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    exhibit = models.ForeignKey(Exhibit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    metadata = models.JSONField(default=dict, help_text="Exhibit fields for the first file of a new exhibit.")
    filename = models.CharField(max_length=255)
    declared_sha256 = models.CharField(max_length=64)
    length = models.BigIntegerField()
    offset = models.BigIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVING)
    failure = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField()
    result_file = models.ForeignKey(ExhibitFile, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    client_ip = models.GenericIPAddressField(null=True, blank=True)

    def __str__(self) -> str:
        return f"upload {self.id} ({self.offset}/{self.length})"


class JobKind(models.TextChoices):
    INGEST = "ingest", "Ingest checks"
    WEIGHTS_LINEAGE = "weights.lineage", "Weight lineage"
    LOGS_EXTRACTION = "logs.extraction", "API-log extraction detection"
    TEXT_WATERMARK = "text.watermark", "Watermark detection"
    TEXT_SIMILARITY = "text.similarity", "Output similarity"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


FINISHED_STATUSES = {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED}


class AnalysisJob(models.Model):
    """A durable job row. The Celery message only carries the id; the row is the truth."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="jobs")
    kind = models.CharField(max_length=32, choices=JobKind.choices)
    parameters = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True)
    tier = models.CharField(max_length=16, choices=Tier.choices, default=Tier.PARTIES)
    progress = models.FloatField(default=0.0)
    progress_message = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=3)
    run_token = models.UUIDField(null=True, blank=True, help_text="Identifies the attempt allowed to finish the job.")
    worker = models.CharField(max_length=200, blank=True)
    cancel_requested = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    result = models.JSONField(null=True, blank=True)
    code_version = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["case", "-id"]), models.Index(fields=["status", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES


class JobInput(models.Model):
    job = models.ForeignKey(AnalysisJob, on_delete=models.CASCADE, related_name="inputs")
    file = models.ForeignKey(ExhibitFile, on_delete=models.PROTECT, related_name="job_inputs")
    role = models.CharField(max_length=32, default="input")

    class Meta:
        ordering = ["job_id", "id"]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.role}"


class HearingBundle(models.Model):
    """A paginated PDF of docket items the tribunal selected, built by a worker (evidence.hearing_bundle).

    The row is the status the page polls; the PDF is a derived file in the default storage (the originals it
    quotes are only read). Only the tribunal (the case's arbitrators and the registry) makes or sees bundles.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="hearing_bundles")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    # [{"type": "filing" | "exhibit", "id": pk}, ...] in the order chosen.
    items = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.FloatField(default=0.0)
    progress_message = models.CharField(max_length=200, blank=True)
    run_token = models.UUIDField(null=True, blank=True, help_text="Identifies the attempt allowed to finish.")
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    storage_name = models.CharField(max_length=300, blank=True)
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    page_count = models.PositiveIntegerField(default=0)
    # [{"title", "date", "party", "page", "pages"}] and [{"label", "name", "sha256", "size", "included"}].
    index = models.JSONField(default=list, blank=True)
    manifest = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["case", "-id"])]

    def __str__(self) -> str:
        return f"hearing bundle {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES
