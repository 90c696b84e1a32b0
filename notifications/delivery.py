"""Telling clients about what happened on their ticket, on the channel that reaches them
(DESIGN.md, "delivery"). Agents' replies are handed to the channel's composer here; the client
notices (received, assigned, status, resolved — docs/architecture/notices.md) are decided in
ticket_created/ticket_updated, which listen to every ticket change through tickets/hooks.py and
send through notifications/notices.py. Everything queues outbox rows inside the change's
transaction (sent after commit).
Client channels with a sender: email (channels/email/outbound.py), Telegram
(channels/telegram/outbound.py) and WhatsApp (channels/whatsapp/outbound.py). A reply goes back on
the channel the ticket came by when that channel can reach the client (a Telegram ticket with a
linked chat, a WhatsApp ticket with its sender), else by email."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from core.deferred import flush_deferred
from notifications.choices import NoticeKind
from notifications.notices import notice_send
from tickets.choices import Channel, EventKind, StatusCategory
from tickets.models import Article, Ticket, TicketEvent

# Run after the automation's rules and assignment strategies (order 100–200): a rule that assigns
# a new ticket has done so by the time the notice is composed.
HOOK_ORDER = 900
# Tickets whose "created" hooks are running: changes made then (a rule assigning the new ticket)
# are part of the registration, and the acknowledgement is the one notice about it — not
# "engineer assigned" before "request received".
_being_created: ContextVar[frozenset[int]] = ContextVar("tickets_being_created", default=frozenset())


# Tickets whose status is being changed along with a public reply to the client (ticket_reply's
# "and set the status"): the reply is the news, and a second mail "status: waiting for your
# answer" right after it would only repeat it. "Resolved" is still sent: it carries the links to
# confirm or reopen.
_with_reply: ContextVar[frozenset[int]] = ContextVar("tickets_status_with_reply", default=frozenset())


@contextmanager
def status_set_with_reply(ticket: Ticket) -> Iterator[None]:
    """Around a status change that a public reply to the client accompanies."""
    token = _with_reply.set(_with_reply.get() | {ticket.pk})
    try:
        yield
    finally:
        _with_reply.reset(token)


# Set by without_acknowledgement(): tickets opened meanwhile get no "request received" notice.
_unacknowledged: ContextVar[bool] = ContextVar("tickets_unacknowledged", default=False)


@contextmanager
def without_acknowledgement() -> Iterator[None]:
    """Around a ticket_open whose client asked for nothing yet — a missed call's ticket
    (channels/telephony): "Request received: Missed call from <their own name>" would puzzle them,
    and the team calls back."""
    token = _unacknowledged.set(True)
    try:
        yield
    finally:
        _unacknowledged.reset(token)


def ticket_creation_started(*, ticket: Ticket, **_: Any) -> None:
    """Hook "created", first of all."""
    _being_created.set(_being_created.get() | {ticket.pk})


def article_published(*, article: Article) -> None:
    """A public article was added to a ticket: an agent's reply goes to the client. Notes,
    clients' own articles and strangers' articles go nowhere (the composer checks)."""
    from channels.email.outbound import email_reply_enqueue
    from channels.telegram.outbound import chat_for_ticket, telegram_reply_enqueue
    from channels.whatsapp.outbound import sender_for_ticket, whatsapp_reply_enqueue

    if chat_for_ticket(article.ticket) is not None:
        telegram_reply_enqueue(article=article)
        return
    if sender_for_ticket(article.ticket) is not None:
        # Within the 24-hour window by WhatsApp; outside it a template, or email (the composer decides).
        whatsapp_reply_enqueue(article=article)
        return

    email_reply_enqueue(article=article)


def _latest_event_id(ticket: Ticket, kind: str) -> int | None:
    flush_deferred()  # an inbound batch's events are written at its end otherwise (core/deferred.py)
    return TicketEvent.objects.filter(ticket=ticket, kind=kind).order_by("-id").values_list("pk", flat=True).first()


def ticket_created(*, ticket: Ticket, **_: Any) -> None:
    """Hook "created": acknowledge the request ("Заявка №347 принята") on its channel. Not for
    email tickets: the inbound mail pipeline acknowledges those itself, knowing whether the mail
    may be answered automatically (channels/email/outbound.py, ticket_acknowledge). Nor for a
    ticket opened under without_acknowledgement."""
    _being_created.set(_being_created.get() - {ticket.pk})
    if ticket.channel == Channel.EMAIL:
        return
    if _unacknowledged.get():
        return
    notice_send(ticket=ticket, kind=NoticeKind.ACKNOWLEDGEMENT, dedup_key=f"ack:{ticket.pk}")


def ticket_updated(*, ticket: Ticket, actor: Any, changed: frozenset[str], **_: Any) -> None:
    """Hook "updated": an engineer was assigned; the status moved to "resolved" (confirm or
    reopen) or to a status the company announces — unless the client moved it themselves, the
    change is part of the ticket's registration (see _being_created), or a reply to the client
    came with it (see _with_reply)."""
    if ticket.pk in _being_created.get():
        return
    if "assignee" in changed and ticket.assignee_id is not None:
        event_id = _latest_event_id(ticket, EventKind.ASSIGNED)
        notice_send(ticket=ticket, kind=NoticeKind.ASSIGNED, dedup_key=f"assigned:{event_id}")
    if "status" in changed and not (actor is not None and actor.is_client):
        status = ticket.status
        event_id = _latest_event_id(ticket, EventKind.STATUS_CHANGED)
        if status.category == StatusCategory.RESOLVED:
            notice_send(ticket=ticket, kind=NoticeKind.RESOLVED, dedup_key=f"status:{event_id}")
        elif not status.is_delay and ticket.pk not in _with_reply.get():  # a delay is our own plan
            notice_send(ticket=ticket, kind=NoticeKind.STATUS_CHANGED, dedup_key=f"status:{event_id}", status=status)
