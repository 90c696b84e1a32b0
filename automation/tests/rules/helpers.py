"""Rules for tests, cleaned as the editor cleans them."""

from typing import Any

from automation.models import Rule
from automation.rules.actions import clean_action
from automation.rules.conditions import clean_condition


def make_rule(
    *,
    name: str = "Тестовое правило",
    trigger: str = "created",
    conditions: list[dict[str, Any]] = (),  # type: ignore[assignment]
    actions: list[dict[str, Any]] = (),  # type: ignore[assignment]
    **fields: Any,
) -> Rule:
    return Rule.objects.create(
        name=name,
        trigger=trigger,
        conditions=[clean_condition(row) for row in conditions],
        actions=[clean_action(row) for row in actions],
        **fields,
    )


def cond(field: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value}


def act(action: str, value: Any = None) -> dict[str, Any]:
    return {"action": action, "value": value}
