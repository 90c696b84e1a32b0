"""Keyset ("seek") pagination: each page continues from the last row's sort key, so page 1000
costs the same as page 1 — OFFSET would read and discard every earlier row."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet


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


def _decode(cursor: str, qs: QuerySet[Any], fields: list[str]) -> list[Any] | None:
    """The sort values in `cursor`, each converted by its model field; None for anything a
    client could have tampered with, so a bad cursor means "first page", never an error."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != len(fields):
            return None
        return [_field(qs.model, f).to_python(v) for f, v in zip(fields, values, strict=True)]
    except (ValueError, TypeError, ValidationError):
        return None


def _seek_q(order: list[str], values: list[Any], *, forward: bool) -> Q:
    """Rows strictly after (forward) or before the row with `values` in `order`."""
    q = Q()
    for i, term in enumerate(order):
        desc = term.startswith("-")
        field = term.lstrip("-")
        after = desc if forward else not desc
        op = "lt" if after else "gt"
        clause = Q(**{f"{field}__{op}": values[i]})
        for prev_term, prev_value in zip(order[:i], values[:i], strict=True):
            clause &= Q(**{prev_term.lstrip("-"): prev_value})
        q |= clause
    return q


def paginate(qs: QuerySet[Any], *, order: list[str], size: int, after: str = "", before: str = "") -> Page:
    """One page of `qs` ordered by `order` (the last term must be unique, e.g. -id)."""
    fields = [t.lstrip("-") for t in order]
    cursor_values = _decode(before, qs, fields) if before else (_decode(after, qs, fields) if after else None)
    if before and cursor_values is not None:
        reversed_order = [t[1:] if t.startswith("-") else "-" + t for t in order]
        rows = list(qs.filter(_seek_q(order, cursor_values, forward=False)).order_by(*reversed_order)[: size + 1])
        has_more_before = len(rows) > size
        rows = list(reversed(rows[:size]))
        has_prev, has_next = has_more_before, True
    else:
        base = qs.filter(_seek_q(order, cursor_values, forward=True)) if cursor_values is not None else qs
        rows = list(base.order_by(*order)[: size + 1])
        has_next = len(rows) > size
        rows = rows[:size]
        has_prev = cursor_values is not None
    next_cursor = _encode([_value_of(rows[-1], f) for f in fields]) if rows and has_next else None
    prev_cursor = _encode([_value_of(rows[0], f) for f in fields]) if rows and has_prev else None
    return Page(rows=rows, next_cursor=next_cursor, prev_cursor=prev_cursor)
