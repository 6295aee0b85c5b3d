"""Property-based: requests generated from our own OpenAPI schema never crash the server, and every response
matches what the schema promises (status codes, content types, bodies)."""

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

# Only the generation phases that run per test; the coverage phase enumerates edge cases at collection time and
# takes minutes on this schema.
CONFIG = SchemathesisConfig.from_dict(
    {
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
        # Schema-valid requests: malformed input is covered by the tests of each endpoint, and a path that is not
        # an integer never reaches the API (Django's URL resolver answers it).
        "generation": {"mode": "positive"},
        "seed": 20260101,
    }
)
# The routes of disputes.api (the evidence API has its own tests).
OWN_PATHS = (
    r"^/api/v1/(auth/token|me|deadlines|deadlines/mine|invitations/accept|cases|cases/\{id\})/$"
    r"|^/api/v1/cases/\{case_pk\}/(transitions|events|deadlines|participants|docket|messages)/"
)
schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True), config=CONFIG).include(
    path_regex=OWN_PATHS
)
schema.app = get_wsgi_application()


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Schemathesis calls the WSGI app directly, so each request's end would close the database connection (as in
    production) and with it the test's open transaction on a file-based test database (which a run that includes
    the real-worker tests uses). Django's own test client disconnects the same handlers."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def clara_token(case_at, personas):
    case_at("tribunal_formation")
    return Token.objects.create(user=personas.clara).key


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_the_promises_of_its_schema(case, clara_token):
    # Business refusals of well-formed requests (a wrong password, an event in the wrong state) are the API doing
    # its job, so "valid data must be accepted" does not apply; authentication has its own tests (test_access,
    # test_auth) and the fixed token here would defeat schemathesis' "ignored auth" probe. Every other check applies.
    case.call_and_validate(
        headers={"Authorization": f"Token {clara_token}"}, excluded_checks=[positive_data_acceptance, ignored_auth]
    )
