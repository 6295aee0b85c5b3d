"""Confidentiality tiers in the one permission layer (built on disputes.permissions).

- the tribunal, its experts and the registry see every exhibit of the case, withdrawn ones included;
- a side always sees its own exhibits (including those it sealed for the tribunal);
- the other side sees `parties` exhibits, `aeo` ones only through outside counsel, and never `tribunal` ones:
  for them a sealed exhibit does not exist (404 everywhere, absent from lists, counts and search);
- withdrawn exhibits are hidden from the other side.
A job (and its report) is visible only to those who may see every one of its inputs.
Hearing bundles are the tribunal's: the case's arbitrators and the registry make and see them; for everyone else
they do not exist (404), so a bundle that holds sealed items never reaches a party.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from disputes import permissions as case_permissions
from disputes.models import Case, Role
from evidence.models import AnalysisJob, Exhibit, HearingBundle, JobInput, Tier

TRIBUNAL_ROLES = {Role.ARBITRATOR, Role.EXPERT, case_permissions.REGISTRAR}


def _side_view(user: Any, case: Case) -> tuple[bool, set[str], bool]:
    """(sees everything, own sides, is outside counsel) for this user on this case."""
    roles = case_permissions.case_roles(user, case)
    if roles & TRIBUNAL_ROLES:
        return True, set(), False
    seats = case_permissions.party_seats(user, case)
    sides = {side for side, _ in seats}
    outside = any(is_outside for _, is_outside in seats)
    return False, sides, outside


def visible_exhibits(user: Any, case: Case, *, include_withdrawn: bool = False) -> QuerySet[Exhibit]:
    if not case_permissions.can_see_case(user, case) or case.state == "draft":
        return Exhibit.objects.none()
    everything, sides, outside = _side_view(user, case)
    exhibits = Exhibit.objects.filter(case=case)
    if everything:
        return exhibits if include_withdrawn else exhibits.filter(withdrawn_at__isnull=True)
    if not sides:
        return Exhibit.objects.none()  # e.g. a candidate arbitrator before the declaration
    other_tiers = [Tier.PARTIES, Tier.AEO] if outside else [Tier.PARTIES]
    condition = Q(side__in=sides) | (Q(tier__in=other_tiers) & Q(withdrawn_at__isnull=True))
    exhibits = exhibits.filter(condition)
    if not include_withdrawn:
        exhibits = exhibits.filter(withdrawn_at__isnull=True)
    return exhibits


def can_see_exhibit(user: Any, exhibit: Exhibit) -> bool:
    return visible_exhibits(user, exhibit.case, include_withdrawn=True).filter(pk=exhibit.pk).exists()


def exhibit_for_user_or_404(user: Any, case: Case, pk: int) -> Exhibit:
    exhibit = visible_exhibits(user, case, include_withdrawn=True).filter(pk=pk).select_related("case").first()
    if exhibit is None:
        raise Http404("No such exhibit.")
    return exhibit


def visible_jobs(user: Any, case: Case) -> QuerySet[AnalysisJob]:
    if not case_permissions.can_see_case(user, case):
        return AnalysisJob.objects.none()
    visible_ids = visible_exhibits(user, case, include_withdrawn=True).values("pk")
    hidden_input = JobInput.objects.filter(job_id=OuterRef("pk")).exclude(file__exhibit_id__in=visible_ids)
    return AnalysisJob.objects.filter(case=case).exclude(Exists(hidden_input))


def job_for_user_or_404(user: Any, case: Case, pk: int) -> AnalysisJob:
    job = visible_jobs(user, case).filter(pk=pk).first()
    if job is None:
        raise Http404("No such job.")
    return job


def may_file_exhibits(user: Any, case: Case) -> str | None:
    """The side the user files exhibits for, or None. Registrars do not file evidence."""
    roles = case_permissions.case_roles(user, case)
    if case.state in {"draft", "closed", "settled", "withdrawn", "dismissed"}:
        return None
    for role in (Role.ARBITRATOR, Role.CLAIMANT, Role.RESPONDENT):
        if role in roles:
            return {"arbitrator": "tribunal", "claimant": "claimant", "respondent": "respondent"}[role]
    return None


def is_tribunal_member(user: Any, case: Case) -> bool:
    return Role.ARBITRATOR in case_permissions.case_roles(user, case)


def may_make_hearing_bundle(user: Any, case: Case) -> bool:
    """The tribunal (arbitrators of the case) and the registry, on a filed case."""
    if case.state == "draft" or not case_permissions.can_see_case(user, case):
        return False
    return bool(case_permissions.case_roles(user, case) & {Role.ARBITRATOR, case_permissions.REGISTRAR})


def visible_hearing_bundles(user: Any, case: Case) -> QuerySet[HearingBundle]:
    if not may_make_hearing_bundle(user, case):
        return HearingBundle.objects.none()
    return HearingBundle.objects.filter(case=case)


def hearing_bundle_for_user_or_404(user: Any, case: Case, pk: int) -> HearingBundle:
    bundle = visible_hearing_bundles(user, case).filter(pk=pk).first()
    if bundle is None:
        raise Http404("No such hearing bundle.")
    return bundle
