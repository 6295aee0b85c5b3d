from typing import Any

from django.conf import settings
from django.http import HttpRequest


def tribunal(request: HttpRequest) -> dict[str, Any]:
    return {"DEV_OUTBOX_ENABLED": settings.DEV_OUTBOX_ENABLED, "TRIBUNAL_MODE": settings.TRIBUNAL_MODE}
