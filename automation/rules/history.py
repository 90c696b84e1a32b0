"""How a "rule_fired" / "rules_cut_off" event reads in the ticket history (tickets_extras calls
this), in the viewer's language."""

from __future__ import annotations

from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from automation.rules.actions import ACTIONS


def _name(ref: Any) -> str:
    if not isinstance(ref, dict):
        return "—"
    if "name_ru" in ref:
        return str(ref["name_en"] if (get_language() or "ru").startswith("en") else ref["name_ru"])
    return str(ref.get("name", "—"))


def change_text(change: dict[str, Any]) -> str:
    code = change.get("action", "")
    spec = ACTIONS.get(code)
    label = str(spec.label) if spec is not None else code
    if "error" in change:
        failed = _("not done")
        return f"{label}: {failed} ({change['error']})"
    if "new" in change:
        return f"{label}: {_name(change['new'])}"
    if "tags" in change:
        return f"{label}: {', '.join(change['tags'])}"
    if "to" in change:
        to = change["to"]
        return f"{label}: {', '.join(to) if isinstance(to, list) else to}"
    if "url" in change:
        return f"{label}: {change['url']}"
    return label


def event_text(kind: str, data: dict[str, Any]) -> SafeString:
    if kind == "rules_cut_off":
        return format_html(
            "{}",
            _("automation rules stopped: they kept changing the ticket (more than %(depth)s rounds)")
            % {"depth": data.get("depth", "?")},
        )
    rule = data.get("rule") or {}
    changes = "; ".join(change_text(c) for c in data.get("changes") or [])
    return format_html("{} «{}»: {}", _("rule"), rule.get("name", ""), changes or "—")
