"""Cursor pagination per list, each on a column that orders that list stably (no COUNT(*) per request)."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request

from config.pagination import DefaultCursorPagination


class CursorPagination(DefaultCursorPagination):
    """A mangled cursor is a bad request (400 naming the parameter), not a missing resource as DRF answers (404)."""

    def decode_cursor(self, request: Request) -> Any:
        try:
            return super().decode_cursor(request)
        except NotFound as exc:
            raise ValidationError({self.cursor_query_param: [str(exc.detail)]}) from exc


class CasePagination(CursorPagination):
    pass


class TimelinePagination(CursorPagination):
    ordering = "-seq"


class DocketPagination(CursorPagination):
    ordering = "-number"


class DeadlinePagination(CursorPagination):
    # The soonest first; id breaks ties between deadlines due at the same instant.
    ordering = ("due_at", "id")  # type: ignore[assignment]  # DRF takes a tuple; the base class set a str
