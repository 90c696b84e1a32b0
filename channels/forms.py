from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from channels.models import Mailbox, TelegramBot, WhatsAppAccount

PASSWORD_FIELDS = ("imap_password", "smtp_password")


MEGABYTE = 1024 * 1024


class MailboxForm(forms.ModelForm):
    """A mailbox's settings. The passwords are write-only: never rendered back, and an empty
    field keeps the stored one."""

    language = forms.ChoiceField(label=_("language"), choices=[("ru", "Русский"), ("en", "English")])
    # Stored in bytes, typed in megabytes: "26214400" meant nothing to an administrator.
    max_message_bytes = forms.DecimalField(
        label=_("largest message, MB"),
        min_value=Decimal("0.1"),
        max_value=Decimal(1024),
        decimal_places=1,
        initial=Decimal(25),
        help_text=_("Larger mail is refused by the listener or quarantined when fetched, with a notice."),
    )

    class Meta:
        model = Mailbox
        fields = [
            "name",
            "address",
            "brand_name",
            "signature",
            "language",
            "team",
            "category",
            "is_active",
            "ticket_tag",
            "max_message_bytes",
            "auto_reply",
            "auto_replies_per_day",
            "inbound",
            "imap_host",
            "imap_port",
            "imap_security",
            "imap_username",
            "imap_password",
            "imap_folder",
            "imap_processed",
            "imap_processed_folder",
            "imap_quarantine_folder",
            "imap_poll_seconds",
            "imap_idle",
            "smtp_host",
            "smtp_port",
            "smtp_security",
            "smtp_username",
            "smtp_password",
        ]
        widgets = {
            "signature": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["max_message_bytes"] = (Decimal(self.instance.max_message_bytes) / MEGABYTE).quantize(
                Decimal("0.1")
            )
        for name in PASSWORD_FIELDS:
            field = self.fields[name]
            field.widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
            if self.instance.pk and getattr(self.instance, name):
                field.help_text = _("Stored. Leave empty to keep it.")

    # The edit page shows the fields in these groups (templates/channels/mailbox_edit.html).
    SECTIONS = {
        "routing": ("name", "address", "brand_name", "language", "team", "category", "is_active", "signature"),
        "replies": ("ticket_tag", "auto_reply", "auto_replies_per_day", "max_message_bytes"),
        "inbound": ("inbound",),
        "imap": tuple(name for name in Meta.fields if name.startswith("imap_")),
        "smtp": tuple(name for name in Meta.fields if name.startswith("smtp_")),
    }

    def section(self, key: str) -> list[forms.BoundField]:
        return [self[name] for name in self.SECTIONS[key]]

    @property
    def sections(self) -> dict[str, list[forms.BoundField]]:
        return {key: self.section(key) for key in self.SECTIONS}

    def clean_address(self) -> str:
        address = self.cleaned_data["address"].strip().lower()
        if Mailbox.objects.filter(address__iexact=address).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("Another mailbox already has this address."))
        return str(address)

    def _kept_password(self, name: str) -> str:
        value = self.cleaned_data.get(name) or ""
        if not value and self.instance.pk:
            return str(Mailbox.objects.filter(pk=self.instance.pk).values_list(name, flat=True).first() or "")
        return str(value)

    def clean_max_message_bytes(self) -> int:
        if self.instance.pk and "max_message_bytes" not in self.changed_data:
            return int(self.instance.max_message_bytes)  # shown rounded to 0.1 MB: kept as stored
        return int(self.cleaned_data["max_message_bytes"] * MEGABYTE)

    def clean_imap_password(self) -> str:
        return self._kept_password("imap_password")

    def clean_smtp_password(self) -> str:
        return self._kept_password("smtp_password")


class EmlUploadForm(forms.Form):
    file = forms.FileField(label=_("Message (.eml)"))
    mailbox = forms.ModelChoiceField(
        label=_("Mailbox"),
        queryset=Mailbox.objects.all(),
        required=False,
        help_text=_("Empty: found from the message's recipients."),
    )


class TelegramBotForm(forms.ModelForm):
    """A bot's settings. The token is write-only: never rendered back; empty keeps the stored one."""

    language = forms.ChoiceField(label=_("language"), choices=[("ru", "Русский"), ("en", "English")])

    class Meta:
        model = TelegramBot
        fields = ["name", "token", "mode", "language", "team", "category", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["token"]
        field.widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
        field.help_text = _("From @BotFather, like 123456:ABC-DEF…")
        if self.instance.pk:
            field.required = False
            field.help_text = _("Stored. Leave empty to keep it.")

    def clean_token(self) -> str:
        value = (self.cleaned_data.get("token") or "").strip()
        if not value and self.instance.pk:
            return str(TelegramBot.objects.filter(pk=self.instance.pk).values_list("token", flat=True).first() or "")
        if ":" not in value:
            raise forms.ValidationError(_("A bot token looks like 123456:ABC-DEF…"))
        return value


class WhatsAppAccountForm(forms.ModelForm):
    """A WhatsApp number's settings. The access token and the app secret are write-only: never
    rendered back; an empty field keeps the stored value."""

    SECRETS = ("access_token", "app_secret")
    language = forms.ChoiceField(label=_("language"), choices=[("ru", "Русский"), ("en", "English")])
    api_base_url = forms.URLField(
        label=_("Graph API address"),
        assume_scheme="https",
        help_text=_("Meta's Graph API with its version."),
        # A declared field takes no default from the model: without this a new number's form came
        # empty, and "required" refused it.
        initial=WhatsAppAccount._meta.get_field("api_base_url").default,
    )

    class Meta:
        model = WhatsAppAccount
        fields = [
            "name",
            "phone_number_id",
            "business_account_id",
            "access_token",
            "app_secret",
            "verify_token",
            "api_base_url",
            "language",
            "team",
            "category",
            "template_name",
            "template_language",
            "is_active",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["access_token"].help_text = _(
            "A permanent token of a system user with whatsapp_business_messaging."
        )
        self.fields["app_secret"].help_text = _("App settings → Basic → App secret: checks the webhook's signature.")
        self.fields["verify_token"].help_text = _("Paste it into Meta's console with the webhook address.")
        for name in self.SECRETS:
            field = self.fields[name]
            # A stored secret is never rendered back; one typed into a new number's form is, when
            # the form comes back with an error elsewhere, so it need not be typed again.
            field.widget = forms.PasswordInput(
                render_value=not self.instance.pk, attrs={"autocomplete": "new-password"}
            )
            if self.instance.pk:
                field.required = False
                field.help_text = _("Stored. Leave empty to keep it.")

    def _secret(self, name: str) -> str:
        value = (self.cleaned_data.get(name) or "").strip()
        if not value and self.instance.pk:
            stored = WhatsAppAccount.objects.filter(pk=self.instance.pk).values_list(name, flat=True).first()
            return str(stored or "")
        return value

    def clean_access_token(self) -> str:
        return self._secret("access_token")

    def clean_app_secret(self) -> str:
        return self._secret("app_secret")

    def clean_phone_number_id(self) -> str:
        value = (self.cleaned_data.get("phone_number_id") or "").strip()
        if not value.isdecimal():
            raise forms.ValidationError(_("The phone number ID is a number, like 106540352242922."))
        return value
