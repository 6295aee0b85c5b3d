"""Read state of the docket: opening a case's Docket tab records how far the user has read it."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Max

from disputes.models import Case, DocketRead, Filing


def docket_mark_read(*, user_id: int, case: Case, now: datetime) -> int:
    """Record that the user has seen every filing now on the docket. Returns the docket number read up to.

    The mark only moves forward: a stale page (or a second tab rendered before a new filing) never un-reads it."""
    last = Filing.objects.filter(case=case).aggregate(last=Max("number"))["last"] or 0
    updated = DocketRead.objects.filter(user_id=user_id, case=case, last_number__lt=last).update(
        last_number=last, read_at=now
    )
    if not updated:
        DocketRead.objects.get_or_create(user_id=user_id, case=case, defaults={"last_number": last, "read_at": now})
    return last
