"""Hearing bundles over the API: list and prepare (the tribunal and the registry), poll one, download its PDF.

A party on the case gets a 403 on the list (the case is no secret to them) and a 404 for any bundle; an outsider a
404 everywhere (the case is fetched through the permission layer first).
"""

from __future__ import annotations

import json
from typing import Any

from django.http import FileResponse
from django.urls import reverse
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.pagination import DefaultCursorPagination
from disputes.api.views.base import CaseScopedMixin, signed_in_user
from disputes.exceptions import InvalidPayload
from disputes.models import Filing
from evidence import permissions
from evidence.api.schema import error_responses
from evidence.models import HearingBundle
from evidence.services.hearing_bundles import hearing_bundle_create, hearing_bundle_open


class HearingBundleSerializer(serializers.ModelSerializer):
    requested_by = serializers.CharField(source="requested_by.display_name", read_only=True)
    is_finished = serializers.BooleanField(read_only=True)
    download_url = serializers.SerializerMethodField(help_text="Where to fetch the PDF once it succeeded.")
    index = serializers.ListField(child=serializers.DictField(), read_only=True, help_text="title, date, party, page")
    manifest = serializers.ListField(
        child=serializers.DictField(), read_only=True, help_text="label, name, size, sha256, treatment, pages"
    )
    items = serializers.ListField(child=serializers.DictField(), read_only=True, help_text="type and id, as chosen")

    class Meta:
        model = HearingBundle
        fields = (
            "id",
            "title",
            "status",
            "is_finished",
            "progress",
            "progress_message",
            "error",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
            "items",
            "page_count",
            "size",
            "sha256",
            "index",
            "manifest",
            "download_url",
        )
        read_only_fields = fields

    def get_download_url(self, bundle: HearingBundle) -> str | None:
        if bundle.status != "succeeded":
            return None
        return reverse("evidence_api:hearing-bundle-download", args=[bundle.case_id, bundle.pk])


class HearingBundleRequestSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False, default="Hearing bundle")
    filings = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        max_length=1000,
        help_text="Docket numbers of the filings to include (with their documents).",
    )
    exhibits = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        max_length=1000,
        help_text="Exhibit ids to include (with their files).",
    )


class BundlePagination(DefaultCursorPagination):
    ordering = "-id"


class PdfRenderer(BaseRenderer):
    """Lets clients ask for the PDF (Accept: application/pdf); errors still come as JSON text."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return json.dumps(data).encode() if data is not None else b""


class _TribunalCase(CaseScopedMixin):
    case_permission = "evidence.make_hearing_bundle"


@extend_schema(tags=["hearing bundles"])
class HearingBundleListView(_TribunalCase, generics.ListAPIView):
    serializer_class = HearingBundleSerializer
    filter_backends = ()
    pagination_class = BundlePagination
    parser_classes = [JSONParser]

    def get_queryset(self) -> Any:
        case = self.get_case()
        return permissions.visible_hearing_bundles(self.request.user, case).select_related("requested_by")

    @extend_schema(
        summary="The case's hearing bundles, newest first (the tribunal and the registry only)",
        responses={200: HearingBundleSerializer(many=True), **error_responses(403, 404)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Prepare a hearing bundle of docket items and exhibits; it is built in the background (poll it)",
        request=HearingBundleRequestSerializer,
        responses={202: HearingBundleSerializer, **error_responses(400, 403, 404)},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        case = self.get_case()
        body = HearingBundleRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        numbers = sorted(set(body.validated_data["filings"]))
        filing_ids = dict(Filing.objects.filter(case=case, number__in=numbers).values_list("number", "pk"))
        if missing := [n for n in numbers if n not in filing_ids]:
            raise InvalidPayload(f"No docket item No. {missing[0]} on this case.")
        bundle = hearing_bundle_create(
            user=signed_in_user(request),
            case=case,
            title=body.validated_data["title"],
            filing_ids=list(filing_ids.values()),
            exhibit_ids=body.validated_data["exhibits"],
        )
        return Response(HearingBundleSerializer(bundle).data, status=status.HTTP_202_ACCEPTED)


class _BundleScoped(CaseScopedMixin):
    def get_bundle(self) -> HearingBundle:
        return permissions.hearing_bundle_for_user_or_404(self.request.user, self.get_case(), self.kwargs["bundle_pk"])


@extend_schema(tags=["hearing bundles"])
class HearingBundleDetailView(_BundleScoped, APIView):
    @extend_schema(
        summary="One hearing bundle: status and progress while it is built, then its index and hash manifest",
        responses={200: HearingBundleSerializer, **error_responses(404)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(HearingBundleSerializer(self.get_bundle()).data)


@extend_schema(tags=["hearing bundles"])
class HearingBundleDownloadView(_BundleScoped, APIView):
    renderer_classes = [JSONRenderer, PdfRenderer]

    @extend_schema(
        summary="Download a finished hearing bundle (X-Checksum-SHA256 carries the PDF's hash)",
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The bundle."),
            **error_responses(404, 409),
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> FileResponse:
        bundle = self.get_bundle()
        handle = hearing_bundle_open(bundle=bundle)
        filename = slugify(f"{bundle.case.display_reference}-{bundle.title}-{bundle.pk}") + ".pdf"
        response = FileResponse(handle, as_attachment=True, filename=filename, content_type="application/pdf")
        response["X-Content-Type-Options"] = "nosniff"
        response["X-Checksum-SHA256"] = bundle.sha256
        return response
