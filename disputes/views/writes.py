"""Two small writes the pages need that no shared service offers yet (to move into a services module)."""

from __future__ import annotations

from django.utils import timezone

from accounts.models import User, new_calendar_token
from disputes.models import Notification


def notifications_mark_read(*, user_id: int, notification_id: int | None = None) -> int:
    """Mark one notification (or all of them when no id is given) as read. Returns how many changed."""
    unread = Notification.objects.filter(user_id=user_id, read_at__isnull=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())


def calendar_token_regenerate(*, user_id: int) -> str:
    """A new secret feed URL; the old one stops working at once (the lookup is by token)."""
    token = new_calendar_token()
    User.objects.filter(pk=user_id).update(calendar_token=token)
    return token
