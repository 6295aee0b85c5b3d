"""Deadline arithmetic: deemed receipt, calendar/business-day/month periods, roll-over and the 17:00 cut-off.

Rules (docs/deadlines.md): a period runs in calendar days from the trigger's deemed receipt. Something received
after 17:00 Europe/London, or on a day that is not a business day, is deemed received on the next business day.
A deadline ending on a weekend or an England-and-Wales bank holiday (substitute days included) rolls to the next
business day, and falls due at 17:00 London time on that day, whatever the UTC offset (BST or GMT) is then.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays
from dateutil.relativedelta import relativedelta
from django.conf import settings

from disputes.lifecycle.rulepacks import Period

LONDON = ZoneInfo(settings.TRIBUNAL_DEADLINE_TIME_ZONE)


def cutoff() -> time:
    hours, minutes = settings.TRIBUNAL_DEADLINE_CUTOFF.split(":")
    return time(int(hours), int(minutes))


@cache
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def next_business_day_on_or_after(day: date) -> date:
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def deemed_receipt(instant: datetime) -> date:
    """The date an act at `instant` counts as received."""
    local = instant.astimezone(LONDON)
    day = local.date()
    if local.time() > cutoff():
        day += timedelta(days=1)
    return next_business_day_on_or_after(day)


def add_business_days(start: date, count: int) -> date:
    day = start
    added = 0
    while added < count:
        day += timedelta(days=1)
        if is_business_day(day):
            added += 1
    return day


def due_date_for(start: date, period: Period) -> date:
    if period.business_days:
        end = add_business_days(start, period.business_days)
    elif period.months:
        end = start + relativedelta(months=period.months)
    else:
        end = start + timedelta(days=period.days)
    return next_business_day_on_or_after(end)


def due_instant(day: date) -> datetime:
    """17:00 London time on `day`, as an aware datetime (zoneinfo picks BST or GMT for that date)."""
    return datetime.combine(day, cutoff(), tzinfo=LONDON)


def local_due_date(due_at: datetime) -> date:
    return due_at.astimezone(LONDON).date()


def extend(due_at: datetime, days: int) -> datetime:
    return due_instant(next_business_day_on_or_after(local_due_date(due_at) + timedelta(days=days)))


def resume_due(due_at: datetime, paused_at: datetime, resumed_at: datetime) -> datetime:
    """Restore the time that remained when the clock stopped, counted in days from the resumption."""
    remaining_days = max(0, (local_due_date(due_at) - deemed_receipt(paused_at)).days)
    return due_instant(next_business_day_on_or_after(deemed_receipt(resumed_at) + timedelta(days=remaining_days)))
