"""The rules Otklik ships with (docs/architecture/automation-rules.md, "Shipped rules"): editable
and deactivatable like any other. Emergencies in Russian and English → critical priority and the
on-duty team (the team with code "duty", created here when missing); a critical ticket nobody
took within 5 minutes → escalated to the team's supervisor. Two pending-ticket examples ship
switched off: remind the client after 3 days, resolve with a notice after 7."""

from django.db import migrations

EMERGENCY_WORDS = (
    "пожар, дым, задымл*, лифт, застря*, серверн*, затоп*, протеч*, протека*, потоп, "
    "нет электричества, искрит, искр*, "
    "fire, smoke, lift, elevator*, stuck, server room, flood*, leak*, power outage, spark*"
)
REMINDER = {
    "ru": "Здравствуйте! По заявке №{{ ticket.number }} «{{ ticket.title }}» мы ждём вашего ответа. "
    "Напишите, пожалуйста, удалось ли решить вопрос.",
    "en": "Hello! We are waiting for your reply on request #{{ ticket.number }} “{{ ticket.title }}”. "
    "Please let us know whether the issue is solved.",
}
CLOSING = {
    "ru": "Мы не получили ответа по заявке №{{ ticket.number }} и закрываем её как решённую. "
    "Если вопрос остался, просто ответьте на это сообщение — заявка откроется снова.",
    "en": "We have not heard back on request #{{ ticket.number }}, so we are marking it as resolved. "
    "If the issue remains, just reply to this message and the request will reopen.",
}


def seed(apps, schema_editor):
    Rule = apps.get_model("automation", "Rule")
    Team = apps.get_model("accounts", "Team")
    Priority = apps.get_model("tickets", "Priority")
    Status = apps.get_model("tickets", "Status")
    if Rule.objects.filter(code__in=["emergency", "emergency_message", "critical_not_taken"]).exists():
        return
    critical = Priority.objects.filter(code="critical").first()
    duty = Team.objects.filter(code="duty").first() or Team.objects.create(
        code="duty", name_ru="Дежурная смена", name_en="On duty"
    )
    emergency_actions = [{"action": "set_team", "value": duty.pk}]
    if critical is not None:
        emergency_actions.insert(0, {"action": "set_priority", "value": critical.pk})
    words = [{"field": "text", "op": "any", "value": EMERGENCY_WORDS}]
    Rule.objects.create(
        code="emergency",
        name="Аварии: критический приоритет, дежурная смена / Emergencies: critical, on duty",
        trigger="created",
        order=10,
        conditions=words,
        actions=emergency_actions,
    )
    Rule.objects.create(
        code="emergency_message",
        name="Авария в сообщении клиента / Emergency in a client's message",
        trigger="article_client",
        order=20,
        conditions=words,
        actions=emergency_actions,
    )
    if critical is not None:
        Rule.objects.create(
            code="critical_not_taken",
            name="Критическая не взята за 5 минут → руководителю / Critical not taken in 5 minutes → supervisor",
            trigger="time",
            order=30,
            time_anchor="created",
            time_minutes=5,
            conditions=[
                {"field": "priority", "op": "in", "value": [critical.pk]},
                {"field": "assignee", "op": "empty", "value": []},
            ],
            actions=[{"action": "escalate", "value": None}],
        )
    pending = Status.objects.filter(category="pending", is_delay=False).order_by("order").first()
    resolved = Status.objects.filter(category="resolved").order_by("order").first()
    if pending is not None and resolved is not None:
        on_pending = [{"field": "status", "op": "in", "value": [pending.pk]}]
        Rule.objects.create(
            code="pending_reminder",
            name="Ждём клиента 3 дня → напомнить / Waiting 3 days → remind the client",
            trigger="time",
            order=40,
            is_active=False,
            time_anchor="status",
            time_minutes=3 * 24 * 60,
            conditions=on_pending,
            actions=[{"action": "send_reply", "value": REMINDER}],
        )
        Rule.objects.create(
            code="pending_resolve",
            name="Ждём клиента 7 дней → решить с уведомлением / Waiting 7 days → resolve with a notice",
            trigger="time",
            order=50,
            is_active=False,
            time_anchor="status",
            time_minutes=7 * 24 * 60,
            conditions=on_pending,
            actions=[{"action": "send_reply", "value": CLOSING}, {"action": "set_status", "value": resolved.pk}],
        )


class Migration(migrations.Migration):
    dependencies = [
        ("automation", "0001_rules"),
        ("accounts", "0003_user_phone_extension"),
        ("tickets", "0014_rule_events"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
