"""The remembering `{% url %}` (core/templatetags/fast_url.py) gives what Django's gives."""

import pytest
from django.template import Context, Engine, Template
from django.test import override_settings
from django.urls import NoReverseMatch, reverse, set_script_prefix

from core.templatetags import fast_url

pytestmark = pytest.mark.django_db


def render(source: str, **context: object) -> str:
    # The project's engine: `url` is the builtin from core.templatetags.fast_url.
    return Engine.get_default().from_string(source).render(Context(context))


def test_builtin_url_is_the_remembering_one():
    template = Engine.get_default().from_string("{% url 'tickets:queue' %}")
    assert isinstance(template.nodelist[0], fast_url.MemoURLNode)


@pytest.mark.parametrize(
    ("source", "context", "expected"),
    [
        ("{% url 'tickets:queue' %}", {}, reverse("tickets:queue")),
        ("{% url 'tickets:detail' number %}", {"number": 347}, reverse("tickets:detail", args=[347])),
        ("{% url 'tickets:detail' number=n %}", {"n": "12"}, reverse("tickets:detail", kwargs={"number": "12"})),
        ("{% url name 5 %}", {"name": "tickets:detail"}, reverse("tickets:detail", args=[5])),
        ("{% url 'tickets:detail' 7 as link %}[{{ link }}]", {}, "[" + reverse("tickets:detail", args=[7]) + "]"),
        ("{% url 'no-such-view' as link %}[{{ link }}]", {}, "[]"),
    ],
)
def test_same_output_as_django(source, context, expected):
    fast_url._reverse.cache_clear()
    first = render(source, **context)
    again = render(source, **context)  # from the memo
    assert first == again == expected
    # Django's own tag, loaded explicitly, agrees.
    django_own = Template(source, engine=Engine(builtins=[]))
    assert not isinstance(django_own.nodelist[0], fast_url.MemoURLNode)
    assert django_own.render(Context(context)) == expected


def test_unknown_name_raises_as_django_does():
    with pytest.raises(NoReverseMatch):
        render("{% url 'no-such-view' %}")


def test_model_instances_are_not_remembered():
    class Numbered:
        def __init__(self, text: str) -> None:
            self.text = text

        def __str__(self) -> str:
            return self.text

    fast_url._reverse.cache_clear()
    obj = Numbered("10")
    assert render("{% url 'tickets:detail' obj %}", obj=obj) == reverse("tickets:detail", args=[10])
    obj.text = "11"  # same object, another str(): a memo keyed on the object would answer 10
    assert render("{% url 'tickets:detail' obj %}", obj=obj) == reverse("tickets:detail", args=[11])
    assert fast_url._reverse.cache_info().currsize == 0


def test_script_prefix_is_part_of_the_key():
    fast_url._reverse.cache_clear()
    plain = render("{% url 'tickets:detail' 3 %}")
    try:
        set_script_prefix("/desk/")
        prefixed = render("{% url 'tickets:detail' 3 %}")
    finally:
        set_script_prefix("/")
    assert prefixed == "/desk" + plain
    assert render("{% url 'tickets:detail' 3 %}") == plain


def test_settings_change_forgets():
    render("{% url 'tickets:queue' %}")
    assert fast_url._reverse.cache_info().currsize >= 1
    with override_settings(ROOT_URLCONF="config.urls"):
        assert fast_url._reverse.cache_info().currsize == 0


def test_true_and_one_are_told_apart():
    fast_url._reverse.cache_clear()
    one = render("{% url 'tickets:detail' 1 %}")
    with pytest.raises(NoReverseMatch):  # "True" is not a ticket number: Django's answer too
        render("{% url 'tickets:detail' flag %}", flag=True)
    assert one == reverse("tickets:detail", args=[1])
