"""/api/v1/sla/calendars/…: business calendars, their weekly hours and exceptional days (staff
other than contractors read; administrators and supervisors write). Every write is one service
of sla.calendar_services, which checks the input and recalculates the open tickets' deadlines
(docs/architecture/sla-policies.md)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from api.permissions import ReadsOrManagesSla
from api.serializers.sla import (
    BusinessCalendarDetailOutputSerializer,
    BusinessCalendarInputSerializer,
    BusinessCalendarOutputSerializer,
    BusinessCalendarUpdateInputSerializer,
    CalendarDayInputSerializer,
    CalendarDaySerializer,
    CalendarDetailParamsSerializer,
    CalendarSeedInputSerializer,
    CalendarSeedOutputSerializer,
    CalendarWeekdayInputSerializer,
    CalendarWeekdayOutputSerializer,
)
from api.views.base import ApiView
from sla import calendar_services
from sla.models import BusinessCalendar
from sla.policy_selectors import business_calendar_get, business_calendar_list, calendar_day_get

CALENDAR_FIELDS = ("code", "name", "time_zone", "is_24x7", "is_default", "is_active", "country")
RECALCULATES = "The open tickets' deadlines are recalculated in the background."
WEEKDAY = OpenApiParameter("weekday", int, OpenApiParameter.PATH, description="0 = Monday … 6 = Sunday.")
DAY = OpenApiParameter("day", OpenApiTypes.DATE, OpenApiParameter.PATH, description="YYYY-MM-DD.")


class _CalendarView(ApiView):
    permission_classes = [IsAuthenticated, ReadsOrManagesSla]

    def calendar_output(self, calendar_id: int, *, year: int | None = None, status: int = 200) -> Response:
        """The calendar as it is stored now, with the exceptional days of `year` (this year)."""
        calendar = business_calendar_get(calendar_id=calendar_id, with_days=True)
        context = {**self.get_serializer_context(), "year": year or timezone.localdate().year}
        return Response(BusinessCalendarDetailOutputSerializer(calendar, context=context).data, status=status)


class BusinessCalendarListView(_CalendarView):
    pagination_class = None
    input_serializer_class = BusinessCalendarInputSerializer
    output_serializer_class = BusinessCalendarOutputSerializer

    @extend_schema(
        tags=["sla"],
        summary="List business calendars (staff)",
        description="Calendars with their weekly working hours. Not paginated.",
        responses=BusinessCalendarOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        calendars = business_calendar_list()
        return Response(
            BusinessCalendarOutputSerializer(calendars, many=True, context=self.get_serializer_context()).data
        )

    @extend_schema(
        tags=["sla"],
        summary="Create a business calendar (administrators, supervisors)",
        description="A working-hours calendar starts with Monday–Friday 09:00–18:00 (change it with "
        "`PUT …/weekdays/{weekday}/`); with `country` `RU` it gets the Russian production calendar for this "
        "year and the next.",
        responses={201: BusinessCalendarDetailOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        calendar = calendar_services.calendar_create(**self.validated_input())
        return self.calendar_output(calendar.pk, status=201)


class BusinessCalendarDetailView(_CalendarView):
    input_serializer_class = BusinessCalendarUpdateInputSerializer
    output_serializer_class = BusinessCalendarDetailOutputSerializer

    @extend_schema(
        tags=["sla"],
        summary="Read a business calendar (staff)",
        description="Weekly hours and the exceptional days (holidays, transferred and shortened days) of `year`.",
        parameters=[CalendarDetailParamsSerializer],
    )
    def get(self, request: Request, calendar_id: int) -> Response:
        params = self.validated_input(data=request.query_params, serializer_class=CalendarDetailParamsSerializer)
        return self.calendar_output(calendar_id, year=params.get("year"))

    @extend_schema(
        tags=["sla"],
        summary="Change a business calendar (administrators, supervisors)",
        description="Every field optional. Choosing `country` `RU` seeds this year and the next (days edited by "
        "hand stay). " + RECALCULATES,
        responses=BusinessCalendarDetailOutputSerializer,
    )
    def patch(self, request: Request, calendar_id: int) -> Response:
        calendar = business_calendar_get(calendar_id=calendar_id)
        data = self.validated_input()
        if data:
            fields: dict[str, Any] = {name: data.get(name, getattr(calendar, name)) for name in CALENDAR_FIELDS}
            calendar_services.calendar_update(calendar=calendar, **fields)
        return self.calendar_output(calendar_id)

    @extend_schema(
        tags=["sla"],
        summary="Delete a business calendar (administrators, supervisors)",
        description="Refused (400) for the default calendar and for a calendar an SLA policy or a site uses.",
        responses={204: None},
    )
    def delete(self, request: Request, calendar_id: int) -> Response:
        calendar_services.calendar_delete(calendar=business_calendar_get(calendar_id=calendar_id))
        return Response(status=204)


class CalendarWeekdayView(_CalendarView):
    input_serializer_class = CalendarWeekdayInputSerializer
    output_serializer_class = CalendarWeekdayOutputSerializer

    def weekday_output(self, calendar: BusinessCalendar, weekday: int) -> Response:
        intervals = calendar.intervals.filter(weekday=weekday).order_by("start")
        return self.output({"weekday": weekday, "intervals": intervals})

    @extend_schema(tags=["sla"], summary="Read one weekday's working hours (staff)", parameters=[WEEKDAY])
    def get(self, request: Request, calendar_id: int, weekday: int) -> Response:
        return self.weekday_output(business_calendar_get(calendar_id=calendar_id), weekday)

    @extend_schema(
        tags=["sla"],
        summary="Replace one weekday's working hours (administrators, supervisors)",
        description="The intervals replace what the weekday had; [] makes it a day off. Refused (400) for "
        "intervals that overlap or do not end after they start, for a 24/7 calendar, and when the week would "
        "have no working time at all. " + RECALCULATES,
        parameters=[WEEKDAY],
        responses=CalendarWeekdayOutputSerializer,
    )
    def put(self, request: Request, calendar_id: int, weekday: int) -> Response:
        calendar = business_calendar_get(calendar_id=calendar_id)
        intervals = [(row["start"], row["end"]) for row in self.validated_input()["intervals"]]
        try:
            calendar_services.calendar_weekday_set(calendar=calendar, weekday=weekday, intervals=intervals)
        except ValidationError as exc:
            # The service names the form's `start`/`end` fields; here they are items of `intervals`.
            if hasattr(exc, "error_dict") and set(exc.error_dict) <= {"start", "end"}:
                raise ValidationError({"intervals": exc.messages}) from exc
            raise
        return self.weekday_output(calendar, weekday)


class CalendarDayView(_CalendarView):
    input_serializer_class = CalendarDayInputSerializer
    output_serializer_class = CalendarDaySerializer

    @extend_schema(tags=["sla"], summary="Read an exceptional day (staff)", parameters=[DAY])
    def get(self, request: Request, calendar_id: int, day: date) -> Response:
        return self.output(calendar_day_get(calendar=business_calendar_get(calendar_id=calendar_id), day=day))

    @extend_schema(
        tags=["sla"],
        summary="Set an exceptional day (administrators, supervisors)",
        description="A holiday, a transferred working day or a shortened day, created or replaced; it is marked as "
        "edited by hand, so seeding the year again keeps it. Refused (400) for a holiday with hours, hours that "
        "overlap or do not end after they start, and a working day that would have no hours. " + RECALCULATES,
        parameters=[DAY],
        responses=CalendarDaySerializer,
    )
    def put(self, request: Request, calendar_id: int, day: date) -> Response:
        calendar = business_calendar_get(calendar_id=calendar_id)
        row = calendar_services.calendar_day_upsert(calendar=calendar, day=day, **self.validated_input())
        return self.output(row)

    @extend_schema(
        tags=["sla"],
        summary="Remove an exceptional day (administrators, supervisors)",
        description="The day follows the weekly hours again. Seeding its year again brings an official day "
        "back. " + RECALCULATES,
        parameters=[DAY],
        responses={204: None},
    )
    def delete(self, request: Request, calendar_id: int, day: date) -> Response:
        calendar = business_calendar_get(calendar_id=calendar_id)
        calendar_day_get(calendar=calendar, day=day)  # a day without an exception is a 404, not a 400
        calendar_services.calendar_day_delete(calendar=calendar, day=day)
        return Response(status=204)


class CalendarSeedView(_CalendarView):
    input_serializer_class = CalendarSeedInputSerializer
    output_serializer_class = CalendarSeedOutputSerializer

    @extend_schema(
        tags=["sla"],
        summary="Seed a year of the Russian production calendar (administrators, supervisors)",
        description="Adds the year's holidays, transferred working days and shortened pre-holiday days; days "
        "edited by hand stay. Running it again changes nothing. Refused (400) for a 24/7 calendar. When a day "
        "changed, the open tickets' deadlines are recalculated in the background.",
        responses=CalendarSeedOutputSerializer,
    )
    def post(self, request: Request, calendar_id: int) -> Response:
        calendar = business_calendar_get(calendar_id=calendar_id)
        year = self.validated_input()["year"]
        counts = calendar_services.calendar_year_seed(calendar=calendar, year=year)
        return self.output({"year": year, **counts.as_dict()})
