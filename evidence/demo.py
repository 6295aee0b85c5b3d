"""Demo evidence for the embedded demo case: two weight files (the respondent's sealed), an API log, and a weight
lineage analysis ordered by the arbitrator — all through the real upload service and job engine."""

from __future__ import annotations

import socket
import tempfile
from pathlib import Path
from typing import Any

from disputes.models import Case
from evidence.jobs import job_run
from evidence.models import AnalysisJob, Exhibit, ExhibitFile
from evidence.services.analyses import analysis_order
from evidence.services.uploads import upload_append, upload_create
from forensics.common import sha256_file


def _upload(*, user: Any, case: Case, path: Path, **metadata: str) -> ExhibitFile:
    fields = {"filename": path.name, "sha256": sha256_file(path), **metadata}
    session = upload_create(user=user, case=case, length=path.stat().st_size, metadata=fields, ip="127.0.0.1")
    with open(path, "rb") as handle:
        upload_append(session=session, offset=0, stream=handle, content_length=session.length, checksum_header=None)
    assert session.result_file is not None
    return session.result_file


def _ingest_now(exhibit_file: ExhibitFile) -> None:
    """Run the ingest inline (the workers start after the seed); a later duplicate message is skipped."""
    for job in AnalysisJob.objects.filter(kind="ingest", inputs__file=exhibit_file):
        job_run(job_id=job.pk, worker=f"seed@{socket.gethostname()}")


def demo_evidence(*, case: Case, people: dict[str, Any]) -> list[str]:
    if Exhibit.objects.filter(case=case).exists():
        return []
    from forensics.logs.fixtures import generate_rows, write_log
    from forensics.weights import fixtures

    with tempfile.TemporaryDirectory() as folder:
        base = fixtures.tiny_llama(seed=7)
        ours = fixtures.write_model(base, Path(folder) / "frontier-7b.safetensors")
        theirs = fixtures.write_model(fixtures.fine_tune(base, 0.02, 8), Path(folder) / "copycat-7b.safetensors")
        rows, _ = generate_rows(seed=3, benign_users=30)
        log = write_log(rows, Path(folder) / "api-log-march.jsonl", "jsonl")
        files = [
            _upload(
                user=people["claimant"],
                case=case,
                path=ours,
                kind="model_weights",
                title="Frontier-7B release weights",
                tier="parties",
            ),
            _upload(
                user=people["respondent"],
                case=case,
                path=theirs,
                kind="model_weights",
                title="Copycat-7B weights, produced under PO1",
                tier="tribunal",
                description="Sealed: the tribunal and its expert only.",
            ),
            _upload(
                user=people["claimant"],
                case=case,
                path=log,
                kind="api_log",
                title="API query log, March (accounts under investigation)",
                tier="aeo",
            ),
        ]
    for exhibit_file in files:
        _ingest_now(exhibit_file)
    analysis_order(
        user=people["arbitrator"],
        case=case,
        kind="weights.lineage",
        inputs={"a": files[0].pk, "b": files[1].pk},
        parameters={},
    )
    return [f"{f.exhibit.label} {f.exhibit.title}" for f in files]
