"""Download names: every route that serves a user-named file as an attachment passes the name through here."""

from __future__ import annotations

import re
import unicodedata

_UNSAFE_IN_FILENAME = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]+')


def safe_filename(name: str, *, fallback: str = "exhibit-file") -> str:
    """A download name from the uploader's original name: last path component only, no control characters,
    quotes or separators that could break the Content-Disposition header or name a path on the user's disk."""
    name = unicodedata.normalize("NFC", name or "")
    # Bidi overrides and zero-width characters (Unicode "format" characters) let "invoice\u202efdp.exe" display
    # as "invoiceexe.pdf" on the user's disk: drop them.
    name = "".join(ch for ch in name if unicodedata.category(ch) != "Cf")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_IN_FILENAME.sub("_", name).strip(" .")
    if len(name) > 150:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 140 - len(ext)] + dot + ext) if dot and len(ext) <= 10 else name[:150]
    return name or fallback
