"""Where interrupted uploads are remembered between runs: a small JSON file of upload URLs.

The key names the exact bytes and destination (path, size, mtime, SHA-256, server, case), so a file edited since
the interruption, or sent to another case or server, starts a new upload instead of continuing a stale one.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def default_state_path() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "tribunal-uploads.json"


def state_key(*, path: Path, size: int, mtime_ns: int, sha256: str, server: str, case: int) -> str:
    return "|".join([str(path.resolve()), str(size), str(mtime_ns), sha256, server.rstrip("/"), str(case)])


class UploadState:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {}
        return data if isinstance(data, dict) else {}

    def _save(self, data: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a crash mid-write never leaves a truncated state file.
        fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".tribunal-uploads.")
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=1, sort_keys=True)
        os.chmod(temp, 0o600)  # upload URLs are only usable with the token, but keep them private anyway
        os.replace(temp, self.path)

    def get(self, key: str) -> str | None:
        return self._load().get(key)

    def put(self, key: str, url: str) -> None:
        data = self._load()
        data[key] = url
        self._save(data)

    def forget(self, key: str) -> None:
        data = self._load()
        if data.pop(key, None) is not None:
            self._save(data)
