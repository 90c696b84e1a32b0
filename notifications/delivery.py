"""Telling clients about what happened on their ticket, on the channel that reaches them
(DESIGN.md, "delivery"). Ticket services call these explicitly, inside their transaction; each
hands over to the channel's composer, which queues outbox rows (sent after commit).
Client channels with a sender: email (channels/email/outbound.py), Telegram
(channels/telegram/outbound.py) and WhatsApp (channels/whatsapp/outbound.py). A reply goes back on
the channel the ticket came by when that channel can reach the client (a Telegram ticket with a
linked chat, a WhatsApp ticket with its sender), else by email."""

from __future__ import annotations

from tickets.models import Article, Status, Ticket, TicketEvent


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


def ticket_status_changed(*, ticket: Ticket, status: Status, event: TicketEvent, by_client: bool) -> None:
    """The ticket moved to `status` (event recorded): tell the client when it was resolved or
    waits for them — unless the client moved it themselves."""
    if by_client:
        return
    from channels.email.outbound import email_status_notice_enqueue

    email_status_notice_enqueue(ticket=ticket, status=status, event=event)
