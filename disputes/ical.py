"""Each user's secret iCalendar feed (RFC 5545) of the open deadlines of the cases they may see."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Alarm, Calendar, Event

from accounts.models import User
from disputes.selectors import deadlines_for_user


def deadlines_calendar(user: User) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Tribunal//Case deadlines//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Tribunal deadlines")
    calendar.add("x-wr-timezone", settings.TRIBUNAL_DEADLINE_TIME_ZONE)
    stamp = timezone.now()
    for deadline in deadlines_for_user(user=user):
        case = deadline.case
        event = Event()
        # A stable UID lets calendar apps update the entry in place when the deadline moves (extension, suspension).
        event.add("uid", f"deadline-{deadline.pk}@tribunal")
        event.add("dtstamp", stamp)
        event.add("dtstart", deadline.due_at)
        event.add("dtend", deadline.due_at + timedelta(minutes=30))
        paused = " (paused: case suspended)" if deadline.paused_at else ""
        event.add("summary", f"[{case.display_reference}] {deadline.label}{paused}")
        event.add(
            "description",
            f"Owed by: {deadline.get_responsible_display()}\nRule: {deadline.rule_ref}\nCase: {case.title}",
        )
        event.add("url", settings.SITE_URL + reverse("case_detail", args=[case.pk]))
        event.add("sequence", deadline.extension_count + len(deadline.history))
        event.add("status", "TENTATIVE" if deadline.paused_at else "CONFIRMED")
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"Due tomorrow: {deadline.label}")
        alarm.add("trigger", timedelta(days=-1))
        event.add_component(alarm)
        calendar.add_component(event)
    return calendar.to_ical()
