"""The Python-written <input>s and <textarea>s are exactly what Django's widget templates give."""

import datetime

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from core.form_renderer import FastWidgetRenderer

TRICKY = 'a "quoted" <b>value</b> & more'


class _Form(forms.Form):
    text = forms.CharField(max_length=20, help_text="help", widget=forms.TextInput(attrs={"placeholder": TRICKY}))
    optional = forms.CharField(required=False)
    number = forms.IntegerField(min_value=0, required=False)
    email = forms.EmailField(required=False)
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), required=False)
    when = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), required=False)
    flag = forms.BooleanField(required=False)
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True), required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "disabled": True, "hidden": False}))


CASES = [
    {},
    {"text": TRICKY, "number": "0", "flag": "on", "notes": TRICKY, "hidden": "<x>", "secret": 's"e'},
    {"text": "", "number": "-1", "email": "not an email", "day": "2026-12-06", "when": "2026-12-06T10:15"},
    {"notes": mark_safe("<i>already safe</i>"), "optional": "   "},
]


@pytest.mark.parametrize("data", CASES)
@pytest.mark.parametrize("bound", [True, False])
def test_every_field_renders_byte_for_byte_as_with_the_templates(data, bound):
    # given: the same form rendered by Django's renderer and by ours
    initial = {"day": datetime.date(2026, 1, 2), "when": datetime.datetime(2026, 1, 2, 3, 4), "flag": True}
    django_form = _Form(data=data if bound else None, initial=initial, renderer=DjangoTemplates())
    fast_form = _Form(data=data if bound else None, initial=initial, renderer=FastWidgetRenderer())
    for name in _Form.base_fields:
        # when
        expected = str(django_form[name])
        got = str(fast_form[name])
        # then
        assert got == expected, name


def test_other_widgets_still_go_through_the_templates():
    # given
    class Choice(forms.Form):
        pick = forms.ChoiceField(choices=[("a", "A")], widget=forms.RadioSelect)

    # when / then
    assert str(Choice(renderer=FastWidgetRenderer())["pick"]) == str(Choice(renderer=DjangoTemplates())["pick"])
    assert "<input" in str(Choice(renderer=FastWidgetRenderer())["pick"])


def test_the_project_uses_it(settings):
    from django.forms.renderers import get_default_renderer

    get_default_renderer.cache_clear()
    try:
        assert isinstance(get_default_renderer(), FastWidgetRenderer)
    finally:
        get_default_renderer.cache_clear()
