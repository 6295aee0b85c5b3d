"""Request bodies. They check shape and types only; the services (and the lifecycle's payload forms) decide."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import authenticate
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from disputes.api.serializers import AISystemSerializer
from disputes.lifecycle.transitions import TRANSITIONS
from disputes.models import Case, DisputeType, Message, Party
from disputes.services.cases import CASE_FIELDS, PARTY_FIELDS

# Events a person may fire; system-only ones (lapses, constitution) and join_case (invitations) are not offered.
USER_EVENTS = [(t.event, t.label) for t in TRANSITIONS if not t.is_system_only and t.event != "join_case"]


class TokenObtainSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False, write_only=True)
    code = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="Your authenticator app's current code (or a recovery code), if you enabled two-factor sign-in.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Same rules as the sign-in page: right password, verified address, and the second factor when enrolled,
        # so that a token is never an easier way in than the browser.
        from allauth.account import app_settings as account_settings
        from allauth.account.utils import has_verified_email
        from allauth.mfa.models import Authenticator
        from allauth.mfa.utils import is_mfa_enabled

        user = authenticate(self.context.get("request"), email=attrs["email"], password=attrs["password"])
        if user is None or not user.is_active:
            raise serializers.ValidationError("Unable to sign in with that email and password.", code="authorization")
        mandatory = account_settings.EMAIL_VERIFICATION == account_settings.EmailVerificationMethod.MANDATORY
        if mandatory and not has_verified_email(user):
            raise serializers.ValidationError(
                "Verify your email address first: follow the link we emailed you.", code="email_unverified"
            )
        if is_mfa_enabled(user):
            code = attrs.get("code") or ""
            authenticators = Authenticator.objects.filter(user=user).exclude(type=Authenticator.Type.WEBAUTHN)
            if not code or not any(auth.wrap().validate_code(code) for auth in authenticators):
                raise serializers.ValidationError(
                    {"code": ["Enter the current code from your authenticator app."]}, code="mfa_required"
                )
        attrs["user"] = user
        return attrs


# --- Drafts ----------------------------------------------------------------------------------------------------------


class PartyInputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Party
        fields = PARTY_FIELDS
        extra_kwargs = {"name": {"required": False, "allow_blank": True}}


class DraftSerializer(serializers.ModelSerializer):
    """The Request for Arbitration while it is a draft. Any subset may be saved; completeness is checked on filing."""

    dispute_types = serializers.ListField(
        child=serializers.ChoiceField(choices=DisputeType.choices), required=False, max_length=len(DisputeType)
    )
    ai_systems = AISystemSerializer(many=True, required=False, max_length=50)  # type: ignore[call-arg]
    claimant = PartyInputSerializer(required=False)
    respondent = PartyInputSerializer(required=False)

    class Meta:
        model = Case
        fields = (*CASE_FIELDS, "claimant", "respondent")
        extra_kwargs = {
            "title": {"required": False},
            "facts": {"required": False},
            "relief_sought": {"required": False},
            "arbitration_agreement": {"required": False},
        }

    def validate_dispute_types(self, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))  # keep the order, drop repeats


# --- Events ----------------------------------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.OBJECT)
class PayloadField(serializers.Field):
    """A JSON object; in a multipart request, a string holding one (the documents travel next to it)."""

    default_error_messages = {"invalid": "Expected a JSON object."}

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, str):
            try:
                data = json.loads(data) if data.strip() else {}
            except ValueError:
                self.fail("invalid")
        if not isinstance(data, dict):
            self.fail("invalid")
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class TransitionRequestSerializer(serializers.Serializer):
    event = serializers.ChoiceField(choices=USER_EVENTS)
    payload = PayloadField(required=False, default=dict, help_text="Fields as listed by GET on this route.")


class TransitionMultipartSerializer(TransitionRequestSerializer):
    documents = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class SubmissionRequestSerializer(serializers.Serializer):
    """A docket filing (event file_submission); its payload form sets the limits."""

    title = serializers.CharField()
    body = serializers.CharField(required=False, allow_blank=True, default="")


class SubmissionMultipartSerializer(SubmissionRequestSerializer):
    documents = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class MessageRequestSerializer(serializers.Serializer):
    """A message (event post_message); whatever goes to the tribunal or the registry is copied to every party."""

    addressed_to = serializers.ChoiceField(choices=Message.Audience.choices)
    subject = serializers.CharField()
    body = serializers.CharField()


class InvitationAcceptSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200, help_text="The token from the invitation link.")
