"""Who is at work at a given moment: weekly shifts and absences, in each agent's time zone.
See docs/architecture/assignment.md, "Schedules".

Rules:
- An agent with no shifts defined counts as always on shift (a small team need not fill in
  schedules to use automatic assignment); absences still apply to them.
- A shift is [start, end) on its weekday in the agent's time zone; a shift whose end is not
  after its start runs past midnight (22:00–06:00, or 09:00–09:00 for a whole day).
- An absence covers whole days in the agent's time zone, both ends included.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from accounts.models import User
from automation.models import Absence, WorkShift


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def shift_covers(*, weekday: int, start: time, end: time, local: datetime) -> bool:
    """Whether a weekly shift covers the local wall-clock moment `local`."""
    now, today = local.time(), local.weekday()
    if start < end:
        return today == weekday and start <= now < end
    # Past midnight: the evening part on its own weekday, the morning part on the next day.
    return (today == weekday and now >= start) or (today == (weekday + 1) % 7 and now < end)


def availability(*, users: Iterable[User], at: datetime) -> dict[int, str]:
    """For each user: "" when at work at `at`, else why not ("off_shift", or the absence kind).
    Two queries whatever the number of users."""
    users = list(users)
    ids = [u.pk for u in users]
    shifts: dict[int, list[WorkShift]] = defaultdict(list)
    for shift in WorkShift.objects.filter(user_id__in=ids):
        shifts[shift.user_id].append(shift)
    # Local dates differ from the UTC date by at most a day either way.
    day = at.date()
    absences: dict[int, list[Absence]] = defaultdict(list)
    for absence in Absence.objects.filter(
        user_id__in=ids, start_date__lte=day + timedelta(days=1), end_date__gte=day - timedelta(days=1)
    ):
        absences[absence.user_id].append(absence)
    result: dict[int, str] = {}
    for user in users:
        local = at.astimezone(_zone(user.time_zone))
        away = _absent(absences[user.pk], local.date())
        if away:
            result[user.pk] = away
        elif shifts[user.pk] and not any(
            shift_covers(weekday=s.weekday, start=s.start, end=s.end, local=local) for s in shifts[user.pk]
        ):
            result[user.pk] = "off_shift"
        else:
            result[user.pk] = ""
    return result


def _absent(absences: list[Absence], local_day: date) -> str:
    for absence in absences:
        if absence.start_date <= local_day <= absence.end_date:
            return str(absence.kind)
    return ""
