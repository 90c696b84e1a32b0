"""Writes of business calendars: the calendar itself, its weekly working intervals and its table
of exceptional days.

Every edit of a calendar, its hours or its days ends in `_calendar_checked_touch()`, in the
same transaction: it proves the calendar still has working time somewhere (a clock can be
built), saves the calendar, which moves `updated_at` — the key sla.calendars.clock_for() caches
clocks by — and queues the recalculation of the open tickets' clocks. A write that would leave a
calendar without any working time is refused and rolled back. Seeding a year bumps `updated_at`
itself (sla/seeding.py) and recalculates when a day changed. Deleting moves no deadline: only a
calendar nobody counts time on may be deleted.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import date, time

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import validate_time_zone
from sla.business_time import BusinessClock, CalendarHasNoWorkingTime, parse_intervals, shorten
from sla.calendars import calendar_spec, default_calendar
from sla.models import BusinessCalendar, CalendarCountry, CalendarDay, DayKind, WorkingInterval
from sla.seeding import FIRST_YEAR, LAST_YEAR, SeedCounts, russian_calendar_seed

STANDARD_WEEK: tuple[tuple[int, time, time], ...] = tuple((weekday, time(9), time(18)) for weekday in range(5))
MAX_SHORTENING_MINUTES = 24 * 60


def _weekday_name(weekday: int) -> str:
    names = [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]
    return names[weekday]


def _calendar_checked_touch(calendar: BusinessCalendar) -> None:
    getattr(calendar, "_prefetched_objects_cache", {}).clear()  # check what is stored now
    try:
        BusinessClock(calendar_spec(calendar))
    except CalendarHasNoWorkingTime as exc:
        raise ValidationError(
            _("The calendar would have no working time at all. Give at least one weekday working hours.")
        ) from exc
    calendar.save(update_fields=["updated_at"])
    _recalculate_after(calendar)


def _recalculate_after(calendar: BusinessCalendar) -> None:
    """Deadlines counted on this calendar move: recompute the open tickets' clocks (background)."""
    from sla.policy_services import sla_recalculation_request

    sla_recalculation_request(reason=_("Calendar changed: %(name)s") % {"name": calendar.name})


def _clean_calendar_fields(
    *, code: str, name: str, time_zone: str, country: str, exclude_pk: int | None
) -> dict[str, str]:
    code, name, time_zone = (code or "").strip(), (name or "").strip(), (time_zone or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("A name is required.")
    try:
        validate_slug(code)
    except ValidationError:
        errors["code"] = _("The code may contain only Latin letters, digits, hyphens and underscores.")
    else:
        others = BusinessCalendar.objects.filter(code=code)
        if exclude_pk is not None:
            others = others.exclude(pk=exclude_pk)
        if others.exists():
            errors["code"] = _("Another calendar already has this code.")
    try:
        validate_time_zone(time_zone)
    except ValidationError as exc:
        errors["time_zone"] = exc.messages[0]
    if country not in CalendarCountry.values:
        errors["country"] = _("Unknown country.")
    if errors:
        raise ValidationError(errors)
    return {"code": code, "name": name[:200], "time_zone": time_zone, "country": country}


def _seed_country(calendar: BusinessCalendar) -> None:
    if calendar.country == CalendarCountry.RUSSIA and not calendar.is_24x7:
        this_year = timezone.localdate().year
        for year in (this_year, this_year + 1):
            russian_calendar_seed(calendar, year)


def _make_only_default(calendar: BusinessCalendar) -> None:
    BusinessCalendar.objects.select_for_update().filter(is_default=True).exclude(pk=calendar.pk).update(
        is_default=False, updated_at=timezone.now()
    )


@transaction.atomic
def calendar_create(
    *,
    code: str,
    name: str,
    time_zone: str = "Europe/Moscow",
    is_24x7: bool = False,
    is_default: bool = False,
    is_active: bool = True,
    country: str = "",
) -> BusinessCalendar:
    """Create a calendar. A working-hours calendar starts with Monday–Friday 09:00–18:00 (edit
    it after); one with a country gets that country's holidays for this year and the next.
    Making it the default takes the flag from the previous default. Raises ValidationError
    naming the field for an empty name, a bad or taken code, an unknown time zone."""
    fields = _clean_calendar_fields(code=code, name=name, time_zone=time_zone, country=country, exclude_pk=None)
    calendar = BusinessCalendar.objects.create(**fields, is_24x7=is_24x7, is_default=is_default, is_active=is_active)
    if is_default:
        _make_only_default(calendar)
    if not is_24x7:
        WorkingInterval.objects.bulk_create(
            WorkingInterval(calendar=calendar, weekday=weekday, start=start, end=end)
            for weekday, start, end in STANDARD_WEEK
        )
    _seed_country(calendar)
    _calendar_checked_touch(calendar)
    return calendar


@transaction.atomic
def calendar_update(
    *,
    calendar: BusinessCalendar,
    code: str,
    name: str,
    time_zone: str,
    is_24x7: bool,
    is_default: bool,
    is_active: bool,
    country: str,
) -> BusinessCalendar:
    """Change a calendar's own fields. Choosing a country seeds its holidays for this year and
    the next (hand-edited days stay). Turning 24/7 off needs weekly hours to exist."""
    fields = _clean_calendar_fields(code=code, name=name, time_zone=time_zone, country=country, exclude_pk=calendar.pk)
    country_added = fields["country"] and fields["country"] != calendar.country
    for key, value in {**fields, "is_24x7": is_24x7, "is_default": is_default, "is_active": is_active}.items():
        setattr(calendar, key, value)
    calendar.save(update_fields=[*fields, "is_24x7", "is_default", "is_active", "updated_at"])
    _recalculate_after(calendar)
    if is_default:
        _make_only_default(calendar)
    if country_added:
        _seed_country(calendar)
    _calendar_checked_touch(calendar)
    return calendar


def _clean_intervals(weekday: int, intervals: Iterable[tuple[time, time]]) -> list[tuple[time, time]]:
    if not 0 <= weekday <= 6:
        raise ValidationError({"weekday": _("The weekday must be 0 (Monday) to 6 (Sunday).")})
    cleaned = sorted((_whole_minute(start), _whole_minute(end)) for start, end in intervals)
    for start, end in cleaned:
        if end <= start:
            raise ValidationError(
                {"end": _("An interval must end after it starts (%(start)s–%(end)s).") % _pair(start, end)}
            )
    for (start_a, end_a), (start_b, end_b) in itertools.pairwise(cleaned):
        if start_b < end_a:
            raise ValidationError(
                {
                    "start": _("%(weekday)s: %(first)s overlaps %(second)s.")
                    % {
                        "weekday": _weekday_name(weekday),
                        "first": f"{start_a:%H:%M}–{end_a:%H:%M}",
                        "second": f"{start_b:%H:%M}–{end_b:%H:%M}",
                    }
                }
            )
    return cleaned


def _whole_minute(value: time) -> time:
    return value.replace(second=0, microsecond=0)


def _pair(start: time, end: time) -> dict[str, str]:
    return {"start": f"{start:%H:%M}", "end": f"{end:%H:%M}"}


def _refuse_24x7(calendar: BusinessCalendar) -> None:
    if calendar.is_24x7:
        raise ValidationError(_("A 24/7 calendar has no working hours or days to edit: every moment is working time."))


@transaction.atomic
def calendar_weekday_set(
    *, calendar: BusinessCalendar, weekday: int, intervals: Sequence[tuple[time, time]]
) -> list[WorkingInterval]:
    """Replace the working intervals of one weekday (empty: a day off). Raises ValidationError
    for an interval that does not end after it starts, overlapping intervals, or a week left
    without any working time."""
    _refuse_24x7(calendar)
    cleaned = _clean_intervals(weekday, intervals)
    # Two replacements of one weekday at once would each delete, then both insert.
    BusinessCalendar.objects.select_for_update().filter(pk=calendar.pk).first()
    calendar.intervals.filter(weekday=weekday).delete()
    created = WorkingInterval.objects.bulk_create(
        WorkingInterval(calendar=calendar, weekday=weekday, start=start, end=end) for start, end in cleaned
    )
    _calendar_checked_touch(calendar)
    return created


@transaction.atomic
def calendar_interval_add(*, calendar: BusinessCalendar, weekday: int, start: time, end: time) -> WorkingInterval:
    """Add one working interval to a weekday; it may not overlap the weekday's others."""
    _refuse_24x7(calendar)
    BusinessCalendar.objects.select_for_update().filter(pk=calendar.pk).first()  # one writer per week
    existing = [(i.start, i.end) for i in calendar.intervals.filter(weekday=weekday)]
    _clean_intervals(weekday, [*existing, (start, end)])
    interval = WorkingInterval.objects.create(
        calendar=calendar,
        weekday=weekday,
        start=_whole_minute(start),
        end=_whole_minute(end),
    )
    _calendar_checked_touch(calendar)
    return interval


@transaction.atomic
def calendar_interval_delete(*, calendar: BusinessCalendar, interval_id: int) -> None:
    """Remove one working interval of `calendar` (404-safe: another calendar's id is refused)."""
    deleted, _detail = WorkingInterval.objects.filter(calendar=calendar, pk=interval_id).delete()
    if not deleted:
        raise ValidationError(_("This interval no longer exists."))
    _calendar_checked_touch(calendar)


def clean_day_hours(raw: object) -> list[list[str]]:
    """[["09:00", "13:00"], ["14:00", "17:00"]] (or "09:00-13:00, 14:00-17:00") → a sorted list
    of [start, end] strings; raises ValidationError naming `hours` for anything else."""
    if raw in (None, "", []):
        return []
    pairs: list[tuple[str, str]] = []
    try:
        if isinstance(raw, str):
            for chunk in raw.replace(";", ",").split(","):
                if chunk.strip():
                    start, end = chunk.replace("–", "-").split("-")
                    pairs.append((start.strip(), end.strip()))
        elif isinstance(raw, list | tuple):
            for start, end in raw:
                pairs.append((str(start).strip(), str(end).strip()))
        else:
            raise ValueError(raw)
        minutes = sorted(parse_intervals(pairs))
        if len(minutes) != len(pairs):
            raise ValidationError({"hours": _("The intervals of a day may not overlap or touch.")})
    except (ValueError, TypeError) as exc:
        raise ValidationError(
            {"hours": _("Hours must look like 09:00-13:00, 14:00-17:00, each interval ending after it starts.")}
        ) from exc
    return [[f"{start // 60:02d}:{start % 60:02d}", f"{end // 60:02d}:{end % 60:02d}"] for start, end in minutes]


@transaction.atomic
def calendar_day_upsert(
    *,
    calendar: BusinessCalendar,
    day: date,
    kind: str,
    name: str = "",
    hours: object = None,
    shortened_by_minutes: int = 60,
    workday_pattern: int | None = None,
) -> CalendarDay:
    """Create or change the exception for `day`; the row is marked as edited by hand, so a
    re-seed of the year keeps it. A day off has no hours; a working day without own hours works
    like `workday_pattern` (default: its own weekday, Monday for a weekend day); a shortened day
    without own hours works its weekday's hours less `shortened_by_minutes`."""
    _refuse_24x7(calendar)
    if kind not in DayKind.values:
        raise ValidationError({"kind": _("Unknown kind of day.")})
    cleaned_hours = clean_day_hours(hours)
    if kind == DayKind.HOLIDAY and cleaned_hours:
        raise ValidationError({"hours": _("A day off has no working hours.")})
    if workday_pattern is None:
        workday_pattern = day.weekday() if day.weekday() < 5 else 0
    if not 0 <= workday_pattern <= 6:
        raise ValidationError({"workday_pattern": _("The weekday must be 0 (Monday) to 6 (Sunday).")})
    if not 0 <= shortened_by_minutes <= MAX_SHORTENING_MINUTES:
        raise ValidationError({"shortened_by_minutes": _("Shorten by 0 to 1440 minutes.")})
    if kind != DayKind.HOLIDAY and not cleaned_hours:
        week = calendar_spec(calendar).week
        base = week[workday_pattern] if kind == DayKind.WORKDAY else (week[day.weekday()] or week[workday_pattern])
        if kind == DayKind.SHORTENED:
            base = shorten(base, shortened_by_minutes)
        if not base:
            raise ValidationError(
                {
                    "hours": _(
                        "This day would have no working hours: %(weekday)s has none. Give the day its own hours."
                    )
                    % {"weekday": _weekday_name(workday_pattern if kind == DayKind.WORKDAY else day.weekday())}
                }
            )
    row, _created = CalendarDay.objects.update_or_create(
        calendar=calendar,
        day=day,
        defaults={
            "kind": kind,
            "name": (name or "").strip()[:200],
            "hours": cleaned_hours,
            "shortened_by_minutes": shortened_by_minutes,
            "workday_pattern": workday_pattern,
            "is_manual": True,
        },
    )
    _calendar_checked_touch(calendar)
    return row


@transaction.atomic
def calendar_day_delete(*, calendar: BusinessCalendar, day: date) -> None:
    """Remove the exception for `day`: the day follows the weekly schedule again. A re-seed of
    the year brings back an official day removed here; to override one for good, edit it."""
    deleted, _detail = CalendarDay.objects.filter(calendar=calendar, day=day).delete()
    if not deleted:
        raise ValidationError(_("This day is not in the calendar."))
    _calendar_checked_touch(calendar)


@transaction.atomic
def calendar_delete(*, calendar: BusinessCalendar) -> None:
    """Delete a calendar nobody counts time on, with its hours and days. Raises ValidationError
    for the default calendar (the one policies without a calendar of their own use, see
    sla.calendars.default_calendar) and for a calendar an SLA policy (active or not) or a site
    names. No deadline is counted on any other calendar, so nothing needs recalculating."""
    locked = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
    default = default_calendar()
    if default is not None and default.pk == locked.pk:
        raise ValidationError(_("The default calendar cannot be deleted: make another calendar the default first."))
    policies = list(locked.policies.order_by("order", "id").values_list("name", flat=True))
    if policies:
        raise ValidationError(
            ngettext(
                "The SLA policy %(names)s counts time on this calendar: choose another calendar for it first.",
                "The SLA policies %(names)s count time on this calendar: choose another calendar for them first.",
                min(len(policies), 2),  # the message names them without a number: one, or several
            )
            % {"names": ", ".join(f"“{name}”" for name in policies)}
        )
    sites = locked.sites.count()
    if sites:
        raise ValidationError(
            ngettext(
                "%(count)d site follows this calendar: choose another calendar for it first.",
                "%(count)d sites follow this calendar: choose another calendar for them first.",
                sites,
            )
            % {"count": sites}
        )
    locked.delete()


@transaction.atomic
def calendar_year_seed(*, calendar: BusinessCalendar, year: int) -> SeedCounts:
    """Seed the Russian production calendar of `year` into `calendar` (hand-edited days stay).
    When any day was added, changed or removed the open tickets' clocks are recalculated."""
    if calendar.is_24x7:
        raise ValidationError(_("A 24/7 calendar has no days to seed."))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError(
            _("Choose a year between %(first)d and %(last)d.") % {"first": FIRST_YEAR, "last": LAST_YEAR}
        )
    counts = russian_calendar_seed(calendar, year)
    if _seed_changed(counts):
        _recalculate_after(calendar)
    return counts


def _seed_changed(counts: SeedCounts) -> bool:
    return bool(counts.created or counts.updated or counts.deleted)


def calendars_seed_due_years(*, today: date | None = None) -> dict[str, SeedCounts]:
    """For every working-hours calendar with the Russian holidays: seed the next year on and
    after 1 December, and the current year when it has no days at all (a database migrated long
    ago). Idempotent, so the daily job may run any number of times. Returns counts by
    "<calendar code>:<year>"."""
    today = today or timezone.localdate()
    results: dict[str, SeedCounts] = {}
    calendars = BusinessCalendar.objects.filter(country=CalendarCountry.RUSSIA, is_24x7=False).order_by("pk")
    for calendar in calendars:
        years = [] if calendar.days.filter(day__year=today.year).exists() else [today.year]
        if today.month == 12:
            years.append(today.year + 1)
        for year in years:
            counts = results[f"{calendar.code}:{year}"] = russian_calendar_seed(calendar, year)
            if _seed_changed(counts):
                _recalculate_after(calendar)
    return results
