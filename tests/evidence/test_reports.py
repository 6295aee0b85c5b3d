"""Analysis reports: verdict, statistics, charts, inputs with hashes, PDF — and the tier of their inputs."""

from __future__ import annotations

from unittest import mock

import pytest
from django.urls import reverse

from evidence import jobs
from evidence.models import JobStatus
from tests.evidence.helpers import upload


@pytest.fixture
def lineage_job(case_at, personas, tmp_path):
    from forensics.weights import fixtures

    case = case_at("evidence")
    base = fixtures.tiny_llama(seed=4)
    a = fixtures.write_model(base, tmp_path / "a.safetensors").read_bytes()
    b = fixtures.write_model(fixtures.fine_tune(base, noise=0.01, seed=5), tmp_path / "b.safetensors").read_bytes()
    ours = upload(personas.clara, case, a, kind="model_weights", title="Our model")
    theirs = upload(personas.rafael, case, b, kind="model_weights", title="Their model", tier="tribunal")
    with mock.patch("evidence.jobs.job_enqueue"):
        job = jobs.job_create(
            case=case,
            kind="weights.lineage",
            inputs=[(ours, "a"), (theirs, "b")],
            parameters={},
            created_by_id=personas.ada.pk,
        )
    assert jobs.job_run(job_id=job.pk, worker="test") == "succeeded"
    job.refresh_from_db()
    return case, job, ours, theirs


@pytest.mark.django_db
def test_report_page_charts_and_pdf_for_the_tribunal(lineage_job, personas, client):
    case, job, ours, theirs = lineage_job
    assert job.status == JobStatus.SUCCEEDED
    client.force_login(personas.ada)
    page = client.get(reverse("job_report", args=[case.pk, job.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Consistent with derivation" in html
    assert ours.sha256 in html and theirs.sha256 in html
    assert "not probative" in html.lower() or "NOT probative" in html
    assert "python manage.py analyse weights" in html
    chart_urls = list(page.context["chart_src"].values())
    assert chart_urls, "the lineage report has charts"
    chart = client.get(chart_urls[0])
    assert chart.status_code == 200 and chart["Content-Type"] == "image/svg+xml"
    assert chart.content.lstrip().startswith(b"<?xml") or b"<svg" in chart.content[:500]
    pdf = client.get(reverse("job_report_pdf", args=[case.pk, job.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf["Content-Disposition"]
    # The analysis read both inputs: custody says so, with the job and the code version.
    assert ours.exhibit.custody.filter(action="analysed", details__job=job.pk).exists()


@pytest.mark.django_db
def test_report_of_a_sealed_input_is_invisible_to_the_other_side(lineage_job, personas, client):
    case, job, _, _ = lineage_job
    for user in (personas.clara, personas.uma):
        client.force_login(user)
        for name in ("job_report", "job_report_pdf"):
            assert client.get(reverse(name, args=[case.pk, job.pk])).status_code == 404
        assert client.get(reverse("job_chart", args=[case.pk, job.pk, "anything"])).status_code == 404
    client.force_login(personas.rafael)  # the side that sealed it sees the report
    assert client.get(reverse("job_report", args=[case.pk, job.pk])).status_code == 200
