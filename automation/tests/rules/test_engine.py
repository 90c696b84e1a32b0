"""The rules engine: each condition and action, order and stop, the loop cut-off, dry runs."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.choices import Role
from automation.models import Rule
from automation.rules.actions import clean_action
from automation.rules.conditions import Context, clean_condition
from automation.rules.engine import compile_rule, evaluate
from automation.tests.rules.helpers import act, cond, make_rule
from customers.models import CompanyCategory
from notifications.models import Notification
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    ContractFactory,
    EquipmentFactory,
    SiteFactory,
    TeamFactory,
    UserFactory,
    make_ticket,
    priority,
    status,
)
from tickets.choices import ArticleKind, AuthorKind, EventKind
from tickets.hooks import hooks_run
from tickets.models import Article, Ticket, TicketEvent
from tickets.services import article_create, ticket_set_tags, ticket_update

pytestmark = pytest.mark.usefixtures("no_shipped_rules")


def _fired(ticket):
    return list(
        TicketEvent.objects.filter(ticket=ticket, kind=EventKind.RULE_FIRED)
        .order_by("id")
        .values_list("data", flat=True)
    )


def _matches(ticket, *conditions, article=None, changed=frozenset(), now=None, trigger="created"):
    rule = Rule(name="probe", trigger=trigger, conditions=[clean_condition(c) for c in conditions], actions=[])
    ctx = Context(ticket=Ticket.objects.get(pk=ticket.pk), trigger=trigger, article=article, changed=changed, now=now)
    return bool(evaluate(ctx, [compile_rule(rule)], dry_run=True))


# ── conditions ───────────────────────────────────────────────────────────────────────────────


def test_reference_field_conditions(db):
    # given
    team = TeamFactory()
    ticket = make_ticket(priority=priority("high"), team=team)
    # then
    assert _matches(ticket, cond("priority", "in", [priority("high").pk, priority("critical").pk]))
    assert not _matches(ticket, cond("priority", "not_in", [priority("high").pk]))
    assert _matches(ticket, cond("team", "in", [team.pk]))
    assert _matches(ticket, cond("assignee", "empty", []))
    assert not _matches(ticket, cond("assignee", "not_empty", []))
    assert _matches(ticket, cond("status", "in", [status("new").pk]))
    assert _matches(ticket, cond("status_category", "in", ["new", "open"]))
    assert not _matches(ticket, cond("type", "not_empty", []))


def test_channel_company_site_and_equipment_kind_conditions(db):
    # given
    vip = CompanyCategory.objects.create(code="vip", name_ru="VIP", name_en="VIP", is_vip=True)
    company = CompanyFactory(category=vip)
    site = SiteFactory(company=company)
    unit = EquipmentFactory(site=site)
    ticket = make_ticket(channel="telegram", company=company, site=site, equipment=unit)
    plain = make_ticket(channel="email", company=CompanyFactory())
    # then
    assert _matches(ticket, cond("channel", "in", ["telegram", "whatsapp"]))
    assert not _matches(plain, cond("channel", "in", ["telegram", "whatsapp"]))
    assert _matches(ticket, cond("company", "in", [company.pk]), cond("site", "in", [site.pk]))
    assert _matches(ticket, cond("company_category", "in", [vip.pk]))
    assert not _matches(plain, cond("company_category", "in", [vip.pk]))
    assert _matches(ticket, cond("vip", "yes"))
    assert _matches(plain, cond("vip", "no"))
    assert _matches(ticket, cond("equipment_kind", "in", [unit.kind_id]))
    assert _matches(plain, cond("equipment_kind", "empty", []))


def test_contract_coverage_and_debt_conditions(db):
    # given
    owing = ContractFactory(payment_state="debt", debt_amount=Decimal("15000.00"))
    paid = ContractFactory()
    in_debt = make_ticket(company=owing.company)
    covered = make_ticket(company=paid.company)
    uncovered = make_ticket(company=CompanyFactory())
    # then
    assert [_matches(t, cond("covered", "yes")) for t in (in_debt, covered, uncovered)] == [True, True, False]
    assert [_matches(t, cond("debt", "yes")) for t in (in_debt, covered, uncovered)] == [True, False, False]


def test_text_conditions_read_the_subject_and_the_message(db):
    # given
    ticket = make_ticket(title="Авария", description="Соседи сверху затопили серверную")
    # then
    assert _matches(ticket, cond("text", "any", "затоп*"))
    assert not _matches(ticket, cond("text", "none", "затоп*"))
    assert _matches(ticket, cond("regex", "match", r"сервер\w+"))
    assert _matches(ticket, cond("regex", "no_match", r"^\d+$"))
    message = Article(ticket=ticket, body="Уже всё сухо, спасибо", author_kind=AuthorKind.CONTACT)
    assert not _matches(ticket, cond("text", "any", "затоп*"), article=message, trigger="article_client")
    assert _matches(ticket, cond("text", "any", "авари*"), article=message, trigger="article_client")


def test_tags_and_changed_fields_conditions(db):
    # given
    ticket = make_ticket()
    ticket_set_tags(ticket=ticket, actor=None, tags=["Лифт", "ночь"])
    # then
    assert _matches(ticket, cond("tags", "any", "лифт, вода"))
    assert not _matches(ticket, cond("tags", "none", "ЛИФТ"))
    assert _matches(ticket, cond("changed", "any", ["priority"]), changed=frozenset({"priority", "team"}))
    assert not _matches(ticket, cond("changed", "any", ["status"]), changed=frozenset({"priority"}))


def test_weekday_and_business_hours_conditions(db):
    # given: Monday 2026-12-07 10:00 and 22:00 in Moscow; the default calendar is Mon–Fri 9–18
    ticket = make_ticket()
    monday_morning = timezone.make_aware(timezone.datetime(2026, 12, 7, 10, 0))
    monday_night = monday_morning + timedelta(hours=12)
    from automation.rules.engine import snapshot

    clock = snapshot().business_clock

    def probe(row, now):
        rule = compile_rule(Rule(name="probe", trigger="created", conditions=[clean_condition(row)], actions=[]))
        ctx = Context(ticket=ticket, trigger="created", now=now, business_clock=clock)
        return rule.matches(ctx)

    # then
    assert probe(cond("weekday", "in", [0]), monday_morning)
    assert not probe(cond("weekday", "in", [5, 6]), monday_morning)
    assert probe(cond("business_hours", "yes"), monday_morning)
    assert probe(cond("business_hours", "no"), monday_night)


def test_recent_tickets_count_condition(db, django_assert_num_queries):
    # given: three tickets from one site in the last hours, one long ago
    site = SiteFactory()
    old = make_ticket(site=site)
    Ticket.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=30))
    tickets = [make_ticket(site=site) for _ in range(3)]
    row = cond("recent_tickets", "gte", {"scope": "site", "hours": 24, "min": 3})
    # then
    assert _matches(tickets[-1], row)
    assert not _matches(tickets[-1], cond("recent_tickets", "gte", {"scope": "site", "hours": 24, "min": 4}))
    assert not _matches(make_ticket(), row)  # no site: nothing to count


def test_a_count_query_runs_only_when_the_cheaper_conditions_passed(db, django_assert_num_queries):
    # given
    ticket = Ticket.objects.get(pk=make_ticket(site=SiteFactory(), priority=priority("normal")).pk)
    rule = compile_rule(
        Rule(
            name="probe",
            trigger="created",
            conditions=[
                cond("recent_tickets", "gte", {"scope": "site", "hours": 1, "min": 1}),
                cond("priority", "in", [priority("critical").pk]),
            ],
            actions=[],
        )
    )
    # then: the priority fails first, the count never runs
    with django_assert_num_queries(0):
        assert not rule.matches(Context(ticket=ticket, trigger="created"))


# ── actions ──────────────────────────────────────────────────────────────────────────────────


def test_setting_fields_records_what_changed(db):
    # given
    team = TeamFactory(name_ru="Лифтовики", name_en="Lift crew")
    agent = UserFactory(full_name="Пётр Лифтёров")
    rule = make_rule(
        name="Лифты",
        conditions=[cond("text", "any", "лифт")],
        actions=[
            act("set_priority", priority("high").pk),
            act("set_team", team.pk),
            act("set_assignee", agent.pk),
            act("add_tags", "лифт, срочно"),
        ],
    )
    # when
    ticket = make_ticket(title="Не едет лифт")
    # then
    ticket.refresh_from_db()
    assert (ticket.priority.code, ticket.team_id, ticket.assignee_id, ticket.status.code) == (
        "high",
        team.pk,
        agent.pk,
        "open",  # assigning a new ticket opens it (ticket_assign)
    )
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["лифт", "срочно"]
    assert _fired(ticket) == [
        {
            "rule": {"id": rule.pk, "name": "Лифты"},
            "trigger": "created",
            "changes": [
                {"action": "set_priority", "new": {"id": priority("high").pk, "name_ru": "Высокий", "name_en": "High"}},
                {"action": "set_team", "new": {"id": team.pk, "name_ru": "Лифтовики", "name_en": "Lift crew"}},
                {"action": "set_assignee", "new": {"id": agent.pk, "name": "Пётр Лифтёров"}},
                {"action": "add_tags", "tags": ["лифт", "срочно"]},
            ],
        }
    ]


def test_status_type_category_and_tag_removal(db):
    # given
    from tests.factories import ServiceCategoryFactory
    from tickets.models import TicketType

    category = ServiceCategoryFactory()
    incident = TicketType.objects.get(code="incident")
    make_rule(
        trigger="updated",
        conditions=[cond("changed", "any", ["tags"]), cond("tags", "any", "спам")],
        actions=[
            act("set_status", status("resolved").pk),
            act("set_type", incident.pk),
            act("set_category", category.pk),
            act("remove_tags", "спам"),
        ],
    )
    ticket = make_ticket()
    # when
    ticket_set_tags(ticket=ticket, actor=None, tags=["спам", "реклама"])
    # then
    ticket.refresh_from_db()
    assert (ticket.status.code, ticket.type_id, ticket.category_id) == ("resolved", incident.pk, category.pk)
    assert list(ticket.tags.values_list("name", flat=True)) == ["реклама"]


def test_an_internal_note_and_a_templated_reply_in_the_clients_language(db):
    # given
    contact = ContactFactory(language="en", full_name="John Smith")
    make_rule(
        actions=[
            act("add_note", "Проверьте заявку №{{ ticket.number }}"),
            act(
                "send_reply",
                {
                    "ru": "Заявка №{{ ticket.number }} принята",
                    "en": "Dear {{ contact.full_name }}, request #{{ ticket.number }} is registered",
                },
            ),
        ]
    )
    # when
    ticket = make_ticket(contact=contact, title="Printer jam")
    # then
    articles = list(ticket.articles.order_by("id").values_list("kind", "author_kind", "body"))
    assert articles == [
        ("public", "contact", ticket.description),
        ("note", "system", f"Проверьте заявку №{ticket.number}"),
        ("public", "system", f"Dear John Smith, request #{ticket.number} is registered"),
    ]
    assert ticket.first_response_at is None  # an automatic reply is not a first response


def test_notify_people_and_teams_and_escalate_to_the_supervisor(db):
    # given
    boss = UserFactory(full_name="Начальник смены")
    member = UserFactory(full_name="Дежурный")
    watcher = UserFactory(full_name="Наблюдатель")
    team = TeamFactory(supervisor=boss)
    team.members.add(member)
    make_rule(
        name="Тревога",
        actions=[act("notify", [f"team:{team.pk}", f"user:{watcher.pk}", "assignee"]), act("escalate", None)],
    )
    # when
    ticket = make_ticket(team=team, title="Срочно")
    # then
    rows = sorted(
        Notification.objects.filter(kind__in=["rule", "rule_escalation"]).values_list("user__full_name", "kind", "text")
    )
    assert rows == [
        ("Дежурный", "rule", f"Правило «Тревога»: #{ticket.number} Срочно"),
        ("Наблюдатель", "rule", f"Правило «Тревога»: #{ticket.number} Срочно"),
        ("Начальник смены", "rule_escalation", f"Эскалация по правилу «Тревога»: #{ticket.number} Срочно"),
    ]
    assert list(ticket.observers.values_list("pk", flat=True)) == [boss.pk]
    assert _fired(ticket)[0]["changes"] == [
        {"action": "notify", "to": ["Наблюдатель", "Дежурный"]},
        {"action": "escalate", "to": "Начальник смены"},
    ]


# ── triggers, order, stop, loops ─────────────────────────────────────────────────────────────


def test_message_rules_tell_the_client_from_the_agent(db):
    # given
    make_rule(name="client", trigger="article_client", actions=[act("add_tags", "клиент")])
    make_rule(name="agent", trigger="article_agent", actions=[act("add_tags", "агент")])
    contact = ContactFactory()
    ticket = make_ticket(contact=contact)
    # when
    article_create(ticket=ticket, author=None, author_contact=contact, body="Ещё не починили?")
    # then
    assert list(ticket.tags.values_list("name", flat=True)) == ["клиент"]
    # when
    article_create(ticket=ticket, author=UserFactory(), body="Едем", kind=ArticleKind.PUBLIC)
    # then
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["агент", "клиент"]


def test_sla_warning_and_breach_triggers(db):
    # given
    make_rule(trigger="sla_breach", actions=[act("set_priority", priority("critical").pk)])
    ticket = make_ticket()
    # when
    hooks_run("sla_warning", ticket=ticket, actor=None, changed={"resolution"})
    # then
    assert Ticket.objects.get(pk=ticket.pk).priority.code == "normal"
    # when
    hooks_run("sla_breach", ticket=ticket, actor=None, changed={"resolution"})
    # then
    assert Ticket.objects.get(pk=ticket.pk).priority.code == "critical"


def test_rules_run_in_order_and_stop_further_rules_stops(db):
    # given
    first = make_rule(name="first", order=10, actions=[act("add_tags", "первое")], stop_processing=True)
    make_rule(name="second", order=20, actions=[act("add_tags", "второе")])
    # when
    ticket = make_ticket()
    # then
    assert list(ticket.tags.values_list("name", flat=True)) == ["первое"]
    # when: the stopping rule goes below
    Rule.objects.filter(pk=first.pk).update(order=30)
    from automation.rules.engine import rules_reset

    rules_reset()
    other = make_ticket()
    # then
    assert sorted(other.tags.values_list("name", flat=True)) == ["второе", "первое"]
    assert [d["rule"]["name"] for d in _fired(other)] == ["second", "first"]


def test_a_rule_later_in_the_list_sees_what_an_earlier_one_changed(db):
    # given
    make_rule(order=10, actions=[act("set_priority", priority("critical").pk)])
    make_rule(
        order=20, conditions=[cond("priority", "in", [priority("critical").pk])], actions=[act("add_tags", "авария")]
    )
    # when
    ticket = make_ticket()
    # then
    assert list(ticket.tags.values_list("name", flat=True)) == ["авария"]


def test_rules_undoing_each_other_are_cut_off_and_the_cut_off_is_recorded(db):
    # given: two update rules that flip the priority back and forth for ever
    make_rule(
        name="up",
        trigger="updated",
        conditions=[cond("priority", "in", [priority("low").pk])],
        actions=[act("set_priority", priority("high").pk)],
    )
    make_rule(
        name="down",
        trigger="updated",
        conditions=[cond("priority", "in", [priority("high").pk])],
        actions=[act("set_priority", priority("low").pk)],
    )
    ticket = make_ticket()
    # when
    ticket_update(ticket=ticket, actor=None, priority=priority("low"))
    # then: rounds 1 (up), 2 (down), 3 (up, then down: a later rule sees the earlier one's change)
    # ran; each round-4 evaluation was cut off, recorded once. Events are written as each round
    # ends, the innermost first.
    kinds = list(
        TicketEvent.objects.filter(ticket=ticket, kind__in=[EventKind.RULE_FIRED, EventKind.RULES_CUT_OFF])
        .order_by("id")
        .values_list("kind", "data")
    )
    assert kinds[0] == ("rules_cut_off", {"trigger": "updated", "depth": 3})
    assert [(kind, data["rule"]["name"]) for kind, data in kinds[1:]] == [
        ("rule_fired", "up"),
        ("rule_fired", "down"),
        ("rule_fired", "down"),
        ("rule_fired", "up"),
    ]
    assert Ticket.objects.get(pk=ticket.pk).priority.code == "low"


def test_a_rule_that_changes_nothing_leaves_no_event(db):
    # given
    make_rule(actions=[act("set_priority", priority("normal").pk)])
    # when
    ticket = make_ticket(priority=priority("normal"))
    # then
    assert _fired(ticket) == []


def test_a_dry_run_writes_nothing(db, django_assert_max_num_queries):
    # given
    team = TeamFactory()
    ticket = Ticket.objects.get(pk=make_ticket(title="Пожар на складе").pk)
    rule = Rule(
        name="dry",
        trigger="created",
        conditions=[clean_condition(cond("text", "any", "пожар"))],
        actions=[
            clean_action(row)
            for row in (
                act("set_priority", priority("critical").pk),
                act("set_team", team.pk),
                act("add_note", "Пожар!"),
                act("webhook", "http://127.0.0.1:9/hook"),
            )
        ],
    )
    events, articles = TicketEvent.objects.count(), Article.objects.count()
    # when
    firings = evaluate(Context(ticket=ticket, trigger="created"), [compile_rule(rule)], dry_run=True)
    # then
    assert [f.changes for f in firings] == [
        [
            {
                "action": "set_priority",
                "new": {"id": priority("critical").pk, "name_ru": "Критический", "name_en": "Critical"},
            },
            {"action": "set_team", "new": {"id": team.pk, "name_ru": team.name_ru, "name_en": team.name_en}},
            {"action": "add_note", "text": "Пожар!"},
            {"action": "webhook", "url": "http://127.0.0.1:9/hook"},
        ]
    ]
    assert (TicketEvent.objects.count(), Article.objects.count()) == (events, articles)
    assert Ticket.objects.get(pk=ticket.pk).priority.code == "normal"


def test_a_saved_rule_applies_to_the_next_event(db):
    # given: the compiled rules are loaded (no rules yet)
    make_ticket()
    # when
    make_rule(actions=[act("add_tags", "новое")])
    ticket = make_ticket()
    # then
    assert list(ticket.tags.values_list("name", flat=True)) == ["новое"]


def test_switched_off_everything_runs_nothing(db, settings):
    # given
    settings.OTKLIK_AUTOMATION_RULES = False
    make_rule(actions=[act("add_tags", "новое")])
    # when
    ticket = make_ticket()
    # then
    assert list(ticket.tags.all()) == []


def test_a_templated_reply_is_mailed_to_the_client(db):
    # given: a mailbox to send from, a client with an address
    from channels.models import Mailbox
    from notifications.models import OutboxMessage

    Mailbox.objects.create(name="Support", address="support@otklik.test", ticket_tag="#")
    contact = ContactFactory(email="petr@romashka.test", language="ru")
    make_rule(actions=[act("send_reply", {"ru": "Заявка №{{ ticket.number }} принята, мастер выедет сегодня."})])
    # when
    ticket = make_ticket(contact=contact, channel="portal")
    # then
    reply = ticket.articles.get(author_kind=AuthorKind.SYSTEM)
    row = OutboxMessage.objects.get(article=reply)
    assert (row.channel, row.kind, row.recipient) == ("email", "reply", "petr@romashka.test")
    import email
    from email import policy

    mail = email.message_from_bytes(bytes(row.payload), policy=policy.default)
    text = mail.get_body(("plain",)).get_content()
    assert text.startswith(f"Заявка №{ticket.number} принята, мастер выедет сегодня.\r\n\r\n-- \r\nSupport")
    assert mail["Subject"] == row.subject == f"Re: {ticket.title} [#{ticket.number}]"


def test_a_failing_action_is_recorded_and_the_ticket_is_still_created(db):
    # given: the rule assigns someone who has since been switched off (the choice went stale)
    gone = UserFactory(full_name="Уволенный")
    make_rule(name="Кому-то", actions=[act("set_assignee", gone.pk), act("add_tags", "принято")])
    from django.contrib.auth import get_user_model

    from tickets.reference import reference

    assert reference().users[gone.pk].is_active  # the staff list as loaded before the change
    get_user_model().objects.filter(pk=gone.pk).update(is_active=False)  # no signal: the choice list is stale
    # when
    ticket = make_ticket(title="Обычная заявка")
    # then
    ticket.refresh_from_db()
    assert (ticket.assignee_id, list(ticket.tags.values_list("name", flat=True))) == (None, ["принято"])
    assert _fired(ticket)[0]["changes"] == [
        {"action": "set_assignee", "error": "Only active staff members can be assigned."},
        {"action": "add_tags", "tags": ["принято"]},
    ]


def test_fields_one_rule_sets_together_are_one_update_with_an_event_each(db):
    # given: a rule setting priority, type and team — three fields ticket_update can change at once
    from tickets.hooks import hook_register, hook_unregister

    team = TeamFactory(name_ru="Аварийная", name_en="Emergency")
    make_rule(
        name="Авария",
        conditions=[cond("text", "any", "затопило")],
        actions=[act("set_priority", priority("high").pk), act("set_team", team.pk)],
    )
    updates = []

    def heard(*, changed, **_kwargs):
        updates.append(sorted(changed))

    hook_register("updated", heard)
    try:
        # when
        ticket = make_ticket(title="Затопило подвал")
    finally:
        hook_unregister("updated", heard)
    # then: one "updated" round for both fields (one locked read, save and SLA refresh)
    assert updates == [["priority", "team"]]
    ticket.refresh_from_db()
    assert (ticket.priority.code, ticket.team_id) == ("high", team.pk)
    fields = [
        e["field"]
        for e in TicketEvent.objects.filter(ticket=ticket, kind=EventKind.FIELD_CHANGED)
        .order_by("id")
        .values_list("data", flat=True)
    ]
    assert fields == ["priority", "team"]
    assert [change["action"] for change in _fired(ticket)[0]["changes"]] == ["set_priority", "set_team"]


def test_when_fields_set_together_fail_they_are_applied_one_by_one_and_the_failure_recorded(db):
    # given: something refuses the team change (here a hook raising on it), not the priority
    from django.core.exceptions import ValidationError

    from tickets.hooks import hook_register, hook_unregister

    team = TeamFactory(name_ru="Закрытая", name_en="Closed")
    make_rule(
        name="Авария",
        conditions=[cond("text", "any", "затопило")],
        actions=[act("set_priority", priority("high").pk), act("set_team", team.pk), act("add_tags", "авария")],
    )

    def refuse_team(*, changed, **_kwargs):
        if "team" in changed:
            raise ValidationError("The team takes no tickets now.")

    hook_register("updated", refuse_team)
    try:
        # when
        ticket = make_ticket(title="Затопило подвал")
    finally:
        hook_unregister("updated", refuse_team)
    # then: the priority and the tag are set, the team is not, and the rule says why
    ticket.refresh_from_db()
    assert (ticket.priority.code, ticket.team_id) == ("high", None)
    assert list(ticket.tags.values_list("name", flat=True)) == ["авария"]
    changes = _fired(ticket)[0]["changes"]
    assert [change["action"] for change in changes] == ["set_priority", "set_team", "add_tags"]
    assert changes[1] == {"action": "set_team", "error": "The team takes no tickets now."}


def test_a_rule_routing_an_agents_new_ticket_to_their_team_alerts_the_others_once(team):
    # given a team of three dispatchers (no automatic assignment), and a rule routing leaks to it
    anna, boris, vera = (
        UserFactory(email=f"{name}@otklik.test", role=Role.AGENT) for name in ("anna", "boris", "vera")
    )
    team.members.add(anna, boris, vera)
    make_rule(name="Протечки", conditions=[cond("text", "any", "протечка")], actions=[act("set_team", team.pk)])
    # when Анна herself opens a leak ticket
    ticket = make_ticket(actor=anna, title="Протечка в подвале")
    # then her two colleagues hear of a new ticket once each; she, its author, does not
    assert ticket.team_id == team.pk
    assert sorted(Notification.objects.filter(ticket=ticket).values_list("user__email", "kind")) == [
        ("boris@otklik.test", "ticket_new"),
        ("vera@otklik.test", "ticket_new"),
    ]


def test_a_field_that_has_the_value_already_costs_no_savepoint(db, django_assert_num_queries):
    # given: the rule would set the priority the ticket has
    from automation.rules.engine import run_rules

    rule = make_rule(name="Высокий", actions=[act("set_priority", priority("high").pk)])
    ticket = make_ticket(title="Заявка", priority=priority("high"))
    ctx = Context(ticket=Ticket.objects.get(pk=ticket.pk), trigger="created", article=None, changed=frozenset())
    # when / then: nothing is written, not even a savepoint
    with django_assert_num_queries(0):
        firings = run_rules(ctx, [compile_rule(rule)])
    assert [firing.changes for firing in firings] == [[]]


def test_a_team_a_rule_routes_a_new_ticket_to_assigns_it_by_its_strategy(team, engineers):
    # given: a round-robin team, and a rule sending leaks to it
    from automation.assignment.services import team_assignment_set

    team_assignment_set(team=team, strategy="round_robin", priority_weights={})
    make_rule(name="Протечки", conditions=[cond("text", "any", "протечка")], actions=[act("set_team", team.pk)])
    # when
    ticket = make_ticket(title="Протечка в подвале")
    # then: the rule's team chose its member, once; the ticket the hooks saw knows it too
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.team_id, stored.assignee_id) == (team.pk, engineers[0].pk)
    assert (ticket.team_id, ticket.assignee_id) == (team.pk, engineers[0].pk)
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.ASSIGNED).count() == 1
