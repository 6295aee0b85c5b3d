"""Property-based: requests generated from the OpenAPI schema for the evidence API (exhibits, custody, jobs) never
crash the server and every response matches what the schema promises. (The tus endpoint is not in the schema:
its protocol is tested in test_tus.py.)"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from evidence.models import ExhibitFile
from tests.evidence.helpers import upload

CONFIG = SchemathesisConfig.from_dict(
    {
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
        "generation": {"mode": "positive"},
        "seed": 20261128,
    }
)
EVIDENCE_PATHS = r"^/api/v1/cases/\{case_pk\}/(exhibits|jobs)/"
schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True), config=CONFIG).include(
    path_regex=EVIDENCE_PATHS
)
schema.app = get_wsgi_application()


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    # See tests/api/test_schema_conformance.py: calling the WSGI app directly would close the test's connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def ada_token(case_at, personas):
    case = case_at("evidence")
    for user, tier in ((personas.clara, "parties"), (personas.rafael, "tribunal")):
        upload(user, case, b'{"prompt": "p", "output": "o"}\n', kind="model_outputs", title="Outputs", tier=tier)
    ExhibitFile.objects.update(status=ExhibitFile.Status.OK)
    return Token.objects.create(user=personas.ada).key


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_evidence_api_keeps_the_promises_of_its_schema(case, ada_token):
    case.call_and_validate(
        headers={"Authorization": f"Token {ada_token}"}, excluded_checks=[positive_data_acceptance, ignored_auth]
    )
