"""The docket (filings with their documents), document downloads, and the message board."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.filenames import safe_filename
from config.parsers import JSONParser  # bounded by DATA_UPLOAD_MAX_MEMORY_SIZE, depth-safe
from disputes import selectors
from disputes.api import queries
from disputes.api.inputs import MessageRequestSerializer, SubmissionMultipartSerializer, SubmissionRequestSerializer
from disputes.api.pagination import CursorPagination, DocketPagination
from disputes.api.schema import error_responses
from disputes.api.serializers import FilingSerializer, MessageSerializer
from disputes.api.views.base import CaseScopedMixin, signed_in_user
from disputes.models import FilingDocument
from disputes.services.events import case_apply_event

logger = logging.getLogger(__name__)


@extend_schema(tags=["docket"])
class DocketView(CaseScopedMixin, generics.ListAPIView):
    case_permission = "disputes.view_docket"
    serializer_class = FilingSerializer
    filter_backends = ()  # the lists under a case take no filters
    pagination_class = DocketPagination
    parser_classes = [JSONParser, MultiPartParser]

    def get_queryset(self) -> Any:
        return selectors.case_docket(case=self.get_case())

    @extend_schema(
        summary="The docket, newest filing first",
        responses={200: FilingSerializer(many=True), **error_responses(400, 403, 404)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="File a submission (event file_submission): every participant is notified",
        request={
            "multipart/form-data": SubmissionMultipartSerializer,
            "application/json": SubmissionRequestSerializer,
        },
        responses={201: FilingSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        case = self.get_case()
        serializer = SubmissionMultipartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        event = case_apply_event(
            case_id=case.pk,
            event="file_submission",
            actor=signed_in_user(request),
            payload={"title": data["title"], "body": data["body"]},
            documents=data["documents"],
        )
        return Response(
            FilingSerializer(event.filing, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


class DocumentRenderer(BaseRenderer):
    """Lets clients ask for the file itself (Accept: application/octet-stream); errors still come as JSON text."""

    media_type = "application/octet-stream"
    format = "bin"
    charset = None
    render_style = "binary"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return json.dumps(data).encode() if data is not None else b""


class DocumentIntegrityError(APIException):
    status_code = status.HTTP_500_INTERNAL_SERVER_ERROR
    default_detail = "The stored document no longer matches its recorded SHA-256; it is not served."
    default_code = "integrity_check_failed"


def _stored_sha256(document: FilingDocument) -> str:
    digest = hashlib.sha256()
    with document.file.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


class DocketDocumentView(CaseScopedMixin, APIView):
    case_permission = "disputes.view_docket"
    renderer_classes = [JSONRenderer, DocumentRenderer]

    @extend_schema(
        summary="Download a docket document (an attachment, never rendered inline)",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The document."),
            **error_responses(403, 404),
        },
        tags=["docket"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> FileResponse:
        case = self.get_case()
        document = queries.filing_document(case=case, number=kwargs["number"], document_pk=kwargs["document_pk"])
        if document is None:
            raise NotFound("No such document.")
        # Re-verified on every download: a file altered in storage must not reach a party as the filed one.
        if _stored_sha256(document) != document.sha256:
            logger.error("Docket document %s of case %s fails its SHA-256 check", document.pk, case.pk)
            raise DocumentIntegrityError()
        response = FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=safe_filename(document.original_name),
            content_type="application/octet-stream",  # the uploader's declared type is not trusted for rendering
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["X-Checksum-SHA256"] = document.sha256
        return response


@extend_schema(tags=["messages"])
class MessageView(CaseScopedMixin, generics.ListAPIView):
    case_permission = "disputes.view_docket"
    serializer_class = MessageSerializer
    pagination_class = CursorPagination
    filter_backends = ()
    parser_classes = [JSONParser]

    def get_queryset(self) -> Any:
        return selectors.case_messages(case=self.get_case())

    @extend_schema(
        summary="The message board, newest first",
        responses={200: MessageSerializer(many=True), **error_responses(400, 403, 404)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Post a message (event post_message); to the tribunal or registry means to every party too",
        request=MessageRequestSerializer,
        responses={201: MessageSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        case = self.get_case()
        serializer = MessageRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = case_apply_event(
            case_id=case.pk,
            event="post_message",
            actor=signed_in_user(request),
            payload=dict(serializer.validated_data),
        )
        return Response(MessageSerializer(event.message).data, status=status.HTTP_201_CREATED)
