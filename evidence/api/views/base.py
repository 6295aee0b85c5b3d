"""Common ground of the evidence routes under /cases/{case_pk}/: the case, then the exhibit, through the one
permission layer (an invisible case or exhibit is a 404 whatever the method)."""

from __future__ import annotations

from rest_framework.request import Request

from disputes.api.views.base import CaseScopedMixin
from evidence import permissions
from evidence.models import Exhibit


def client_ip(request: Request) -> str | None:
    """The peer address recorded in custody (behind a proxy, the proxy must set REMOTE_ADDR correctly)."""
    return request.META.get("REMOTE_ADDR") or None


class ExhibitScopedMixin(CaseScopedMixin):
    """Routes under /cases/{case_pk}/exhibits/{exhibit_pk}/."""

    def get_exhibit(self) -> Exhibit:
        return permissions.exhibit_for_user_or_404(self.request.user, self.get_case(), self.kwargs["exhibit_pk"])
