"""Channel endpoints (email mailboxes, Telegram bots, WhatsApp numbers), the Message-ID index used
to thread mail, and the Telegram chats and WhatsApp senders linked to contacts. See
docs/architecture/email.md, telegram.md and whatsapp.md."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from channels.choices import (
    CallState,
    ImapProcessedAction,
    MailboxInbound,
    MessageDirection,
    TelegramChatState,
    TelegramMode,
    TransportSecurity,
)


class Mailbox(models.Model):
    """An address clients write to (support@…): where its mail comes from (LMTP or IMAP), where it
    is routed (team, category), and the brand replies go out under (name, address, signature)."""

    name = models.CharField(_("name"), max_length=200)
    address = models.EmailField(_("address"), help_text=_("The address clients write to; replies go out from it."))
    brand_name = models.CharField(_("sender name"), max_length=200, blank=True)
    signature = models.TextField(_("signature"), blank=True)
    language = models.CharField(
        _("language"), max_length=2, default="ru", help_text=_("For clients whose language is not known yet.")
    )
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    category = models.ForeignKey(
        "tickets.ServiceCategory",
        verbose_name=_("service category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)
    ticket_tag = models.CharField(
        _("ticket number tag in subjects"),
        max_length=20,
        default="#",
        help_text=_('Subjects carry "[<tag><number>]", e.g. [#12345].'),
    )
    max_message_bytes = models.PositiveIntegerField(_("largest message, bytes"), default=25 * 1024 * 1024)
    auto_reply = models.BooleanField(_("acknowledge new requests"), default=True)
    auto_replies_per_day = models.PositiveSmallIntegerField(_("automatic replies to one address per day"), default=5)

    inbound = models.CharField(
        _("mail arrives by"), max_length=8, choices=MailboxInbound.choices, default=MailboxInbound.LMTP
    )
    imap_host = models.CharField(_("IMAP server"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_security = models.CharField(
        _("IMAP security"), max_length=8, choices=TransportSecurity.choices, default=TransportSecurity.SSL
    )
    imap_username = models.CharField(_("IMAP user"), max_length=255, blank=True)
    imap_password = models.CharField(_("IMAP password"), max_length=255, blank=True)
    imap_folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    imap_processed = models.CharField(
        _("processed mail"), max_length=8, choices=ImapProcessedAction.choices, default=ImapProcessedAction.SEEN
    )
    imap_processed_folder = models.CharField(_("move processed mail to"), max_length=255, blank=True)
    imap_quarantine_folder = models.CharField(_("move refused mail to"), max_length=255, blank=True)
    imap_poll_seconds = models.PositiveIntegerField(_("poll every, seconds"), default=60)
    imap_idle = models.BooleanField(_("use IDLE when the server supports it"), default=True)
    imap_uidvalidity = models.BigIntegerField(null=True, blank=True, editable=False)
    imap_last_uid = models.BigIntegerField(default=0, editable=False)
    # Who fetches this mailbox now (channels/email/imap.py): a listener thread or a worker's poll
    # holds the lease and renews it; another poller skips the mailbox until it expires.
    imap_lease_owner = models.CharField(max_length=100, blank=True, editable=False)
    imap_lease_until = models.DateTimeField(null=True, blank=True, editable=False)

    smtp_host = models.CharField(
        _("SMTP server"), max_length=255, blank=True, help_text=_("Empty: the installation's (EMAIL_HOST).")
    )
    smtp_port = models.PositiveIntegerField(_("SMTP port"), default=587)
    smtp_security = models.CharField(
        _("SMTP security"), max_length=8, choices=TransportSecurity.choices, default=TransportSecurity.STARTTLS
    )
    smtp_username = models.CharField(_("SMTP user"), max_length=255, blank=True)
    smtp_password = models.CharField(_("SMTP password"), max_length=255, blank=True)

    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    # Since when every check has failed (None while it works), and whether the administrators
    # were told of this spell (channels/email/imap.py, record_check).
    failing_since = models.DateTimeField(null=True, blank=True)
    failing_alerted = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        constraints = [models.UniqueConstraint(Lower("address"), name="mailbox_address_unique_ci")]

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"


class EmailMessageRef(models.Model):
    """Every Message-ID we sent or stored, pointing at its ticket and article: In-Reply-To and
    References of a reply are looked up here first (threading)."""

    message_id = models.CharField(max_length=500, unique=True)
    direction = models.CharField(max_length=3, choices=MessageDirection.choices)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    article = models.ForeignKey("tickets.Article", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.message_id


def _webhook_secret() -> str:
    # Telegram allows 1-256 characters of A-Z, a-z, 0-9, _ and -: token_urlsafe gives exactly those.
    return secrets.token_urlsafe(32)


class TelegramBot(models.Model):
    """A Telegram bot clients write to: its token (write-only in the UI), how updates arrive
    (webhook or long polling), where its tickets are routed. See docs/architecture/telegram.md."""

    name = models.CharField(_("name"), max_length=200)
    token = models.CharField(_("bot token"), max_length=200)
    mode = models.CharField(
        _("updates arrive by"), max_length=8, choices=TelegramMode.choices, default=TelegramMode.WEBHOOK
    )
    # Telegram sends it back in X-Telegram-Bot-Api-Secret-Token on every webhook call.
    webhook_secret = models.CharField(max_length=256, default=_webhook_secret, editable=False)
    language = models.CharField(
        _("language"), max_length=2, default="ru", help_text=_("For clients whose language is not known yet.")
    )
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    category = models.ForeignKey(
        "tickets.ServiceCategory",
        verbose_name=_("service category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)
    # The bot's @username as Telegram's getMe tells it (refreshed when the webhook is registered):
    # staff link their accounts through https://t.me/<username>?start=<code>.
    username = models.CharField(_("bot username"), max_length=100, blank=True, editable=False)
    # Long polling: the highest update_id stored; getUpdates asks from the next one.
    last_update_id = models.BigIntegerField(default=0, editable=False)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("Telegram bot")
        verbose_name_plural = _("Telegram bots")

    def __str__(self) -> str:
        return self.name


class TelegramChat(models.Model):
    """One client's private chat with a bot: the contact it is linked to (after the client shared
    their phone number), the messages kept until then, and the ticket new messages add to."""

    bot = models.ForeignKey(TelegramBot, on_delete=models.CASCADE, related_name="chats")
    chat_id = models.BigIntegerField()
    user_id = models.BigIntegerField(null=True, blank=True)
    username = models.CharField(max_length=100, blank=True)
    full_name = models.CharField(max_length=300, blank=True)
    language = models.CharField(max_length=2, blank=True)
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="telegram_chats"
    )
    state = models.CharField(max_length=16, choices=TelegramChatState.choices, default=TelegramChatState.AWAITING_PHONE)
    # InboundMessage ids written before the contact was known: they become the ticket then.
    pending = models.JSONField(default=list, blank=True)
    ticket = models.ForeignKey("tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Pacing of outgoing messages (at most one a second to a chat): when the last one went out.
    last_sent_at = models.DateTimeField(null=True, blank=True)
    # A staff member's chat (linked by /start <code> from their profile): it receives their alerts
    # and is never treated as a client's chat.
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="telegram_chats"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bot", "chat_id"], name="telegram_chat_unique"),
            # One chat per staff member gets their alerts.
            models.UniqueConstraint(
                fields=["staff_user"], condition=models.Q(staff_user__isnull=False), name="telegram_chat_one_per_staff"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bot_id}:{self.chat_id}"


def _link_code() -> str:
    # Telegram's start parameter: up to 64 characters of A-Z, a-z, 0-9, _ and -.
    return "link_" + secrets.token_urlsafe(24)


class TelegramLinkCode(models.Model):
    """A one-time code a staff member's profile shows in a t.me deep link: the chat that sends
    `/start <code>` to the bot becomes that person's alert chat. It works once, for LINK_CODE_TTL."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="telegram_link_codes")
    bot = models.ForeignKey(TelegramBot, on_delete=models.CASCADE, related_name="link_codes")
    code = models.CharField(max_length=64, unique=True, default=_link_code)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"link code of {self.user_id} for bot {self.bot_id}"


class TelegramMessageRef(models.Model):
    """A client's Telegram message and the article it became (an edit updates that article)."""

    chat = models.ForeignKey(TelegramChat, on_delete=models.CASCADE, related_name="messages")
    message_id = models.BigIntegerField()
    article = models.ForeignKey("tickets.Article", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["chat", "message_id"], name="telegram_message_unique")]

    def __str__(self) -> str:
        return f"{self.chat_id}:{self.message_id}"


def _verify_token() -> str:
    return secrets.token_urlsafe(24)


class WhatsAppAccount(models.Model):
    """A WhatsApp Business number clients write to, reached through Meta's Cloud API: its ids, the
    access token and app secret (write-only in the UI), the verify token Meta's console asks for,
    where its tickets are routed, and the approved template used outside the 24-hour window.
    See docs/architecture/whatsapp.md."""

    name = models.CharField(_("name"), max_length=200)
    phone_number_id = models.CharField(
        _("phone number ID"), max_length=64, unique=True, help_text=_("From Meta's console: WhatsApp → API Setup.")
    )
    business_account_id = models.CharField(_("WhatsApp Business Account ID"), max_length=64, blank=True)
    display_phone_number = models.CharField(_("phone number"), max_length=50, blank=True)
    access_token = models.CharField(_("access token"), max_length=1000)
    # Meta signs every webhook body with it (X-Hub-Signature-256: sha256=<HMAC of the raw body>).
    app_secret = models.CharField(_("app secret"), max_length=200)
    # Meta's console sends it back once, when the webhook is set up (hub.verify_token).
    verify_token = models.CharField(_("verify token"), max_length=200, default=_verify_token)
    api_base_url = models.URLField(
        _("Graph API address"),
        max_length=300,
        default="https://graph.facebook.com/v21.0",
        help_text=_("Meta's Graph API with its version."),
    )
    language = models.CharField(
        _("language"), max_length=2, default="ru", help_text=_("For clients whose language is not known yet.")
    )
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    category = models.ForeignKey(
        "tickets.ServiceCategory",
        verbose_name=_("service category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    template_name = models.CharField(
        _("template for replies outside the 24-hour window"),
        max_length=512,
        blank=True,
        help_text=_(
            "An approved message template with one body parameter, the request number. Empty: such replies go "
            "by email when the client has an address."
        ),
    )
    template_language = models.CharField(_("template language code"), max_length=15, default="ru")
    is_active = models.BooleanField(_("active"), default=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("WhatsApp number")
        verbose_name_plural = _("WhatsApp numbers")

    def __str__(self) -> str:
        return self.name


class WhatsAppContact(models.Model):
    """One client's WhatsApp (their wa_id, the number in international digits) writing to one of
    our numbers: the contact it is linked to, the ticket new messages add to, and when they last
    wrote — replies may be free text only within 24 hours of that."""

    account = models.ForeignKey(WhatsAppAccount, on_delete=models.CASCADE, related_name="contacts")
    wa_id = models.CharField(max_length=32)
    profile_name = models.CharField(max_length=300, blank=True)
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="whatsapp_contacts"
    )
    ticket = models.ForeignKey("tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "wa_id"], name="whatsapp_contact_unique")]

    def __str__(self) -> str:
        return f"{self.account_id}:{self.wa_id}"


class Call(models.Model):
    """One phone call as the telephony provider reported it (channels/telephony): the caller's
    card rings on the agent whose extension the call reached; a missed call opens a ticket, and a
    recording reported later is linked on that ticket."""

    provider = models.CharField(max_length=16)
    call_id = models.CharField(max_length=200)
    state = models.CharField(_("state"), max_length=10, choices=CallState.choices, default=CallState.RINGING)
    caller = models.CharField(_("caller"), max_length=50, blank=True)
    called = models.CharField(_("called number"), max_length=50, blank=True)
    extension = models.CharField(_("extension"), max_length=20, blank=True, db_index=True)
    contact = models.ForeignKey("customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    recording = models.CharField(_("recording"), max_length=1000, blank=True)
    ticket = models.ForeignKey("tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    article = models.ForeignKey("tickets.Article", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "call_id"], name="call_provider_id_unique")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.call_id}"
