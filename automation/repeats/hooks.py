"""Repeat detection hears of new tickets (tickets/hooks.py, order 300: after the rules and the
assignment strategies)."""

from __future__ import annotations

from typing import Any

from tickets.hooks import hook_register

ORDER = 300


def detect_on_ticket_created(*, ticket: Any, **kwargs: Any) -> None:
    from automation.repeats.services import ticket_detect_repeats

    ticket_detect_repeats(ticket=ticket)


def register() -> None:
    hook_register("created", detect_on_ticket_created, order=ORDER)
