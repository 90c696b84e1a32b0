"""What other apps do when a ticket changes (DESIGN.md: "everything hangs off events").

Ticket services call `hooks_run()` at the end of a change, inside their transaction, after the
change and its events are written. Triggers and what they pass:

- "created": `ticket_create` — `changed` is empty, `article` is the ticket's first article.
- "updated": `ticket_update`, `ticket_set_status`, `ticket_assign`, `ticket_set_tags` —
  `changed` names the fields that changed ("status", "assignee", "team", "tags", "priority", …).
- "article_added": `article_create` — `article` is the new article (a client's message, an
  agent's reply or note, a system message).
- "sla_warning", "sla_breach": the SLA sweep (sla/sweep.py) fired a warning or a breach —
  `changed` names the target ("first_response", "next_response", "resolution").

Hooks are registered by other apps from their AppConfig.ready() with an order (lower runs first):
rules (automation) before assignment strategies, so a rule that routes a ticket to a team is
followed by that team's strategy. A hook may call ticket services itself, which run the hooks
again: a hook that does so must guard against loops (automation keeps a depth limit), and must
re-read the ticket it was given once it changed it (`tickets.reference.ticket_refresh`), so the
hooks after it and the caller see the row as it is — the services write their own locked copy.
The rules and automatic assignment do; staff alerts rely on it.
Each hook is called as `hook(trigger=…, ticket=…, actor=…, changed=frozenset[str], article=…)`.

A hook registered for "updated" with `covered_by_created=True` is not called for a ticket whose
"created" round is still running: a rule at order 100 that routes a new ticket to a team changes
it (an "updated" round), and the same hook's "created" call, later in that round, sees the ticket
as it ends up — automatic assignment and staff alerts read the current team and assignee there,
so the nested call would only repeat their reads (and, for alerts, tell the creator of their own
ticket).
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accounts.models import User
    from tickets.models import Article, Ticket

TRIGGERS = ("created", "updated", "article_added", "sla_warning", "sla_breach")

TicketHook = Callable[..., Any]

_hooks: dict[str, list[tuple[int, TicketHook, bool]]] = {trigger: [] for trigger in TRIGGERS}
# Tickets whose "created" round is running in this context (see the module's docstring).
_creating: ContextVar[frozenset[int]] = ContextVar("tickets_hooks_creating", default=frozenset())


def hook_register(trigger: str, hook: TicketHook, *, order: int = 100, covered_by_created: bool = False) -> None:
    """Call `hook` on `trigger` (once, however often AppConfig.ready() runs). `covered_by_created`
    ("updated" only): skip the call while the ticket's "created" round runs (module docstring)."""
    if trigger not in _hooks:
        raise ValueError(f"unknown ticket hook trigger {trigger!r}; known: {TRIGGERS}")
    if covered_by_created and trigger != "updated":
        raise ValueError("covered_by_created applies to the 'updated' trigger only")
    entries = _hooks[trigger]
    if any(existing is hook for _, existing, _covered in entries):
        return
    entries.append((order, hook, covered_by_created))
    entries.sort(key=lambda entry: entry[0])


def hook_unregister(trigger: str, hook: TicketHook) -> None:
    _hooks[trigger] = [entry for entry in _hooks[trigger] if entry[1] is not hook]


def hooks_run(
    trigger: str,
    *,
    ticket: Ticket,
    actor: User | None,
    changed: frozenset[str] | set[str] | list[str] = frozenset(),
    article: Article | None = None,
) -> None:
    entries = _hooks[trigger]
    if not entries:
        return
    changed = frozenset(changed)
    creating = _creating.get()
    token = _creating.set(creating | {ticket.pk}) if trigger == "created" else None
    try:
        for _, hook, covered_by_created in list(entries):
            if covered_by_created and ticket.pk in creating:
                continue
            hook(trigger=trigger, ticket=ticket, actor=actor, changed=changed, article=article)
    finally:
        if token is not None:
            _creating.reset(token)
