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
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """Error responses for `extend_schema(responses=...)`; 401 is implied on every authenticated route."""
    return {status: OpenApiResponse(ErrorSerializer, description=_DESCRIPTIONS[status]) for status in (401, *statuses)}
