"""When a reminder may go: quiet hours and the weekly cap. Pure functions of the time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

WEEK = dt.timedelta(days=7)


def quiet_until(now: dt.datetime, tz: ZoneInfo, start: dt.time, end: dt.time) -> dt.datetime | None:
    """The end of the quiet hours `now` falls in (UTC), or None when it is not quiet.

    The window may run over midnight (21:00–07:00); start == end means none.
    """
    if start == end:
        return None
    local = now.astimezone(tz)
    time = local.time()
    overnight = start > end
    quiet = (time >= start or time < end) if overnight else start <= time < end
    if not quiet:
        return None
    day = local.date() + dt.timedelta(days=1) if overnight and time >= start else local.date()
    return dt.datetime.combine(day, end, tzinfo=tz).astimezone(dt.UTC)


def next_slot(sent: Sequence[dt.datetime], cap: int, now: dt.datetime) -> dt.datetime | None:
    """None if another nudge may go now; else when the week's oldest leaves the window.

    `sent`: times of the user's earlier nudges, oldest first. A cap of 0
    or less means no cap.
    """
    window = [at for at in sent if at > now - WEEK]
    if cap <= 0 or len(window) < cap:
        return None
    return window[-cap] + WEEK
