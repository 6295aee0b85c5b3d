"""THE permission layer. Pages, API, downloads and calendar feeds all ask here, nowhere else.

- `case_roles(user, case)`: the user's roles on a case (participant roles, "registrar", "candidate").
- `visible_cases(user)`: the queryset form of "may see this case", for lists and counts.
- object permissions are `rules` predicates registered in disputes/rules.py and evidence/rules.py, checked with
  `user.has_perm("disputes.view_case", case)`.
- `case_for_user_or_404(...)`: how every view fetches a case: invisible and non-existent look the same (404).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.functional import LazyObject, empty

from disputes.lifecycle.states import State
from disputes.models import ROLE_SIDE, Appointment, AppointmentStatus, Case, Participant, Role

REGISTRAR = "registrar"
CANDIDATE = "candidate"
_CACHE_ATTR = "_tribunal_case_roles"
_SEATS_ATTR = "_tribunal_party_seats"


def _memo(user: Any) -> dict[str, Any]:
    """Where the per-request role caches live: on the real user object. `request.user` is a lazy wrapper with its
    own __dict__, while rules and `user.has_perm` are handed the object behind it; caching on the wrapper made
    every check through the other path query again."""
    if isinstance(user, LazyObject):
        lazy: Any = user  # LazyObject's stub does not declare its private slots
        if lazy._wrapped is empty:
            lazy._setup()
        user = lazy._wrapped
    return user.__dict__


def is_registrar(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_registrar", False) and user.is_active)


def case_roles(user: Any, case: Case) -> frozenset[str]:
    """Roles of `user` on `case`, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active or case.pk is None:
        return frozenset()
    cache: dict[int, frozenset[str]] = _memo(user).setdefault(_CACHE_ATTR, {})
    if case.pk not in cache:
        _load_roles(user, [case.pk])
    return cache[case.pk]


def party_seats(user: Any, case: Case) -> list[tuple[str, bool]]:
    """(side, is outside counsel) for each claimant/respondent seat the user holds on the case; cached with the
    roles (the evidence tier layer reads it, so a page listing many cases asks once, not once per case)."""
    if not case_roles(user, case):
        return []
    seats: dict[int, list[tuple[str, bool]]] = _memo(user).setdefault(_SEATS_ATTR, {})
    return seats.get(case.pk, [])


def prime_case_roles(user: Any, case_ids: list[int]) -> None:
    """Load the roles on many cases in two queries, so per-case checks that follow (case_roles, can_see_case, the
    evidence tiers) run from the cache. The roles are the same ones case_roles computes: it uses this too."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return
    cache: dict[int, frozenset[str]] = _memo(user).setdefault(_CACHE_ATTR, {})
    missing = [pk for pk in dict.fromkeys(case_ids) if pk not in cache]
    if missing:
        _load_roles(user, missing)


def _load_roles(user: Any, case_ids: list[int]) -> None:
    roles: dict[int, set[str]] = {pk: set() for pk in case_ids}
    seats: dict[int, list[tuple[str, bool]]] = {pk: [] for pk in case_ids}
    rows = Participant.objects.active().filter(case_id__in=case_ids, user_id=user.pk)
    for case_id, role, outside in rows.values_list("case_id", "role", "is_outside_counsel"):
        roles[case_id].add(role)
        if role in (Role.CLAIMANT, Role.RESPONDENT):
            seats[case_id].append((ROLE_SIDE[Role(role)], outside))
    if is_registrar(user):
        for held in roles.values():
            held.add(REGISTRAR)
    candidacies = Appointment.objects.filter(
        case_id__in=case_ids, arbitrator_id=user.pk, status=AppointmentStatus.AWAITING_DECLARATION
    ).values_list("case_id", flat=True)
    for case_id in candidacies:
        roles[case_id].add(CANDIDATE)
    _memo(user).setdefault(_CACHE_ATTR, {}).update({pk: frozenset(held) for pk, held in roles.items()})
    _memo(user).setdefault(_SEATS_ATTR, {}).update(seats)


def forget_roles(user: Any) -> None:
    _memo(user).pop(_CACHE_ATTR, None)
    _memo(user).pop(_SEATS_ATTR, None)


def can_see_case(user: Any, case: Case) -> bool:
    roles = case_roles(user, case)
    if roles - {REGISTRAR, CANDIDATE}:
        return True
    if REGISTRAR in roles and case.state != State.DRAFT:
        return True
    # A candidate arbitrator sees the case (parties, claims) to declare independence; nothing sealed.
    return CANDIDATE in roles


def visible_cases(user: Any) -> QuerySet[Case]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Case.objects.none()
    membership = Participant.objects.active().filter(case_id=OuterRef("pk"), user_id=user.pk)
    candidacy = Appointment.objects.filter(
        case_id=OuterRef("pk"), arbitrator_id=user.pk, status=AppointmentStatus.AWAITING_DECLARATION
    )
    condition = Q(Exists(membership)) | Q(Exists(candidacy))
    if is_registrar(user):
        condition |= ~Q(state=State.DRAFT)
    return Case.objects.filter(condition)


def case_for_user_or_404(user: Any, pk: int, *, queryset: QuerySet[Case] | None = None) -> Case:
    case = (queryset if queryset is not None else Case.objects.all()).filter(pk=pk).first()
    if case is None or not can_see_case(user, case):
        raise Http404("No such case.")
    return case


def is_tribunal_side(user: Any, case: Case) -> bool:
    """Tribunal members, their experts and the registry: the audience of sealed material."""
    return bool(case_roles(user, case) & {Role.ARBITRATOR, Role.EXPERT, REGISTRAR})
