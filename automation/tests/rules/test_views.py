"""The rule editor: administrators only; rows as forms; try it without changing anything."""

import pytest
from django.test import Client
from django.utils import translation

from accounts.choices import Role
from automation.models import Rule
from automation.tests.rules.helpers import act, cond, make_rule
from tests.factories import ClientUserFactory, UserFactory, make_ticket, priority
from tickets.choices import EventKind
from tickets.models import Ticket, TicketEvent
from tickets.templatetags.tickets_extras import event_text


def _browser(user):
    browser = Client(headers={"Accept-Language": "en"})
    browser.force_login(user)
    return browser


@pytest.fixture
def admin(db):
    return _browser(UserFactory(role=Role.ADMIN, language="en"))


def _form(**overrides):
    data = {
        "name": "Лифты — бригаде",
        "trigger": "created",
        "is_active": "on",
        "time_anchor": "",
        "time_minutes": "",
        "description": "",
        "conditions-TOTAL_FORMS": "1",
        "conditions-INITIAL_FORMS": "0",
        "conditions-0-field": "text",
        "conditions-0-op": "any",
        "conditions-0-value": "лифт, застря*",
        "actions-TOTAL_FORMS": "1",
        "actions-INITIAL_FORMS": "0",
        "actions-0-action": "set_priority",
        "actions-0-value": str(priority("high").pk),
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AGENT, Role.ENGINEER])
def test_only_administrators_see_the_rules(db, role):
    browser = _browser(UserFactory(role=role))
    assert browser.get("/automation/rules/").status_code == 403
    assert browser.get("/automation/rules/new/").status_code == 403
    rule = Rule.objects.first()
    assert browser.post(f"/automation/rules/{rule.pk}/toggle/", {"active": "0"}).status_code == 403
    assert Rule.objects.get(pk=rule.pk).is_active is True


def test_visitors_and_clients_are_sent_away(db):
    assert Client().get("/automation/rules/").status_code == 302
    assert Client().get("/automation/rules/")["Location"].startswith("/accounts/login/")
    response = _browser(ClientUserFactory()).get("/automation/rules/")
    assert (response.status_code, response["Location"]) == (302, "/portal/")


def test_the_list_shows_the_rules_in_order_with_constant_queries(admin, django_assert_num_queries):
    # given: the shipped rules, and more
    for n in range(5):
        make_rule(name=f"Правило {n}", order=100 + n, conditions=[cond("vip", "yes")], actions=[act("add_tags", "x")])
    # when
    with django_assert_num_queries(4):  # session, user, rules, the unread notifications badge
        response = admin.get("/automation/rules/")
    # then
    names = [row["rule"].name for row in response.context["rows"]]
    assert names == list(Rule.objects.order_by("order", "id").values_list("name", flat=True))
    assert len(names) == 10
    assert response.context["rows"][-1]["conditions"] == ["VIP client yes"]
    assert response.context["rows"][-1]["actions"] == ["Add tags"]


def test_an_administrator_creates_a_rule_from_rows(admin):
    # when
    response = admin.post("/automation/rules/new/", _form())
    # then
    assert (response.status_code, response["Location"]) == (302, "/automation/rules/")
    rule = Rule.objects.get(name="Лифты — бригаде")
    assert (rule.trigger, rule.is_active, rule.order) == ("created", True, 60)
    assert rule.conditions == [{"field": "text", "op": "any", "value": "лифт, застря*"}]
    assert rule.actions == [{"action": "set_priority", "value": priority("high").pk}]
    # and it works on the next ticket
    ticket = make_ticket(title="Застряли между этажами")
    assert Ticket.objects.get(pk=ticket.pk).priority.code == "high"


def test_adding_a_row_saves_nothing_and_shows_one_more_row(admin):
    # when
    response = admin.post("/automation/rules/new/", _form(add_condition="1"))
    # then
    assert response.status_code == 200
    assert len(response.context["conditions"].forms) == 2
    assert not Rule.objects.filter(name="Лифты — бригаде").exists()


def test_a_field_chosen_gets_its_own_value_widget(admin):
    # when: the second row asks for a count
    response = admin.post(
        "/automation/rules/new/",
        _form(
            **{
                "conditions-TOTAL_FORMS": "2",
                "conditions-1-field": "recent_tickets",
                "conditions-1-op": "gte",
                "refresh": "1",
            }
        ),
    )
    # then
    row = response.context["conditions"].forms[1]
    assert sorted(row.fields) == ["DELETE", "count_hours", "count_min", "count_scope", "field", "op"]


def test_bad_rows_are_explained_and_nothing_is_saved(admin):
    # when
    response = admin.post(
        "/automation/rules/new/",
        _form(**{"conditions-0-field": "regex", "conditions-0-op": "match", "conditions-0-value": "(незакрыта"}),
    )
    # then
    assert response.status_code == 200
    errors = response.context["conditions"].forms[0].errors["value"]
    assert errors == ["The regular expression is not valid: missing ), unterminated subpattern at position 0"]
    assert not Rule.objects.filter(name="Лифты — бригаде").exists()


def test_a_time_rule_needs_its_minutes(admin):
    response = admin.post("/automation/rules/new/", _form(trigger="time"))
    assert response.context["form"].errors == {
        "time_anchor": ["A time rule needs the moment its minutes count from."],
        "time_minutes": ["A time rule needs the number of minutes."],
    }


def test_try_it_shows_matches_and_changes_and_changes_nothing(admin, no_shipped_rules):
    # given
    stuck = make_ticket(title="Застрял лифт в подъезде 2")
    make_ticket(title="Не работает кондиционер")
    already = make_ticket(title="Лифт не едет", priority=priority("high"))
    events = TicketEvent.objects.count()
    # when
    response = admin.post("/automation/rules/new/", _form(**{"try": "1"}))
    # then
    trial = response.context["trial"]
    assert trial.checked == 3
    assert [(t.pk, changes) for t, changes in response.context["trial_rows"]] == [
        (stuck.pk, ["Set priority: High"]),  # what would change comes first
        (already.pk, []),
    ]
    assert "2 tickets of 3 would match" in response.content.decode()
    assert not Rule.objects.filter(name="Лифты — бригаде").exists()
    assert TicketEvent.objects.count() == events
    assert Ticket.objects.get(pk=stuck.pk).priority.code == "normal"


def test_move_switch_off_and_delete(admin):
    # given
    first, second = Rule.objects.order_by("order", "id")[:2]
    # when
    admin.post(f"/automation/rules/{second.pk}/move/", {"direction": "up"})
    admin.post(f"/automation/rules/{first.pk}/toggle/", {"active": "0"})
    # then
    assert list(Rule.objects.order_by("order", "id").values_list("pk", flat=True))[:2] == [second.pk, first.pk]
    assert Rule.objects.get(pk=first.pk).is_active is False
    # when
    response = admin.post(f"/automation/rules/{first.pk}/delete/")
    # then
    assert response.status_code == 302
    assert not Rule.objects.filter(pk=first.pk).exists()


def test_the_editor_opens_a_shipped_rule(admin):
    rule = Rule.objects.get(code="emergency")
    response = admin.get(f"/automation/rules/{rule.pk}/")
    assert response.status_code == 200
    assert response.context["conditions"].forms[0].initial["value"].startswith("пожар, дым")
    assert [f.initial["action"] for f in response.context["actions"].forms] == ["set_priority", "set_team"]


def test_the_history_tells_which_rule_changed_what_in_both_languages(db):
    # given
    ticket = make_ticket(title="Затопило подвал")
    fired = TicketEvent.objects.get(ticket=ticket, kind=EventKind.RULE_FIRED)
    # then
    with translation.override("en"):
        assert str(event_text(fired)) == (
            "rule «Аварии: критический приоритет, дежурная смена / Emergencies: critical, on duty»: "
            "Set priority: Critical; Set team: On duty"
        )
    with translation.override("ru"):
        assert str(event_text(fired)) == (
            "правило «Аварии: критический приоритет, дежурная смена / Emergencies: critical, on duty»: "
            "Установить приоритет: Критический; Назначить группу: Дежурная смена"
        )


def test_a_failed_action_reads_as_not_done_in_the_history(db):
    from automation.rules.history import change_text

    change = {"action": "set_assignee", "error": "Only active staff members can be assigned."}
    with translation.override("en"):
        assert change_text(change) == "Assign to: not done (Only active staff members can be assigned.)"
    with translation.override("ru"):
        assert change_text(change) == "Назначить исполнителя: не выполнено (Only active staff members can be assigned.)"
