"""Reads of mailboxes and of inbound mail, for administrators (everyone else gets nothing)."""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from channels.models import Mailbox, TelegramBot, WhatsAppAccount
from core.db import quoted_column
from intake.choices import InboundStatus
from intake.models import InboundMessage

FAILED_STATUSES = (InboundStatus.FAILED, InboundStatus.QUARANTINED)


def mailbox_list_for_user(*, user: User) -> QuerySet[Mailbox]:
    if not (user.is_authenticated and user.is_admin):
        return Mailbox.objects.none()
    return Mailbox.objects.select_related("team", "category")


def mailbox_get_for_user(*, user: User, mailbox_id: int) -> Mailbox:
    mailbox = mailbox_list_for_user(user=user).filter(pk=mailbox_id).first()
    if mailbox is None:
        raise Http404
    return mailbox


def inbound_failed_list_for_user(*, user: User, dismissed: bool = False) -> QuerySet[InboundMessage]:
    """Failed and quarantined messages (or, with `dismissed`, those set aside), newest first,
    without their bytes."""
    if not (user.is_authenticated and user.is_admin):
        return InboundMessage.objects.none()
    statuses = (InboundStatus.DISMISSED,) if dismissed else FAILED_STATUSES
    return (
        InboundMessage.objects.filter(status__in=statuses)
        .select_related("mailbox")
        .defer("raw")
        .order_by("-received_at", "-id")
    )


def inbound_get_for_user(*, user: User, inbound_id: int) -> InboundMessage:
    """One stored inbound message of any channel and status (the failed list shows them all), for an
    administrator; 404 otherwise."""
    if not (user.is_authenticated and user.is_admin):
        raise Http404
    row = InboundMessage.objects.select_related("mailbox").filter(pk=inbound_id).first()
    if row is None:
        raise Http404
    return row


def telegram_bot_list_for_user(*, user: User) -> QuerySet[TelegramBot]:
    if not (user.is_authenticated and user.is_admin):
        return TelegramBot.objects.none()
    return TelegramBot.objects.select_related("team", "category")


def telegram_webhook_secret(*, bot_id: int) -> str | None:
    """The secret token Telegram must send with the updates of an active bot; None when there is
    no such active bot. For the webhook, which asks on every update: one hand-written statement,
    as building the ORM's query for it had cost a third of the request's CPU."""
    table = connection.ops.quote_name(TelegramBot._meta.db_table)
    secret, pk, active = (quoted_column(TelegramBot, name) for name in ("webhook_secret", "id", "is_active"))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {secret} FROM {table} WHERE {pk} = %s AND {active}", [bot_id])
        row = cursor.fetchone()
    return row[0] if row else None


def telegram_bot_get_for_user(*, user: User, bot_id: int) -> TelegramBot:
    bot = telegram_bot_list_for_user(user=user).filter(pk=bot_id).first()
    if bot is None:
        raise Http404
    return bot


def whatsapp_account_list_for_user(*, user: User) -> QuerySet[WhatsAppAccount]:
    if not (user.is_authenticated and user.is_admin):
        return WhatsAppAccount.objects.none()
    return WhatsAppAccount.objects.select_related("team", "category")


def whatsapp_account_get_for_user(*, user: User, account_id: int) -> WhatsAppAccount:
    account = whatsapp_account_list_for_user(user=user).filter(pk=account_id).first()
    if account is None:
        raise Http404
    return account
