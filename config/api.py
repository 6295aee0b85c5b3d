"""API error shape: every error body is {"detail": str, "code": str, "errors": {field: [messages]}}.

One shape for every failure, so a client needs a single error path: case-service refusals (TransitionError and
its subclasses carry their own HTTP status), DRF's validation, authentication, permission and throttling errors,
Django's Http404 / PermissionDenied, and Django's request-size refusals (body, field and file counts). Not being
signed in is a 401 with a Token challenge.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from rest_framework import exceptions, status
from rest_framework.authentication import TokenAuthentication
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from disputes.exceptions import TransitionError

# The service says "not_found" when the actor cannot see the case at all: answer exactly as for a missing case,
# never 403, which would confirm that the case exists.
NOT_FOUND_CODE = "not_found"


# Django refuses oversize or overfull request bodies with a SuspiciousOperation while DRF parses them; left alone
# they reach Django's HTML 400 page. Say, in the API's error shape, which limit was hit.
REQUEST_LIMIT_ERRORS: tuple[tuple[type[Exception], int, str, str], ...] = (
    (
        RequestDataTooBig,
        status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        "too_large",
        "The request is too large: its fields exceed {max_bytes:,} bytes. Send files as uploads.",
    ),
    (
        TooManyFilesSent,
        status.HTTP_400_BAD_REQUEST,
        "too_many_files",
        "A request may carry at most {max_files} files.",
    ),
    (
        TooManyFieldsSent,
        status.HTTP_400_BAD_REQUEST,
        "too_many_fields",
        "A request may carry at most {max_fields} fields.",
    ),
)


def request_limit_error(exc: BaseException) -> tuple[int, str, str] | None:
    """(status, code, message) when `exc` is Django refusing a request body for its size or its counts."""
    for error_type, status_code, code, message in REQUEST_LIMIT_ERRORS:
        if isinstance(exc, error_type):
            detail = message.format(
                max_bytes=settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
                max_files=settings.DATA_UPLOAD_MAX_NUMBER_FILES,
                max_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
            )
            return status_code, code, detail
    return None


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = _error_response(exc, context)
    if response is not None:
        _render_errors_as_json(context)
    return response


def _render_errors_as_json(context: dict[str, Any]) -> None:
    """A route that can answer a file (custody CSV, a PDF, a ZIP) chose that renderer from `?format=` or Accept;
    its errors are still the JSON error shape and must say so, not arrive labelled text/csv or application/pdf.
    DRF's finalize_response takes the renderer from the request, so this is where to switch it."""
    request = context.get("request")
    if request is None:
        return
    renderer = getattr(request, "accepted_renderer", None)
    if renderer is None or renderer.format not in {"json", "api"}:
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type


def _error_response(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, TransitionError):
        return _transition_error_response(exc)
    limit = request_limit_error(exc)
    if limit is not None:
        status_code, code, detail = limit
        set_rollback()
        return Response({"detail": detail, "code": code, "errors": {}}, status=status_code)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        # DRF answers 403 when the first authentication class is the session's (it has no challenge to offer);
        # API clients deserve the 401 + WWW-Authenticate that says "send a token".
        response.status_code = status.HTTP_401_UNAUTHORIZED
        response["WWW-Authenticate"] = TokenAuthentication.keyword
    response.data = _error_body(exc, response.data)
    return response


def _transition_error_response(exc: TransitionError) -> Response:
    set_rollback()
    if exc.code == NOT_FOUND_CODE:
        return Response(
            {"detail": "No such case.", "code": NOT_FOUND_CODE, "errors": {}}, status=status.HTTP_404_NOT_FOUND
        )
    errors = getattr(exc, "errors", None) or {}
    return Response({"detail": str(exc), "code": exc.code, "errors": errors}, status=exc.status_code)


def _error_body(exc: Exception, data: Any) -> dict[str, Any]:
    if isinstance(exc, exceptions.ValidationError):
        if isinstance(data, dict):
            # A check of the request as a whole (wrong password, say) is the message itself, not a field's.
            general = [str(message) for message in data.get("non_field_errors", [])]
            detail = " ".join(general) or "Please correct the request."
            return {"detail": detail, "code": "invalid", "errors": data}
        # ValidationError("message") raised by a view: a single sentence that is the whole story.
        messages = [str(message) for message in data] if isinstance(data, list) else [str(data)]
        return {"detail": " ".join(messages), "code": "invalid", "errors": {"non_field_errors": messages}}
    detail = data.get("detail", "") if isinstance(data, dict) else data
    return {"detail": str(detail), "code": getattr(detail, "code", None) or "error", "errors": {}}
