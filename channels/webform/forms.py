"""The public request form (hosted at /request/, framed by the widget). See
docs/architecture/webform-telephony.md, "Web form and widget"."""

from __future__ import annotations

import uuid
from pathlib import PurePath
from typing import Any

from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from customers.models import normalize_phone
from portal.forms import MultipleFileInput, ServiceCategoryChoiceField
from tickets.models import ServiceCategory

# The hidden submission token: a client-generated id for deduplication, signed so that a bot
# cannot post without loading the form first, and short-lived.
SUBMISSION_SALT = "otklik.webform.submission"
SUBMISSION_MAX_AGE = 24 * 60 * 60


def submission_token_new() -> str:
    return signing.dumps(uuid.uuid4().hex, salt=SUBMISSION_SALT)


class WebAttachmentsField(forms.FileField):
    """Up to OTKLIK_WEBFORM_MAX_FILES files of the allowed extensions, each within
    OTKLIK_WEBFORM_MAX_FILE_BYTES."""

    widget = MultipleFileInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        items = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        files = [f for f in (super(WebAttachmentsField, self).clean(item, initial) for item in items) if f]
        if len(files) > settings.OTKLIK_WEBFORM_MAX_FILES:
            raise ValidationError(
                _("Attach at most %(count)d files."),
                code="too_many",
                params={"count": settings.OTKLIK_WEBFORM_MAX_FILES},
            )
        allowed = {e.lower().lstrip(".") for e in settings.OTKLIK_WEBFORM_ALLOWED_EXTENSIONS}
        limit = min(settings.OTKLIK_WEBFORM_MAX_FILE_BYTES, settings.OTKLIK_ATTACHMENT_MAX_BYTES)
        for upload in files:
            extension = PurePath(upload.name or "").suffix.lower().lstrip(".")
            if extension not in allowed:
                raise ValidationError(
                    _("%(name)s: files of this type are not accepted (allowed: %(allowed)s)."),
                    code="type",
                    params={"name": upload.name, "allowed": ", ".join(sorted(allowed))},
                )
            if upload.size is not None and upload.size > limit:
                raise ValidationError(
                    _("%(name)s is larger than %(limit)s."),
                    code="too_large",
                    params={"name": upload.name, "limit": filesizeformat(limit)},
                )
        return files


class WebRequestForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=200)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    message = forms.CharField(label=_("Message"), max_length=10000, widget=forms.Textarea(attrs={"rows": 5}))
    category = ServiceCategoryChoiceField(
        label=_("Service"),
        queryset=ServiceCategory.objects.none(),
        required=False,
        empty_label=_("Not sure"),
    )
    site = forms.CharField(
        label=_("Address or site"),
        max_length=255,
        required=False,
        help_text=_("Where the problem is, if it is about a particular place."),
    )
    attachments = WebAttachmentsField(label=_("Files"))
    # Honeypot: hidden from people, filled by form-filling bots.
    website = forms.CharField(label=_("Website"), required=False)
    submission = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = (  # type: ignore[attr-defined]
            ServiceCategory.objects.filter(is_active=True, visible_in_portal=True)
            .select_related("parent")
            .order_by("order", "id")
        )
        if not self.is_bound:
            self.initial.setdefault("submission", submission_token_new())

    def clean_submission(self) -> str:
        try:
            return str(signing.loads(self.cleaned_data["submission"], salt=SUBMISSION_SALT, max_age=SUBMISSION_MAX_AGE))
        except signing.BadSignature as exc:
            if getattr(self.data, "_mutable", False):
                self.data["submission"] = submission_token_new()  # type: ignore[index]  # sending again works
            raise ValidationError(_("The form has expired. Please send it again."), code="expired") from exc

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if phone and len(normalize_phone(phone)) < 5:
            raise ValidationError(_("%(phone)s is not a valid phone number.") % {"phone": phone})
        return phone

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("email") and not data.get("phone") and "email" not in self.errors:
            self.add_error("email", _("Leave a phone number or an email so that we can reach you."))
        if "submission" in self.errors:
            # Shown above the form (the field is hidden); a fresh token lets the next post through.
            self.add_error(None, self.errors.pop("submission")[0])
        return data


class TrackReplyForm(forms.Form):
    """The client's reply on the tracking page."""

    body = forms.CharField(
        label=_("Your reply"), required=False, widget=forms.Textarea(attrs={"rows": 4}), max_length=10000
    )
    attachments = WebAttachmentsField(label=_("Files"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("body") or "").strip() and not data.get("attachments") and not self.errors:
            raise ValidationError(_("Write a message or attach a file."), code="empty")
        return data
