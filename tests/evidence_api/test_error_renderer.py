"""Routes that can answer a file (custody CSV, a hearing-bundle PDF, a case-export ZIP) still answer errors in the
API's JSON error shape, labelled as JSON — whatever renderer `?format=` or Accept picked (found by the API fuzz)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("/api/v1/cases/{case}/exhibits/999999/custody.csv", {"format": "csv"}),
        ("/api/v1/cases/{case}/exhibits/999999/custody.csv", {}),
        ("/api/v1/cases/{case}/hearing-bundles/999999/download/", {}),
        ("/api/v1/cases/{case}/hearing-bundles/999999/download/", {"format": "pdf"}),
        ("/api/v1/cases/999999/export/", {"format": "zip"}),
    ],
)
def test_a_missing_object_on_a_file_route_is_a_json_404(evidence_case, client_for, path, extra):
    response = client_for("ada").get(path.format(case=evidence_case.pk), extra)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert set(response.json()) == {"detail", "code", "errors"}


def test_an_unrelated_user_asking_for_csv_gets_the_json_404(evidence_case, client_for):
    response = client_for("uma").get(
        f"/api/v1/cases/{evidence_case.pk}/exhibits/1/custody.csv", {"format": "csv"}, HTTP_ACCEPT="text/csv"
    )
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "not_found"
