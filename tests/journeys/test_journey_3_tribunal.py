"""Journey 3: the registrar appoints an arbitrator; her declaration's conflict check hits (her affiliations name the
respondent's parent company), the registrar sees the hit and confirms her; she issues Procedural Order No. 1,
orders a weight-lineage analysis on two weight exhibits, watches its row update by itself until it is done, reads
the report (verdict and charts) and downloads the PDF.

A worker is played by the test: ordering is real (the page, the service, the queued job), but the enqueue is
held back so the page can be seen waiting; then the test runs the job the way a worker would and the row,
polling every 2 s, turns to "Succeeded" with no reload.
"""

from __future__ import annotations

from unittest import mock
from urllib.parse import urlparse

import pytest

from disputes.models import Appointment, AppointmentStatus
from evidence import jobs
from evidence.models import AnalysisJob, ExhibitFile, JobStatus
from tests.evidence.helpers import upload
from tests.journeys.conftest import do_action, docket_titles, stage_of, tab, text_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def weights(tmp_path):
    from forensics.weights import fixtures

    base = fixtures.tiny_llama(seed=4)
    ours = fixtures.write_model(base, tmp_path / "frontier-7b.safetensors").read_bytes()
    theirs = fixtures.write_model(fixtures.fine_tune(base, noise=0.01, seed=5), tmp_path / "copycat.safetensors")
    return ours, theirs.read_bytes()


def test_appointment_conflict_po1_and_a_lineage_report(personas, case_at, open_as, screens, weights):
    case = case_at("tribunal_formation")
    personas.ada.affiliations = "University of Somewhere\nCopycat Holdings (advisory board, 2024)"
    personas.ada.save(update_fields=["affiliations"])
    registrar = open_as(personas.greta)
    arbitrator = open_as(personas.ada)

    # 1. The registrar appoints Ada from the roster.
    do_action(registrar, case.pk, "Appoint the arbitrator", {"#id_arbitrator": str(personas.ada.pk)})
    assert Appointment.objects.get(case=case).status == AppointmentStatus.AWAITING_DECLARATION

    # 2. Ada's dashboard asks for her declaration; the form shows the affiliations the check will use.
    arbitrator.goto("/")
    assert "Appointments awaiting your declaration" in text_of(arbitrator)
    screens.shot(arbitrator, "arbitrator-dashboard-declaration")
    arbitrator.get_by_role("link", name="File the independence declaration").click()
    assert "Copycat Holdings" in arbitrator.input_value("#id_affiliations")
    arbitrator.check("#id_independent")
    screens.shot(arbitrator, "declaration-form")
    arbitrator.locator("form.form button[type=submit]").click()
    appointment = Appointment.objects.get(case=case)
    assert appointment.status == AppointmentStatus.AWAITING_REGISTRAR and appointment.conflict_hits
    # Until the registry confirms her she is back on her dashboard, told it is done (not sent to a 404).
    assert urlparse(arbitrator.url).path == "/"
    assert "Done: File the independence declaration" in text_of(arbitrator)
    assert stage_of(registrar, case.pk) == "Tribunal formation"

    # 3. The registrar sees the hit (dashboard and participants tab) and clears it by confirming.
    registrar.goto("/")
    to_decide = registrar.locator(".card", has_text="To decide")
    assert "1 conflict hit" in to_decide.inner_text()
    screens.shot(registrar, "registrar-dashboard-conflict")
    to_decide.get_by_role("link", name=case.reference).click()
    hits = registrar.locator(".declaration")
    assert "Conflict check: 1 hit" in hits.inner_text() and "Copycat Holdings" in hits.inner_text()
    screens.shot(registrar, "conflict-hit")
    do_action(registrar, case.pk, "Confirm the appointment", {"#id_note": "Advisory role ended; disclosed; cleared."})
    assert stage_of(registrar, case.pk) == "Procedural set-up"

    # 4. Procedural Order No. 1.
    do_action(
        arbitrator,
        case.pk,
        "Issue Procedural Order No. 1",
        {"#id_title": "Procedural Order No. 1", "#id_body": "Timetable, protective order and forensic protocol."},
    )
    assert stage_of(arbitrator, case.pk) == "Written submissions"
    assert any(title.endswith("Procedural Order No. 1") for title in docket_titles(arbitrator, case.pk))
    screens.shot(arbitrator, "docket-po1")

    # 5. Two weight exhibits are on file (uploaded by the parties through the tus service; ingest runs on commit).
    ours = upload(personas.clara, case, weights[0], kind="model_weights", title="Frontier-7B", filename="a.safetensors")
    theirs = upload(
        personas.rafael, case, weights[1], kind="model_weights", title="Copycat-7B", filename="b.safetensors"
    )
    assert set(ExhibitFile.objects.filter(pk__in=[ours.pk, theirs.pk]).values_list("status", flat=True)) == {"ok"}

    # 6. Order the lineage analysis from the Analyses tab; it waits for a worker with its progress bar showing.
    tab(arbitrator, case.pk, "Analyses")
    arbitrator.get_by_role("link", name="Order an analysis").click()
    arbitrator.select_option("#id_a", str(ours.pk))
    arbitrator.select_option("#id_b", str(theirs.pk))
    screens.shot(arbitrator, "order-analysis")
    with mock.patch("evidence.jobs.job_enqueue"):
        arbitrator.get_by_role("button", name="Queue the analysis").click()
        arbitrator.wait_for_load_state()
    job = AnalysisJob.objects.get(kind="weights.lineage")
    row = arbitrator.locator(f"#job-{job.pk}")
    if "tab=analyses" not in arbitrator.url:
        tab(arbitrator, case.pk, "Analyses")
    assert row.get_attribute("data-status") == "queued"
    assert int(row.locator("progress").get_attribute("value")) == 0
    assert "Waiting for a worker" in row.inner_text()
    screens.shot(arbitrator, "analysis-queued")

    # 7. A worker runs it; the row polls and turns to Succeeded without a reload.
    assert jobs.job_run(job_id=job.pk, worker="journey") == "succeeded"
    arbitrator.wait_for_selector(f"#job-{job.pk}[data-status=succeeded]", timeout=10_000)
    assert AnalysisJob.objects.get(pk=job.pk).status == JobStatus.SUCCEEDED
    screens.shot(arbitrator, "analysis-succeeded", a11y=False)  # the same page as a checked screen, other data

    # 8. The report: verdict and charts (images that actually loaded).
    arbitrator.locator(f"#job-{job.pk}").get_by_role("link", name="Read the report").click()
    assert "Consistent with derivation" in arbitrator.locator(".report-verdict").inner_text()
    charts = arbitrator.locator(".report-chart img")
    assert charts.count() >= 1
    for chart in charts.all():
        chart.scroll_into_view_if_needed()
        arbitrator.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=chart.element_handle())
    arbitrator.evaluate("window.scrollTo(0, 0)")
    screens.shot(arbitrator, "analysis-report")

    # 9. The PDF downloads as a PDF.
    with arbitrator.expect_download(timeout=60_000) as download_info:  # the PDF is rendered on request
        arbitrator.get_by_role("link", name="Download PDF").click(no_wait_after=True)
    download = download_info.value
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    assert download.suggested_filename.endswith(".pdf")

    arbitrator.goto("/")
    screens.shot(arbitrator, "arbitrator-dashboard")
