"""API query log analyses: schema validation (:func:`validate_log`) and extraction detection (``logs.extraction``)."""

from forensics.logs.charts import charts
from forensics.logs.extraction import detect_extraction
from forensics.logs.reader import validate_log

__all__ = ["charts", "detect_extraction", "validate_log"]
