"""Cursor pagination (no COUNT(*) per request) on a column that orders each list stably."""

from __future__ import annotations

from config.pagination import DefaultCursorPagination


class ExhibitPagination(DefaultCursorPagination):
    ordering = "id"  # filing order; labels (C-1, R-1...) are per side, ids are global and never reused


class JobPagination(DefaultCursorPagination):
    ordering = "-id"  # newest first
