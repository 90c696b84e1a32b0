"""Automatic assignment hears of new tickets and team changes (tickets/hooks.py, order 200:
after the rules, which may route the ticket to a team first)."""

from __future__ import annotations

from typing import Any

from tickets.hooks import hook_register

ORDER = 200


def assign_on_ticket_change(*, trigger: str, ticket: Any, changed: frozenset[str], **kwargs: Any) -> None:
    if trigger == "updated" and "team" not in changed:
        return
    # ticket_auto_assign re-reads the row: a rule at order 100 may have set the team (or an
    # assignee) on its own copy of it.
    from automation.assignment.services import ticket_auto_assign
    from tickets.reference import ticket_refresh

    if ticket_auto_assign(ticket=ticket) is not None:
        # The hooks after this one (and the caller) get the row as it is now, as after a rule.
        ticket_refresh(ticket)


def _strategy_saved(*, update_fields: frozenset[str] | None = None, **kwargs: Any) -> None:
    # A round-robin choice saves its row's last assignee on every ticket: only a change of the
    # strategy renews the reference snapshot (automatic_team_ids).
    if update_fields is None or "strategy" in update_fields:
        from tickets.reference import reference_changed

        reference_changed()


def _strategy_deleted(**kwargs: Any) -> None:
    from tickets.reference import reference_changed

    reference_changed()


def register() -> None:
    from django.db.models.signals import post_delete, post_save

    from automation.models import TeamAssignment

    post_save.connect(_strategy_saved, sender=TeamAssignment, dispatch_uid="assignment-strategy-saved")
    post_delete.connect(_strategy_deleted, sender=TeamAssignment, dispatch_uid="assignment-strategy-deleted")
    hook_register("created", assign_on_ticket_change, order=ORDER)
    # A rule routing a new ticket to a team: the "created" call below it assigns within that team.
    hook_register("updated", assign_on_ticket_change, order=ORDER, covered_by_created=True)
