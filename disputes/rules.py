"""Object permissions on cases (autodiscovered by `rules`). The predicates defer to disputes.permissions."""

from __future__ import annotations

from typing import Any

import rules

from disputes import permissions
from disputes.lifecycle.states import State
from disputes.models import Case, Role


@rules.predicate
def can_see_case(user: Any, case: Case | None) -> bool:
    return case is not None and permissions.can_see_case(user, case)


@rules.predicate
def is_registrar(user: Any) -> bool:
    return permissions.is_registrar(user)


@rules.predicate
def is_draft_owner(user: Any, case: Case | None) -> bool:
    return case is not None and case.state == State.DRAFT and Role.CLAIMANT in permissions.case_roles(user, case)


@rules.predicate
def takes_part(user: Any, case: Case | None) -> bool:
    """Participant or registrar on a filed case (candidates may only declare)."""
    if case is None or case.state == State.DRAFT:
        return False
    return bool(permissions.case_roles(user, case) - {permissions.CANDIDATE})


rules.add_perm("disputes.view_case", can_see_case)
rules.add_perm("disputes.edit_draft", is_draft_owner)
rules.add_perm("disputes.view_docket", takes_part)
rules.add_perm("disputes.view_deadlines", takes_part)
rules.add_perm("disputes.view_participants", takes_part)
# The ZIP holds only what the user may see (evidence.bundle filters by tier), so whoever takes part may export.
rules.add_perm("disputes.export_case", takes_part)
rules.add_perm("disputes.view_board", is_registrar)
rules.add_perm("disputes.view_outbox", is_registrar)
