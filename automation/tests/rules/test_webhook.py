"""The webhook action: queued in the outbox with the ticket, POSTed as JSON to a local endpoint,
retried on server errors, given up on a refusal."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Team
from automation.tests.rules.helpers import act, cond, make_rule
from automation.tests.rules.webhook_receiver import WebhookReceiver
from notifications.models import OutboxMessage
from notifications.outbox import outbox_send_due
from tests.factories import make_ticket, priority

pytestmark = pytest.mark.usefixtures("no_shipped_rules")


@pytest.fixture
def receiver():
    with WebhookReceiver().running() as running:
        yield running


def test_a_fired_rule_posts_the_ticket_as_json(receiver):
    # given
    team = Team.objects.get(code="duty")  # shipped with the emergency rules
    rule = make_rule(
        name="В мониторинг",
        conditions=[cond("text", "any", "пожар")],
        actions=[act("set_priority", priority("critical").pk), act("webhook", receiver.url)],
    )
    # when: the ticket is created, and the outbox sends what is due (the worker's job)
    ticket = make_ticket(title="Пожар в серверной", team=team)
    outbox_send_due()
    # then
    row = OutboxMessage.objects.get(channel="webhook")
    assert (row.kind, row.status, row.recipient, row.ticket_id, row.subject) == (
        "webhook",
        "sent",
        receiver.url,
        ticket.pk,
        "В мониторинг",
    )
    [received] = receiver.received
    assert (received.path, received.content_type) == ("/hooks/otklik", "application/json; charset=utf-8")
    fired_at = received.body.pop("fired_at")
    assert received.body == {
        "event": "rule_fired",
        "rule": {"id": rule.pk, "name": "В мониторинг"},
        "trigger": "created",
        "ticket": {
            "id": ticket.pk,
            "number": ticket.number,
            "title": "Пожар в серверной",
            "status": "new",
            "priority": "critical",  # the payload shows the ticket after the rule's earlier actions
            "team": "duty",
            "assignee": None,
            "company": None,
            "channel": "phone",
            "url": f"http://127.0.0.1:8000/tickets/{ticket.number}/",
        },
    }
    assert fired_at.startswith(str(timezone.now().year))


def test_a_server_error_is_retried_and_a_refusal_is_final(receiver):
    # given: the endpoint fails once with 503, then accepts
    receiver.answers = [(503, {})]
    make_rule(actions=[act("webhook", receiver.url)])
    make_ticket()
    outbox_send_due()
    row = OutboxMessage.objects.get(channel="webhook")
    assert (row.status, row.attempts, row.last_error) == ("queued", 1, "HTTP 503: go away")
    # when: the retry falls due
    sent = outbox_send_due(now=timezone.now() + timedelta(minutes=2))
    # then
    row.refresh_from_db()
    assert (sent, row.status, row.attempts, len(receiver.received)) == (1, "sent", 2, 2)
    # given: another ticket, the endpoint refuses it
    receiver.answers = [(404, {})]
    other = make_ticket()
    outbox_send_due()
    refused = OutboxMessage.objects.get(channel="webhook", ticket=other)
    assert (refused.status, refused.attempts, refused.last_error) == ("failed", 1, "HTTP 404: go away")


def test_a_webhook_address_must_be_http(db):
    from django.core.exceptions import ValidationError

    from automation.rules.actions import clean_action

    with pytest.raises(ValidationError) as refused:
        clean_action(act("webhook", "file:///etc/passwd"))
    assert refused.value.messages == ["Give the webhook's full address, starting with https:// or http://."]
