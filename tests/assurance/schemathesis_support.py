"""What the API fuzzing needs besides the test itself: the live OpenAPI schema wired to the WSGI app, a case with
something behind every path parameter, the roles' credentials, and the check that an error speaks the API's shape.

Used by tests/assurance/test_api_fuzz.py (one place, so the disputes and evidence operations are not fuzzed twice).
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import schemathesis
from django.core import signals
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token
from schemathesis.config import SchemathesisConfig

from disputes.services.events import case_apply_event
from evidence import jobs
from evidence.models import ExhibitFile, HearingBundle
from tests.evidence.helpers import upload

# Everyone the API must answer correctly, in the order the summary prints them. "anon" sends no credentials.
ROLES = ("anon", "uma", "clara", "rafael", "ada", "otto", "greta")
ROLE_NAMES = {
    "anon": "anonymous",
    "uma": "unrelated user",
    "clara": "claimant's counsel",
    "rafael": "respondent's counsel",
    "ada": "arbitrator of the case",
    "otto": "arbitrator of another case",
    "greta": "registrar",
}


def load_schema(*, mode: str, seed: int) -> Any:
    """The schema drf-spectacular serves, every /api/v1 operation, bound to the WSGI app (no server, no network)."""
    config = SchemathesisConfig.from_dict(
        {
            # The coverage phase enumerates edge cases at collection time and takes minutes on this schema; the
            # stateful phase needs OpenAPI links, which drf-spectacular does not emit.
            "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
            "generation": {"mode": mode},
            "seed": seed,
        }
    )
    raw = SchemaGenerator().get_schema(request=None, public=True)
    if mode == "negative":
        # Schemathesis 4.3.18 bundles $refs when it mutates a body and sometimes loses the bundle
        # ("PointerToNowhere: '/x-bundled/schemaN'"), failing before any request is sent; inlined schemas give it
        # nothing to bundle. Same schema, only written out.
        raw = inline_component_refs(raw)
    schema = schemathesis.openapi.from_dict(raw, config=config)
    schema.app = get_wsgi_application()
    return schema


def inline_component_refs(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of an OpenAPI document with every `#/components/schemas/...` reference replaced by the schema it names
    (a recursive reference is left as it is)."""
    components = document.get("components", {}).get("schemas", {})
    prefix = "#/components/schemas/"

    def inline(node: Any, seen: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [inline(item, seen) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(prefix):
            name = ref[len(prefix) :]
            if name in seen or name not in components:
                return dict(node)
            siblings = {key: inline(value, seen) for key, value in node.items() if key != "$ref"}
            return {**inline(copy.deepcopy(components[name]), (*seen, name)), **siblings}
        return {key: inline(value, seen) for key, value in node.items()}

    inlined = {key: value for key, value in document.items() if key != "paths"}
    inlined["paths"] = inline(document.get("paths", {}), ())
    return inlined


def keep_the_test_connection() -> Iterator[None]:
    """Schemathesis calls the WSGI app directly, so each request's end would close the database connection (as in
    production) and with it the test's open transaction on a file-based test database (which a run that includes
    the real-worker tests uses). Django's own test client disconnects the same handlers."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@dataclass
class World:
    """Real objects for every path parameter of the schema: a case in the evidence stage (Clara v. Rafael, Ada
    sitting) with a docket filing, exhibits in two tiers, a queued job and a hearing bundle; Clara's draft (the only
    case PATCH and DELETE accept); and another case on which Otto sits."""

    users: dict[str, Any]
    # parameter name -> the ids a generated value is pointed at
    targets: dict[str, list[int]] = field(default_factory=dict)

    def headers(self, role: str) -> dict[str, str]:
        if role == "anon":
            return {}
        # get_or_create: a fuzzed DELETE /auth/token/ signs the role out; the next request signs it in again.
        token, _ = Token.objects.get_or_create(user=self.users[role])
        return {"Authorization": f"Token {token.key}"}

    def point(self, case: Any) -> None:
        """Point most generated ids at real objects (otherwise nearly every request would be a 404 for a random
        integer) and keep one in three as generated, so missing objects are fuzzed too. Deterministic: the choice
        is the generated value's, so the fixed seed fixes the requests."""
        params = case.path_parameters or {}
        for name, value in list(params.items()):
            ids = self.targets.get(name)
            if ids and isinstance(value, int) and value % 3:
                params[name] = ids[value % len(ids)]


def build_world(personas: Any, case_at: Any) -> World:
    other = case_at("tribunal_formation")
    case_apply_event(
        case_id=other.pk, event="appoint_arbitrator", actor=personas.greta, payload={"arbitrator": personas.otto.pk}
    )
    case_apply_event(case_id=other.pk, event="file_declaration", actor=personas.otto, payload={"independent": True})
    draft = case_at("draft")
    case = case_at("evidence")
    filing = case_apply_event(
        case_id=case.pk,
        event="file_submission",
        actor=personas.rafael,
        payload={"title": "Letter"},
        documents=[SimpleUploadedFile("letter.pdf", b"%PDF-1.4 letter")],
    ).filing
    lines = b'{"prompt": "p", "output": "o"}\n'
    ours = upload(personas.clara, case, lines, kind="model_outputs", title="Outputs", tier="parties")
    theirs = upload(personas.rafael, case, lines + lines, kind="model_outputs", title="Sealed", tier="tribunal")
    ExhibitFile.objects.filter(pk__in=[ours.pk, theirs.pk]).update(status=ExhibitFile.Status.OK)
    with mock.patch("evidence.jobs.job_enqueue"):  # queued, never run: cancel and rerun have something to act on
        job = jobs.job_create(
            case=case,
            kind="text.similarity",
            inputs=[(ours, "a"), (theirs, "b")],
            parameters={"use_embeddings": False},
            created_by_id=personas.ada.pk,
        )
    pdf = b"%PDF-1.4 stored hearing bundle"
    bundle = HearingBundle.objects.create(
        case=case,
        requested_by=personas.ada,
        title="Day one",
        items=[{"type": "exhibit", "id": ours.exhibit_id}],
        status="succeeded",
        storage_name=default_storage.save(f"hearing-bundles/{case.pk}/fuzz.pdf", ContentFile(pdf)),
        sha256=hashlib.sha256(pdf).hexdigest(),
        page_count=1,
    )
    users = {name: getattr(personas, name) for name in ROLES if name != "anon"}
    assert filing is not None
    return World(
        users=users,
        targets={
            "case_pk": [case.pk, other.pk],
            "id": [case.pk, draft.pk, other.pk],
            "number": [filing.number],
            "document_pk": [filing.documents.get().pk],
            "exhibit_pk": [ours.exhibit_id, theirs.exhibit_id],
            "file_pk": [ours.pk, theirs.pk],
            "job_pk": [job.pk],
            "bundle_pk": [bundle.pk],
        },
    )


def api_error_problems(response: Any) -> str | None:
    """Why a refusal is not in the API's error shape ({"detail": str, "code": str, "errors": {...}}), or None."""
    if not 400 <= response.status_code < 500:
        return f"status {response.status_code}, not a 4xx"
    content_type = (response.headers.get("content-type") or [""])[0]  # schemathesis: lower-case names, lists
    if not content_type.startswith("application/json"):
        return f"status {response.status_code} with {content_type or 'no content type'}, not the API's JSON"
    body = response.json()
    if not (
        isinstance(body, dict)
        and isinstance(body.get("detail"), str)
        and isinstance(body.get("code"), str)
        and isinstance(body.get("errors"), dict)
    ):
        return f"status {response.status_code} with body {str(body)[:200]}, not the API's error shape"
    return None
