"""Analysis jobs over the API: ordering (validation against INPUT_ROLES, who may use which file), lists and detail
under the tier rules, and the tribunal's cancel and re-run."""

from __future__ import annotations

import pytest

from evidence.jobs import job_create
from evidence.models import AnalysisJob, ExhibitFile, JobStatus
from tests.evidence.helpers import upload

pytestmark = pytest.mark.django_db


def _ok(exhibit_file: ExhibitFile) -> ExhibitFile:
    # Set up as if ingest had passed (ingest itself is tested in tests/evidence).
    ExhibitFile.objects.filter(pk=exhibit_file.pk).update(status=ExhibitFile.Status.OK)
    exhibit_file.refresh_from_db()
    return exhibit_file


@pytest.fixture
def files(evidence_case, personas):
    def outputs(user, data, **kw):
        return _ok(upload(user, evidence_case, data, kind="model_outputs", title="Outputs", **kw))

    return {
        "ours": outputs(personas.clara, b'{"text": "ours"}\n', watermark_key="0x1234"),
        "ours2": outputs(personas.clara, b'{"text": "ours again"}\n'),
        "theirs": outputs(personas.rafael, b'{"text": "theirs"}\n'),
        "sealed": outputs(personas.rafael, b'{"text": "sealed"}\n', tier="tribunal"),
        "log": _ok(
            upload(personas.clara, evidence_case, b"timestamp,account_id,prompt\n", kind="api_log", title="Log")
        ),
    }


def _order(client, case, kind, inputs, parameters=None):
    body = {"kind": kind, "inputs": inputs}
    if parameters is not None:
        body["parameters"] = parameters
    return client.post(f"/api/v1/cases/{case.pk}/jobs/", body, format="json")


def test_the_tribunal_orders_an_analysis_on_any_visible_files(client_for, evidence_case, files, personas):
    response = _order(
        client_for("ada"), evidence_case, "text.similarity", {"a": files["ours"].pk, "b": files["sealed"].pk}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "text.similarity" and body["status"] == "queued" and body["tier"] == "tribunal"
    assert [(i["role"], i["file"]) for i in body["inputs"]] == [("a", files["ours"].pk), ("b", files["sealed"].pk)]
    job = AnalysisJob.objects.get(pk=body["id"])
    assert job.created_by == personas.ada
    # Clara cannot see R's sealed file, so the job does not exist for her.
    jobs = f"/api/v1/cases/{evidence_case.pk}/jobs/"
    seen_by_clara = [(j["id"], j["kind"]) for j in client_for("clara").get(jobs).json()["results"]]
    assert job.pk not in dict(seen_by_clara) and len(seen_by_clara) == 4, "her 3 ingests and Rafael's public one"
    assert client_for("clara").get(f"{jobs}{job.pk}/").status_code == 404
    assert job.pk in [j["id"] for j in client_for("rafael").get(jobs).json()["results"]]


def test_a_party_orders_analyses_of_its_own_side_only(client_for, evidence_case, files):
    clara = client_for("clara")
    own = _order(clara, evidence_case, "text.similarity", {"a": files["ours"].pk, "b": files["ours2"].pk})
    assert own.status_code == 201
    other = _order(clara, evidence_case, "text.similarity", {"a": files["ours"].pk, "b": files["theirs"].pk})
    assert other.status_code == 403 and "own side" in other.json()["detail"]
    # A sealed file of the other side answers exactly like a file that does not exist.
    sealed = _order(clara, evidence_case, "text.similarity", {"a": files["ours"].pk, "b": files["sealed"].pk})
    missing = _order(clara, evidence_case, "text.similarity", {"a": files["ours"].pk, "b": 999_999})
    assert sealed.status_code == missing.status_code == 400
    assert sealed.json()["errors"]["b"] == [f"No file {files['sealed'].pk} in this case."]
    assert missing.json()["errors"]["b"] == ["No file 999999 in this case."]
    assert _order(client_for("greta"), evidence_case, "logs.extraction", {"log": files["log"].pk}).status_code == 403
    assert _order(client_for("uma"), evidence_case, "logs.extraction", {"log": files["log"].pk}).status_code == 404


@pytest.mark.parametrize(
    ("kind", "inputs", "parameters", "field", "message"),
    [
        ("weights.lineage", {"a": "ours", "b": "ours2"}, None, "a", "needs a model_weights exhibit"),
        ("text.similarity", {"a": "ours"}, None, "b", "needs a file for 'b'"),
        ("text.similarity", {"a": "ours", "b": "ours2", "c": "log"}, None, "c", "takes no 'c' input"),
        ("text.similarity", {"a": "ours", "b": "ours"}, None, "inputs", "different file for each role"),
        ("logs.extraction", {"log": "log"}, {"volume_threshold": "many"}, "parameters", "wrong type"),
        ("logs.extraction", {"log": "log"}, {"rm": 1}, "parameters", "Unknown parameter 'rm'"),
        ("text.watermark", {"outputs": "ours2"}, None, "parameters", "'key' is required"),
        ("text.watermark", {"outputs": "ours"}, {"key": "not a key"}, "parameters", "decimal or 0x-hexadecimal"),
        ("text.watermark", {"outputs": "ours"}, {"gamma": 2}, "parameters", "between 0 and 1"),
        ("ingest", {"file": "ours"}, None, "kind", ""),
    ],
)
def test_orders_are_validated(client_for, evidence_case, files, kind, inputs, parameters, field, message):
    response = _order(
        client_for("clara"), evidence_case, kind, {role: files[name].pk for role, name in inputs.items()}, parameters
    )
    assert response.status_code == 400, response.content
    assert message in " ".join(response.json()["errors"][field])
    assert not AnalysisJob.objects.exclude(kind="ingest").exists()


def test_files_that_did_not_pass_ingest_cannot_be_analysed(client_for, evidence_case, files):
    ExhibitFile.objects.filter(pk=files["ours"].pk).update(status=ExhibitFile.Status.QUARANTINED)
    ExhibitFile.objects.filter(pk=files["ours2"].pk).update(status=ExhibitFile.Status.INGESTING)
    response = _order(
        client_for("clara"), evidence_case, "text.similarity", {"a": files["ours"].pk, "b": files["ours2"].pk}
    )
    errors = response.json()["errors"]
    assert "quarantined" in errors["a"][0] and "still being checked" in errors["b"][0]


def test_the_watermark_key_filed_with_the_exhibit_is_used_and_never_shown(client_for, evidence_case, files):
    response = _order(client_for("ada"), evidence_case, "text.watermark", {"outputs": files["ours"].pk})
    assert response.status_code == 201
    job = AnalysisJob.objects.get(pk=response.json()["id"])
    assert job.parameters["key"] == "0x1234"
    assert "key" not in response.json()["parameters"]
    assert (
        "key" not in client_for("rafael").get(f"/api/v1/cases/{evidence_case.pk}/jobs/{job.pk}/").json()["parameters"]
    )


def test_detail_has_the_result_and_lists_do_not(client_for, evidence_case, files):
    job = job_create(
        case=evidence_case, kind="logs.extraction", inputs=[(files["log"], "log")], parameters={}, created_by_id=None
    )
    AnalysisJob.objects.filter(pk=job.pk).update(status=JobStatus.SUCCEEDED, progress=1.0, result={"accounts": []})
    clara = client_for("clara")
    detail = clara.get(f"/api/v1/cases/{evidence_case.pk}/jobs/{job.pk}/").json()
    assert detail["status"] == "succeeded" and detail["progress"] == 1.0 and detail["result"] == {"accounts": []}
    listed = clara.get(f"/api/v1/cases/{evidence_case.pk}/jobs/").json()["results"][0]
    assert listed["id"] == job.pk and listed["result"] is None


def test_only_the_tribunal_cancels_and_reruns(client_for, evidence_case, files):
    ordered = _order(
        client_for("ada"), evidence_case, "text.similarity", {"a": files["ours"].pk, "b": files["theirs"].pk}
    )
    job = f"/api/v1/cases/{evidence_case.pk}/jobs/{ordered.json()['id']}/"
    assert client_for("clara").post(f"{job}cancel/").status_code == 403
    assert client_for("ada").post(f"{job}rerun/").status_code == 409, "a job still queued is not re-run"
    cancelled = client_for("ada").post(f"{job}cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert client_for("clara").post(f"{job}rerun/").status_code == 403
    rerun = client_for("ada").post(f"{job}rerun/")
    assert rerun.status_code == 201 and rerun.json()["id"] != ordered.json()["id"]
    assert rerun.json()["inputs"] == ordered.json()["inputs"]
    # A job over a sealed input is a 404 for the other side, cancel included.
    sealed = _order(
        client_for("ada"), evidence_case, "text.similarity", {"a": files["ours"].pk, "b": files["sealed"].pk}
    )
    url = f"/api/v1/cases/{evidence_case.pk}/jobs/{sealed.json()['id']}/cancel/"
    assert client_for("clara").post(url).status_code == 404
