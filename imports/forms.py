from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from imports.models import ImportJob
from imports.resources.base import resource_choices, resource_class


class UploadForm(forms.Form):
    resource = forms.ChoiceField(label=_("What to import"))
    file = forms.FileField(label=_("File"), help_text=_(".csv (UTF-8 or windows-1251; «;», «,» or tab) or .xlsx"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        resource_field: Any = self.fields["resource"]
        resource_field.choices = resource_choices()
        self.fields["file"].widget.attrs["accept"] = ".csv,.txt,.xlsx"


class MappingForm(forms.Form):
    """One <select> per file column: the field it feeds, or skip."""

    def __init__(self, *args: Any, job: ImportJob, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.job = job
        cls = resource_class(job.resource)
        choices = [("", _("— skip —"))] + [(c.code, f"{c.label}{' *' if c.required else ''}") for c in cls.columns]
        for index, header in enumerate(job.headers):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=header or _("Column %(number)s") % {"number": index + 1},
                choices=choices,
                required=False,
                initial=job.mapping.get(str(index), ""),
            )

    def mapping(self) -> dict[str, str]:
        return {name.removeprefix("column_"): value for name, value in self.cleaned_data.items() if value}

    def rows(self) -> list[dict[str, Any]]:
        """What the mapping screen shows per file column: its header, samples and the select."""
        return [
            {
                "number": index + 1,
                "header": header,
                "samples": [s[index] for s in self.job.samples if index < len(s) and s[index]][:3],
                "field": self[f"column_{index}"],
            }
            for index, header in enumerate(self.job.headers)
        ]
