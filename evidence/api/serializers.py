"""Response bodies for exhibits, custody and jobs. Read-only: every write goes through the evidence services."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from evidence.jobs import SECRET_PARAMETERS
from evidence.models import AnalysisJob, CustodyEvent, Exhibit, ExhibitFile, JobInput

# One serializer per object for lists and detail alike: drf-spectacular names the `status` and `kind` enums after
# the one component that uses each choice set, so a second (detail) component would make the names collide.


class ExhibitFileSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ExhibitFile
        fields = (
            "id",
            "original_name",
            "size",
            "sha256",
            "received_at",
            "status",
            "detected_type",
            "quarantine_reason",
            "declared_sha256",
            "ingest_report",
            "download_url",
        )
        read_only_fields = fields

    def get_download_url(self, exhibit_file: ExhibitFile) -> str:
        exhibit = exhibit_file.exhibit
        return reverse(
            "evidence_api:exhibit-file-download",
            kwargs={"case_pk": exhibit.case_id, "exhibit_pk": exhibit.pk, "file_pk": exhibit_file.pk},
        )


class ExhibitSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]
    submitted_by_name = serializers.CharField(source="submitted_by.display_name", read_only=True)
    files = ExhibitFileSerializer(many=True, read_only=True)

    class Meta:
        model = Exhibit
        fields = (
            "id",
            "label",
            "side",
            "number",
            "kind",
            "title",
            "description",
            "tier",
            "status",
            "submitted_by_name",
            "created_at",
            "withdrawn_at",
            "withdrawal_reason",
            "custody_length",
            "custody_head",
            "files",
        )
        read_only_fields = fields


class CustodyEventSerializer(serializers.ModelSerializer):
    """Every field of the hash-chained row, so that a reader can recompute the chain (evidence.custody)."""

    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = CustodyEvent
        fields = (
            "sealed",
            "seq",
            "action",
            "at",
            "actor",
            "actor_name",
            "actor_role",
            "ip",
            "file",
            "details",
            "prev_hash",
            "hash",
        )
        read_only_fields = fields

    def get_actor_name(self, event: CustodyEvent) -> str:
        return event.actor.display_name if event.actor else "system"


class JobInputSerializer(serializers.ModelSerializer):
    exhibit = serializers.IntegerField(source="file.exhibit_id", read_only=True)
    exhibit_label = serializers.CharField(source="file.exhibit.label", read_only=True)
    original_name = serializers.CharField(source="file.original_name", read_only=True)

    class Meta:
        model = JobInput
        fields = ("role", "file", "exhibit", "exhibit_label", "original_name")
        read_only_fields = fields


class JobSerializer(serializers.ModelSerializer):
    inputs = JobInputSerializer(many=True, read_only=True)
    parameters = serializers.SerializerMethodField()
    is_finished = serializers.BooleanField(read_only=True)
    result = serializers.SerializerMethodField(
        help_text="The analysis's report once it succeeded; in lists always null (fetch the job to read it)."
    )

    class Meta:
        model = AnalysisJob
        fields = (
            "id",
            "kind",
            "status",
            "is_finished",
            "progress",
            "progress_message",
            "attempts",
            "max_attempts",
            "tier",
            "inputs",
            "parameters",
            "error",
            "code_version",
            "created_at",
            "queued_at",
            "started_at",
            "finished_at",
            "result",
        )
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_parameters(self, job: AnalysisJob) -> dict[str, Any]:
        return {k: v for k, v in (job.parameters or {}).items() if k not in SECRET_PARAMETERS}

    # Null in lists and until the job succeeds: the schema must say so (clients generated from it would reject null).
    @extend_schema_field({"type": "object", "additionalProperties": {}, "nullable": True})
    def get_result(self, job: AnalysisJob) -> Any:
        # One component for lists and detail keeps the schema's enum names stable; lists skip the (large) reports.
        return job.result if self.context.get("with_result") else None
