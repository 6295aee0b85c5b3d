"""Profile, the calendar feed, notifications, the dev outbox and the user's time zone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from disputes.models import Notification
from disputes.templatetags.tribunal import relative_time
from disputes.views.middleware import UserTimeZoneMiddleware

pytestmark = pytest.mark.django_db


def test_profile_edits_the_users_own_details(personas, as_user):
    client = as_user(personas.clara)
    page = client.get(reverse("profile")).content.decode()
    assert reverse("mfa_index") in page and "Calendar feed" in page
    response = client.post(
        reverse("profile"),
        {
            "full_name": "Clara C.",
            "organisation": "Claimant Law LLP",
            "time_zone": "America/New_York",
            "email_frequency": "daily",
            "affiliations": "Frontier Labs Ltd",
        },
    )
    assert response["Location"] == reverse("profile")
    personas.clara.refresh_from_db()
    assert personas.clara.time_zone == "America/New_York"
    assert personas.clara.email_frequency == "daily"
    assert personas.clara.organisation == "Claimant Law LLP"


def test_profile_rejects_an_unknown_time_zone(personas, as_user):
    response = as_user(personas.clara).post(
        reverse("profile"), {"full_name": "Clara", "time_zone": "Mars/Olympus", "email_frequency": "daily"}
    )
    assert response.status_code == 400
    personas.clara.refresh_from_db()
    assert personas.clara.time_zone == "Europe/London"


def test_calendar_feed_is_served_by_token_without_a_session(personas, case_at, client):
    case = case_at("notified")
    response = client.get(reverse("calendar_feed", args=[personas.rafael.calendar_token]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR") and f"[{case.reference}] Answer to the Request" in body
    assert client.get(reverse("calendar_feed", args=["wrong-token"])).status_code == 404


def test_regenerating_the_feed_address_retires_the_old_one(personas, as_user, client):
    old = personas.clara.calendar_token
    response = as_user(personas.clara).post(reverse("calendar_regenerate"))
    assert response["Location"] == reverse("profile")
    personas.clara.refresh_from_db()
    assert personas.clara.calendar_token != old
    assert client.get(reverse("calendar_feed", args=[old])).status_code == 404
    assert client.get(reverse("calendar_feed", args=[personas.clara.calendar_token])).status_code == 200
    profile = as_user(personas.clara).get(reverse("profile")).content.decode()
    assert personas.clara.calendar_token in profile


def notify_clara(personas, case, n: int = 3) -> None:
    from disputes.notifications import notify

    for i in range(n):
        notify(users=[personas.clara], case=case, key=f"test:{i}", kind="event", subject=f"Update {i}", body="...")


def test_notifications_list_count_and_mark_read(personas, case_at, as_user):
    notify_clara(personas, case_at("notified"))
    client = as_user(personas.clara)
    unread = Notification.objects.filter(user=personas.clara, read_at__isnull=True)
    count = unread.count()
    assert count > 0
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert f'aria-label="{count} unread"' in dashboard

    first = unread.first()
    page = client.get(reverse("notifications")).content.decode()
    assert first.subject in page
    client.post(reverse("notifications_mark_read"), {"notification": first.pk})
    assert unread.count() == count - 1
    client.post(reverse("notifications_mark_read"), {"all": "1"})
    assert unread.count() == 0
    assert 'unread"' not in client.get(reverse("dashboard")).content.decode().split("</nav>")[0]


def test_a_user_cannot_mark_someone_elses_notification(personas, case_at, as_user):
    notify_clara(personas, case_at("notified"), n=1)
    theirs = Notification.objects.filter(user=personas.clara).first()
    as_user(personas.uma).post(reverse("notifications_mark_read"), {"notification": theirs.pk})
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_outbox_lists_file_backend_mail_newest_first_with_clickable_links(personas, as_user, settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    settings.DEV_OUTBOX_ENABLED = True
    first = EmailMultiAlternatives(
        "Older notice", "See http://127.0.0.1:8000/invitations/abc123/", to=["a@example.org"]
    )
    first.attach_alternative("<p>html part</p>", "text/html")
    first.send()
    # Two messages in one batch: the file backend writes them to one file, separated by a line of dashes.
    connection = mail.get_connection()
    connection.send_messages(
        [
            EmailMultiAlternatives("Middle", "Body two", to=["b@example.org"]),
            EmailMultiAlternatives("Newest", "Body three", to=["c@example.org"]),
        ]
    )
    client = as_user(personas.greta)
    body = client.get(reverse("outbox")).content.decode()
    assert body.index("Newest") < body.index("Middle") < body.index("Older notice")
    assert '<a href="http://127.0.0.1:8000/invitations/abc123/"' in body
    assert "c@example.org" in body

    assert as_user(personas.clara).get(reverse("outbox")).status_code == 404
    settings.DEV_OUTBOX_ENABLED = False
    assert client.get(reverse("outbox")).status_code == 404


def test_nav_shows_registry_links_only_to_the_registrar(personas, as_user, settings):
    settings.DEV_OUTBOX_ENABLED = True
    greta = as_user(personas.greta).get(reverse("dashboard")).content.decode()
    assert reverse("deadline_board") in greta and reverse("outbox") in greta
    clara = as_user(personas.clara).get(reverse("dashboard")).content.decode()
    assert reverse("deadline_board") not in clara and reverse("outbox") not in clara
    assert reverse("api_docs") in clara and reverse("profile") in clara and reverse("account_logout") in clara


def test_pages_are_csp_clean(personas, case_at, as_user):
    """No inline scripts or style attributes anywhere: the CSP allows neither."""
    case = case_at("evidence")
    client = as_user(personas.greta)
    urls = [
        reverse("dashboard"),
        reverse("case_list"),
        reverse("deadline_board"),
        reverse("case_detail", args=[case.pk]),
    ]
    urls += [f"{reverse('case_detail', args=[case.pk])}?tab={tab}" for tab in ("deadlines", "participants", "docket")]
    for url in urls:
        body = client.get(url).content.decode()
        assert "style=" not in body, url
        assert "<style" not in body, url
        for chunk in body.split("<script")[1:]:
            assert chunk.lstrip().startswith("src="), url


def test_user_time_zone_middleware_shows_times_in_the_users_zone(personas, case_at, as_user, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "disputes.views.middleware.UserTimeZoneMiddleware"]
    case = case_at("notified")
    User.objects.filter(pk=personas.clara.pk).update(time_zone="America/New_York")
    body = as_user(personas.clara).get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "12:00 EST" in body  # 17:00 in London is noon in New York in December
    london = as_user(personas.rafael).get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "17:00 GMT" in london


def test_middleware_falls_back_on_an_unknown_zone_and_never_leaks_it(personas):
    seen = []

    def view(request):
        seen.append(timezone.get_current_timezone_name())
        from django.http import HttpResponse

        return HttpResponse()

    middleware = UserTimeZoneMiddleware(view)
    request = RequestFactory().get("/")
    personas.clara.time_zone = "Asia/Tokyo"
    request.user = personas.clara
    middleware(request)
    personas.clara.time_zone = "Nowhere/Atlantis"
    middleware(request)
    assert seen == ["Asia/Tokyo", "Europe/London"]
    assert timezone.get_current_timezone_name() == "Europe/London"


def test_relative_time_wording():
    now = timezone.now()
    assert relative_time(now + timedelta(days=3, hours=1), now) == "in 3 days"
    assert relative_time(now - timedelta(days=2, hours=3), now) == "2 days ago"
    assert relative_time(now + timedelta(hours=5, minutes=2), now) == "in 5 hours"
    assert relative_time(now - timedelta(minutes=1, seconds=5), now) == "1 minute ago"
    assert relative_time(now + timedelta(seconds=20), now) == "just now"
    assert relative_time(now + timedelta(days=200), now) == "in 6 months"
    assert relative_time(None) == ""
