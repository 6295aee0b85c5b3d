"""OpenAPI helpers: the documented error responses, all with the one error body (config/api.py)."""

from __future__ import annotations

from typing import Any

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


def path_integers_are_non_negative(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Spectacular post-processing hook: Django's <int:...> converter matches digits only, so say so.

    Without it a client (or schemathesis) may send -1, which never reaches a view and is answered by Django's
    URL resolver rather than by the API.
    """
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                schema = parameter.get("schema", {})
                if parameter.get("in") == "path" and schema.get("type") == "integer":
                    schema.setdefault("minimum", 0)
    return result


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """Error responses for `extend_schema(responses=...)`; 401 is implied on every authenticated route."""
    return {status: OpenApiResponse(ErrorSerializer, description=_DESCRIPTIONS[status]) for status in (401, *statuses)}
