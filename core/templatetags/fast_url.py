"""`{% url %}` with the reversed paths remembered (a template builtin, settings.TEMPLATES).

Django's `reverse()` walks the URL resolver's lists for every call: 25–40 µs, and a staff page
has 20–40 of them (the navigation alone 15). The same view name with the same arguments gives the
same path as long as the URL configuration and the script prefix are the same, so the path is kept
under exactly those (a bounded LRU: a ticket page's links name ticket numbers). Arguments other
than numbers and strings (a model instance's `str()` can change under the same key; `True` equals
1 in a key) are reversed every time, as are names that do not reverse (`{% url … as var %}` then
gives "", as Django's does).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()

MEMO_SIZE = 4096
_PLAIN = (int, str)


@lru_cache(maxsize=MEMO_SIZE)
def _reverse(
    view_name: str,
    args: tuple[Any, ...],
    kwargs: tuple[tuple[str, Any], ...],
    current_app: str | None,
    urlconf: str | None,
    prefix: str,
    root: str,
) -> str:
    # `prefix` and `root` are part of the key only: reverse() reads both itself.
    return reverse(view_name, urlconf=urlconf, args=args, kwargs=dict(kwargs), current_app=current_app)


def _forget(**kwargs: Any) -> None:
    _reverse.cache_clear()


setting_changed.connect(_forget, dispatch_uid="fast_url_forget")


def _plain(value: Any) -> bool:
    # Not bool: True == 1 in a key, while reverse() writes "True" and "1".
    return isinstance(value, _PLAIN) and not isinstance(value, bool)


class MemoURLNode(URLNode):
    def render(self, context: template.Context) -> str:
        args = tuple(arg.resolve(context) for arg in self.args)
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        request = getattr(context, "request", None)
        current_app = getattr(request, "current_app", None)
        if current_app is None:
            current_app = getattr(getattr(request, "resolver_match", None), "namespace", None)
        try:
            if isinstance(view_name, str) and all(map(_plain, args)) and all(map(_plain, kwargs.values())):
                urlconf = get_urlconf()
                url = _reverse(
                    view_name,
                    args,
                    tuple(sorted(kwargs.items())),
                    current_app,
                    urlconf,
                    get_script_prefix(),
                    settings.ROOT_URLCONF,
                )
            else:
                url = reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
            url = ""
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser: template.base.Parser, token: template.base.Token) -> MemoURLNode:
    """Django's `{% url %}` (same syntax, same output), with the path remembered."""
    node = django_url(parser, token)
    return MemoURLNode(node.view_name, node.args, node.kwargs, node.asvar)
