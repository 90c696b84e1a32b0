"""A <select> rendered in Python. Django's widget rendering runs a template per <option>; with a
few hundred staff in an assignee list that dominated the queue and ticket pages (bench/README.md)."""

import html
from typing import Any

from django import forms, template
from django.forms.boundfield import BoundField
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()


def _selected_values(field: BoundField) -> set[str]:
    value = field.value()
    if value is None:
        return set()
    values = value if isinstance(value, list | tuple) else [value]
    return {str(getattr(v, "pk", v)) for v in values if v not in (None, "")}


@register.simple_tag
def fast_select(field: BoundField, size: int | None = None, objects: list | None = None) -> SafeString:
    """`field` (a ChoiceField / ModelChoiceField, single or multiple) as a <select>. `objects`
    (or the field's `choice_objects`), when the page already has the model choices (e.g. the
    reference snapshot's staff list), saves the query."""
    multiple = isinstance(field.field.widget, forms.SelectMultiple)
    size = size or field.field.widget.attrs.get("size")
    selected = _selected_values(field)
    form_field = field.field
    choices: list[tuple[object, object]]
    # A list given here, or one the form marked as the snapshot's (`choice_objects_shared`), is
    # the same object for every page until the snapshot is renewed: its options are kept.
    shared = objects is not None or getattr(form_field, "choice_objects_shared", False)
    if objects is None:
        objects = getattr(form_field, "choice_objects", None)
    if isinstance(form_field, forms.ModelChoiceField) and objects is not None and shared:
        # A list the page shares with every other (the reference snapshot's staff): its options
        # are escaped once per list and language, and only the chosen ones marked here.
        html_options = _shared_options(objects, form_field)
        for value in selected:
            plain = f'<option value="{html.escape(value)}">'
            html_options = html_options.replace(plain, plain[:-1] + " selected>", 1)
        if form_field.empty_label is not None and not multiple:
            html_options = _option("", form_field.empty_label) + html_options
        return _select(field, multiple, size, mark_safe(html_options))  # noqa: S308 - escaped above
    if isinstance(form_field, forms.ModelChoiceField):
        # One plain fetch (ModelChoiceIterator would stream it through .iterator()).
        assert form_field.queryset is not None
        rows = objects if objects is not None else form_field.queryset
        choices = [(obj.pk, form_field.label_from_instance(obj)) for obj in rows]
        if form_field.empty_label is not None and not multiple:
            choices.insert(0, ("", form_field.empty_label))
    else:
        choices = list(form_field.choices)  # type: ignore[attr-defined]
    # html.escape per value and label (quote=True): the same escaping format_html applies, at a
    # fraction of its per-call cost over hundreds of options.
    parts = []
    for raw_value, label in choices:
        value = str(getattr(raw_value, "value", raw_value))
        parts.append(_option(value, label, selected=value in selected))
    options = mark_safe("".join(parts))  # noqa: S308 - every value and label escaped by _option
    return _select(field, multiple, size, options)


def _option(value: str, label: object, *, selected: bool = False) -> str:
    marker = " selected" if selected else ""
    return f'<option value="{html.escape(value)}"{marker}>{html.escape(str(label))}</option>'


# (id of the list, language, field class) → (the list itself, its options): holding the list keeps its
# id from being reused by another while the entry lives. A few dozen entries: one per snapshot list,
# language and field class.
_SHARED: dict[tuple[int, str, type], tuple[list[Any], str]] = {}


def _shared_options(objects: list[Any], form_field: forms.ModelChoiceField) -> str:
    key = (id(objects), get_language() or "", type(form_field))
    hit = _SHARED.get(key)
    if hit is not None and hit[0] is objects:
        return hit[1]
    options = "".join(_option(str(obj.pk), form_field.label_from_instance(obj)) for obj in objects)
    if len(_SHARED) >= 64:
        _SHARED.clear()
    _SHARED[key] = (objects, options)
    return options


def _select(field: BoundField, multiple: bool, size: Any, options: SafeString) -> SafeString:
    attributes = format_html(
        ' name="{}" id="{}"{}{}{}',
        field.html_name,
        field.id_for_label,
        mark_safe(" multiple") if multiple else "",
        format_html(' size="{}"', size) if size else "",
        mark_safe(" required") if field.field.required else "",
    )
    return format_html("<select{}>{}</select>", attributes, options)


@register.simple_tag
def options(objects: list, label: str = "name") -> SafeString:
    """`<option value="pk">label</option>` for each object, label read from attribute `label`.
    A list kept by the reference snapshot (its staff: hundreds of people on every queue page) is
    written once per language and kept with it, as `_shared_options` does."""
    key = (id(objects), get_language() or "", label)
    hit = _OPTIONS.get(key)
    if hit is not None and hit[0] is objects:
        return mark_safe(hit[1])  # noqa: S308 - escaped when written
    text = "".join(f'<option value="{obj.pk}">{html.escape(str(getattr(obj, label)))}</option>' for obj in objects)
    if len(_OPTIONS) >= 16:
        _OPTIONS.clear()
    _OPTIONS[key] = (objects, text)
    return mark_safe(text)  # noqa: S308 - every value and label escaped


_OPTIONS: dict[tuple[int, str, str], tuple[list[Any], str]] = {}
