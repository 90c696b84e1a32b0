"""The browser tab's title: "<page> · Otklik", or "Otklik" for a page without a title of its own.

base.html wraps `{% block title %}` in `{% filter page_title %}`: a template cannot ask whether a
block is empty, but a filter sees what the block rendered."""

from django import template

register = template.Library()

SITE_NAME = "Otklik"


@register.filter(is_safe=True)
def page_title(value: str) -> str:
    text = " ".join(str(value).split())
    return f"{text} · {SITE_NAME}" if text else SITE_NAME
