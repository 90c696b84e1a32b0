"""Shared shape of the /companies/, /contacts/, /sites/, /equipment/ and /contracts/ lists."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from core.db import icontains_q


def filter_customer_list(queryset: QuerySet[Any], params: dict[str, Any], *, name_field: str) -> QuerySet[Any]:
    """Apply `search` (name contains), `updated_since`, `company` and `external_id` from validated
    query params."""
    if params.get("search", "").strip():
        queryset = queryset.filter(icontains_q(name_field, params["search"]))
    if params.get("updated_since") is not None:
        queryset = queryset.filter(updated_at__gte=params["updated_since"])
    if params.get("company") is not None:
        queryset = queryset.filter(company_id=params["company"])
    if params.get("external_id") is not None:
        queryset = queryset.filter(external_id=params["external_id"])
    return queryset


LIST_DESCRIPTION = """{what} the caller may see, newest first, 50 a page (`page_size` up to 200); follow `next`.
With `updated_since` the order is most recently changed first, so a sync client can walk all changes since
its last sync; use the time it *started* the walk as its next `updated_since`."""
