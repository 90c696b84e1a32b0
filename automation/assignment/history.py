"""How an automatic assignment reads in the ticket history, in the viewer's language (the event
keeps codes and numbers, never sentences: tickets/templatetags/tickets_extras.py shows it)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from automation.choices import Strategy


def auto_assignment_text(auto: dict[str, Any]) -> str:
    strategy = auto.get("strategy", "")
    label = Strategy(strategy).label if strategy in Strategy.values else strategy
    why = auto.get("why")
    if why == "next_in_turn":
        detail = _("next in turn of %(n)s at work") % {"n": auto.get("of", 0)}
    elif why == "least_loaded":
        detail = _("fewest open tickets (weighted load %(load)s)") % {"load": _number(auto.get("load", 0))}
        category = auto.get("category")
        if isinstance(category, dict):
            name = category.get("name_en") if (get_language() or "ru").startswith("en") else category.get("name_ru")
            detail = _("handles %(category)s; %(detail)s") % {"category": name, "detail": detail}
    elif why == "site_engineer":
        detail = _("the default engineer of %(site)s") % {"site": auto.get("site", "")}
    elif why == "nearest":
        detail = _("nearest home base to %(site)s, %(km)s km") % {"site": auto.get("site", ""), "km": auto.get("km")}
        if auto.get("engineer_away"):
            detail = _("the site's engineer is away; %(detail)s") % {"detail": detail}
    else:
        detail = ""
    prefix = _("automatically: %(strategy)s") % {"strategy": label}
    return f"{prefix} — {detail}" if detail else prefix


def _number(value: Any) -> str:
    """17.0 → "17", 2.5 → "2.5" (the load is a float in the event)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return str(int(number)) if number.is_integer() else f"{number:g}"
