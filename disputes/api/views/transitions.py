"""What may happen to a case next, and making it happen (the one event service, as the pages use it)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.parsers import JSONParser  # bounded by DATA_UPLOAD_MAX_MEMORY_SIZE, depth-safe
from disputes import selectors
from disputes.api.inputs import TransitionMultipartSerializer, TransitionRequestSerializer
from disputes.api.payload_schema import payload_fields
from disputes.api.schema import error_responses
from disputes.api.serializers import AvailableTransitionSerializer, CaseEventSerializer
from disputes.api.views.base import CaseScopedMixin, signed_in_user
from disputes.services.events import case_apply_event


class CaseTransitionView(CaseScopedMixin, APIView):
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        summary="The events you may fire on this case now, with the payload each takes",
        description=(
            "Guards (e.g. a deadline that must have passed) are checked when the event is applied; "
            "a refused event answers 409 with the reason."
        ),
        responses={200: AvailableTransitionSerializer(many=True), **error_responses(404)},
        tags=["transitions"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        case = self.get_case()
        actions = [
            {
                "event": action.transition.event,
                "label": action.transition.label,
                "description": action.transition.description,
                "role": action.role,
                "danger": action.transition.danger,
                "documents": action.transition.documents,
                "target": action.transition.target,
                "payload": payload_fields(form_class=action.transition.form, case=case),
            }
            for action in selectors.available_actions(user=request.user, case=case)
        ]
        return Response(AvailableTransitionSerializer(actions, many=True).data)

    @extend_schema(
        summary="Fire an event",
        description=(
            'JSON `{"event": ..., "payload": {...}}`, or multipart with `event`, `payload` (a JSON string) '
            "and one or more `documents` files. Nothing is written when the event is refused."
        ),
        request={
            "application/json": TransitionRequestSerializer,
            "multipart/form-data": TransitionMultipartSerializer,
        },
        responses={201: CaseEventSerializer, **error_responses(400, 403, 404, 409)},
        examples=[
            OpenApiExample(
                "File the Answer",
                value={"event": "file_answer", "payload": {"title": "Answer", "body": "The claim is denied."}},
                request_only=True,
            )
        ],
        tags=["transitions"],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        case = self.get_case()
        serializer = TransitionMultipartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = case_apply_event(
            case_id=case.pk,
            event=serializer.validated_data["event"],
            actor=signed_in_user(request),
            payload=serializer.validated_data["payload"],
            documents=serializer.validated_data["documents"],
        )
        return Response(CaseEventSerializer(event).data, status=status.HTTP_201_CREATED)
