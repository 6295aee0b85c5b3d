"""The nested case routes' common ground: how the case is fetched and checked."""

from __future__ import annotations

from typing import cast

from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.models import User
from disputes import permissions
from disputes.api.permissions import HasCasePermission
from disputes.models import Case


def signed_in_user(request: Request) -> User:
    """The caller, once IsAuthenticated (every route's default permission) has let the request in."""
    return cast(User, request.user)


class CaseScopedMixin(APIView):
    """Routes under /cases/{case_pk}/.

    The case comes through the permission layer first, so an invisible case is a 404 on every route whatever the
    method; only then the route's own `case_permission` (a rules permission) applies, as a 403.
    """

    permission_classes = [IsAuthenticated, HasCasePermission]
    case_permission = "disputes.view_case"
    _case: Case | None = None

    def get_case(self) -> Case:
        if self._case is None:
            case = permissions.case_for_user_or_404(self.request.user, self.kwargs["case_pk"])
            self.check_object_permissions(self.request, case)
            self._case = case
        return self._case
