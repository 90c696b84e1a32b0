"""The bell's live poll and the profile's "Notifications" section."""

import re

import pytest
from django.test import Client

from notifications.choices import AlertKind
from notifications.models import Notification, NotificationSetting
from notifications.services import notify
from tests.factories import TeamFactory, UserFactory, make_ticket


@pytest.fixture
def anna(db):
    return UserFactory(email="anna@otklik.test", full_name="Анна", language="en")


@pytest.fixture
def browser(anna):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(anna)
    return client


def _cursor(html: str) -> int:
    return int(re.search(r'/notifications/live/\?after=(\d+)"', html).group(1))


def test_a_page_starts_the_poll_at_the_newest_unread_alert(browser, anna):
    # given two unread alerts and a read one
    ticket = make_ticket(title="Лифт", team=TeamFactory())  # in a team: no "new ticket" to triage
    _first, second = (notify(users=[anna], text=t, kind="sla_warning", ticket=ticket)[0] for t in ("A", "B"))
    notify(users=[anna], text="old", kind="sla_warning", ticket=ticket)
    Notification.objects.filter(text="old").update(read_at="2026-12-06T00:00:00Z")

    # when
    html = browser.get("/tickets/").content.decode()

    # then the bell counts two and polls after the newest unread one
    assert _cursor(html) == second.pk
    assert '<span class="bell-count">2</span>' in html
    assert 'id="toasts"' in html


def test_the_bell_counts_only_ones_own_unread_alerts(browser, anna):
    # given: no alert of one's own, two unread ones of a colleague
    ticket = make_ticket(title="Лифт", team=TeamFactory())  # in a team: no "new ticket" to triage
    notify(users=[UserFactory(), UserFactory()], text="A", kind="sla_warning", ticket=ticket)
    # when
    html = browser.get("/tickets/").content.decode()
    # then
    assert _cursor(html) == 0
    assert "bell-count" not in html


def test_an_idle_poll_is_one_query_and_no_content(browser, anna, django_assert_num_queries):
    # given nothing new since the page was drawn
    ticket = make_ticket(title="Лифт", team=TeamFactory())  # in a team: no "new ticket" to triage
    row = notify(users=[anna], text="A", kind="sla_warning", ticket=ticket)[0]
    browser.get("/tickets/")  # the session and user are loaded per request (2 queries): we measure the rest

    # when / then: session, user, and the one indexed lookup
    with django_assert_num_queries(3):
        response = browser.get(f"/notifications/live/?after={row.pk}")
    assert response.status_code == 204
    assert response.content == b""


def test_a_new_alert_comes_with_the_next_poll_as_a_toast_and_a_new_count(browser, anna, django_assert_num_queries):
    # given the page's cursor, then an assignment happens
    ticket = make_ticket(title="Лифт", team=TeamFactory())  # in a team: no "new ticket" to triage
    cursor = _cursor(browser.get("/tickets/").content.decode())
    other = UserFactory()
    from tickets.services import ticket_assign

    ticket_assign(ticket=ticket, actor=other, assignee=anna)
    alert = Notification.objects.get(user=anna)

    # when
    with django_assert_num_queries(4):  # session, user, the new rows (with their tickets), the count
        response = browser.get(f"/notifications/live/?after={cursor}")

    # then the bell has the new count and cursor, and the toast links the ticket
    html = response.content.decode()
    assert response.status_code == 200
    assert _cursor(html) == alert.pk
    assert '<span class="bell-count">1</span>' in html
    assert (
        f'<a class="toast" role="status" data-kind="ticket_assigned" href="/tickets/{ticket.number}/">'
        f"Ticket №{ticket.number} is assigned to you: Лифт</a>"
    ) in html
    assert browser.get(f"/notifications/live/?after={alert.pk}").status_code == 204


def test_a_poll_with_a_bad_cursor_is_refused_and_clients_cannot_poll(browser, db):
    # when / then
    assert browser.get("/notifications/live/?after=abc").status_code == 400
    outsider = Client()
    assert outsider.get("/notifications/live/?after=0").status_code == 302


def test_the_profile_shows_the_settings_with_defaults(browser):
    # when
    response = browser.get("/accounts/profile/")

    # then every kind is on in the app; all but "new ticket" by email; none by Telegram
    form = response.context["alerts_form"]
    assert {name: field.initial for name, field in form.fields.items() if name.endswith("-email")} == {
        "ticket_new-email": False,
        "ticket_assigned-email": True,
        "client_replied-email": True,
        "sla_warning-email": True,
        "sla_breach-email": True,
        "sla_escalation-email": True,
        "rule-email": True,
        "rule_escalation-email": True,
        "delivery_failed-email": True,
    }
    assert all(field.initial for name, field in form.fields.items() if name.endswith("-enabled"))
    assert not any(field.initial for name, field in form.fields.items() if name.endswith("-telegram"))
    html = response.content.decode()
    assert 'id="notifications"' in html
    assert "No Telegram bot is set up yet" in html


def test_saving_the_settings_stores_each_kind(browser, anna):
    # given: only assignments by email and Telegram, new tickets in the app, SLA warnings off
    data = {"ticket_new-enabled": "on", "ticket_assigned-enabled": "on", "ticket_assigned-email": "on"}
    data |= {"ticket_assigned-telegram": "on", "client_replied-enabled": "on", "sla_breach-enabled": "on"}
    data |= {"sla_warning-email": "on", "sla_escalation-enabled": "on"}  # email of a kind that is off
    data |= {"rule-enabled": "on", "rule-telegram": "on"}  # rule_escalation: left out, so off

    # when
    response = browser.post("/notifications/settings/", data)

    # then
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/#notifications"
    stored = {row.kind: (row.enabled, row.email, row.telegram) for row in NotificationSetting.objects.filter(user=anna)}
    assert stored == {
        AlertKind.TICKET_NEW: (True, False, False),
        AlertKind.TICKET_ASSIGNED: (True, True, True),
        AlertKind.CLIENT_REPLIED: (True, False, False),
        AlertKind.SLA_WARNING: (False, False, False),
        AlertKind.SLA_BREACH: (True, False, False),
        AlertKind.SLA_ESCALATION: (True, False, False),
        AlertKind.RULE: (True, False, True),
        AlertKind.RULE_ESCALATION: (False, False, False),
        AlertKind.DELIVERY_FAILED: (False, False, False),  # left out, so off
    }
    page = browser.get("/accounts/profile/")
    assert page.context["alerts_form"]["ticket_assigned-telegram"].initial is True
    assert "Notification settings saved." in page.content.decode()


def test_the_profile_page_shows_the_section_in_russian(anna):
    # given
    anna.language = "ru"
    anna.save()
    client = Client()
    client.force_login(anna)

    # when
    html = client.get("/accounts/profile/").content.decode()

    # then
    assert "Новая заявка в моих командах" in html
    assert "Сохранить настройки уведомлений" in html
