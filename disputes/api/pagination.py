"""Cursor pagination per list, each on a column that orders that list stably (no COUNT(*) per request)."""

from __future__ import annotations

from config.pagination import DefaultCursorPagination


class TimelinePagination(DefaultCursorPagination):
    ordering = "-seq"


class DocketPagination(DefaultCursorPagination):
    ordering = "-number"


class DeadlinePagination(DefaultCursorPagination):
    # The soonest first; id breaks ties between deadlines due at the same instant.
    ordering = ("due_at", "id")  # type: ignore[assignment]  # DRF takes a tuple; the base class set a str
