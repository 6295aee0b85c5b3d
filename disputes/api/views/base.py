"""The nested case routes' common ground: how the case is fetched and checked."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import IsAuthenticated

from disputes import permissions
from disputes.api.permissions import HasCasePermission
from disputes.models import Case


class CaseScopedMixin:
    """Routes under /cases/{case_pk}/.

    The case comes through the permission layer first, so an invisible case is a 404 on every route whatever the
    method; only then the route's own `case_permission` (a rules permission) applies, as a 403.
    """

    permission_classes = [IsAuthenticated, HasCasePermission]
    case_permission = "disputes.view_case"
    filter_backends: list[Any] = []  # the lists here take no filters
    kwargs: dict[str, Any]
    request: Any

    def get_case(self) -> Case:
        cached = getattr(self, "_case", None)
        if cached is None:
            cached = permissions.case_for_user_or_404(self.request.user, self.kwargs["case_pk"])
            self.check_object_permissions(self.request, cached)  # type: ignore[attr-defined]
            self._case = cached
        return cached
