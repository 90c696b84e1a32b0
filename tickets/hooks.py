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
again: a hook that does so must guard against loops (automation keeps a depth limit).
Each hook is called as `hook(trigger=…, ticket=…, actor=…, changed=frozenset[str], article=…)`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accounts.models import User
    from tickets.models import Article, Ticket

TRIGGERS = ("created", "updated", "article_added", "sla_warning", "sla_breach")

TicketHook = Callable[..., Any]

_hooks: dict[str, list[tuple[int, TicketHook]]] = {trigger: [] for trigger in TRIGGERS}


def hook_register(trigger: str, hook: TicketHook, *, order: int = 100) -> None:
    """Call `hook` on `trigger` (once, however often AppConfig.ready() runs)."""
    if trigger not in _hooks:
        raise ValueError(f"unknown ticket hook trigger {trigger!r}; known: {TRIGGERS}")
    entries = _hooks[trigger]
    if any(existing is hook for _, existing in entries):
        return
    entries.append((order, hook))
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
    for _, hook in list(entries):
        hook(trigger=trigger, ticket=ticket, actor=actor, changed=changed, article=article)
