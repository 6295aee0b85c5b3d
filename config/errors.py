"""Django's handler for a 400 raised outside a view's own validation — chiefly a request body refused for its size
or its field or file counts while it is parsed (often in the CSRF middleware, before any view runs). The page says
which limit was hit; anything else keeps the generic text. No request context: like every error page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults

from config.api import request_limit_error


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    limit = request_limit_error(exception)
    status, message = (limit[0], limit[2]) if limit else (400, "")
    return HttpResponse(loader.render_to_string("400.html", {"message": message, "status": status}), status=status)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """An /api/ URL that matches no route (a case id that is not a number, say) is answered in the API's error shape,
    like a missing object inside a route, not with the HTML page; every other URL gets the page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found.", "code": "not_found", "errors": {}}, status=404)
    return defaults.page_not_found(request, exception)
