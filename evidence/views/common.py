"""Small helpers shared by the evidence pages."""

from __future__ import annotations

from django.http import HttpRequest

from config.filenames import safe_filename
from config.middleware import POLICY

__all__ = ["UPLOAD_PAGE_POLICY", "client_ip", "safe_filename"]

# hash-wasm compiles a WebAssembly module; only the page that hashes files in the browser needs to allow that.
UPLOAD_PAGE_POLICY = POLICY.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'")


def client_ip(request: HttpRequest) -> str | None:
    """The peer address for custody rows. Behind a proxy, the proxy must set REMOTE_ADDR (e.g. gunicorn's
    --forwarded-allow-ips); a client-supplied X-Forwarded-For is never trusted here."""
    return request.META.get("REMOTE_ADDR") or None
