from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from customers.models import Site
from portal.choices import MAX_ATTACHMENTS_PER_MESSAGE
from tickets.models import ServiceCategory
from tickets.services import UploadedFileData


class MagicLinkRequestForm(forms.Form):
    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Any number of files from one <input type=file multiple>, each within the size limit."""

    widget = MultipleFileInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        items = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        files = [super(MultipleFileField, self).clean(item, initial) for item in items]
        files = [f for f in files if f]
        if self.required and not files:
            raise ValidationError(self.error_messages["required"], code="required")
        if len(files) > MAX_ATTACHMENTS_PER_MESSAGE:
            raise ValidationError(
                _("Attach at most %(count)d files to one message."),
                code="too_many",
                params={"count": MAX_ATTACHMENTS_PER_MESSAGE},
            )
        limit = settings.OTKLIK_ATTACHMENT_MAX_BYTES
        for upload in files:
            if upload.size is not None and upload.size > limit:
                raise ValidationError(
                    _("%(name)s is larger than %(limit)s."),
                    code="too_large",
                    params={"name": upload.name, "limit": filesizeformat(limit)},
                )
        return files


def uploaded_files(files: list[UploadedFile]) -> list[UploadedFileData]:
    """Browser uploads in the shape tickets.services stores."""
    return [UploadedFileData(name=f.name or "file", content_type=f.content_type or "", file=f) for f in files]


class ServiceCategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ServiceCategory) -> str:
        return f"{obj.parent.name} / {obj.name}" if obj.parent else obj.name


class TicketCreateForm(forms.Form):
    category = ServiceCategoryChoiceField(
        label=_("Service"), queryset=ServiceCategory.objects.none(), empty_label=_("Choose a service")
    )
    site = forms.ModelChoiceField(
        label=_("Site"),
        queryset=Site.objects.none(),
        required=False,
        empty_label=_("Not about a particular site"),
        help_text=_("The building or office where the problem is."),
    )
    title = forms.CharField(label=_("Subject"), max_length=255)
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What happened, where exactly, and since when."),
    )
    attachments = MultipleFileField(
        label=_("Attachments"), help_text=_("Photos, screenshots or documents; you can choose several.")
    )

    def __init__(self, *args: Any, categories: QuerySet[ServiceCategory], sites: QuerySet[Site], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A desk without a portal catalogue, or a company without sites, simply gets no such field.
        if categories.exists():
            self.fields["category"].queryset = categories  # type: ignore[attr-defined]
        else:
            del self.fields["category"]
        site_ids = list(sites.values_list("pk", flat=True)[:2])
        if site_ids:
            self.fields["site"].queryset = sites  # type: ignore[attr-defined]
            if len(site_ids) == 1:
                self.fields["site"].initial = site_ids[0]
        else:
            del self.fields["site"]


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"), required=False, widget=forms.Textarea(attrs={"rows": 5}), max_length=100_000
    )
    attachments = MultipleFileField(label=_("Attachments"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("body") or "").strip() and not data.get("attachments") and not self.errors:
            raise ValidationError(_("Write a message or attach a file."), code="empty")
        return data


class QrRequestForm(forms.Form):
    """A request from a scanned equipment label, without signing in."""

    name = forms.CharField(label=_("Your name"), max_length=200)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(label=_("Email"), required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    description = forms.CharField(label=_("What happened?"), widget=forms.Textarea(attrs={"rows": 5}), max_length=10000)
    attachments = MultipleFileField(label=_("Photos"), help_text=_("A photo of the problem helps the engineer."))
    # Left empty by people; bots fill every field. Hidden with CSS, not type=hidden.
    website = forms.CharField(required=False, label=_("Leave this field empty"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("phone") and not data.get("email"):
            self.add_error("phone", _("Leave a phone number or an email so that we can reach you."))
        return data
