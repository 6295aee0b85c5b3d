"""Small helpers shared by the evidence pages."""

from __future__ import annotations

import re
import unicodedata

from django.http import HttpRequest

from config.middleware import POLICY

# hash-wasm compiles a WebAssembly module; only the page that hashes files in the browser needs to allow that.
UPLOAD_PAGE_POLICY = POLICY.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'")

_UNSAFE_IN_FILENAME = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]+')


def client_ip(request: HttpRequest) -> str | None:
    """The peer address for custody rows. Behind a proxy, the proxy must set REMOTE_ADDR (e.g. gunicorn's
    --forwarded-allow-ips); a client-supplied X-Forwarded-For is never trusted here."""
    return request.META.get("REMOTE_ADDR") or None


def safe_filename(name: str, *, fallback: str = "exhibit-file") -> str:
    """A download name from the uploader's original name: last path component only, no control characters,
    quotes or separators that could break the Content-Disposition header or name a path on the user's disk."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_IN_FILENAME.sub("_", name).strip(" .")
    if len(name) > 150:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 140 - len(ext)] + dot + ext) if dot and len(ext) <= 10 else name[:150]
    return name or fallback
