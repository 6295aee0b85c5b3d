"""OpenAPI helpers: the documented error responses, all with the one error body (config/api.py)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse

from disputes.api.serializers import ErrorSerializer

_DESCRIPTIONS = {
    400: "Invalid input: `errors` holds the messages per field.",
    401: "Not signed in (no or bad token).",
    403: "Your role does not allow this.",
    404: "No such case, or not one you take part in (the two look the same).",
    409: "Not possible in the case's current state, or a rule of the procedure forbids it now (`detail` says why).",
    429: "Too many requests; retry after the Retry-After header's seconds.",
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """Error responses for `extend_schema(responses=...)`; 401 is implied on every authenticated route."""
    return {status: OpenApiResponse(ErrorSerializer, description=_DESCRIPTIONS[status]) for status in (401, *statuses)}
