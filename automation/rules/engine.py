"""The rules engine: compiled rules per process, evaluation on ticket events, the depth limit.

Rules are compiled once per process into a snapshot (conditions as closures, cheapest first) and
reloaded when a rule is saved: a save bumps a version in the shared cache after commit, each
process re-reads the version at most once a second (the scheme of tickets/reference.py).

Ticket services run the hooks (tickets/hooks.py) inside their transaction; `on_ticket_event`
evaluates the rules of that trigger in order against the ticket as the service loaded it. A rule
whose conditions all match runs its actions through the ticket services — which run the hooks
again. `MAX_DEPTH` nested evaluations are allowed; a deeper one is cut off and recorded on the
ticket ("rules_cut_off" event), so two rules undoing each other stop instead of looping.
Every firing that changed something is a "rule_fired" event: which rule, what it changed.
See docs/architecture/automation-rules.md.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.functional import cached_property

from automation.rules.actions import ACTIONS, UPDATE_SETTERS, Change, apply_updates, plan_updates
from automation.rules.choices import RuleTrigger
from automation.rules.conditions import Check, Context, compile_condition
from core.deferred import insert_deferred
from tickets.choices import AuthorKind, EventKind

if TYPE_CHECKING:
    from accounts.models import User
    from automation.models import Rule
    from tickets.models import Article, Ticket

logger = logging.getLogger(__name__)
VERSION_KEY = "otklik:rules-version"
RECHECK_SECONDS = 1.0
MAX_AGE_SECONDS = 60.0
MAX_DEPTH = 3


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    checks: tuple[Check, ...]
    actions: tuple[tuple[str, Any], ...]

    @property
    def pk(self) -> int:
        return self.rule.pk

    def matches(self, ctx: Context) -> bool:
        return all(check.test(ctx) for check in self.checks)


def compile_rule(rule: Rule) -> CompiledRule:
    checks = sorted((compile_condition(row) for row in rule.conditions), key=lambda check: check.cost)
    actions = tuple((row["action"], row.get("value")) for row in rule.actions if row.get("action") in ACTIONS)
    return CompiledRule(rule=rule, checks=tuple(checks), actions=actions)


@dataclass
class Snapshot:
    version: str
    loaded_at: float
    by_trigger: dict[str, list[CompiledRule]] = field(default_factory=dict)

    @cached_property
    def clock(self) -> Any:
        """The default business calendar's clock, for "within business hours" (read once)."""
        from sla.calendars import clock_for, default_calendar

        return clock_for(default_calendar())

    def business_clock(self) -> Any:
        return self.clock


_lock = threading.Lock()
_snapshot: Snapshot | None = None
_checked_at = 0.0


def _current_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY) or "unversioned"
    return str(version)


def _load(version: str) -> Snapshot:
    from automation.models import Rule

    snapshot = Snapshot(version=version, loaded_at=time.monotonic())
    for rule in Rule.objects.filter(is_active=True).order_by("order", "id"):
        snapshot.by_trigger.setdefault(rule.trigger, []).append(compile_rule(rule))
    return snapshot


def snapshot() -> Snapshot:
    global _snapshot, _checked_at
    current, now = _snapshot, time.monotonic()
    if current is not None and now - _checked_at < RECHECK_SECONDS:
        return current
    with _lock:
        current = _snapshot
        if current is not None and time.monotonic() - _checked_at < RECHECK_SECONDS:
            return current
        version = _current_version()
        if current is None or current.version != version or now - current.loaded_at > MAX_AGE_SECONDS:
            current = _load(version)
            _snapshot = current
        _checked_at = time.monotonic()
        return current


def rules_reset() -> None:
    """Forget this process's compiled rules (the next evaluation reloads them)."""
    global _snapshot, _checked_at
    with _lock:
        _snapshot, _checked_at = None, 0.0


def rules_changed() -> None:
    """A rule was written: drop the local snapshot now, tell other processes on commit."""
    rules_reset()
    transaction.on_commit(_publish_change)


def _publish_change() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    rules_reset()


# ── evaluation ─────────────────────────────────────────────────────────────────────────────────

_depth: contextvars.ContextVar[int] = contextvars.ContextVar("automation_rules_depth", default=0)
# Tickets whose chain of rule runs (one outermost event and what it set off) was cut off: the
# cut-off is recorded once per chain, not once per branch that reached the limit.
_cut: contextvars.ContextVar[set[int] | None] = contextvars.ContextVar("automation_rules_cut", default=None)


@dataclass(frozen=True)
class Firing:
    rule: Rule
    changes: list[Change]


def rule_trigger_for(trigger: str, article: Article | None) -> str | None:
    """The rule trigger a ticket hook stands for (article rules split by who wrote)."""
    if trigger != "article_added":
        return trigger
    if article is None:
        return None
    if article.author_kind == AuthorKind.CONTACT:
        return RuleTrigger.ARTICLE_CLIENT
    if article.author_kind == AuthorKind.AGENT:
        return RuleTrigger.ARTICLE_AGENT
    return None  # system messages (a rule's own reply or note) trigger nothing


def evaluate(ctx: Context, rules: list[CompiledRule], *, dry_run: bool) -> list[Firing]:
    """Run `rules` in order on the context. Dry run: plan only (nothing is written); the changes
    are what would happen to the ticket as it is now."""
    firings: list[Firing] = []
    for compiled in rules:
        if not compiled.matches(ctx):
            continue
        changes: list[Change] = []
        actions = list(compiled.actions)
        index = 0
        while index < len(actions):
            code, value = actions[index]
            spec = ACTIONS[code]
            index += 1
            if dry_run:
                assert spec.plan is not None
                changes += spec.plan(ctx, value)
                continue
            run = _setter_run(actions, index - 1)
            if len(run) > 1:
                # Several fields set by one rule: one ticket_update for all of them. Should it fail,
                # the actions are applied one by one below, so the failing one is found and recorded.
                planned = plan_updates(ctx, run)
                if not planned:
                    index += len(run) - 1
                    continue
                try:
                    with transaction.atomic():
                        done = apply_updates(ctx, planned)
                except Exception:
                    logger.info("rule %s: applying %s together failed; one by one", compiled.rule.pk, run)
                else:
                    index += len(run) - 1
                    if done:
                        ctx.refresh()
                    changes += done
                    continue
            if spec.kind == "ref" and spec.plan is not None and not spec.plan(ctx, value):
                continue  # the field has that value already: nothing to write
            assert spec.apply is not None
            try:
                # A savepoint: a failing action (a stale choice the service refuses, a bad
                # template) is undone alone and recorded; the ticket's own change goes on.
                with transaction.atomic():
                    done = spec.apply(ctx, value, compiled.rule)
            except Exception as exc:
                logger.exception("rule %s: action %s failed on ticket %s", compiled.rule.pk, code, ctx.ticket.pk)
                message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                done = [{"action": code, "error": message[:300]}]
                ctx.refresh()
                changes += done
                continue
            if done:
                # The services saved (and nested rules may have changed) the ticket.
                ctx.refresh()
            changes += done
        firings.append(Firing(rule=compiled.rule, changes=changes))
        if compiled.rule.stop_processing:
            break
    return firings


def _setter_run(actions: list[tuple[str, Any]], start: int) -> list[tuple[str, Any]]:
    """The consecutive set_<field> actions from `start` that one ticket_update can apply
    (UPDATE_SETTERS, each field once)."""
    run: list[tuple[str, Any]] = []
    for code, value in actions[start:]:
        if code not in UPDATE_SETTERS or any(code == seen for seen, _value in run):
            break
        run.append((code, value))
    return run


def _record_fired(ticket: Ticket, trigger: str, firing: Firing) -> None:
    from tickets.models import TicketEvent

    insert_deferred(
        TicketEvent(
            ticket=ticket,
            kind=EventKind.RULE_FIRED,
            data={
                "rule": {"id": firing.rule.pk, "name": firing.rule.name},
                "trigger": trigger,
                "changes": firing.changes,
            },
            team_id_at_event=ticket.team_id,
        )
    )


def _record_cut_off(ticket: Ticket, trigger: str) -> None:
    from tickets.models import TicketEvent

    insert_deferred(
        TicketEvent(
            ticket=ticket,
            kind=EventKind.RULES_CUT_OFF,
            data={"trigger": trigger, "depth": MAX_DEPTH},
            team_id_at_event=ticket.team_id,
        )
    )


def run_rules(ctx: Context, rules: list[CompiledRule]) -> list[Firing]:
    """Evaluate and apply, one level deeper; past MAX_DEPTH record the cut-off and do nothing."""
    if not rules:
        return []
    depth = _depth.get()
    if depth >= MAX_DEPTH:
        cut = _cut.get()
        if cut is not None and ctx.ticket.pk not in cut:
            cut.add(ctx.ticket.pk)
            _record_cut_off(ctx.ticket, ctx.trigger)
        return []
    token = _depth.set(depth + 1)
    cut_token = _cut.set(set()) if depth == 0 else None
    try:
        firings = evaluate(ctx, rules, dry_run=False)
    finally:
        _depth.reset(token)
        if cut_token is not None:
            _cut.reset(cut_token)
    for firing in firings:
        if firing.changes:
            _record_fired(ctx.ticket, ctx.trigger, firing)
    return firings


def on_ticket_event(
    *,
    trigger: str,
    ticket: Ticket,
    actor: User | None,
    changed: frozenset[str],
    article: Article | None,
) -> None:
    """The hook (tickets/hooks.py, order 100) for every ticket trigger."""
    if not settings.OTKLIK_AUTOMATION_RULES:
        return
    rule_trigger = rule_trigger_for(trigger, article)
    if rule_trigger is None:
        return
    current = snapshot()
    rules = current.by_trigger.get(rule_trigger)
    if not rules:
        return
    ctx = Context(
        ticket=ticket,
        trigger=rule_trigger,
        article=article,
        changed=changed,
        actor=actor,
        business_clock=current.business_clock,
    )
    run_rules(ctx, rules)


def hooks_install(register: Callable[..., None]) -> None:
    for trigger in ("created", "updated", "article_added", "sla_warning", "sla_breach"):
        register(trigger, on_ticket_event, order=100)
