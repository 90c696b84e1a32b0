"""Django's form renderer with the plainest widgets — <input> of every type and <textarea> —
written out in Python. Django renders each widget through two templates (the widget's and
attrs.html); a ticket page has some twenty of them, which cost more CPU than its conversation.
The markup is byte for byte what Django's templates give (core/tests/test_form_renderer.py);
every other template — selects, radio lists, whole forms, errors — still goes to the templates.
Set as FORM_RENDERER in config/settings.py."""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape

WIDGETS = "django/forms/widgets/"
# Widget templates that are nothing but {% include "django/forms/widgets/input.html" %}.
INPUT_TEMPLATES = frozenset(
    WIDGETS + name + ".html"
    for name in (
        "input", "text", "number", "email", "url", "password", "hidden", "date", "datetime", "time",
        "checkbox", "search", "tel", "color",
    )
)  # fmt: skip
TEXTAREA_TEMPLATE = WIDGETS + "textarea.html"


def _attrs(attrs: dict[str, Any]) -> str:
    # attrs.html: False leaves the attribute out, True writes it bare, anything else as a string.
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {conditional_escape(name)}")
        if value is not True:
            parts.append(f'="{conditional_escape(str(value))}"')
    return "".join(parts)


def render_input(widget: dict[str, Any]) -> str:
    value = widget["value"]
    shown = f' value="{conditional_escape(str(value))}"' if value is not None else ""
    return (
        f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"'
        f"{shown}{_attrs(widget['attrs'])}>"
    )


def render_textarea(widget: dict[str, Any]) -> str:
    value = widget["value"]
    body = conditional_escape(value) if value else ""
    return f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n{body}</textarea>'


class FastWidgetRenderer(DjangoTemplates):
    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        widget = context.get("widget") if isinstance(context, dict) else None
        if isinstance(widget, dict) and "attrs" in widget:
            if template_name in INPUT_TEMPLATES:
                return render_input(widget)
            if template_name == TEXTAREA_TEMPLATE:
                return render_textarea(widget)
        return super().render(template_name, context, request)
