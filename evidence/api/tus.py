"""The tus 1.0 endpoint (core, creation, termination, checksum) over evidence.services.uploads.

Every limit knowable from the headers is checked before a byte of body is read. A PATCH body is streamed from the
WSGI input (Django's LimitedStream, bounded by Content-Length) straight into the staging file: `request.body` and
`request.data` are never touched, so DATA_UPLOAD_MAX_MEMORY_SIZE does not apply and nothing is held in memory.
Errors are `{"detail", "code", "errors"}` like the rest of the API, with the Tus-Resumable header.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from disputes import permissions as case_permissions
from disputes.api.views.base import signed_in_user
from evidence.api.views.base import client_ip
from evidence.models import UploadSession
from evidence.services.uploads import (
    CHECKSUM_ALGORITHMS,
    UploadError,
    parse_metadata,
    upload_append,
    upload_create,
    upload_session_for,
    upload_terminate,
)

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,termination,checksum"
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
ERROR_CODES = {
    400: "invalid",
    403: "not_permitted",
    404: "not_found",
    409: "conflict",
    410: "gone",
    411: "length_required",
    412: "unsupported_version",
    413: "too_large",
    415: "unsupported_media_type",
    422: "rejected",
    423: "locked",
    429: "too_many_uploads",
    460: "checksum_mismatch",
}
REASONS = {460: "Checksum Mismatch"}  # not in http.HTTPStatus; Django would say "Unknown Status Code"


class UploadThrottle(ScopedRateThrottle):
    """Per user, for PATCH/HEAD traffic: a 40 GB file in 5 MB browser chunks is 8 000 requests, far above the
    general API rate; the concurrency limit on open uploads is what bounds the load."""

    scope_attr = "throttle_scope"
    DEFAULT_RATE = "20000/hour"

    def get_rate(self) -> str | None:
        return self.THROTTLE_RATES.get("uploads") or self.DEFAULT_RATE


class ClientBody:
    """The request body as a file for upload_append. A connection that breaks mid-chunk reads as an early end of
    body (Django raises UnreadablePostError), so the bytes that did arrive are kept and the client resumes there."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    def read(self, size: int = -1) -> bytes:
        try:
            return self.request.read(size)
        except OSError:
            return b""


def tus_headers() -> dict[str, str]:
    return {
        "Tus-Version": TUS_VERSION,
        "Tus-Extension": TUS_EXTENSIONS,
        "Tus-Checksum-Algorithm": ",".join(CHECKSUM_ALGORITHMS),
        "Tus-Max-Size": str(settings.EVIDENCE_MAX_FILE_BYTES),
    }


def _int_header(request: Request, name: str) -> int:
    raw = request.headers.get(name, "")
    if not raw.isdigit():
        raise UploadError(400, f"Send the {name} header as a non-negative integer.")
    return int(raw)


def _location(session: UploadSession) -> str:
    return reverse("evidence_api:upload", kwargs={"upload_id": session.pk})


def _exhibit_headers(session: UploadSession) -> dict[str, str]:
    """Where a finished upload landed: the client links to the exhibit page (built by the evidence pages)."""
    if session.status != UploadSession.Status.COMPLETED or session.exhibit is None:
        return {}
    exhibit = session.exhibit
    return {
        "Tribunal-Exhibit": str(exhibit.pk),
        "Tribunal-Exhibit-Label": exhibit.label,
        "Tribunal-Exhibit-Url": f"/cases/{exhibit.case_id}/exhibits/{exhibit.pk}/",
    }


class TusView(APIView):
    """Left out of the OpenAPI schema on purpose: tus is specified by its own protocol (documented in
    docs/uploads.md), and OpenAPI tools cannot generate `application/offset+octet-stream` bodies."""

    parser_classes: list[Any] = []  # never parse: a PATCH body is streamed by the view itself
    renderer_classes = [JSONRenderer]
    throttle_classes = [UploadThrottle]
    throttle_scope = "uploads"

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # authentication (CSRF for sessions), permissions, throttles
        if request.method != "OPTIONS" and request.headers.get("Tus-Resumable") != TUS_VERSION:
            raise UploadError(412, f"This server speaks tus {TUS_VERSION}: send 'Tus-Resumable: {TUS_VERSION}'.")

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, UploadError):
            body = {"detail": exc.message, "code": ERROR_CODES.get(exc.status, "error"), "errors": {}}
            response = Response(body, status=exc.status)
            if exc.status == 412:
                response["Tus-Version"] = TUS_VERSION
            return response
        return super().handle_exception(exc)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Tus-Resumable"] = TUS_VERSION
        if response.status_code in REASONS:
            response.reason_phrase = REASONS[response.status_code]
        return response

    def options(self, request: Request, *args: Any, **kwargs: Any) -> Response:  # type: ignore[override]  # DRF passes its Request
        """tus discovery: versions, extensions, checksum algorithms and the size limit."""
        return Response(status=204, headers=tus_headers())


@extend_schema(exclude=True)  # see TusView
class UploadCreateView(TusView):
    def post(self, request: Request) -> Response:
        if request.headers.get("Upload-Defer-Length"):
            raise UploadError(400, "Upload-Defer-Length is not supported: declare the Upload-Length.")
        length = _int_header(request, "Upload-Length")
        metadata = parse_metadata(request.headers.get("Upload-Metadata", ""))
        case_id = metadata.get("case", "")
        if not case_id.isdigit():
            raise UploadError(400, "Name the case in the 'case' metadata (its id).")
        case = case_permissions.case_for_user_or_404(request.user, int(case_id))
        session = upload_create(
            user=signed_in_user(request), case=case, length=length, metadata=metadata, ip=client_ip(request)
        )
        return Response(status=201, headers={"Location": _location(session)})


@extend_schema(exclude=True)  # see TusView
class UploadView(TusView):
    def get_session(self) -> UploadSession:
        """Only the uploader's own sessions exist for them (others are a 404)."""
        return upload_session_for(user=signed_in_user(self.request), session_id=str(self.kwargs["upload_id"]))

    def head(self, request: Request, upload_id: Any) -> Response:
        session = self.get_session()
        if session.status in {UploadSession.Status.REJECTED, UploadSession.Status.TERMINATED}:
            raise UploadError(410, f"This upload is {session.get_status_display().lower()}. {session.failure}".strip())
        if session.status == UploadSession.Status.RECEIVING and session.expires_at < timezone.now():
            raise UploadError(410, "This upload has expired; start it again.")
        headers = {
            "Upload-Offset": str(session.offset),
            "Upload-Length": str(session.length),
            "Cache-Control": "no-store",
            **_exhibit_headers(session),
        }
        return Response(status=200, headers=headers)

    def patch(self, request: Request, upload_id: Any) -> Response:
        session = self.get_session()
        if request.content_type.split(";")[0].strip() != OFFSET_CONTENT_TYPE:
            raise UploadError(415, f"Send the chunk as '{OFFSET_CONTENT_TYPE}'.")
        offset = _int_header(request, "Upload-Offset")
        declared = request.META.get("CONTENT_LENGTH", "")
        if not declared.isdigit():
            raise UploadError(411, "Send a Content-Length header with the chunk.")
        session = upload_append(
            session=session,
            offset=offset,
            stream=ClientBody(request._request),
            content_length=int(declared),
            checksum_header=request.headers.get("Upload-Checksum"),
        )
        headers = {"Upload-Offset": str(session.offset), **_exhibit_headers(session)}
        return Response(status=204, headers=headers)

    def delete(self, request: Request, upload_id: Any) -> Response:
        upload_terminate(session=self.get_session())
        return Response(status=204)
