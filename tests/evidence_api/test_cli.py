"""The command-line uploader against a live server, in a subprocess: a full upload, then interrupted uploads
(the server failing, the client killed mid-chunk) that a second run resumes, sending only the missing bytes."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token

from evidence.api import tus
from evidence.models import CustodyAction, Exhibit, UploadSession
from evidence.services.uploads import UploadError
from tests.evidence.helpers import random_bytes

REPO = Path(__file__).resolve().parents[2]
CHUNK = 256 * 1024


@pytest.fixture
def server_log(monkeypatch):
    """Every PATCH the server handles, as (offset, content_length); `fail_after` / `delay` misbehave on purpose."""
    calls: list[tuple[int, int]] = []
    control = {"fail_after": None, "delay": 0.0, "in_flight": 0}
    real = tus.upload_append

    def recording(**kwargs):
        if control["fail_after"] is not None and len(calls) >= control["fail_after"]:
            raise UploadError(503, "Down for maintenance.")
        calls.append((kwargs["offset"], kwargs["content_length"]))
        control["in_flight"] += 1
        try:
            time.sleep(control["delay"])
            return real(**kwargs)
        finally:
            control["in_flight"] -= 1

    monkeypatch.setattr(tus, "upload_append", recording)
    return calls, control


@pytest.fixture
def setup(live_server, case_at, personas, tmp_path):
    case = case_at("evidence")
    token = Token.objects.create(user=personas.clara).key
    data = random_bytes(10 * CHUNK + 12345)
    path = tmp_path / "frontier-7b.safetensors.part"
    path.write_bytes(data)
    env = {**os.environ, "HOME": str(tmp_path / "home"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # the uploader must not need Django

    def command(*extra: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "evidence.upload",
            "--server",
            live_server.url,
            "--token",
            token,
            "--case",
            str(case.pk),
            "--kind",
            "other",
            "--title",
            "Weights dump",
            "--chunk-size",
            str(CHUNK),
            "--retries",
            "1",
            "--retry-wait",
            "0.01",
            *extra,
            str(path),
        ]

    def run(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(command(*extra), cwd=REPO, env=env, capture_output=True, text=True, timeout=120)

    return {"case": case, "data": data, "path": path, "run": run, "command": command, "env": env, "tmp": tmp_path}


def _state(setup) -> dict:
    state = setup["tmp"] / "cache" / "tribunal-uploads.json"
    return json.loads(state.read_text()) if state.exists() else {}


@pytest.mark.django_db(transaction=True)
def test_full_upload_prints_the_exhibit(setup, server_log):
    calls, _ = server_log
    result = setup["run"]()
    assert result.returncode == 0, result.stderr
    label, exhibit_id, url, name = result.stdout.split()
    exhibit = Exhibit.objects.get(pk=int(exhibit_id))
    assert label == exhibit.label == "C-1" and name == str(setup["path"])
    assert url.endswith(f"/cases/{setup['case'].pk}/exhibits/{exhibit.pk}/")
    assert exhibit.files.get().sha256 == hashlib.sha256(setup["data"]).hexdigest()
    assert len(calls) == 11 and all(size <= CHUNK for _, size in calls)
    assert "ETA" in result.stderr and _state(setup) == {}, "a finished upload is forgotten"


@pytest.mark.django_db(transaction=True)
def test_an_upload_cut_off_by_server_failures_resumes_where_it_stopped(setup, server_log):
    calls, control = server_log
    control["fail_after"] = 4
    first = setup["run"]()
    assert first.returncode == 4, first.stderr
    assert "run the same command again" in first.stderr
    assert len(_state(setup)) == 1, "the upload URL is remembered"
    session = UploadSession.objects.get()
    assert session.offset == 4 * CHUNK and not Exhibit.objects.exists()
    calls.clear()
    control["fail_after"] = None
    second = setup["run"]()
    assert second.returncode == 0, second.stderr
    assert "resuming at byte 1,048,576" in second.stderr
    data = setup["data"]
    assert calls[0][0] == 4 * CHUNK, "the second run starts at the server's offset"
    assert sum(size for _, size in calls) == len(data) - 4 * CHUNK, "only the missing bytes were sent"
    exhibit = Exhibit.objects.get()
    assert exhibit.files.get().sha256 == hashlib.sha256(data).hexdigest()
    assert UploadSession.objects.get().pk == session.pk, "the same upload was continued, not a new one"
    received = exhibit.custody.get(action=CustodyAction.RECEIVED)
    assert received.details["computed_sha256"] == hashlib.sha256(data).hexdigest()


@pytest.mark.django_db(transaction=True)
def test_a_killed_client_resumes_from_the_bytes_that_arrived(setup, server_log):
    calls, control = server_log
    control["delay"] = 0.2  # slow the server down so that the kill lands mid-upload
    process = subprocess.Popen(
        setup["command"](), cwd=REPO, env=setup["env"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while len(calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    process.kill()
    process.wait(timeout=10)
    assert process.returncode == -9
    while control["in_flight"] and time.monotonic() < deadline:
        time.sleep(0.02)  # let the server finish the request whose client vanished
    offset = UploadSession.objects.get().offset
    assert 0 < offset < len(setup["data"]) and not Exhibit.objects.exists()
    control["delay"] = 0.0
    calls.clear()
    second = setup["run"]()
    assert second.returncode == 0, second.stderr
    assert calls[0][0] == offset
    assert sum(size for _, size in calls) == len(setup["data"]) - offset
    assert Exhibit.objects.get().files.get().sha256 == hashlib.sha256(setup["data"]).hexdigest()


@pytest.mark.django_db(transaction=True)
def test_refusals_and_bad_tokens_have_their_exit_codes(setup):
    wrong = setup["tmp"] / "other.bin"
    wrong.write_bytes(b"x" * 100)
    refused = setup["run"]("--tier", "tribunal", "--exhibit", "999999")
    assert refused.returncode == 1 and "No such exhibit" in refused.stderr
    command = setup["command"]()
    command[command.index("--token") + 1] = "not-a-token"
    unauthorised = subprocess.run(command, cwd=REPO, env=setup["env"], capture_output=True, text=True, timeout=60)
    assert unauthorised.returncode == 3
    no_title = setup["command"]()
    del no_title[no_title.index("--title") : no_title.index("--title") + 2]
    usage = subprocess.run(no_title, cwd=REPO, env=setup["env"], capture_output=True, text=True, timeout=60)
    assert usage.returncode == 2 and "--title" in usage.stderr


def test_the_uploader_imports_no_django():
    code = "import sys, evidence.upload.cli; sys.exit(any(m.split('.')[0] == 'django' for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO, env={"PATH": os.environ["PATH"]}).returncode == 0
