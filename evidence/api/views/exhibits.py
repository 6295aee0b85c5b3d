"""Exhibits of a case: list and search, detail (a view recorded in custody), withdrawal, tier, file download."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.filenames import safe_filename
from config.parsers import JSONParser  # bounded by DATA_UPLOAD_MAX_MEMORY_SIZE, depth-safe
from disputes.api.views.base import CaseScopedMixin, signed_in_user
from disputes.api.views.docket import DocumentRenderer
from evidence import selectors
from evidence.api.inputs import ExhibitFilterSerializer, TierRequestSerializer, WithdrawRequestSerializer
from evidence.api.pagination import ExhibitPagination
from evidence.api.schema import error_responses
from evidence.api.serializers import ExhibitSerializer
from evidence.api.views.base import ExhibitScopedMixin, client_ip
from evidence.models import Exhibit, ExhibitFile
from evidence.runners import HashMismatch
from evidence.services.exhibits import (
    exhibit_change_tier,
    exhibit_file_open_for_download,
    exhibit_record_view,
    exhibit_withdraw,
)


def _with_files(exhibit_pk: int) -> Exhibit:
    return (
        Exhibit.objects.select_related("submitted_by")
        .prefetch_related(Prefetch("files", queryset=ExhibitFile.objects.order_by("id")))
        .get(pk=exhibit_pk)
    )


@extend_schema(tags=["evidence"])
class ExhibitListView(CaseScopedMixin, generics.ListAPIView):
    serializer_class = ExhibitSerializer
    filter_backends = ()  # filters are validated by ExhibitFilterSerializer and applied by the selectors
    pagination_class = ExhibitPagination

    def get_queryset(self) -> Any:
        filters = ExhibitFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data
        user, case = self.request.user, self.get_case()
        kind, side = wanted.get("kind", ""), wanted.get("side", "")
        if not wanted.get("q"):
            return selectors.exhibit_list(user=user, case=case, kind=kind, side=side)
        found = selectors.exhibit_search(user=user, case=case, query=wanted["q"])
        if kind:
            found = found.filter(kind=kind)
        if side:
            found = found.filter(side=side)
        return found.select_related("submitted_by").prefetch_related(
            Prefetch("files", queryset=ExhibitFile.objects.order_by("id"))
        )

    @extend_schema(
        summary="The case's exhibits you may see, in filing order (sealed ones of the other side never appear)",
        parameters=[ExhibitFilterSerializer],
        responses={200: ExhibitSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["evidence"])
class ExhibitDetailView(ExhibitScopedMixin, APIView):
    @extend_schema(
        summary="One exhibit with its files and ingest reports; the view is recorded in its chain of custody",
        responses={200: ExhibitSerializer, **error_responses(404)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        exhibit = self.get_exhibit()
        exhibit_record_view(user=signed_in_user(request), exhibit=exhibit, ip=client_ip(request))
        return Response(ExhibitSerializer(_with_files(exhibit.pk)).data)


@extend_schema(tags=["evidence"])
class ExhibitWithdrawView(ExhibitScopedMixin, APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Withdraw an exhibit: hidden from the other side, never erased (the original stays on legal hold)",
        request=WithdrawRequestSerializer,
        responses={200: ExhibitSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        exhibit = self.get_exhibit()
        body = WithdrawRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        exhibit_withdraw(
            user=signed_in_user(request), exhibit=exhibit, reason=body.validated_data["reason"], ip=client_ip(request)
        )
        return Response(ExhibitSerializer(_with_files(exhibit.pk)).data)


@extend_schema(tags=["evidence"])
class ExhibitTierView(ExhibitScopedMixin, APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Change the confidentiality tier (the filing side may only make it stricter; the tribunal decides)",
        request=TierRequestSerializer,
        responses={200: ExhibitSerializer, **error_responses(400, 403, 404)},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        exhibit = self.get_exhibit()
        body = TierRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        exhibit_change_tier(
            user=signed_in_user(request),
            exhibit=exhibit,
            tier=body.validated_data["tier"],
            reason=body.validated_data["reason"],
            ip=client_ip(request),
        )
        return Response(ExhibitSerializer(_with_files(exhibit.pk)).data)


class StoredFileAltered(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "integrity_check_failed"


@extend_schema(tags=["evidence"])
class ExhibitFileDownloadView(ExhibitScopedMixin, APIView):
    # JSON first, so that errors are JSON unless the client asked for the bytes only.
    renderer_classes = [JSONRenderer, DocumentRenderer]

    @extend_schema(
        summary="Download an original: its SHA-256 is re-verified first and the download is recorded in custody",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The original."),
            **error_responses(403, 404, 409),
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> FileResponse:
        exhibit = self.get_exhibit()
        exhibit_file = exhibit.files.filter(pk=kwargs["file_pk"]).select_related("exhibit__case").first()
        if exhibit_file is None:
            raise NotFound("No such file.")
        try:
            handle = exhibit_file_open_for_download(
                user=signed_in_user(request), exhibit_file=exhibit_file, ip=client_ip(request)
            )
        except HashMismatch as mismatch:
            raise StoredFileAltered(str(mismatch)) from None
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=safe_filename(exhibit_file.original_name),
            content_type="application/octet-stream",  # never rendered: the uploader's bytes are not trusted
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["X-Checksum-SHA256"] = exhibit_file.sha256
        return response
