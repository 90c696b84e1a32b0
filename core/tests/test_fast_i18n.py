"""The `i18n` library of the project (core/templatetags/fast_i18n.py) renders what Django's does."""

import pytest
from django.template import Context, Engine
from django.test import override_settings
from django.utils import translation

from core.templatetags import fast_i18n

SOURCES = [
    '{% translate "Tickets" %}',
    "{% trans 'Save' %}",
    '{% translate "Save" as label %}[{{ label }}]',
    '{% translate "a%%b" %}',
    '{% translate "Tickets"|upper %}',
    '{% translate "May" context "month name" %}',
    '{% translate "Tickets" noop %}',
    "{% translate word %}",
    '{% autoescape off %}{% translate "Tickets" %}{% endautoescape %}',
    "{% blocktranslate with n=3 %}{{ n }} tickets{% endblocktranslate %}",
    "{% get_current_language as code %}{{ code }}",
]


def ours() -> Engine:
    return Engine.get_default()


def djangos() -> Engine:
    return Engine(libraries={"i18n": "django.templatetags.i18n"})  # Django's own


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("language", ["ru", "en"])
def test_same_text_as_djangos(source, language):
    fast_i18n._memo.clear()
    context = {"word": "Tickets <b>"}
    with translation.override(language):
        expected = djangos().from_string("{% load i18n %}" + source).render(Context(context))
        template = ours().from_string("{% load i18n %}" + source)
        first, again = template.render(Context(context)), template.render(Context(context))
    assert first == again == expected


def test_literals_are_kept_per_language_and_escaping():
    fast_i18n._memo.clear()
    template = ours().from_string('{% load i18n %}{% translate "Tickets" %}')
    assert isinstance(template.nodelist[1], fast_i18n.MemoTranslateNode)
    with translation.override("ru"):
        assert template.render(Context()) == "Заявки"
    with translation.override("en"):
        assert template.render(Context()) == "Tickets"
        assert template.render(Context(autoescape=False)) == "Tickets"
    assert {(language, escaped) for language, _text, escaped in fast_i18n._memo} == {
        ("ru", True),
        ("en", True),
        ("en", False),
    }


def test_only_plain_literals_are_kept():
    fast_i18n._memo.clear()
    source = "{% load i18n %}{% translate word %}{% translate 'Tickets'|upper %}{% translate 'May' context 'month' %}"
    ours().from_string(source).render(Context({"word": "Tickets"}))
    assert fast_i18n._memo == {}


def test_settings_change_forgets():
    ours().from_string('{% load i18n %}{% translate "Tickets" %}').render(Context())
    assert fast_i18n._memo
    with override_settings(LANGUAGE_CODE="en"):
        assert fast_i18n._memo == {}
