"""Accepting an invitation: how respondent's counsel (and experts) join a case."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from disputes.api.inputs import InvitationAcceptSerializer
from disputes.api.schema import error_responses
from disputes.api.serializers import InvitationAcceptedSerializer
from disputes.api.views.base import signed_in_user
from disputes.services.invitations import invitation_accept


class InvitationAcceptView(APIView):
    @extend_schema(
        summary="Accept an invitation (single use): you join the case in the invited role",
        request=InvitationAcceptSerializer,
        responses={200: InvitationAcceptedSerializer, **error_responses(400)},
        tags=["invitations"],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = InvitationAcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        participant = invitation_accept(token=serializer.validated_data["token"], user=signed_in_user(request))
        return Response(InvitationAcceptedSerializer({"case": participant.case, "role": participant.role}).data)
