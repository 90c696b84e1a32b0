"""Rule pages for administrators: the ordered list (move, switch on/off, delete) and the editor
(conditions and actions as form rows, "try it" on the last 500 tickets). automation/urls.py
collects `urlpatterns`."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from automation.models import Rule
from automation.rules.choices import RuleTrigger
from automation.rules.conditions import FIELDS, OPS
from automation.rules.forms import ActionFormSet, ConditionFormSet, RuleForm, rows
from automation.rules.history import change_text
from automation.rules.selectors import TRY_TICKETS, Trial, rule_get, rule_list, rule_try
from automation.rules.services import rule_delete, rule_move, rule_save, rule_set_active
from core.http import AuthedHttpRequest
from tickets.views.common import admin_required

ROW_BUTTONS = ("add_condition", "add_action", "refresh")


def _settings() -> dict[str, object]:
    """What the settings sidebar (tickets/_settings_nav.html) needs."""
    from tickets.views.admin_views import REFERENCE_KINDS

    return {"nav": "settings", "section": "rules", "kinds": REFERENCE_KINDS}


def _summary(rule: Rule) -> list[str]:
    """The rule's conditions in a few words: "Text contains any of the words: пожар, дым, …"."""
    parts = []
    for row in rule.conditions:
        spec = FIELDS.get(row.get("field", ""))
        if spec is None:
            continue
        value = row.get("value")
        if spec.kind in ("words", "regex") and isinstance(value, str):
            parts.append(f"{spec.label}: {Truncator(value).chars(48)}")
        elif spec.kind == "tags" and isinstance(value, list):
            parts.append(f"{spec.label} {dict(OPS[spec.kind]).get(row.get('op'), '')}: {', '.join(value)}")
        else:
            parts.append(f"{spec.label} {dict(OPS[spec.kind]).get(row.get('op'), '')}")
    return parts


@admin_required
@require_GET
def rule_list_view(request: AuthedHttpRequest) -> HttpResponse:
    rules = [
        {
            "rule": rule,
            "conditions": _summary(rule),
            "actions": [change_text({"action": a["action"]}) for a in rule.actions],
        }
        for rule in rule_list()
    ]
    return render(request, "automation/rules/list.html", {**_settings(), "rows": rules})


def _bump(data: QueryDict, prefix: str) -> QueryDict:
    data = data.copy()
    data[f"{prefix}-TOTAL_FORMS"] = str(int(data.get(f"{prefix}-TOTAL_FORMS") or 0) + 1)
    return data


def _editor(request: AuthedHttpRequest, rule: Rule) -> HttpResponse:
    trial: Trial | None = None
    if request.method == "POST":
        data: QueryDict = request.POST
        if "add_condition" in data:
            data = _bump(data, "conditions")
        if "add_action" in data:
            data = _bump(data, "actions")
        form = RuleForm(data, instance=rule)
        conditions = ConditionFormSet(data, prefix="conditions")
        actions = ActionFormSet(data, prefix="actions")
        editing_rows = any(name in data for name in ROW_BUTTONS)
        if not editing_rows and form.is_valid() and conditions.is_valid() and actions.is_valid():
            candidate = form.save(commit=False)
            if "try" in data:
                candidate.conditions, candidate.actions = rows(conditions), rows(actions)
                trial = rule_try(rule=candidate)
            else:
                try:
                    rule_save(rule=candidate, actor=request.user, conditions=rows(conditions), actions=rows(actions))
                except ValidationError as exc:
                    form.add_error(None, exc)
                else:
                    messages.success(request, _("Rule “%(name)s” saved.") % {"name": candidate.name})
                    return redirect("automation:rule_list")
    else:
        form = RuleForm(instance=rule)
        conditions = ConditionFormSet(prefix="conditions", initial=rule.conditions)
        actions = ActionFormSet(prefix="actions", initial=rule.actions)
    return render(
        request,
        "automation/rules/form.html",
        {
            **_settings(),
            "rule": rule,
            "form": form,
            "conditions": conditions,
            "actions": actions,
            "trial": trial,
            # Tickets that would change first, then those already so (each group newest first).
            "trial_rows": sorted(
                ((t, [change_text(c) for c in changes]) for t, changes in trial.matches),
                key=lambda row: not row[1],
            )
            if trial
            else [],
            "try_limit": TRY_TICKETS,
            "time_trigger": RuleTrigger.TIME.value,
            "title": rule.name if rule.pk else _("New rule"),
        },
    )


@admin_required
def rule_create(request: AuthedHttpRequest) -> HttpResponse:
    return _editor(request, Rule())


@admin_required
def rule_edit(request: AuthedHttpRequest, rule_id: int) -> HttpResponse:
    return _editor(request, rule_get(rule_id=rule_id))


@admin_required
@require_POST
def rule_delete_view(request: AuthedHttpRequest, rule_id: int) -> HttpResponse:
    rule = rule_get(rule_id=rule_id)
    rule_delete(rule=rule, actor=request.user)
    messages.success(request, _("Rule “%(name)s” deleted.") % {"name": rule.name})
    return redirect("automation:rule_list")


@admin_required
@require_POST
def rule_move_view(request: AuthedHttpRequest, rule_id: int) -> HttpResponse:
    offset = -1 if request.POST.get("direction") == "up" else 1
    rule_move(rule=rule_get(rule_id=rule_id), offset=offset, actor=request.user)
    return redirect("automation:rule_list")


@admin_required
@require_POST
def rule_toggle_view(request: AuthedHttpRequest, rule_id: int) -> HttpResponse:
    rule_set_active(rule=rule_get(rule_id=rule_id), active=request.POST.get("active") == "1", actor=request.user)
    return redirect("automation:rule_list")


urlpatterns: list[URLPattern] = [
    path("rules/", rule_list_view, name="rule_list"),
    path("rules/new/", rule_create, name="rule_create"),
    path("rules/<int:rule_id>/", rule_edit, name="rule_edit"),
    path("rules/<int:rule_id>/delete/", rule_delete_view, name="rule_delete"),
    path("rules/<int:rule_id>/move/", rule_move_view, name="rule_move"),
    path("rules/<int:rule_id>/toggle/", rule_toggle_view, name="rule_toggle"),
]
