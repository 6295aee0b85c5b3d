"""Who hears about what. Notifications are rows (the in-app list) and emails; the unique (user, key) constraint
makes every sender idempotent, so a retried task or a second sweep sends nothing twice.

Users who chose the daily digest get no email per notification: `send_daily_digests` (beat, hourly) sends each of
them one email a day, at the first run at or after TRIBUNAL_DIGEST_HOUR in their own time zone, listing every
notification not yet emailed, grouped by case.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from disputes.models import (
    Case,
    CaseEvent,
    Deadline,
    DigestRun,
    EventVisibility,
    Notification,
    Participant,
    Role,
)

logger = logging.getLogger(__name__)

# Events after which the registry has something to do.
REGISTRY_EVENTS = {"submit", "cure", "challenge_arbitrator", "file_declaration", "answer_lapsed", "nomination_lapsed"}
TRIBUNAL_ROLES = {Role.ARBITRATOR, Role.EXPERT}


def case_url(case: Case) -> str:
    return settings.SITE_URL + reverse("case_detail", args=[case.pk])


def registrars() -> list[User]:
    return list(User.objects.filter(is_registrar=True, is_active=True))


def participants_of(case: Case, *, sides: Iterable[str] | None = None, tribunal_only: bool = False) -> list[User]:
    rows = Participant.objects.active().filter(case=case).select_related("user")
    users = []
    for row in rows:
        if tribunal_only and row.role not in TRIBUNAL_ROLES:
            continue
        if sides is not None and row.side not in set(sides):
            continue
        if row.user.is_active:
            users.append(row.user)
    return users


def notify(
    *, users: Iterable[User], case: Case | None, key: str, kind: str, subject: str, body: str, url: str = ""
) -> int:
    """Create a notification per user (once per key) and email those who want immediate email. Returns count sent."""
    sent = 0
    seen: set[int] = set()
    for user in users:
        if user.pk in seen:
            continue
        seen.add(user.pk)
        try:
            with transaction.atomic():
                notification = Notification.objects.create(
                    user=user, case=case, dedupe_key=key[:120], kind=kind, subject=subject[:300], body=body, url=url
                )
        except IntegrityError:
            continue  # already notified for this key
        if user.email_frequency == User.EmailFrequency.IMMEDIATE:
            _email(user, notification)
            sent += 1
    return sent


def _email(user: User, notification: Notification) -> None:
    context = {"user": user, "notification": notification, "site_url": settings.SITE_URL}
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=render_to_string("emails/notification.txt", context),
        to=[user.email],
    )
    message.attach_alternative(render_to_string("emails/notification.html", context), "text/html")
    message.send()
    Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())


def describe_event(event: CaseEvent) -> tuple[str, str]:
    from disputes.lifecycle.transitions import BY_EVENT

    transition = BY_EVENT.get(event.name)
    label = transition.label if transition else event.name.replace("_", " ")
    actor = event.actor.display_name if event.actor else "The registry's clock"
    case = event.case
    subject = f"[{case.display_reference}] {label}"
    lines = [f"{actor} ({event.actor_role}) — {label}.", f"Case: {case.display_reference} — {case.title}"]
    if event.from_state != event.to_state:
        lines.append(f"The case moved from '{event.from_state}' to '{event.to_state}'.")
    filing = getattr(event, "filing", None)
    if filing is not None:
        lines.append(f"Docket entry {filing.number}: {filing.title}")
    message = getattr(event, "message", None)
    if message is not None:
        lines.append(f"Message: {message.subject}")
    return subject, "\n".join(lines)


def event_recipients(event: CaseEvent) -> list[User]:
    case = event.case
    tribunal_only = event.visibility == EventVisibility.TRIBUNAL
    users = participants_of(case, tribunal_only=tribunal_only)
    if (
        event.name in REGISTRY_EVENTS
        or event.visibility == EventVisibility.TRIBUNAL
        or event.to_state != event.from_state
    ):
        users += registrars()
    if event.name in {"appoint_arbitrator", "nominate_arbitrator"}:
        from disputes.models import Appointment, AppointmentStatus

        users += [
            a.arbitrator
            for a in Appointment.objects.filter(
                case=case, status=AppointmentStatus.AWAITING_DECLARATION
            ).select_related("arbitrator")
        ]
    return [u for u in users if u.pk != event.actor_id]


def notify_about_event(event_id: int) -> int:
    event = CaseEvent.objects.select_related("case", "actor").get(pk=event_id)
    subject, body = describe_event(event)
    return notify(
        users=event_recipients(event),
        case=event.case,
        key=f"event:{event.pk}",
        kind="event",
        subject=subject,
        body=body,
        url=case_url(event.case),
    )


def deadline_message(deadline: Deadline, kind: str) -> tuple[str, str]:
    due = timezone.localtime(deadline.due_at)
    case = deadline.case
    if kind == "overdue":
        subject = f"[{case.display_reference}] OVERDUE: {deadline.label}"
        body = (
            f"The deadline '{deadline.label}' owed by the {deadline.get_responsible_display().lower()} "
            f"passed on {due:%A %d %B %Y at %H:%M %Z}.\nRule: {deadline.rule_ref}"
        )
    elif kind == "75pct":
        subject = f"[{case.display_reference}] 75% of the time for '{deadline.label}' has elapsed"
        body = f"'{deadline.label}' is due {due:%A %d %B %Y at %H:%M %Z}.\nRule: {deadline.rule_ref}"
    else:
        subject = f"[{case.display_reference}] Reminder: {deadline.label} due in {kind.rstrip('d')} day(s)"
        body = f"'{deadline.label}' is due {due:%A %d %B %Y at %H:%M %Z}.\nRule: {deadline.rule_ref}"
    return subject, body


def deadline_owners(deadline: Deadline) -> list[User]:
    responsible = deadline.responsible
    if responsible == "registrar":
        return registrars()
    if responsible == "tribunal":
        return participants_of(deadline.case, sides=["tribunal"])
    if responsible == "parties":
        return participants_of(deadline.case, sides=["claimant", "respondent"])
    return participants_of(deadline.case, sides=[responsible])


def send_invitation_email(*, invitation_id: int, token: str) -> None:
    from disputes.models import Invitation

    invitation = Invitation.objects.select_related("case").get(pk=invitation_id)
    context: dict[str, Any] = {
        "invitation": invitation,
        "case": invitation.case,
        "url": settings.SITE_URL + reverse("invitation_accept", args=[token]),
        "site_url": settings.SITE_URL,
    }
    message = EmailMultiAlternatives(
        subject=f"[{invitation.case.display_reference}] Notice of arbitration and invitation to respond",
        body=render_to_string("emails/invitation.txt", context),
        to=[invitation.email],
    )
    message.attach_alternative(render_to_string("emails/invitation.html", context), "text/html")
    message.send()


# An immediate user's notification still un-emailed after this long was created while they were on the digest (or
# its email failed): the next digest run takes it. Younger ones may be mid-send by `notify`, so they are left alone.
IMMEDIATE_LEFTOVER_AGE = timedelta(hours=1)
# The digest lists at most this many items (all pending ones are marked emailed; the in-app list has the rest).
DIGEST_MAX_ITEMS = 200


@dataclass
class DigestGroup:
    case: Case | None
    url: str
    items: list[Notification] = field(default_factory=list)


def user_zone(user: User) -> ZoneInfo:
    try:
        return ZoneInfo(user.time_zone or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def digest_day(user: User, now: datetime) -> date | None:
    """The user's local day whose digest is due at `now`, or None before their digest hour."""
    local = now.astimezone(user_zone(user))
    return local.date() if local.hour >= settings.TRIBUNAL_DIGEST_HOUR else None


def _pending(user: User, now: datetime) -> Any:
    pending = Notification.objects.filter(user=user, emailed_at__isnull=True, created_at__lte=now)
    if user.email_frequency == User.EmailFrequency.IMMEDIATE:
        pending = pending.filter(created_at__lte=now - IMMEDIATE_LEFTOVER_AGE)
    return pending


def digest_candidates(now: datetime) -> Any:
    daily = Q(email_frequency=User.EmailFrequency.DAILY, notifications__created_at__lte=now)
    leftovers = Q(
        email_frequency=User.EmailFrequency.IMMEDIATE,
        notifications__created_at__lte=now - IMMEDIATE_LEFTOVER_AGE,
    )
    # One filter() call, so that both conditions apply to the same notification row (one join).
    return (
        User.objects.filter((daily | leftovers) & Q(is_active=True, notifications__emailed_at__isnull=True))
        .distinct()
        .order_by("pk")
    )


def send_daily_digests(*, now: datetime | None = None) -> int:
    """One digest email per user whose local digest hour has come today and who has pending notifications.

    Per user, in one transaction: claim the (user, day) DigestRun row, mark the pending notifications emailed,
    send. A second run (or an overlapping one, which waits on the unique row) finds the row and sends nothing; a
    failed send rolls the claim back, so the next hourly run retries. Returns the number of digests sent.
    """
    now = now or timezone.now()
    sent = 0
    for user in digest_candidates(now):
        day = digest_day(user, now)
        if day is None:
            continue
        try:
            with transaction.atomic():
                if _send_digest(user, day, now):
                    sent += 1
        except IntegrityError:
            continue  # another run holds today's digest for this user
        except Exception:
            logger.exception("daily digest for user %s failed; the next run retries", user.pk)
    return sent


def _send_digest(user: User, day: date, now: datetime) -> bool:
    from disputes.permissions import can_see_case

    run = DigestRun.objects.create(user=user, day=day)
    pending = list(_pending(user, now).select_related("case").order_by("case_id", "created_at", "id"))
    if not pending:
        return False  # the savepoint keeps the run row: nothing more today (the query said there was work; a race)
    Notification.objects.filter(pk__in=[n.pk for n in pending], emailed_at__isnull=True).update(emailed_at=now)
    groups: dict[int | None, DigestGroup] = {}
    listed = 0
    for notification in pending:
        case = notification.case
        # A participant removed from a case since hears nothing more about it.
        if case is not None and not can_see_case(user, case):
            continue
        if listed >= DIGEST_MAX_ITEMS:
            continue
        key = case.pk if case is not None else None
        if key not in groups:
            groups[key] = DigestGroup(case=case, url=case_url(case) if case is not None else settings.SITE_URL)
        groups[key].items.append(notification)
        listed += 1
    run.items = listed
    run.save(update_fields=["items"])
    if not listed:
        return False
    total = sum(1 for n in pending if n.case is None or can_see_case(user, n.case))
    context = {
        "user": user,
        "day": day,
        "groups": list(groups.values()),
        "count": listed,
        "more": max(0, total - listed),
        "site_url": settings.SITE_URL,
        "notifications_url": settings.SITE_URL + reverse("notifications"),
        "profile_url": settings.SITE_URL + reverse("profile"),
    }
    with timezone.override(user_zone(user)):  # times in the email are the user's
        text, html = render_to_string("emails/digest.txt", context), render_to_string("emails/digest.html", context)
    message = EmailMultiAlternatives(
        subject=f"Your Tribunal digest for {day:%A %d %B %Y}: {total} update{'s' if total != 1 else ''}",
        body=text,
        to=[user.email],
    )
    message.attach_alternative(html, "text/html")
    message.send()
    return True
