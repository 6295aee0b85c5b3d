"""Response bodies. Read-only: every write goes through the case services, never through a serializer's save()."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from disputes import permissions, selectors
from disputes.api.payload_schema import FIELD_TYPE_NAMES
from disputes.lifecycle.states import State
from disputes.lifecycle.transitions import BY_EVENT
from disputes.models import (
    Case,
    CaseEvent,
    Deadline,
    DisputeType,
    Filing,
    FilingDocument,
    Hearing,
    Message,
    Participant,
    Party,
    Side,
)

# Field names such as `errors`, `label` or `required` shadow Serializer attributes in the type stubs only: DRF
# collects declared fields into `_declared_fields`, so at run time they never replace those attributes.


class ErrorSerializer(serializers.Serializer):
    """The one error shape (config/api.py)."""

    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.JSONField(), help_text="Messages per field, when any."
    )


class MeSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = (
            "id",
            "email",
            "full_name",
            "organisation",
            "is_registrar",
            "on_arbitrator_roster",
            "time_zone",
            "email_frequency",
        )
        read_only_fields = fields


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text='Send as "Authorization: Token <token>".')


# --- Cases ---------------------------------------------------------------------------------------------------------


class DeadlineBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Deadline
        fields = ("id", "key", "label", "responsible", "due_at")
        read_only_fields = fields


class CaseRefSerializer(serializers.ModelSerializer):
    state_label = serializers.CharField(source="get_state_display")

    class Meta:
        model = Case
        fields = ("id", "reference", "title", "state", "state_label")
        read_only_fields = fields


class CaseListSerializer(serializers.ModelSerializer):
    state_label = serializers.CharField(source="get_state_display")
    claimant_name = serializers.SerializerMethodField()
    respondent_name = serializers.SerializerMethodField()
    next_deadline = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields: tuple[str, ...] = (
            "id",
            "reference",
            "title",
            "state",
            "state_label",
            "rule_pack",
            "claimant_name",
            "respondent_name",
            "next_deadline",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    # Party properties read the prefetched parties: no query per row.
    def get_claimant_name(self, case: Case) -> str:
        party = case.claimant_party
        return party.name if party else ""

    def get_respondent_name(self, case: Case) -> str:
        party = case.respondent_party
        return party.name if party else ""

    @extend_schema_field(DeadlineBriefSerializer(allow_null=True))
    def get_next_deadline(self, case: Case) -> dict[str, Any] | None:
        deadline = selectors.next_deadline(case)
        if deadline is None:
            return None
        # One brief serializer for the whole list (a list reuses this serializer for every case): building a
        # ModelSerializer's fields cost more than using them, ~30% of GET /api/v1/cases/ (docs/performance.md).
        brief = self.__dict__.setdefault("_deadline_brief", DeadlineBriefSerializer())
        return brief.to_representation(deadline)


class PartySerializer(serializers.ModelSerializer):
    # Blank while the Request is a draft, so not documented as an email address.
    counsel_email = serializers.CharField(help_text="Email of the party's counsel; blank until given.")

    class Meta:
        model = Party
        fields = ("side", "name", "jurisdiction", "address", "affiliates", "counsel_name", "counsel_email")
        read_only_fields = fields


class AISystemSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    version = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    endpoint = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ParticipantSerializer(serializers.ModelSerializer):
    # Names and roles only: tribunal members' addresses are not handed out (no one-sided contact).
    name = serializers.CharField(source="user.display_name")
    side = serializers.ChoiceField(choices=Side.choices)
    role_label = serializers.CharField(source="get_role_display")

    class Meta:
        model = Participant
        fields = ("id", "name", "role", "role_label", "side", "is_presiding", "created_at")
        read_only_fields = fields


class HearingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Hearing
        fields = ("starts_at", "days", "location", "video_link")
        read_only_fields = fields


class CaseDetailSerializer(CaseListSerializer):
    dispute_types = serializers.ListField(child=serializers.ChoiceField(choices=DisputeType.choices))
    ai_systems = AISystemSerializer(many=True)
    parties = PartySerializer(many=True)
    participants = ParticipantSerializer(many=True, source="active_participants")
    hearings = HearingSerializer(many=True)
    my_roles = serializers.SerializerMethodField(help_text="Your roles on this case (registrar, candidate included).")

    class Meta(CaseListSerializer.Meta):
        fields = (
            *CaseListSerializer.Meta.fields,
            "rule_pack_version",
            "dispute_types",
            "ai_systems",
            "facts",
            "relief_sought",
            "arbitration_agreement",
            "parties",
            "participants",
            "hearings",
            "my_roles",
            "draft_step",
            "submitted_at",
            "commencement_at",
            "tribunal_constituted_at",
            "respondent_in_default",
            "closed_at",
        )
        read_only_fields = fields

    def get_my_roles(self, case: Case) -> list[str]:
        return sorted(permissions.case_roles(self.context["request"].user, case))


# --- Case records --------------------------------------------------------------------------------------------------


class CaseEventSerializer(serializers.ModelSerializer):
    label = serializers.SerializerMethodField()  # type: ignore[assignment]
    actor_name = serializers.SerializerMethodField()
    from_state = serializers.ChoiceField(choices=State.choices)
    to_state = serializers.ChoiceField(choices=State.choices)

    class Meta:
        model = CaseEvent
        fields = (
            "seq",
            "name",
            "label",
            "from_state",
            "to_state",
            "actor_name",
            "actor_role",
            "occurred_at",
            "payload",
            "prev_hash",
            "hash",
        )
        read_only_fields = fields

    def get_label(self, event: CaseEvent) -> str:
        transition = BY_EVENT.get(event.name)
        return transition.label if transition else event.name

    def get_actor_name(self, event: CaseEvent) -> str:
        return event.actor.display_name if event.actor else "System"


class DeadlineSerializer(serializers.ModelSerializer):
    is_overdue = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField(help_text="Share of the period elapsed, 0 to 1.")
    history = serializers.ListField(child=serializers.DictField(), help_text="Extensions and pauses, oldest first.")

    class Meta:
        model = Deadline
        fields: tuple[str, ...] = (
            "id",
            "key",
            "label",
            "rule_ref",
            "responsible",
            "status",
            "due_at",
            "is_window",
            "is_overdue",
            "progress",
            "opened_at",
            "closed_at",
            "paused_at",
            "extension_count",
            "history",
        )
        read_only_fields = fields

    def get_is_overdue(self, deadline: Deadline) -> bool:
        return deadline.status == "open" and not deadline.is_window and deadline.due_at < timezone.now()

    def get_progress(self, deadline: Deadline) -> float:
        return round(selectors.deadline_progress(deadline), 3)


class BoardDeadlineSerializer(DeadlineSerializer):
    case = CaseRefSerializer()

    class Meta(DeadlineSerializer.Meta):
        fields = (*DeadlineSerializer.Meta.fields, "case")
        read_only_fields = fields


class FilingDocumentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = FilingDocument
        fields = ("id", "original_name", "content_type", "size", "sha256", "download_url")
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, document: FilingDocument) -> str:
        # The prefetch of filing.documents sets document.filing: no query per document.
        path = reverse(
            "api:docket-document",
            kwargs={"case_pk": document.filing.case_id, "number": document.filing.number, "document_pk": document.pk},
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class FilingSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")
    filed_by_name = serializers.CharField(source="filed_by.display_name")
    side = serializers.ChoiceField(choices=[*Side.choices, ("registry", "Registry")])
    documents = FilingDocumentSerializer(many=True)

    class Meta:
        model = Filing
        fields = ("number", "kind", "kind_label", "title", "body", "filed_by_name", "side", "filed_at", "documents")
        read_only_fields = fields


class MessageSerializer(serializers.ModelSerializer):
    author_name = serializers.CharField(source="author.display_name")

    class Meta:
        model = Message
        fields = ("id", "author_name", "author_role", "addressed_to", "subject", "body", "created_at")
        read_only_fields = fields


# --- Transitions ---------------------------------------------------------------------------------------------------


class ChoiceOptionSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]


class PayloadFieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    type = serializers.ChoiceField(choices=[(name, name) for name in FIELD_TYPE_NAMES])
    required = serializers.BooleanField()  # type: ignore[assignment]
    help_text = serializers.CharField(allow_blank=True)  # type: ignore[assignment]
    choices = ChoiceOptionSerializer(many=True, allow_null=True)
    max_length = serializers.IntegerField(allow_null=True)
    min_value = serializers.IntegerField(allow_null=True)
    max_value = serializers.IntegerField(allow_null=True)


class AvailableTransitionSerializer(serializers.Serializer):
    event = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    description = serializers.CharField(allow_blank=True)
    role = serializers.CharField(help_text="The role in which you would act.")
    danger = serializers.BooleanField(help_text="Irreversible or drastic: confirm with the user first.")
    documents = serializers.ChoiceField(
        choices=[("none", "none"), ("optional", "optional"), ("required", "required")],
        help_text="Whether the event takes documents (multipart field `documents`).",
    )
    target = serializers.CharField(help_text="The state the case moves to, or '(same)'.")
    payload = PayloadFieldSerializer(many=True, help_text="The fields of the payload the event takes.")


class InvitationAcceptedSerializer(serializers.Serializer):
    case = CaseRefSerializer()
    role = serializers.CharField()
