"""Exhibit routes: lists, search, detail, withdrawal, tier, downloads and custody exports — with the tier rules on
every one of them (a sealed exhibit does not exist for the other side: 404, absent from lists and search)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from evidence.custody import custody_canonical, custody_verify
from evidence.models import CustodyAction, CustodyEvent
from evidence.storage import evidence_storage
from tests.evidence.helpers import upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def exhibits(evidence_case, personas):
    """C-1 public, C-2 sealed (tribunal), R-1 attorneys' eyes only."""
    public = upload(personas.clara, evidence_case, b"public weights", title="Licence agreement", kind="document")
    sealed = upload(
        personas.clara, evidence_case, b"sealed bytes", title="Secret training recipe", kind="document", tier="tribunal"
    )
    aeo = upload(personas.rafael, evidence_case, b"aeo bytes", title="Respondent recipe", kind="other", tier="aeo")
    return {"public": public.exhibit, "sealed": sealed.exhibit, "aeo": aeo.exhibit}


def _base(case, exhibit) -> str:
    return f"/api/v1/cases/{case.pk}/exhibits/{exhibit.pk}/"


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_lists_and_search_show_only_what_each_may_see(client_for, evidence_case, exhibits):
    url = f"/api/v1/cases/{evidence_case.pk}/exhibits/"
    public, sealed, aeo = exhibits["public"], exhibits["sealed"], exhibits["aeo"]
    assert _ids(client_for("clara").get(url)) == [public.pk, sealed.pk, aeo.pk]
    assert _ids(client_for("rafael").get(url)) == [public.pk, aeo.pk]
    assert _ids(client_for("ada").get(url)) == [public.pk, sealed.pk, aeo.pk]
    assert _ids(client_for("rafael").get(url, {"q": "recipe"})) == [aeo.pk], "the sealed title is not searchable"
    assert _ids(client_for("clara").get(url, {"q": "recipe"})) == [sealed.pk, aeo.pk]
    assert _ids(client_for("clara").get(url, {"side": "respondent"})) == [aeo.pk]
    assert _ids(client_for("clara").get(url, {"kind": "document", "q": "recipe"})) == [sealed.pk]
    assert client_for("clara").get(url, {"kind": "pickle"}).status_code == 400
    row = client_for("rafael").get(url).json()["results"][0]
    assert row["label"] == "C-1" and row["tier"] == "parties" and row["files"][0]["sha256"]
    assert row["files"][0]["download_url"] == f"{_base(evidence_case, public)}files/{public.files.get().pk}/download/"
    assert "analysis_parameters" not in row and "search_text" not in row
    assert client_for("uma").get(url).status_code == 404
    assert APIClient().get(url).status_code == 401


def test_a_sealed_exhibit_is_a_404_for_the_other_side_on_every_route(client_for, evidence_case, exhibits):
    sealed = exhibits["sealed"]
    base = _base(evidence_case, sealed)
    file_pk = sealed.files.get().pk
    before = sealed.custody.count()
    rafael = client_for("rafael")
    responses = [
        rafael.get(base),
        rafael.post(f"{base}withdraw/", {"reason": "x"}, format="json"),
        rafael.post(f"{base}tier/", {"tier": "parties"}, format="json"),
        rafael.get(f"{base}files/{file_pk}/download/"),
        rafael.get(f"{base}custody/"),
        rafael.get(f"{base}custody.csv"),
    ]
    assert [r.status_code for r in responses] == [404] * 6
    missing = rafael.get(_base(evidence_case, type(sealed)(pk=999_999)))
    assert {r.json()["detail"] for r in responses[:1]} == {missing.json()["detail"]}, "same answer as a missing one"
    assert sealed.custody.count() == before, "an outsider's attempts leave no trace that would reveal the exhibit"
    # Its own side and the tribunal do see it.
    assert client_for("clara").get(base).status_code == 200
    assert client_for("ada").get(f"{base}custody/").status_code == 200


def test_detail_records_a_view_in_custody(client_for, evidence_case, exhibits, personas):
    public = exhibits["public"]
    response = client_for("rafael").get(_base(evidence_case, public), REMOTE_ADDR="198.51.100.4")
    assert response.status_code == 200
    body = response.json()
    assert body["label"] == "C-1" and body["files"][0]["declared_sha256"] == body["files"][0]["sha256"]
    viewed = public.custody.get(action=CustodyAction.VIEWED)
    assert viewed.actor == personas.rafael and viewed.ip == "198.51.100.4" and viewed.actor_role == "respondent"


def test_withdrawal_hides_the_exhibit_from_the_other_side_and_keeps_it(client_for, evidence_case, exhibits):
    public = exhibits["public"]
    base = _base(evidence_case, public)
    assert client_for("rafael").post(f"{base}withdraw/", {"reason": "mine now"}, format="json").status_code == 403
    assert client_for("clara").post(f"{base}withdraw/", {}, format="json").status_code == 400
    response = client_for("clara").post(f"{base}withdraw/", {"reason": "Superseded by C-3"}, format="json")
    assert response.status_code == 200 and response.json()["withdrawn_at"]
    assert response.json()["withdrawal_reason"] == "Superseded by C-3"
    assert client_for("rafael").get(base).status_code == 404
    assert public.pk not in _ids(client_for("rafael").get(f"/api/v1/cases/{evidence_case.pk}/exhibits/"))
    assert client_for("ada").get(base).status_code == 200
    assert evidence_storage().exists(public.files.get().storage_name)
    assert public.custody.filter(action=CustodyAction.WITHDRAWN).count() == 1


def test_tier_changes_stricter_by_the_filing_side_laxer_only_by_the_tribunal(client_for, evidence_case, exhibits):
    public, aeo = exhibits["public"], exhibits["aeo"]
    clara = client_for("clara")
    tier = f"{_base(evidence_case, public)}tier/"
    assert clara.post(tier, {"tier": "aeo", "reason": "Trade secrets"}, format="json").json()["tier"] == "aeo"
    assert clara.post(tier, {"tier": "parties"}, format="json").status_code == 403
    assert clara.post(tier, {"tier": "secret"}, format="json").status_code == 400
    assert client_for("rafael").post(tier, {"tier": "tribunal"}, format="json").status_code == 403
    assert client_for("ada").post(tier, {"tier": "parties"}, format="json").json()["tier"] == "parties"
    assert (
        client_for("clara").post(f"{_base(evidence_case, aeo)}tier/", {"tier": "tribunal"}, format="json").status_code
        == 403
    )
    changes = list(public.custody.filter(action=CustodyAction.TIER_CHANGED).values_list("details", flat=True))
    assert [(c["from"], c["to"]) for c in changes] == [("parties", "aeo"), ("aeo", "parties")]


def test_download_is_an_attachment_reverified_and_logged(client_for, evidence_case, exhibits, personas):
    public, aeo = exhibits["public"], exhibits["aeo"]
    exhibit_file = public.files.get()
    url = f"{_base(evidence_case, public)}files/{exhibit_file.pk}/download/"
    response = client_for("rafael").get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"public weights"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff" and response["Content-Type"] == "application/octet-stream"
    assert response["X-Checksum-SHA256"] == exhibit_file.sha256
    assert public.custody.filter(action=CustodyAction.DOWNLOADED, actor=personas.rafael).count() == 1
    # A file id that belongs to another exhibit is not reachable through this one.
    other = f"{_base(evidence_case, public)}files/{aeo.files.get().pk}/download/"
    assert client_for("ada").get(other).status_code == 404
    # Someone with disk access alters the original: the download is refused and the mismatch stays on record.
    path = Path(evidence_storage().path(exhibit_file.storage_name))
    path.chmod(0o640)
    path.write_bytes(b"public weightz")
    refused = client_for("rafael").get(url)
    assert refused.status_code == 409 and refused.json()["code"] == "integrity_check_failed"
    assert "no longer matches its SHA-256" in refused.json()["detail"]
    assert public.custody.filter(action=CustodyAction.HASH_MISMATCH).count() == 1
    assert public.custody.filter(action=CustodyAction.DOWNLOADED).count() == 1


def test_custody_json_carries_the_whole_chain_and_csv_matches_it(client_for, evidence_case, exhibits, personas):
    public = exhibits["public"]
    base = _base(evidence_case, public)
    personas.rafael.full_name = "=HYPERLINK(1)"
    personas.rafael.save()
    client_for("rafael").get(base)  # a view
    client_for("clara").post(f"{base}tier/", {"tier": "aeo"}, format="json")
    events = client_for("ada").get(f"{base}custody/").json()
    assert [e["action"] for e in events] == ["received", "viewed", "tier_changed"]
    # The export alone is enough to recompute the hash chain.
    previous = CustodyEvent.objects.filter(exhibit=public).order_by("seq").first().prev_hash
    for event in events:
        assert event["prev_hash"] == previous
        canonical = custody_canonical(
            exhibit_id=public.pk,
            seq=event["seq"],
            sealed=event["sealed"],
            action=event["action"],
            file_id=event["file"],
            actor_id=event["actor"],
            actor_role=event["actor_role"],
            at=datetime.fromisoformat(event["at"].replace("Z", "+00:00")),
            ip=event["ip"],
            details=event["details"],
            prev_hash=event["prev_hash"],
        )
        assert hashlib.sha256(canonical).hexdigest() == event["hash"]
        previous = event["hash"]
    assert custody_verify(public) is None
    response = client_for("clara").get(f"{base}custody.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == f'attachment; filename="custody-case{evidence_case.pk}-C-1.csv"'
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["hash"] for r in rows] == [e["hash"] for e in events]
    assert json.loads(rows[0]["details"])["computed_sha256"] == public.files.get().sha256
    assert rows[1]["actor_name"] == "'=HYPERLINK(1)", "a name that is a spreadsheet formula is defused"
