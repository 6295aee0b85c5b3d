"""Request bodies. They check shapes only; the services and evidence.api.ordering decide what is allowed."""

from __future__ import annotations

from rest_framework import serializers

from evidence.analyses import INPUT_ROLES
from evidence.models import ExhibitKind, Tier


class ExhibitFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ExhibitKind.choices, required=False)
    side = serializers.ChoiceField(choices=["claimant", "respondent", "tribunal"], required=False)
    q = serializers.CharField(required=False, max_length=200, help_text="Search titles, descriptions and file text.")


class WithdrawRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000, help_text="Recorded in custody; the original is kept.")


class TierRequestSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(choices=Tier.choices)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class JobOrderRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=sorted(INPUT_ROLES), help_text="The analysis to run.")
    inputs = serializers.DictField(
        # Bounded by the largest primary key: a bigger integer is no file, not a database overflow (a 500).
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        help_text='Exhibit file id per input role, e.g. {"a": 12, "b": 31} for weights.lineage.',
    )
    parameters = serializers.DictField(
        required=False, default=dict, help_text="Analysis parameters (text.watermark needs `key`)."
    )
