"""Business calendar pages: the list, the calendar's week and days, seeding a year of the Russian
production calendar, and a "try it" form that computes a deadline with the calendar's clock.
Views parse input and call one service of sla.calendar_services (sla/urls.py collects
`urlpatterns`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.forms import form_add_service_errors
from core.http import AuthedHttpRequest
from sla import calendar_services as services
from sla.business_time import CalendarHasNoWorkingTime
from sla.calendar_forms import WEEKDAYS, CalendarForm, DayForm, IntervalForm, SeedForm, TryForm
from sla.calendars import clock_for
from sla.models import BusinessCalendar, CalendarCountry, CalendarDay
from sla.views.common import sla_manager_required

CALENDAR_FIELDS = ("name", "code", "time_zone", "country", "is_24x7", "is_default", "is_active")


def _calendar(pk: int) -> BusinessCalendar:
    return get_object_or_404(BusinessCalendar, pk=pk)


def _year(raw: str | None, default: int) -> int:
    try:
        year = int(raw or default)
    except ValueError:
        return default
    return year if 1992 <= year <= 2100 else default


@sla_manager_required
def calendar_list(request: AuthedHttpRequest) -> HttpResponse:
    this_year = timezone.localdate().year
    calendars = BusinessCalendar.objects.annotate(
        interval_count=Count("intervals", distinct=True),
        day_count=Count("days", filter=Q(days__day__year=this_year), distinct=True),
    ).order_by("-is_default", "name")
    return render(request, "sla/calendars/list.html", {"calendars": calendars, "this_year": this_year, "nav": "sla"})


def _calendar_form_page(request: AuthedHttpRequest, calendar: BusinessCalendar | None) -> HttpResponse:
    initial = {field: getattr(calendar, field) for field in CALENDAR_FIELDS} if calendar else None
    form = CalendarForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {field: form.cleaned_data[field] for field in CALENDAR_FIELDS}
        data["country"] = data["country"] or ""
        try:
            if calendar is None:
                calendar = services.calendar_create(**data)
            else:
                calendar = services.calendar_update(calendar=calendar, **data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("sla:calendar_detail", pk=calendar.pk)
    title = calendar.name if calendar else _("New business calendar")
    context = {"form": form, "title": title, "calendar": calendar, "nav": "sla"}
    return render(request, "sla/calendars/form.html", context)


@sla_manager_required
def calendar_create(request: AuthedHttpRequest) -> HttpResponse:
    return _calendar_form_page(request, None)


@sla_manager_required
def calendar_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _calendar_form_page(request, _calendar(pk))


def _try_context(calendar: BusinessCalendar, form: TryForm) -> dict[str, Any]:
    """The due moment for the "try it" form, or the reason there is none."""
    if not form.is_bound or not form.is_valid():
        return {"try_form": form}
    zone = ZoneInfo(calendar.time_zone)
    start = form.start_in(zone)
    duration = timedelta(hours=form.cleaned_data["hours"], minutes=form.cleaned_data["minutes"] or 0)
    clock = clock_for(calendar)
    try:
        due = clock.add(start, duration)
    except (CalendarHasNoWorkingTime, OverflowError, ValueError):
        form.add_error(None, _("No deadline: the calendar has no working time that far ahead."))
        return {"try_form": form}
    return {
        "try_form": form,
        "try_start": start,
        "try_due": due.astimezone(zone),
        "try_duration": duration,
        "try_started_in_working_time": clock.is_working(start),
    }


def _detail_context(request: AuthedHttpRequest, calendar: BusinessCalendar, **extra: Any) -> dict[str, Any]:
    this_year = timezone.localdate().year
    year = _year(request.GET.get("year"), this_year)
    week: dict[int, list[Any]] = {weekday: [] for weekday, _label in WEEKDAYS}
    for interval in calendar.intervals.all():
        week[interval.weekday].append(interval)
    days = list(CalendarDay.objects.filter(calendar=calendar, day__year=year).order_by("day"))
    labels = dict(WEEKDAYS)
    for row in days:
        row.pattern_label = labels.get(row.workday_pattern, "")  # type: ignore[attr-defined]
    now_local = timezone.now().astimezone(ZoneInfo(calendar.time_zone)).replace(second=0, microsecond=0)
    context: dict[str, Any] = {
        "calendar": calendar,
        "week": [(weekday, label, week[weekday]) for weekday, label in WEEKDAYS],
        "interval_form": IntervalForm(),
        "day_form": DayForm(initial={"day": date(year, 1, 1) if year != this_year else timezone.localdate()}),
        "seed_form": SeedForm(initial={"year": year}),
        "year": year,
        "years": [year - 1, year, year + 1],
        "days": days,
        "day_counts": {kind: sum(1 for d in days if d.kind == kind) for kind in ("holiday", "workday", "shortened")},
        "can_seed": not calendar.is_24x7,
        "is_russian": calendar.country == CalendarCountry.RUSSIA,
        "nav": "sla",
    }
    context.update(_try_context(calendar, TryForm(initial={"start": now_local.replace(tzinfo=None), "hours": 8})))
    context.update(extra)
    return context


@sla_manager_required
def calendar_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    calendar = _calendar(pk)
    return render(request, "sla/calendars/detail.html", _detail_context(request, calendar))


@sla_manager_required
def calendar_try(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The deadline for a start and a duration: a fragment for htmx, the whole page otherwise."""
    calendar = _calendar(pk)
    context = _try_context(calendar, TryForm(request.GET))
    if request.headers.get("HX-Request") == "true":
        return render(request, "sla/calendars/_try.html", {**context, "calendar": calendar})
    return render(request, "sla/calendars/detail.html", _detail_context(request, calendar, **context))


def _back(calendar: BusinessCalendar, year: int | None = None) -> HttpResponse:
    response = redirect("sla:calendar_detail", pk=calendar.pk)
    if year:
        response["Location"] += f"?year={year}"
    return response


def _report_errors(request: AuthedHttpRequest, errors: ValidationError | dict[str, Any]) -> None:
    if isinstance(errors, ValidationError):
        texts = errors.messages
    else:
        texts = [str(message) for field_errors in errors.values() for message in field_errors]
    for text in texts:
        messages.error(request, text)


@require_POST
@sla_manager_required
def calendar_interval_add(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    calendar = _calendar(pk)
    form = IntervalForm(request.POST)
    if not form.is_valid():
        _report_errors(request, form.errors)
        return _back(calendar)
    try:
        services.calendar_interval_add(calendar=calendar, **form.cleaned_data)
    except ValidationError as exc:
        _report_errors(request, exc)
    else:
        messages.success(request, _("Working hours saved."))
    return _back(calendar)


@require_POST
@sla_manager_required
def calendar_interval_delete(request: AuthedHttpRequest, pk: int, interval_pk: int) -> HttpResponse:
    calendar = _calendar(pk)
    try:
        services.calendar_interval_delete(calendar=calendar, interval_id=interval_pk)
    except ValidationError as exc:
        _report_errors(request, exc)
    else:
        messages.success(request, _("Working hours saved."))
    return _back(calendar)


@sla_manager_required
def calendar_day_edit(request: AuthedHttpRequest, pk: int, day: str | None = None) -> HttpResponse:
    """Add an exceptional day (POST without a day in the address) or change one."""
    calendar = _calendar(pk)
    row = None
    if day is not None:
        try:
            row = get_object_or_404(CalendarDay, calendar=calendar, day=date.fromisoformat(day))
        except ValueError:
            return redirect("sla:calendar_detail", pk=calendar.pk)
    initial = None
    if row is not None:
        initial = {
            "day": row.day,
            "kind": row.kind,
            "name": row.name,
            "hours": ", ".join(f"{start}-{end}" for start, end in row.hours),
            "shortened_by_minutes": row.shortened_by_minutes,
            "workday_pattern": row.workday_pattern,
        }
    form = DayForm(request.POST or None, initial=initial or {"day": request.GET.get("day") or None})
    if row is not None:
        form.fields["day"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.calendar_day_upsert(
                calendar=calendar,
                day=data["day"],
                kind=data["kind"],
                name=data["name"],
                hours=data["hours"],
                shortened_by_minutes=data["shortened_by_minutes"],
                workday_pattern=data["workday_pattern"],
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("%(date)s saved.") % {"date": f"{data['day']:%d.%m.%Y}"})
            return _back(calendar, data["day"].year)
    title = _("Day %(date)s") % {"date": f"{row.day:%d.%m.%Y}"} if row else _("New exceptional day")
    context = {"form": form, "calendar": calendar, "row": row, "title": title, "nav": "sla"}
    return render(request, "sla/calendars/day_form.html", context)


@require_POST
@sla_manager_required
def calendar_day_delete(request: AuthedHttpRequest, pk: int, day: str) -> HttpResponse:
    calendar = _calendar(pk)
    try:
        when = date.fromisoformat(day)
        services.calendar_day_delete(calendar=calendar, day=when)
    except ValueError:
        messages.error(request, _("This day is not in the calendar."))
        return _back(calendar)
    except ValidationError as exc:
        _report_errors(request, exc)
        return _back(calendar, when.year)
    messages.success(request, _("%(date)s follows the weekly schedule again.") % {"date": f"{when:%d.%m.%Y}"})
    return _back(calendar, when.year)


@require_POST
@sla_manager_required
def calendar_seed(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    calendar = _calendar(pk)
    form = SeedForm(request.POST)
    if not form.is_valid():
        _report_errors(request, form.errors)
        return _back(calendar)
    year = form.cleaned_data["year"]
    try:
        counts = services.calendar_year_seed(calendar=calendar, year=year)
    except ValidationError as exc:
        _report_errors(request, exc)
    else:
        messages.success(
            request,
            _(
                "The Russian production calendar for %(year)d: %(created)d days added, %(updated)d updated, "
                "%(deleted)d removed, %(kept)d edited by hand kept."
            )
            % {
                "year": year,
                "created": counts.created,
                "updated": counts.updated,
                "deleted": counts.deleted,
                "kept": counts.kept_manual,
            },
        )
    return _back(calendar, year)


urlpatterns: list[URLPattern] = [
    path("calendars/", calendar_list, name="calendar_list"),
    path("calendars/new/", calendar_create, name="calendar_create"),
    path("calendars/<int:pk>/", calendar_detail, name="calendar_detail"),
    path("calendars/<int:pk>/edit/", calendar_edit, name="calendar_edit"),
    path("calendars/<int:pk>/try/", calendar_try, name="calendar_try"),
    path("calendars/<int:pk>/seed/", calendar_seed, name="calendar_seed"),
    path("calendars/<int:pk>/intervals/", calendar_interval_add, name="calendar_interval_add"),
    path(
        "calendars/<int:pk>/intervals/<int:interval_pk>/delete/",
        calendar_interval_delete,
        name="calendar_interval_delete",
    ),
    path("calendars/<int:pk>/days/", calendar_day_edit, name="calendar_day_add"),
    path("calendars/<int:pk>/days/<str:day>/", calendar_day_edit, name="calendar_day_edit"),
    path("calendars/<int:pk>/days/<str:day>/delete/", calendar_day_delete, name="calendar_day_delete"),
]
