"""Deadline arithmetic: roll-over, bank holidays with substitute days, the 17:00 cut-off, BST/GMT, pauses."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from disputes import clock
from disputes.lifecycle.rulepacks import EXPEDITED, STANDARD, Period

LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")


def london(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=LONDON)


def test_christmas_and_boxing_day_substitutes_roll_to_the_29th():
    # 25 and 26 Dec 2027 fall on a weekend; the substitute bank holidays are Mon 27 and Tue 28.
    assert not clock.is_business_day(date(2027, 12, 27))
    assert not clock.is_business_day(date(2027, 12, 28))
    start = date(2027, 11, 25)  # 30 days later is Sat 25 Dec 2027
    assert clock.due_date_for(start, Period(days=30)) == date(2027, 12, 29)


def test_boxing_day_2026_substitute_monday():
    # 26 Dec 2026 is a Saturday: Monday 28 Dec is the substitute day.
    assert clock.due_date_for(date(2026, 12, 21), Period(days=5)) == date(2026, 12, 29)


def test_weekend_rolls_to_monday():
    assert clock.due_date_for(date(2026, 6, 1), Period(days=5)) == date(2026, 6, 8)  # Sat 6 June -> Mon 8


def test_filing_after_cutoff_counts_as_next_business_day():
    assert clock.deemed_receipt(london(2026, 6, 1, 16, 59)) == date(2026, 6, 1)
    assert clock.deemed_receipt(london(2026, 6, 1, 17, 0)) == date(2026, 6, 1)
    assert clock.deemed_receipt(london(2026, 6, 1, 17, 1)) == date(2026, 6, 2)
    # Friday evening counts as Monday; a Saturday filing too.
    assert clock.deemed_receipt(london(2026, 6, 5, 18, 0)) == date(2026, 6, 8)
    assert clock.deemed_receipt(london(2026, 6, 6, 9, 0)) == date(2026, 6, 8)


def test_cutoff_is_london_time_whatever_the_utc_offset():
    # 16:30 UTC is 17:30 BST in summer (after the cut-off) but 16:30 GMT in winter (before it).
    assert clock.deemed_receipt(datetime(2026, 7, 1, 16, 30, tzinfo=UTC)) == date(2026, 7, 2)
    assert clock.deemed_receipt(datetime(2026, 1, 7, 16, 30, tzinfo=UTC)) == date(2026, 1, 7)


def test_due_instant_across_the_clock_change():
    # Clocks go back on Sun 25 Oct 2026: a deadline on Fri 23 Oct is due 16:00 UTC, on Mon 26 Oct 17:00 UTC.
    assert clock.due_instant(date(2026, 10, 23)).astimezone(UTC).time() == time(16, 0)
    assert clock.due_instant(date(2026, 10, 26)).astimezone(UTC).time() == time(17, 0)
    # A 30-day period that starts in BST and ends in GMT still ends at 17:00 London.
    due = clock.due_instant(clock.due_date_for(date(2026, 10, 1), Period(days=30)))
    assert due.astimezone(LONDON).time() == time(17, 0)
    assert due.astimezone(UTC).hour == 17


def test_business_day_period_for_screening():
    # Filed Friday 5 June 2026 -> three business days -> Wednesday 10 June.
    assert clock.due_date_for(date(2026, 6, 5), Period(business_days=3)) == date(2026, 6, 10)
    # Over Easter 2026 (Good Friday 3 April, Easter Monday 6 April).
    assert clock.due_date_for(date(2026, 4, 2), Period(business_days=3)) == date(2026, 4, 9)


def test_month_periods_clamp_to_month_end():
    assert clock.due_date_for(date(2026, 1, 31), Period(months=1)) == date(2026, 3, 2)  # 28 Feb is a Saturday
    assert clock.due_date_for(date(2026, 5, 29), Period(months=3)) == date(2026, 8, 31) + timedelta(days=1)


def test_extension_rolls_over_too():
    due = clock.due_instant(date(2026, 12, 22))  # Tuesday
    extended = clock.extend(due, 4)  # Sat 26 Dec -> Mon 28 (substitute) -> Tue 29
    assert clock.local_due_date(extended) == date(2026, 12, 29)


def test_suspension_restores_the_remaining_days():
    due = clock.due_instant(date(2026, 6, 30))
    paused = london(2026, 6, 10)  # 20 days left
    resumed = london(2026, 7, 20)
    assert clock.local_due_date(clock.resume_due(due, paused, resumed)) == date(2026, 8, 10)


def test_expedited_pack_has_shorter_periods():
    assert STANDARD.rule("answer").period.days == 30
    assert EXPEDITED.rule("answer").period.days == 20
    assert EXPEDITED.rule("closure").period.months == 3 and STANDARD.rule("closure").period.months == 9
    assert EXPEDITED.max_hearing_days == 3 and EXPEDITED.claim_filed_with_request


@settings(max_examples=300, deadline=None)
@given(
    instant=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)),
    days=st.integers(min_value=1, max_value=120),
)
def test_any_due_date_is_a_business_day_at_1700_london_and_never_early(instant, days):
    receipt = clock.deemed_receipt(instant)
    assert clock.is_business_day(receipt)
    assert receipt >= instant.astimezone(LONDON).date()
    due_day = clock.due_date_for(receipt, Period(days=days))
    due = clock.due_instant(due_day)
    assert clock.is_business_day(due_day)
    assert due.astimezone(LONDON).time() == time(17, 0)
    assert due_day >= receipt + timedelta(days=days)
    assert due_day < receipt + timedelta(days=days + 6)  # the longest run of non-business days is short
