"""Reads for the rule editor. Rules are administrators' data: the views check the role."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django.utils import timezone

from automation.models import Rule
from automation.rules.actions import Change
from automation.rules.choices import RuleTrigger
from automation.rules.conditions import Context
from automation.rules.engine import compile_rule, evaluate, snapshot
from tickets.choices import AuthorKind
from tickets.models import Article, Ticket

TRY_TICKETS = 500


def rule_list() -> QuerySet[Rule]:
    return Rule.objects.order_by("order", "id")


def rule_get(*, rule_id: int) -> Rule:
    return get_object_or_404(Rule, pk=rule_id)


@dataclass
class Trial:
    checked: int = 0
    seconds: float = 0.0
    matches: list[tuple[Ticket, list[Change]]] = field(default_factory=list)


ARTICLE_AUTHORS = {RuleTrigger.ARTICLE_CLIENT: AuthorKind.CONTACT, RuleTrigger.ARTICLE_AGENT: AuthorKind.AGENT}


def rule_try(*, rule: Rule, limit: int = TRY_TICKETS) -> Trial:
    """Run `rule` (saved or not) in dry-run mode over the `limit` newest tickets: which would
    match, and what would change on each as it is now. Nothing is written: the actions only plan,
    and the whole trial runs in a transaction that is rolled back whatever happens.

    Message rules look at each ticket's latest message of that kind (tickets without one are
    skipped); time rules at tickets whose time has come; "changed fields" never match (a past
    ticket's change is not known here)."""
    from automation.rules.sweep import with_anchor

    compiled = compile_rule(rule)
    now = timezone.now()
    queryset: QuerySet[Ticket] = Ticket.objects.select_related(
        "company__category", "contract", "equipment", "status", "priority", "team__supervisor", "assignee", "contact"
    ).order_by("-created_at", "-id")
    author = ARTICLE_AUTHORS.get(rule.trigger)  # type: ignore[call-overload]
    if author is not None:
        latest = Article.objects.filter(ticket=OuterRef("pk"), author_kind=author).order_by("-id")
        queryset = queryset.annotate(rule_article_body=Subquery(latest.values("body")[:1]))
    if rule.trigger == RuleTrigger.TIME:
        queryset = with_anchor(queryset, rule.time_anchor)
    trial = Trial()
    clock = snapshot().business_clock
    started = time.perf_counter()
    with transaction.atomic():
        for ticket in queryset[:limit]:
            trial.checked += 1
            article = None
            if author is not None:
                body: Any = ticket.rule_article_body  # type: ignore[attr-defined]
                if body is None:
                    continue
                article = Article(ticket=ticket, body=body, author_kind=author)
            if rule.trigger == RuleTrigger.TIME:
                due = now - timedelta(minutes=rule.time_minutes or 0)
                if ticket.rule_anchor_at > due:  # type: ignore[attr-defined]
                    continue
            ctx = Context(ticket=ticket, trigger=rule.trigger, article=article, now=now, business_clock=clock)
            for firing in evaluate(ctx, [compiled], dry_run=True):
                trial.matches.append((ticket, firing.changes))
        transaction.set_rollback(True)
    trial.seconds = time.perf_counter() - started
    return trial
