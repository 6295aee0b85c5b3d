"""Reads for exhibits, custody, jobs and search — all scoped by evidence.permissions."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet

from disputes.models import Case
from disputes.permissions import is_tribunal_side
from evidence import permissions
from evidence.models import AnalysisJob, CustodyEvent, Exhibit, ExhibitFile, JobInput


def exhibit_list(*, user: Any, case: Case, kind: str = "", side: str = "") -> QuerySet[Exhibit]:
    exhibits = permissions.visible_exhibits(user, case)
    if kind:
        exhibits = exhibits.filter(kind=kind)
    if side:
        exhibits = exhibits.filter(side=side)
    return (
        exhibits.select_related("submitted_by")
        .prefetch_related(Prefetch("files", queryset=ExhibitFile.objects.order_by("id")))
        .order_by("side", "number")
    )


def exhibit_search(*, user: Any, case: Case, query: str) -> QuerySet[Exhibit]:
    """Full-text search on PostgreSQL; case-insensitive substring search on SQLite."""
    exhibits = permissions.visible_exhibits(user, case)
    query = query.strip()[:200]
    if not query:
        return exhibits.none()
    if settings.USING_POSTGRES:
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = (
            SearchVector("title", weight="A")
            + SearchVector("description", weight="B")
            + SearchVector("search_text", weight="C")
        )
        search = SearchQuery(query, search_type="websearch")
        return exhibits.annotate(rank=SearchRank(vector, search)).filter(rank__gt=0).order_by("-rank", "side", "number")
    terms = [t for t in query.split() if t]
    condition = Q()
    for term in terms:
        condition &= Q(title__icontains=term) | Q(description__icontains=term) | Q(search_text__icontains=term)
    return exhibits.filter(condition).order_by("side", "number")


def custody_for(*, exhibit: Exhibit, user: Any) -> QuerySet[CustodyEvent]:
    """The custody rows this user may read: the open chain, plus the sealed one for the tribunal side."""
    rows = exhibit.custody.select_related("actor", "file")
    if not is_tribunal_side(user, exhibit.case):
        rows = rows.filter(sealed=False)
    return rows.order_by("sealed", "seq")


def job_list(*, user: Any, case: Case) -> QuerySet[AnalysisJob]:
    return (
        permissions.visible_jobs(user, case)
        .select_related("created_by")
        .prefetch_related(Prefetch("inputs", queryset=JobInput.objects.select_related("file__exhibit")))
        .order_by("-id")
    )
