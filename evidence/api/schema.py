"""OpenAPI helpers for the evidence routes: documented error responses, all with the one error body."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse

from disputes.api.serializers import ErrorSerializer

_DESCRIPTIONS = {
    400: "Invalid input: `detail` says what is wrong, `errors` holds the messages per field.",
    401: "Not signed in (no or bad token).",
    403: "Your role does not allow this (`detail` says why).",
    404: "No such case, exhibit, file or job — or not one you may see (the two look the same).",
    409: "Not possible now (`detail` says why).",
    410: "The upload was terminated, rejected or has expired.",
    411: "Send a Content-Length header with the chunk.",
    412: "Unsupported tus version: send `Tus-Resumable: 1.0.0` (see the Tus-Version response header).",
    413: "Too large: the file, the case's quota or the chunk exceeds a limit (`detail` gives it).",
    415: "A PATCH body must be sent as `application/offset+octet-stream`.",
    422: "The finished file was rejected (declared SHA-256 mismatch, or refused by the gatekeeper); nothing stored.",
    423: "Another request is writing to this upload; retry shortly.",
    429: "Too many requests or uploads in progress; `detail` says which.",
    460: "Upload-Checksum mismatch: the chunk was discarded; send it again.",
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """Error responses for `extend_schema(responses=...)`; 401 is implied on every authenticated route."""
    return {status: OpenApiResponse(ErrorSerializer, description=_DESCRIPTIONS[status]) for status in (401, *statuses)}
