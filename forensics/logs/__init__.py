"""API query log analyses: schema validation (:func:`validate_log`) and extraction detection (``logs.extraction``)."""

from forensics.logs.reader import validate_log

__all__ = ["validate_log"]
