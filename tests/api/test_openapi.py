"""The OpenAPI schema generates without a single warning and validates (cookiecutter-django's test_openapi)."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command


def test_schema_generates_without_warnings_and_validates(tmp_path):
    target = tmp_path / "schema.yml"
    # --fail-on-warn turns any spectacular warning (unresolvable type, enum collision...) into a failure.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    paths = schema["paths"]
    assert "/api/v1/cases/{case_pk}/transitions/" in paths
    assert set(paths["/api/v1/cases/{case_pk}/transitions/"]) == {"get", "post"}
    post = paths["/api/v1/cases/{case_pk}/transitions/"]["post"]
    assert set(post["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert {"400", "403", "404", "409"} <= set(post["responses"])
    # The one route open to anonymous callers; every other operation names its schemes.
    assert "security" not in paths["/api/v1/auth/token/"]["post"]
    assert paths["/api/v1/cases/"]["get"]["security"] == [{"cookieAuth": []}, {"tokenAuth": []}]


@pytest.mark.django_db
def test_schema_and_docs_are_served_to_signed_in_users(client_for):
    greta = client_for("greta")
    schema = greta.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/cases/" in schema.json()["paths"]
    docs = greta.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/"])
def test_schema_and_docs_refuse_anonymous_callers(anon, path):
    assert anon.get(path).status_code == 401
