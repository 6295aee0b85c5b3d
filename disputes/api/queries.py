"""Reads only the API needs (the pages take theirs from disputes.selectors, which these could join).

Each takes a case already fetched through the permission layer, so none of them widens access.
"""

from __future__ import annotations

from django.db.models import QuerySet

from disputes.models import Case, Deadline, FilingDocument, Participant


def case_deadlines(*, case: Case) -> QuerySet[Deadline]:
    return Deadline.objects.filter(case=case).order_by("due_at", "id")


def case_participants(*, case: Case) -> QuerySet[Participant]:
    return Participant.objects.active().filter(case=case).select_related("user").order_by("role", "created_at", "id")


def filing_document(*, case: Case, number: int, document_pk: int) -> FilingDocument | None:
    return (
        FilingDocument.objects.select_related("filing")
        .filter(pk=document_pk, filing__case=case, filing__number=number)
        .first()
    )
