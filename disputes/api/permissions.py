"""DRF permission classes over the one permission layer (disputes.permissions and the rules in disputes.rules).

Views fetch a case with `permissions.case_for_user_or_404` first, so a case the user may not see is a 404 before
any of these run; a 403 from here only ever tells a user about a case they already know.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from disputes import permissions
from disputes.models import Case, Role


class HasCasePermission(BasePermission):
    """The view's `case_permission` (a rules permission such as "disputes.view_docket") on the case."""

    message = "Your role on this case does not give access to this."

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        return bool(request.user.has_perm(view.case_permission, obj))


class IsDraftOwner(BasePermission):
    """The claimant's counsel owns the Request.

    Unlike the `disputes.edit_draft` rule this does not look at the state: once the Request is filed its owner is
    told so by the service (409), which is more useful than a bare 403.
    """

    message = "Only the claimant's counsel can change or discard the Request."

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        return isinstance(obj, Case) and Role.CLAIMANT in permissions.case_roles(request.user, obj)


class CanViewBoard(BasePermission):
    """The registrar's deadlines board covers every case: registry staff only (403, it is not a case object)."""

    message = "The deadlines board is for the registry."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user.has_perm("disputes.view_board"))
