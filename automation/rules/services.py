"""Writes to rules (the editor's). Each save drops the compiled rules (engine.rules_changed via
the model signal), so the next ticket event evaluates the new set."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from automation.models import Rule
from automation.rules.actions import clean_action
from automation.rules.conditions import clean_condition


@transaction.atomic
def rule_save(
    *,
    rule: Rule,
    actor: User | None,
    conditions: list[dict[str, Any]],
    actions: list[dict[str, Any]],
) -> Rule:
    """Save `rule` (new or changed fields already set on it) with its condition and action rows,
    each cleaned (ValidationError names what is wrong). A new rule goes to the end of the list."""
    rule.conditions = [clean_condition(row) for row in conditions]
    rule.actions = [clean_action(row) for row in actions]
    if rule.pk is None:
        rule.order = (Rule.objects.aggregate(top=Max("order"))["top"] or 0) + 10
    rule.updated_at = timezone.now()
    rule.updated_by = actor
    rule.save()
    return rule


@transaction.atomic
def rule_delete(*, rule: Rule, actor: User | None) -> None:
    rule.delete()


@transaction.atomic
def rule_set_active(*, rule: Rule, active: bool, actor: User | None) -> None:
    rule.is_active = active
    rule.updated_at = timezone.now()
    rule.updated_by = actor
    rule.save(update_fields=["is_active", "updated_at", "updated_by"])


@transaction.atomic
def rule_move(*, rule: Rule, offset: int, actor: User | None) -> None:
    """Move a rule up (offset -1) or down (+1) in the evaluation order; orders are renumbered."""
    ordered = list(Rule.objects.select_for_update().order_by("order", "id"))
    index = next(i for i, row in enumerate(ordered) if row.pk == rule.pk)
    target = min(max(index + offset, 0), len(ordered) - 1)
    ordered.insert(target, ordered.pop(index))
    for position, row in enumerate(ordered, start=1):
        if row.order != position * 10:
            row.order = position * 10
            row.save(update_fields=["order"])
