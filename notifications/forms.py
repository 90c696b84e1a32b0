from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.choices import AlertKind
from notifications.services import Delivery


class NotificationSettingsForm(forms.Form):
    """Per kind of alert: shown at all (in the app), by email, by Telegram — three checkboxes named
    <kind>-enabled, <kind>-email, <kind>-telegram."""

    COLUMNS = (("enabled", _("In the app")), ("email", _("Email")), ("telegram", _("Telegram")))

    def __init__(self, *args: Any, current: dict[str, Delivery], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in AlertKind:
            choice = current[kind]
            for column, label in self.COLUMNS:
                name = f"{kind.label}: {label}"
                self.fields[f"{kind}-{column}"] = forms.BooleanField(
                    label=name,
                    required=False,
                    initial=getattr(choice, column),
                    # The table shows the kind and the column as headers; a screen reader gets both.
                    widget=forms.CheckboxInput(attrs={"aria-label": name}),
                )

    def choices(self) -> dict[str, Delivery]:
        data = self.cleaned_data
        return {
            kind: Delivery(
                enabled=data[f"{kind}-enabled"], email=data[f"{kind}-email"], telegram=data[f"{kind}-telegram"]
            )
            for kind in AlertKind
        }

    def rows(self) -> list[tuple[str, list[forms.BoundField]]]:
        """(kind's label, its three checkboxes) for the table."""
        return [(str(kind.label), [self[f"{kind}-{column}"] for column, _label in self.COLUMNS]) for kind in AlertKind]
