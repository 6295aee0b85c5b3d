"""Presentation helpers: stage labels and progress, deadline urgency, relative times and the SVG bar chart.

Times are rendered in the active time zone (the user's, see disputes.views.middleware) by Django's date filter;
the helpers here only decide wording and CSS classes, so the stylesheet alone decides colours.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import template
from django.utils import timezone

from disputes.lifecycle.states import MAIN_PATH, TERMINAL_STATES, State
from disputes.models import DeadlineStatus

register = template.Library()

SOON = timedelta(days=3)


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" + ("" if n == 1 else "s")


@register.filter
def relative_time(value: datetime | None, now: datetime | None = None) -> str:
    """“in 3 days”, “2 hours ago”, “just now”: the largest whole unit, as people say it."""
    if value is None:
        return ""
    now = now or timezone.now()
    seconds = (value - now).total_seconds()
    distance = abs(seconds)
    if distance < 60:
        return "just now"
    if distance < 3600:
        phrase = _plural(int(distance // 60), "minute")
    elif distance < 86400:
        phrase = _plural(int(distance // 3600), "hour")
    elif distance < 86400 * 60:
        phrase = _plural(int(distance // 86400), "day")
    elif distance < 86400 * 730:
        phrase = _plural(int(distance // (86400 * 30)), "month")
    else:
        phrase = _plural(int(distance // (86400 * 365)), "year")
    return f"in {phrase}" if seconds > 0 else f"{phrase} ago"


@register.filter
def due_state(deadline: Any, now: datetime | None = None) -> str:
    """One word the stylesheet keys colours on: overdue, soon, open, paused, ended (a window), met, lapsed…"""
    if deadline.status != DeadlineStatus.OPEN:
        return str(deadline.status)
    if deadline.paused_at:
        return "paused"
    now = now or timezone.now()
    if deadline.due_at < now:
        return "ended" if deadline.is_window else "overdue"
    if deadline.due_at - now <= SOON:
        return "soon"
    return "open"


@register.filter
def state_label(value: str) -> str:
    try:
        return str(State(value).label)
    except ValueError:
        return value.replace("_", " ")


@register.filter
def state_short(value: str) -> str:
    """The label without its explanation: “Submitted — registry screening” becomes “Submitted”."""
    return state_label(value).split(" — ")[0]


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key) if mapping else None


@register.inclusion_tag("includes/due.html")
def due(deadline: Any, show_owner: bool = False) -> dict[str, Any]:
    return {"deadline": deadline, "state": due_state(deadline), "show_owner": show_owner}


@register.inclusion_tag("includes/stage_progress.html")
def stage_progress(case: Any) -> dict[str, Any]:
    """Steps of the main path marked done / current / todo. A suspended case shows where it stopped."""
    current = case.suspended_state if case.state == State.SUSPENDED else case.state
    index = MAIN_PATH.index(current) if current in MAIN_PATH else -1
    ended = case.state in TERMINAL_STATES and case.state != State.CLOSED
    steps = []
    for position, state in enumerate(MAIN_PATH):
        if position < index or (case.state == State.CLOSED and position <= index):
            status = "done"
        elif position == index:
            status = "current"
        else:
            status = "todo"
        steps.append({"state": state.value, "label": state_short(state.value), "status": status})
    return {"steps": steps, "case": case, "ended": ended, "suspended": case.state == State.SUSPENDED}


CHART_LABEL_WIDTH = 190
CHART_BAR_SPACE = 330
CHART_ROW = 28


@register.inclusion_tag("includes/bar_chart.html")
def bar_chart(rows: list[dict[str, Any]], value_key: str = "days", unit: str = "days") -> dict[str, Any]:
    """A horizontal bar chart as inline SVG geometry (no inline styles, so it passes the CSP)."""
    peak = max((float(row[value_key]) for row in rows), default=0.0) or 1.0
    bars = []
    for position, row in enumerate(rows):
        value = float(row[value_key])
        width = round(CHART_BAR_SPACE * value / peak, 1)
        bars.append(
            {
                "label": state_short(row["state"]),
                "value": value,
                "y": position * CHART_ROW,
                "text_y": position * CHART_ROW + 17,
                "width": max(width, 1.0) if value else 0,
                "value_x": CHART_LABEL_WIDTH + max(width, 1.0) + 6,
            }
        )
    return {
        "bars": bars,
        "unit": unit,
        "label_width": CHART_LABEL_WIDTH,
        "label_x": CHART_LABEL_WIDTH - 8,
        "width": CHART_LABEL_WIDTH + CHART_BAR_SPACE + 80,
        "height": len(rows) * CHART_ROW,
    }


# Payload keys that hold row ids: meaningful to the audit chain, not to a reader of the timeline.
HIDDEN_PAYLOAD_KEYS = {"appointment", "invitation", "deadline", "arbitrator"}


@register.filter
def payload_items(payload: dict[str, Any]) -> list[tuple[str, str]]:
    """What an event recorded, as (label, text) pairs a reader can follow."""
    items = []
    for key, value in (payload or {}).items():
        if key in HIDDEN_PAYLOAD_KEYS or value in (None, "", [], {}):
            continue
        if isinstance(value, bool):
            text = "yes" if value else "no"
        elif isinstance(value, list | dict):
            continue
        else:
            text = str(value)
        items.append((key.replace("_", " ").capitalize(), text))
    return items


@register.simple_tag(takes_context=True)
def unread_notifications(context: template.Context) -> int:
    """For the navigation bar: one COUNT per page, and none for anonymous visitors."""
    from disputes.views.reads import unread_notification_count

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return unread_notification_count(user=user)


@register.filter
def dispute_type_label(value: str) -> str:
    from disputes.models import DisputeType

    return str(dict(DisputeType.choices).get(value, value))
