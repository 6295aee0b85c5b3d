"""`manage.py analyse …` runs the forensics library on local files and prints one JSON document."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from forensics.common import VERDICTS


def _run(*args: str) -> dict:
    out = io.StringIO()
    call_command("analyse", *args, stdout=out)
    return json.loads(out.getvalue())


def test_weights_fine_tune_is_consistent_with_derivation(tmp_path):
    from forensics.weights import fixtures

    base = fixtures.tiny_llama(seed=1)
    a = fixtures.write_model(base, tmp_path / "a.safetensors")
    b = fixtures.write_model(fixtures.fine_tune(base, noise=0.01, seed=2), tmp_path / "b.safetensors")
    result = _run("weights", str(a), str(b))
    assert result["analysis"] == "weights.lineage"
    assert result["verdict"] == "consistent with derivation"
    assert {i["sha256"] for i in result["inputs"]} and result["code_version"]


def test_watermark_documents_are_flagged(tmp_path):
    from forensics.text.watermark_fixtures import write_demo_set

    files = write_demo_set(tmp_path, key="0x2A", n=5, length=200)
    result = _run("watermark", str(files["watermarked"]), "--key", "0x2A")
    assert result["documents"] and all(d["flagged"] for d in result["documents"])
    assert {"id", "z", "p_value", "flagged", "window"} <= set(result["documents"][0])
    plain = _run("watermark", str(files["unwatermarked"]), "--key", "42")
    assert not any(d["flagged"] for d in plain["documents"])


def test_similarity_copied_and_unrelated(tmp_path):
    from forensics.text import similarity_fixtures as fx

    claimant, copied = fx.scenario("copied", n_prompts=30)
    _, unrelated = fx.scenario("unrelated", n_prompts=30)
    a = fx.write_jsonl(tmp_path / "a.jsonl", claimant)
    b = fx.write_jsonl(tmp_path / "b.jsonl", copied)
    c = fx.write_jsonl(tmp_path / "c.jsonl", unrelated)
    assert _run("similarity", str(a), str(b), "--no-embeddings")["verdict"] == "consistent with derivation"
    assert _run("similarity", str(a), str(c), "--no-embeddings")["verdict"] in VERDICTS[1:]


@pytest.mark.django_db
def test_logs_lists_accounts_and_clusters(tmp_path):
    from forensics.logs.fixtures import generate_rows, write_log

    rows, _truth = generate_rows(seed=3, benign_users=20)
    log = write_log(rows, tmp_path / "log.jsonl", "jsonl")
    result = _run("logs", str(log), "--volume-threshold", "500")
    assert result["accounts"] and {"account_id", "score", "flagged", "reasons"} <= set(result["accounts"][0])
    assert "clusters" in result and any(a["flagged"] for a in result["accounts"])


def test_missing_file_and_bad_input_are_clear_errors(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("analyse", "weights", str(tmp_path / "nope"), str(tmp_path / "nope2"))
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x05\x00\x00\x00\x00\x00\x00\x00{oops")
    with pytest.raises(CommandError):
        call_command("analyse", "weights", str(bad), str(bad))
