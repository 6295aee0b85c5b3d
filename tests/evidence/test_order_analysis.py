"""Ordering an analysis: the one service behind the case page (and API), its validation and who may order."""

from __future__ import annotations

import pytest
from django.urls import reverse

from disputes.exceptions import InvalidPayload, NotPermitted
from evidence.models import AnalysisJob, ExhibitFile
from evidence.services.analyses import analysis_order
from tests.evidence.helpers import upload


@pytest.fixture
def outputs(case_at, personas):
    case = case_at("evidence")
    ours = upload(personas.clara, case, b'{"prompt": "p", "output": "o"}\n', kind="model_outputs", title="Ours")
    theirs = upload(personas.rafael, case, b'{"prompt": "p", "output": "x"}\n', kind="model_outputs", title="Theirs")
    ExhibitFile.objects.update(status=ExhibitFile.Status.OK)  # as after a clean ingest
    return case, ours, theirs


@pytest.mark.django_db
def test_tribunal_orders_a_pair_analysis(outputs, personas):
    case, ours, theirs = outputs
    job = analysis_order(
        user=personas.ada,
        case=case,
        kind="text.similarity",
        inputs={"a": ours.pk, "b": theirs.pk},
        parameters={"use_embeddings": False},
    )
    assert job.kind == "text.similarity" and job.parameters == {"use_embeddings": False}
    assert sorted(job.inputs.values_list("role", flat=True)) == ["a", "b"]


@pytest.mark.django_db
def test_party_may_use_only_its_own_exhibits(outputs, personas):
    case, ours, theirs = outputs
    with pytest.raises(NotPermitted, match="own side"):
        analysis_order(
            user=personas.clara, case=case, kind="text.similarity", inputs={"a": ours.pk, "b": theirs.pk}, parameters={}
        )
    with pytest.raises(NotPermitted):
        analysis_order(
            user=personas.greta, case=case, kind="text.similarity", inputs={"a": ours.pk, "b": ours.pk}, parameters={}
        )
    assert not AnalysisJob.objects.filter(kind="text.similarity").exists()


@pytest.mark.django_db
def test_validation_of_kinds_files_and_parameters(outputs, personas):
    case, ours, theirs = outputs
    with pytest.raises(InvalidPayload, match="Unknown analysis"):
        analysis_order(user=personas.ada, case=case, kind="astrology", inputs={}, parameters={})
    with pytest.raises(InvalidPayload) as wrong_kind:
        analysis_order(
            user=personas.ada, case=case, kind="weights.lineage", inputs={"a": ours.pk, "b": theirs.pk}, parameters={}
        )
    assert "model_weights" in wrong_kind.value.errors["a"][0]
    with pytest.raises(InvalidPayload, match="needs the watermark key"):
        analysis_order(user=personas.ada, case=case, kind="text.watermark", inputs={"outputs": ours.pk}, parameters={})
    with pytest.raises(InvalidPayload):
        analysis_order(
            user=personas.ada,
            case=case,
            kind="text.watermark",
            inputs={"outputs": ours.pk},
            parameters={"key": "not-a-number"},
        )
    with pytest.raises(InvalidPayload, match="between 0 and 1"):
        analysis_order(
            user=personas.ada,
            case=case,
            kind="text.watermark",
            inputs={"outputs": ours.pk},
            parameters={"key": "0x2A", "gamma": 5},
        )
    ExhibitFile.objects.filter(pk=theirs.pk).update(status=ExhibitFile.Status.QUARANTINED)
    with pytest.raises(InvalidPayload, match="quarantined"):
        analysis_order(
            user=personas.ada, case=case, kind="text.similarity", inputs={"a": ours.pk, "b": theirs.pk}, parameters={}
        )


@pytest.mark.django_db
def test_sealed_exhibits_cannot_be_named_by_the_other_side(outputs, personas):
    case, ours, _ = outputs
    sealed = upload(
        personas.rafael,
        case,
        b'{"prompt": "p", "output": "s"}\n',
        kind="model_outputs",
        title="Sealed",
        tier="tribunal",
    )
    ExhibitFile.objects.filter(pk=sealed.pk).update(status=ExhibitFile.Status.OK)
    with pytest.raises(InvalidPayload) as error:
        analysis_order(
            user=personas.clara, case=case, kind="text.similarity", inputs={"a": ours.pk, "b": sealed.pk}, parameters={}
        )
    assert error.value.errors["b"] == [f"No file {sealed.pk} in this case."]


@pytest.mark.django_db
def test_order_page(outputs, personas, client):
    case, ours, theirs = outputs
    url = reverse("order_analysis", args=[case.pk, "text.similarity"])
    client.force_login(personas.ada)
    page = client.get(url)
    assert page.status_code == 200 and "C-1" in page.content.decode() and "R-1" in page.content.decode()
    response = client.post(url, {"a": ours.pk, "b": theirs.pk, "use_embeddings": ""})
    assert response.status_code == 302
    assert AnalysisJob.objects.filter(kind="text.similarity", created_by=personas.ada).count() == 1
    client.force_login(personas.uma)
    assert client.get(url).status_code == 404
    client.force_login(personas.greta)
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_the_watermark_key_is_never_shown_back(outputs, personas, client):
    case, ours, _ = outputs
    job = analysis_order(
        user=personas.ada,
        case=case,
        kind="text.watermark",
        inputs={"outputs": ours.pk},
        parameters={"key": "0x5EC12E7", "gamma": 0.25},
    )
    client.force_login(personas.clara)  # the side whose outputs were analysed
    response = client.get(reverse("job_detail", args=[case.pk, job.pk]))
    assert response.status_code == 200, response.status_code
    page = response.content.decode()
    api = client.get(f"/api/v1/cases/{case.pk}/jobs/{job.pk}/").content.decode()
    assert "gamma" in page and "gamma" in api
    assert "5EC12E7" not in page.upper() and "5EC12E7" not in api.upper()
