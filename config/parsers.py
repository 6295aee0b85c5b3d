"""The API's JSON parser. Its own module: DRF's settings import it while `rest_framework.views` loads, so it must not
import anything that imports the views (config.api does)."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser reads the whole body whatever its size and lets RecursionError (JSON nested ~1 000 deep
    defeats the C decoder) through as a 500. Bound the body by DATA_UPLOAD_MAX_MEMORY_SIZE, as Django bounds form
    bodies, and answer a too-deep document like any malformed JSON: 400."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(body) > limit:
            raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")
        try:
            return super().parse(io.BytesIO(body), media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - the body is nested too deeply.") from None
