"""The case export download: the ZIP of what the requesting user may see, streamed from a temporary file
(evidence.services.exports). An invisible case is a 404; a role that may not export is a 403."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from disputes.exceptions import NotPermitted, WrongState
from disputes.permissions import case_for_user_or_404
from disputes.views.types import AuthenticatedRequest
from evidence.services.exports import case_export_open, export_filename
from evidence.views.common import client_ip


@login_required
@require_GET
def case_export(request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
    case = case_for_user_or_404(request.user, pk)
    try:
        stream, size = case_export_open(user=request.user, case=case, ip=client_ip(request))
    except NotPermitted as refusal:
        raise PermissionDenied(str(refusal)) from None
    except WrongState as busy:
        messages.warning(request, str(busy))
        return redirect("case_detail", pk=case.pk)
    response = FileResponse(stream, as_attachment=True, filename=export_filename(case), content_type="application/zip")
    response["Content-Length"] = str(size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
