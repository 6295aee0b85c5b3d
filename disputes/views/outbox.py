"""Development outbox: the mail the embedded default's file backend wrote to EMAIL_FILE_PATH, newest first.

Django's file backend appends each message of a batch to one .log file, followed by a line of 79 dashes. Only a
registrar sees this page, and only while the file backend is in use (settings.DEV_OUTBOX_ENABLED).
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

SEPARATOR = b"\n" + b"-" * 79 + b"\n"
MAX_FILES = 200
MAX_MESSAGES = 200


@dataclass(frozen=True)
class OutboxMessage:
    to: str
    subject: str
    sent_at: datetime | None
    body: str
    file: str


def _plain_body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        return str(part.get_content())
    except (LookupError, UnicodeDecodeError):
        return part.get_payload(decode=True).decode("utf-8", "replace")  # type: ignore[union-attr]


def _sent_at(message: EmailMessage) -> datetime | None:
    try:
        return parsedate_to_datetime(str(message["Date"])) if message["Date"] else None
    except (TypeError, ValueError):
        return None


def parse_outbox_file(path: Path) -> list[OutboxMessage]:
    """The messages of one batch file, in the order they were written."""
    found = []
    for chunk in path.read_bytes().split(SEPARATOR):
        if not chunk.strip():
            continue
        message = email.message_from_bytes(chunk.lstrip(b"\n"), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        found.append(
            OutboxMessage(
                to=str(message["To"] or ""),
                subject=str(message["Subject"] or "(no subject)"),
                sent_at=_sent_at(message),
                body=_plain_body(message),
                file=path.name,
            )
        )
    return found


def outbox_messages(*, directory: Path, limit: int = MAX_MESSAGES) -> list[OutboxMessage]:
    """Newest first: files by modification time, and within a file the last written first."""
    if not directory.is_dir():
        return []
    files = sorted(directory.glob("*.log"), key=lambda p: (p.stat().st_mtime, p.name), reverse=True)[:MAX_FILES]
    found: list[OutboxMessage] = []
    for path in files:
        found.extend(reversed(parse_outbox_file(path)))
        if len(found) >= limit:
            break
    return found[:limit]


@login_required
@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    if not settings.DEV_OUTBOX_ENABLED or not request.user.has_perm("disputes.view_outbox"):
        raise Http404("No such page.")
    directory = Path(settings.EMAIL_FILE_PATH)
    return render(
        request,
        "disputes/outbox.html",
        {"messages_sent": outbox_messages(directory=directory), "directory": directory},
    )
