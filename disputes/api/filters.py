"""Query parameters of the list endpoints, validated here and handed to the selectors the pages use."""

from __future__ import annotations

from rest_framework import serializers

from disputes.lifecycle.states import State
from disputes.models import Responsible, RulePackChoice
from disputes.selectors import WINDOWS


class CaseListQuerySerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=State.choices, required=False)
    rule_pack = serializers.ChoiceField(choices=RulePackChoice.choices, required=False)
    search = serializers.CharField(
        required=False, max_length=200, help_text="Part of the reference, the title or a party's name."
    )


class DeadlineBoardQuerySerializer(serializers.Serializer):
    window = serializers.ChoiceField(
        choices=[(key, key) for key in WINDOWS],
        required=False,
        help_text="overdue: past due; 7 / 30: due within that many days (overdue included).",
    )
    case = serializers.CharField(required=False, max_length=32, help_text="Part of the case reference.")
    responsible = serializers.ChoiceField(choices=Responsible.choices, required=False)
    stage = serializers.ChoiceField(choices=[c for c in State.choices if c[0] != State.DRAFT], required=False)


def validated_query(serializer_class: type[serializers.Serializer], query_params: object) -> dict[str, str]:
    """Validate query parameters (400 with the field errors when bad); absent filters come back as ''."""
    serializer = serializer_class(data=query_params)
    serializer.is_valid(raise_exception=True)
    return {str(name): serializer.validated_data.get(name, "") for name in serializer.fields}
