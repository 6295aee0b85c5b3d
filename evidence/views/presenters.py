"""Plain-words summaries of job results for lists; the full report pages come with the forensics issue."""

from __future__ import annotations

from typing import Any

from evidence.models import AnalysisJob, JobStatus


def job_summary(job: AnalysisJob) -> str:
    """One line saying what a finished job found (or why it stopped)."""
    if job.status == JobStatus.FAILED:
        return job.error or "Failed without a reason recorded."
    if job.status == JobStatus.CANCELLED:
        return job.error or "Cancelled."
    if job.status != JobStatus.SUCCEEDED or not isinstance(job.result, dict):
        return ""
    result: dict[str, Any] = job.result
    if job.kind == "ingest":
        if result.get("quarantine"):
            return f"Quarantined: {result['quarantine']}"
        checks, warnings = len(result.get("checks") or []), len(result.get("warnings") or [])
        detected = result.get("detected_type") or "unknown type"
        return f"{detected}; {_count(checks, 'check')} passed, {_count(warnings, 'warning')}."
    for key in ("verdict", "verdict_phrase", "summary", "decision"):
        if isinstance(result.get(key), str) and result[key]:
            return str(result[key])
    return "Finished; see the job page for the full result."


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
