"""The case export over the API: the same ZIP as the page (evidence.services.exports), streamed."""

from __future__ import annotations

import json
from typing import Any

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request

from disputes.api.views.base import CaseScopedMixin, signed_in_user
from evidence.api.schema import error_responses
from evidence.api.views.base import client_ip
from evidence.services.exports import case_export_open, export_filename


class ZipRenderer(BaseRenderer):
    """Lets clients ask for the ZIP (Accept: application/zip); errors still come as JSON text."""

    media_type = "application/zip"
    format = "zip"
    charset = None
    render_style = "binary"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return json.dumps(data).encode() if data is not None else b""


@extend_schema(tags=["evidence"])
class CaseExportView(CaseScopedMixin):
    # JSON first, so that errors are JSON unless the client asked for the ZIP only.
    renderer_classes = [JSONRenderer, ZipRenderer]
    case_permission = "disputes.export_case"

    @extend_schema(
        summary="Export the case as you may see it: a ZIP of docket, exhibits, custody and audit chain, with a "
        "manifest that tools/verify_bundle.py checks offline. Each exhibit exported is recorded in its custody.",
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="The export bundle."),
            **error_responses(403, 404, 409),
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> FileResponse:
        case = self.get_case()
        stream, size = case_export_open(user=signed_in_user(request), case=case, ip=client_ip(request))
        response = FileResponse(
            stream, as_attachment=True, filename=export_filename(case), content_type="application/zip"
        )
        response["Content-Length"] = str(size)
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response
