"""Keyset ("seek") pagination: each page continues from the last row's sort key, so page 1000
costs the same as page 1 — OFFSET would read and discard every earlier row.

A nullable sort field (a ticket's next SLA deadline) sorts its NULLs last in either direction,
and the seek conditions treat NULL as greater than every value, so rows without a value are
neither skipped nor repeated across pages. See docs/adr/0003-keyset-pagination.md."""

from __future__ import annotations

import base64
import json
import operator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F, Q, QuerySet


@dataclass
class Page:
    rows: list[Any]
    next_cursor: str | None
    prev_cursor: str | None


def _value_of(obj: Any, path: str) -> Any:
    for part in path.split("__"):
        obj = getattr(obj, part)
    return obj


def _encode(values: list[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _field(model: Any, path: str) -> Any:
    parts = path.split("__")
    for part in parts[:-1]:
        model = model._meta.get_field(part).related_model
    return model._meta.pk if parts[-1] == "pk" else model._meta.get_field(parts[-1])


class InvalidCursor(ValueError):
    """A cursor that is not one this module made (only raised when asked to be strict)."""


def _decode(cursor: str, qs: QuerySet[Any], fields: list[str]) -> list[Any] | None:
    """The sort values in `cursor`, each converted by its model field; None for anything a
    client could have tampered with, so a bad cursor means "first page", never an error."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != len(fields):
            return None
        decoded = [_field(qs.model, f).to_python(v) for f, v in zip(fields, values, strict=True)]
    except (ValueError, TypeError, ValidationError):
        return None
    nullable = _nullable(qs, fields)
    if any(value is None and field not in nullable for field, value in zip(fields, decoded, strict=True)):
        return None
    return decoded


def _nullable(qs: QuerySet[Any], fields: list[str]) -> set[str]:
    return {f for f in fields if _field(qs.model, f).null}


def _order_by(order: list[str], nullable: AbstractSet[str], *, reverse: bool = False) -> list[Any]:
    """`order` for QuerySet.order_by(), NULLs of nullable fields last (first when reversed)."""
    terms: list[Any] = []
    for term in order:
        field, desc = term.lstrip("-"), term.startswith("-") != reverse
        if field not in nullable:
            terms.append(f"-{field}" if desc else field)
        elif reverse:
            terms.append(F(field).desc(nulls_first=True) if desc else F(field).asc(nulls_first=True))
        else:
            terms.append(F(field).desc(nulls_last=True) if desc else F(field).asc(nulls_last=True))
    return terms


def _seek_q(order: list[str], values: list[Any], *, forward: bool, nullable: AbstractSet[str]) -> Q:
    """Rows strictly after (forward) or before the row with `values` in `order`."""
    clauses: list[Q] = []
    for i, term in enumerate(order):
        desc = term.startswith("-")
        field = term.lstrip("-")
        value = values[i]
        if value is None:
            # NULL sorts last: no row follows it on this field, and every row with a value precedes it.
            if forward:
                continue
            clause = Q(**{f"{field}__isnull": False})
        else:
            after = desc if forward else not desc
            clause = Q(**{f"{field}__{'lt' if after else 'gt'}": value})
            if forward and field in nullable:
                clause |= Q(**{f"{field}__isnull": True})
        for prev_term, prev_value in zip(order[:i], values[:i], strict=True):
            prev_field = prev_term.lstrip("-")
            clause &= Q(**{f"{prev_field}__isnull": True}) if prev_value is None else Q(**{prev_field: prev_value})
        clauses.append(clause)
    return reduce(operator.or_, clauses) if clauses else Q(pk__in=[])


def paginate(
    qs: QuerySet[Any], *, order: list[str], size: int, after: str = "", before: str = "", strict: bool = False
) -> Page:
    """One page of `qs` ordered by `order` (the last term must be unique and not null, e.g.
    -id). A cursor that does not decode gives the first page, or, when `strict`, raises
    InvalidCursor."""
    fields = [t.lstrip("-") for t in order]
    nullable = _nullable(qs, fields)
    cursor = before or after
    cursor_values = _decode(cursor, qs, fields) if cursor else None
    if cursor and cursor_values is None and strict:
        raise InvalidCursor(cursor)
    if before and cursor_values is not None:
        seek = _seek_q(order, cursor_values, forward=False, nullable=nullable)
        rows = list(qs.filter(seek).order_by(*_order_by(order, nullable, reverse=True))[: size + 1])
        has_more_before = len(rows) > size
        rows = list(reversed(rows[:size]))
        has_prev, has_next = has_more_before, True
    else:
        if cursor_values is not None:
            qs = qs.filter(_seek_q(order, cursor_values, forward=True, nullable=nullable))
        rows = list(qs.order_by(*_order_by(order, nullable))[: size + 1])
        has_next = len(rows) > size
        rows = rows[:size]
        has_prev = cursor_values is not None
    next_cursor = _encode([_value_of(rows[-1], f) for f in fields]) if rows and has_next else None
    prev_cursor = _encode([_value_of(rows[0], f) for f in fields]) if rows and has_prev else None
    return Page(rows=rows, next_cursor=next_cursor, prev_cursor=prev_cursor)
