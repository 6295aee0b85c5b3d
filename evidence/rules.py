"""Object permissions on exhibits and jobs (autodiscovered by `rules`); predicates defer to evidence.permissions."""

from __future__ import annotations

from typing import Any

import rules

from disputes.models import Case
from evidence import permissions
from evidence.models import AnalysisJob, Exhibit


@rules.predicate
def can_see_exhibit(user: Any, exhibit: Exhibit | None) -> bool:
    return exhibit is not None and permissions.can_see_exhibit(user, exhibit)


@rules.predicate
def can_withdraw(user: Any, exhibit: Exhibit | None) -> bool:
    if exhibit is None or exhibit.withdrawn_at is not None or not permissions.can_see_exhibit(user, exhibit):
        return False
    side = permissions.may_file_exhibits(user, exhibit.case)
    return side == exhibit.side or permissions.is_tribunal_member(user, exhibit.case)


@rules.predicate
def can_change_tier(user: Any, exhibit: Exhibit | None) -> bool:
    """The tribunal decides tiers; the filing side may make its own exhibit stricter (never laxer: see service)."""
    return can_withdraw(user, exhibit)


@rules.predicate
def can_manage_job(user: Any, job: AnalysisJob | None) -> bool:
    return (
        job is not None
        and permissions.is_tribunal_member(user, job.case)
        and (permissions.visible_jobs(user, job.case).filter(pk=job.pk).exists())
    )


@rules.predicate
def can_make_hearing_bundle(user: Any, case: Case | None) -> bool:
    return case is not None and permissions.may_make_hearing_bundle(user, case)


rules.add_perm("evidence.view_exhibit", can_see_exhibit)
rules.add_perm("evidence.download_exhibit", can_see_exhibit)
rules.add_perm("evidence.withdraw_exhibit", can_withdraw)
rules.add_perm("evidence.change_tier", can_change_tier)
rules.add_perm("evidence.manage_job", can_manage_job)
rules.add_perm("evidence.make_hearing_bundle", can_make_hearing_bundle)
