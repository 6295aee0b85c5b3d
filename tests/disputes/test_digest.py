"""The daily digest: immediate users are mailed at once, digest users once a day (at TRIBUNAL_DIGEST_HOUR in their own
time zone) with everything pending grouped by case; a rerun, an overlapping run or an empty day sends nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import User
from disputes.models import DigestRun, Notification
from disputes.notifications import notify, send_daily_digests
from disputes.services.reminders import deadlines_sweep
from evidence.models import Exhibit
from tests.evidence.helpers import upload

DAILY = User.EmailFrequency.DAILY
IMMEDIATE = User.EmailFrequency.IMMEDIATE


def local_time(hour: int, zone: str = "Europe/London", *, after: datetime | None = None) -> datetime:
    """The next `hour`:30 in `zone` at least two hours from now (so notifications made now are old enough)."""
    start = (after or timezone.now()) + timedelta(hours=2)
    local = start.astimezone(ZoneInfo(zone))
    moment = local.replace(hour=hour, minute=30, second=0, microsecond=0)
    if moment < local:
        moment += timedelta(days=1)
    return moment


def set_frequency(user: User, frequency: str, zone: str = "Europe/London") -> None:
    user.email_frequency, user.time_zone = frequency, zone
    user.save(update_fields=["email_frequency", "time_zone"])


def ping(users: list[User], case, key: str, subject: str | None = None) -> int:
    return notify(
        users=users,
        case=case,
        key=key,
        kind="event",
        subject=subject or f"[{case.display_reference}] {key}",
        body=f"Body of {key}.",
        url=f"http://testserver/cases/{case.pk}/#{key}",
    )


def to(user: User) -> list:
    return [m for m in mail.outbox if m.to == [user.email]]


@pytest.fixture
def quiet(case_at, personas):
    """A case whose setup notifications are all out of the way."""
    case = case_at("notified")
    Notification.objects.update(emailed_at=timezone.now())
    mail.outbox.clear()
    return case


@pytest.mark.django_db
def test_immediate_users_are_mailed_at_once_and_digest_users_not_until_the_digest(quiet, personas):
    set_frequency(personas.clara, DAILY)
    sent = ping([personas.clara, personas.rafael], quiet, "filing-1")
    assert sent == 1
    assert len(to(personas.rafael)) == 1 and to(personas.clara) == []
    # The in-app list has it at once for both.
    assert Notification.objects.filter(user=personas.clara, dedupe_key="filing-1", emailed_at__isnull=True).exists()
    assert send_daily_digests(now=local_time(6)) == 0  # before the digest hour: still nothing
    assert to(personas.clara) == []


@pytest.mark.django_db
def test_one_digest_lists_every_pending_item_grouped_by_case_with_links(quiet, case_at, personas):
    other = case_at("notified")
    Notification.objects.update(emailed_at=timezone.now())
    set_frequency(personas.clara, DAILY)
    for key in ("filing-1", "filing-2"):
        ping([personas.clara], quiet, key)
    ping([personas.clara], other, "order-1")
    mail.outbox.clear()
    now = local_time(8)

    assert send_daily_digests(now=now) == 1
    (digest,) = to(personas.clara)
    assert "3 updates" in digest.subject
    html = digest.alternatives[0][0]
    for key, case in (("filing-1", quiet), ("filing-2", quiet), ("order-1", other)):
        assert f"{key}" in digest.body and f"http://testserver/cases/{case.pk}/#{key}" in digest.body
        assert f'href="http://testserver/cases/{case.pk}/#{key}"' in html
    # Grouped: each case's heading once, its items together under it.
    assert digest.body.count(f"== {quiet.display_reference}") == 1
    assert digest.body.count(f"== {other.display_reference}") == 1
    pending = Notification.objects.filter(user=personas.clara, emailed_at__isnull=True)
    assert not pending.exists()
    assert DigestRun.objects.get(user=personas.clara).items == 3

    # A rerun the same day sends nothing, even with something new; the next day's digest has only the new item.
    mail.outbox.clear()
    ping([personas.clara], quiet, "filing-3")
    assert send_daily_digests(now=now + timedelta(minutes=30)) == 0
    assert to(personas.clara) == []
    assert send_daily_digests(now=now + timedelta(days=1)) == 1
    (second,) = to(personas.clara)
    assert "filing-3" in second.body and "filing-1" not in second.body


@pytest.mark.django_db
def test_an_overlapping_run_that_already_claimed_the_day_means_nothing_is_sent_twice(quiet, personas):
    set_frequency(personas.clara, DAILY)
    ping([personas.clara], quiet, "filing-1")
    now = local_time(9)
    # Another worker's run holds today's row (on PostgreSQL the second insert waits for it, then fails).
    DigestRun.objects.create(user=personas.clara, day=now.date())
    assert send_daily_digests(now=now) == 0
    assert to(personas.clara) == []
    assert Notification.objects.filter(user=personas.clara, emailed_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_a_failed_send_rolls_back_so_the_next_run_retries(quiet, personas, monkeypatch):
    set_frequency(personas.clara, DAILY)
    ping([personas.clara], quiet, "filing-1")
    now = local_time(8)

    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    assert send_daily_digests(now=now) == 0
    assert not DigestRun.objects.exists()
    assert Notification.objects.filter(user=personas.clara, emailed_at__isnull=True).count() == 1
    monkeypatch.undo()
    assert send_daily_digests(now=now + timedelta(hours=1)) == 1
    assert len(to(personas.clara)) == 1


@pytest.mark.django_db
def test_the_digest_hour_is_each_users_own(quiet, personas):
    set_frequency(personas.clara, DAILY, "Europe/London")
    set_frequency(personas.rafael, DAILY, "America/New_York")
    ping([personas.clara, personas.rafael], quiet, "filing-1")
    london_morning = local_time(7)  # 02:30 or 03:30 in New York: not yet there
    assert send_daily_digests(now=london_morning) == 1
    assert len(to(personas.clara)) == 1 and to(personas.rafael) == []
    new_york_morning = local_time(7, "America/New_York", after=london_morning - timedelta(hours=2))
    assert send_daily_digests(now=new_york_morning) == 1
    assert len(to(personas.rafael)) == 1 and len(to(personas.clara)) == 1
    assert DigestRun.objects.get(user=personas.rafael).day == new_york_morning.date()


@pytest.mark.django_db
def test_switching_frequency_either_way(quiet, personas):
    # Daily -> immediate: new items are mailed at once; those pending from the digest days go in the next run.
    set_frequency(personas.clara, DAILY)
    ping([personas.clara], quiet, "while-daily")
    set_frequency(personas.clara, IMMEDIATE)
    assert ping([personas.clara], quiet, "now-immediate") == 1
    assert [m.subject for m in to(personas.clara)] == [f"[{quiet.display_reference}] now-immediate"]
    mail.outbox.clear()
    assert send_daily_digests(now=local_time(8)) == 1
    (digest,) = to(personas.clara)
    assert "while-daily" in digest.body and "now-immediate" not in digest.body
    assert not Notification.objects.filter(user=personas.clara, emailed_at__isnull=True).exists()

    # Immediate -> daily: no more single emails.
    mail.outbox.clear()
    set_frequency(personas.clara, DAILY)
    assert ping([personas.clara], quiet, "back-to-daily") == 0
    assert to(personas.clara) == []


@pytest.mark.django_db
def test_an_empty_day_sends_nothing(quiet, personas):
    set_frequency(personas.clara, DAILY)
    set_frequency(personas.rafael, DAILY)
    assert send_daily_digests(now=local_time(8)) == 0
    assert mail.outbox == []
    assert not DigestRun.objects.exists()


@pytest.mark.django_db
def test_a_removed_participant_hears_nothing_more_about_the_case(quiet, personas):
    set_frequency(personas.rafael, DAILY)
    ping([personas.rafael], quiet, "filing-1")
    quiet.participants.filter(user=personas.rafael).update(revoked_at=timezone.now())
    assert send_daily_digests(now=local_time(8)) == 0
    assert to(personas.rafael) == []
    assert not Notification.objects.filter(user=personas.rafael, emailed_at__isnull=True).exists()


SEALED_TITLE = "SEALED-DIGEST-CANARY-41c9"


@pytest.mark.django_db
def test_reminders_and_escalations_in_a_digest_name_no_sealed_material(
    case_at, personas, django_capture_on_commit_callbacks
):
    case = case_at("notified")
    for user in (personas.clara, personas.rafael, personas.greta):
        set_frequency(user, DAILY)
    with django_capture_on_commit_callbacks(execute=True):
        upload(personas.rafael, case, b"sealed notes\n", title=SEALED_TITLE, tier="tribunal")
    assert Exhibit.objects.filter(title=SEALED_TITLE).exists()
    answer = case.deadlines.get(key="answer")
    type(answer).objects.filter(pk=answer.pk).update(due_at=timezone.now() + timedelta(days=2))
    deadlines_sweep()  # the respondent's reminder
    type(answer).objects.filter(pk=answer.pk).update(due_at=timezone.now() - timedelta(minutes=5))
    deadlines_sweep()  # lapse and escalation to the registry, events to the parties
    mail.outbox.clear()

    assert send_daily_digests(now=local_time(8)) >= 2
    digests = {m.to[0]: m for m in mail.outbox}
    assert {personas.rafael.email, personas.greta.email} <= set(digests)
    assert "Reminder" in digests[personas.rafael.email].body
    assert "OVERDUE" in digests[personas.greta.email].body
    for message in mail.outbox:
        assert SEALED_TITLE not in message.body + str(getattr(message, "alternatives", [("",)])[0][0])


@pytest.mark.django_db
def test_the_profile_page_says_what_daily_means(personas, client):
    client.force_login(personas.clara)
    page = client.get("/profile/").content.decode()
    assert "Daily digest: no email per item; instead one email a day, soon after 07:00 in your time zone" in page
