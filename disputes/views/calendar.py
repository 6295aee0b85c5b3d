"""The secret iCalendar feed: no session (calendar apps cannot sign in); the unguessable token is the credential."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from disputes.ical import deadlines_calendar
from disputes.views import reads


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    user = reads.user_for_calendar_token(token=token)
    if user is None:
        raise Http404("No such calendar.")
    response = HttpResponse(deadlines_calendar(user), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="tribunal-deadlines.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response
