"""Business calendar pages: who may open them, and editing the week, the days and the calendar."""

from datetime import date, time

import pytest
from django.test import Client

from accounts.choices import Role
from sla.calendar_services import calendar_create, calendar_day_upsert
from sla.models import BusinessCalendar, CalendarDay, DayKind
from tests.factories import ClientUserFactory, UserFactory


@pytest.fixture
def login(db):
    def make(user):
        browser = Client(headers={"Accept-Language": "en"})
        browser.force_login(user)
        return browser

    return make


@pytest.fixture
def admin_user(db):
    return UserFactory(email="admin@otklik.test", full_name="Админ", role=Role.ADMIN, language="en")


@pytest.fixture
def supervisor(db):
    return UserFactory(email="sv@otklik.test", full_name="Старшая", role=Role.SUPERVISOR, language="en")


@pytest.fixture
def browser(login, admin_user):
    return login(admin_user)


@pytest.fixture
def calendar(db):
    return calendar_create(code="office", name="Офис", time_zone="Europe/Moscow")


def urls(calendar):
    return [
        "/sla/calendars/",
        "/sla/calendars/new/",
        f"/sla/calendars/{calendar.pk}/",
        f"/sla/calendars/{calendar.pk}/edit/",
        f"/sla/calendars/{calendar.pk}/try/?start=2025-10-31T16:00&hours=8&minutes=0",
        f"/sla/calendars/{calendar.pk}/days/",
    ]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SUPERVISOR])
def test_admins_and_supervisors_open_every_page(login, calendar, role):
    browser = login(UserFactory(role=role, language="en"))
    for url in urls(calendar):
        assert browser.get(url).status_code == 200, url


@pytest.mark.parametrize("role", [Role.AGENT, Role.ENGINEER, Role.CONTRACTOR])
def test_other_staff_are_refused(login, calendar, role):
    browser = login(UserFactory(role=role, language="en"))
    for url in urls(calendar):
        assert browser.get(url).status_code == 403, url
    assert browser.post(f"/sla/calendars/{calendar.pk}/seed/", {"year": 2025}).status_code == 403
    assert not CalendarDay.objects.filter(calendar=calendar, day__year=2025).exists()


def test_clients_go_to_the_portal_and_strangers_to_the_login(login, calendar):
    client_browser = login(ClientUserFactory(language="en"))
    response = client_browser.get("/sla/calendars/")
    assert response.status_code == 302 and response["Location"].startswith("/portal")
    anonymous = Client().get(f"/sla/calendars/{calendar.pk}/")
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]


def test_the_sla_index_links_to_the_calendars(browser):
    assert 'href="/sla/calendars/"' in browser.get("/sla/").content.decode()


def test_the_list_shows_the_default_calendars_in_few_queries(browser, django_assert_max_num_queries, calendar):
    with django_assert_max_num_queries(8):
        page = browser.get("/sla/calendars/").content.decode()
    assert "Производственный календарь РФ (Москва)" in page
    assert "24/7" in page
    assert "Офис" in page


def test_create_a_calendar_with_the_russian_holidays(browser):
    # when
    response = browser.post(
        "/sla/calendars/new/",
        {"name": "Новосибирск", "code": "nsk", "time_zone": "Asia/Novosibirsk", "country": "RU", "is_active": "on"},
    )
    # then
    created = BusinessCalendar.objects.get(code="nsk")
    assert response["Location"] == f"/sla/calendars/{created.pk}/"
    assert (created.time_zone, created.country, created.is_default) == ("Asia/Novosibirsk", "RU", False)
    assert created.intervals.count() == 5
    this_year = date.today().year
    assert set(created.days.values_list("day__year", flat=True)) == {this_year, this_year + 1}


def test_bad_calendar_input_is_explained_and_nothing_is_saved(browser, calendar):
    response = browser.post(
        "/sla/calendars/new/", {"name": "Дубль", "code": "office", "time_zone": "Europe/Moscow", "country": ""}
    )
    assert response.status_code == 200
    assert "Another calendar already has this code." in response.content.decode()
    assert BusinessCalendar.objects.filter(code="office").count() == 1


def test_making_a_calendar_the_default_takes_the_flag_from_the_previous_one(browser, calendar):
    browser.post(
        f"/sla/calendars/{calendar.pk}/edit/",
        {"name": "Офис", "code": "office", "time_zone": "Europe/Moscow", "is_default": "on", "is_active": "on"},
    )
    assert list(BusinessCalendar.objects.filter(is_default=True).values_list("code", flat=True)) == ["office"]


def test_add_and_remove_working_intervals(browser, calendar):
    # when a lunch break is made on Monday
    monday = calendar.intervals.get(weekday=0)
    browser.post(f"/sla/calendars/{calendar.pk}/intervals/{monday.pk}/delete/")
    browser.post(f"/sla/calendars/{calendar.pk}/intervals/", {"weekday": 0, "start": "09:00", "end": "13:00"})
    browser.post(f"/sla/calendars/{calendar.pk}/intervals/", {"weekday": 0, "start": "14:00", "end": "18:00"})
    # then
    assert [(i.start, i.end) for i in calendar.intervals.filter(weekday=0)] == [
        (time(9), time(13)),
        (time(14), time(18)),
    ]
    page = browser.get(f"/sla/calendars/{calendar.pk}/").content.decode()
    assert "09:00–13:00" in page and "14:00–18:00" in page


def test_overlapping_or_backwards_intervals_are_refused(browser, calendar):
    before = list(calendar.intervals.values_list("weekday", "start", "end"))
    overlap = browser.post(
        f"/sla/calendars/{calendar.pk}/intervals/", {"weekday": 0, "start": "17:00", "end": "19:00"}, follow=True
    )
    assert "Monday: 09:00–18:00 overlaps 17:00–19:00." in overlap.content.decode()
    backwards = browser.post(
        f"/sla/calendars/{calendar.pk}/intervals/", {"weekday": 5, "start": "12:00", "end": "10:00"}, follow=True
    )
    assert "An interval must end after it starts (12:00–10:00)." in backwards.content.decode()
    assert list(calendar.intervals.values_list("weekday", "start", "end")) == before


def test_the_last_working_interval_cannot_be_removed(browser, db):
    lonely = calendar_create(code="lonely", name="Один день", time_zone="Europe/Moscow")
    for interval in list(lonely.intervals.all())[1:]:
        browser.post(f"/sla/calendars/{lonely.pk}/intervals/{interval.pk}/delete/")
    last = lonely.intervals.get()
    response = browser.post(f"/sla/calendars/{lonely.pk}/intervals/{last.pk}/delete/", follow=True)
    assert "The calendar would have no working time at all." in response.content.decode()
    assert lonely.intervals.count() == 1


def test_interval_changes_move_the_calendar_version(browser, calendar):
    calendar.refresh_from_db()
    before = calendar.updated_at
    browser.post(f"/sla/calendars/{calendar.pk}/intervals/", {"weekday": 5, "start": "10:00", "end": "14:00"})
    calendar.refresh_from_db()
    assert calendar.updated_at > before


def test_add_edit_and_delete_an_exceptional_day(browser, calendar):
    # when a shortened day with own hours is added
    response = browser.post(
        f"/sla/calendars/{calendar.pk}/days/",
        {
            "day": "2025-07-15",
            "kind": "shortened",
            "name": "День города",
            "hours": "09:00-13:00, 14:00-16:00",
            "shortened_by_minutes": 60,
            "workday_pattern": "",
        },
    )
    assert response["Location"] == f"/sla/calendars/{calendar.pk}/?year=2025"
    row = CalendarDay.objects.get(calendar=calendar, day=date(2025, 7, 15))
    assert (row.kind, row.hours, row.is_manual, row.workday_pattern) == (
        DayKind.SHORTENED,
        [["09:00", "13:00"], ["14:00", "16:00"]],
        True,
        1,
    )
    assert "День города" in browser.get(f"/sla/calendars/{calendar.pk}/?year=2025").content.decode()
    # when it is edited into a day off (the date itself stays)
    edit_url = f"/sla/calendars/{calendar.pk}/days/2025-07-15/"
    assert browser.get(edit_url).status_code == 200
    browser.post(
        edit_url,
        {"day": "2030-01-01", "kind": "holiday", "name": "Выходной", "hours": "", "shortened_by_minutes": 60},
    )
    row.refresh_from_db()
    assert (row.day, row.kind, row.hours, row.name) == (date(2025, 7, 15), DayKind.HOLIDAY, [], "Выходной")
    # when it is deleted
    browser.post(f"/sla/calendars/{calendar.pk}/days/2025-07-15/delete/")
    assert not CalendarDay.objects.filter(calendar=calendar, day=date(2025, 7, 15)).exists()


def test_bad_day_input_is_explained_and_nothing_is_saved(browser, calendar):
    response = browser.post(
        f"/sla/calendars/{calendar.pk}/days/",
        {"day": "2025-07-15", "kind": "workday", "hours": "18:00-09:00", "shortened_by_minutes": 60},
    )
    assert response.status_code == 200
    assert "Hours must look like 09:00-13:00, 14:00-17:00" in response.content.decode()
    day_off_with_hours = browser.post(
        f"/sla/calendars/{calendar.pk}/days/",
        {"day": "2025-07-15", "kind": "holiday", "hours": "09:00-10:00", "shortened_by_minutes": 60},
    )
    assert "A day off has no working hours." in day_off_with_hours.content.decode()
    saturday = browser.post(
        f"/sla/calendars/{calendar.pk}/days/",
        {"day": "2025-07-19", "kind": "workday", "workday_pattern": "6", "shortened_by_minutes": 60},
    )
    assert "This day would have no working hours: Sunday has none." in saturday.content.decode()
    assert not CalendarDay.objects.filter(calendar=calendar).exists()


def test_seed_a_year_keeps_hand_edited_days(browser, calendar):
    # given a day edited by hand
    calendar_day_upsert(calendar=calendar, day=date(2025, 11, 4), kind=DayKind.WORKDAY, name="Дежурство")
    # when
    response = browser.post(f"/sla/calendars/{calendar.pk}/seed/", {"year": 2025}, follow=True)
    # then
    page = response.content.decode()
    assert "The Russian production calendar for 2025:" in page
    assert "1 edited by hand kept" in page
    assert CalendarDay.objects.get(calendar=calendar, day=date(2025, 11, 4)).kind == DayKind.WORKDAY
    assert CalendarDay.objects.get(calendar=calendar, day=date(2025, 11, 3)).kind == DayKind.HOLIDAY
    assert CalendarDay.objects.get(calendar=calendar, day=date(2025, 11, 1)).kind == DayKind.SHORTENED


def test_seeding_a_nonsense_year_is_refused(browser, calendar):
    response = browser.post(f"/sla/calendars/{calendar.pk}/seed/", {"year": 3000}, follow=True)
    assert response.status_code == 200
    assert not CalendarDay.objects.filter(calendar=calendar).exists()


def test_try_it_computes_the_due_moment(browser, calendar):
    # given the 2025 calendar: Saturday 1 November is a shortened working day
    browser.post(f"/sla/calendars/{calendar.pk}/seed/", {"year": 2025})
    # when (htmx fragment)
    fragment = browser.get(
        f"/sla/calendars/{calendar.pk}/try/",
        {"start": "2025-10-31T16:00", "hours": 8, "minutes": 0},
        headers={"HX-Request": "true"},
    )
    # then
    body = fragment.content.decode()
    assert '<strong data-testid="try-due">Sat 01.11.2025 15:00</strong>' in body
    assert "<h1" not in body
    # and without htmx the whole page answers
    page = browser.get(f"/sla/calendars/{calendar.pk}/try/", {"start": "2025-10-31T16:00", "hours": 16})
    assert '<strong data-testid="try-due">Wed 05.11.2025 15:00</strong>' in page.content.decode()


def test_try_it_with_bad_input_says_so(browser, calendar):
    fragment = browser.get(
        f"/sla/calendars/{calendar.pk}/try/", {"start": "yesterday", "hours": -1}, headers={"HX-Request": "true"}
    )
    assert fragment.status_code == 200
    assert "try-due" not in fragment.content.decode()
    assert "Enter a valid date/time." in fragment.content.decode()


def test_a_24x7_calendar_page_has_nothing_to_edit(browser):
    always = BusinessCalendar.objects.get(code="24x7")
    page = browser.get(f"/sla/calendars/{always.pk}/").content.decode()
    assert "Round the clock" in page
    assert "Seed the Russian calendar" not in page
    response = browser.post(f"/sla/calendars/{always.pk}/seed/", {"year": 2025}, follow=True)
    assert "A 24/7 calendar has no days to seed." in response.content.decode()


def test_unknown_calendar_is_404(browser):
    assert browser.get("/sla/calendars/999999/").status_code == 404
    assert browser.post("/sla/calendars/999999/seed/", {"year": 2025}).status_code == 404
