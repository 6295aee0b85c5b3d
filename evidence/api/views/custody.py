"""An exhibit's chain of custody as JSON (every field, so the hash chain can be recomputed) and as a CSV export."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evidence import selectors
from evidence.api.schema import error_responses
from evidence.api.serializers import CustodyEventSerializer
from evidence.api.views.base import ExhibitScopedMixin
from evidence.models import CustodyEvent

CSV_COLUMNS = [
    "sealed",
    "seq",
    "at",
    "action",
    "actor",
    "actor_name",
    "actor_role",
    "ip",
    "file",
    "details",
    "prev_hash",
    "hash",
]
# A cell starting with one of these is a formula to a spreadsheet (CSV injection): such cells get a leading quote.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class CSVRenderer(BaseRenderer):
    """Lets clients ask for text/csv; errors on this route still come as JSON text."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return json.dumps(data).encode() if data is not None else b""


class _Echo:
    """csv.writer wants a file; this one hands each formatted line back instead of buffering the export."""

    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _rows(events: Any) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    event: CustodyEvent
    for event in events.iterator(chunk_size=500):
        yield writer.writerow(
            [
                _cell(event.sealed),
                _cell(event.seq),
                _cell(event.at.isoformat()),
                _cell(event.action),
                _cell(event.actor_id),
                _cell(event.actor.display_name if event.actor else "system"),
                _cell(event.actor_role),
                _cell(event.ip),
                _cell(event.file_id),
                _cell(json.dumps(event.details, sort_keys=True, ensure_ascii=False)),
                _cell(event.prev_hash),
                _cell(event.hash),
            ]
        )


@extend_schema(tags=["evidence"])
class CustodyView(ExhibitScopedMixin, APIView):
    @extend_schema(
        summary="The exhibit's chain of custody, oldest first (append-only, hash-chained)",
        responses={200: CustodyEventSerializer(many=True), **error_responses(404)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        events = selectors.custody_for(exhibit=self.get_exhibit(), user=self.request.user)
        return Response(CustodyEventSerializer(events, many=True).data)


@extend_schema(tags=["evidence"])
class CustodyCSVView(ExhibitScopedMixin, APIView):
    renderer_classes = [JSONRenderer, CSVRenderer]

    @extend_schema(
        summary="The chain of custody as a CSV file (details as JSON in one column)",
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="One row per custody entry."),
            **error_responses(404),
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> StreamingHttpResponse:
        exhibit = self.get_exhibit()
        response = StreamingHttpResponse(
            _rows(selectors.custody_for(exhibit=exhibit, user=request.user)), content_type="text/csv"
        )
        filename = f"custody-case{exhibit.case_id}-{exhibit.label}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["X-Content-Type-Options"] = "nosniff"
        return response
