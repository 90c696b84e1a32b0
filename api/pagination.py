"""The API's list pages: cursors, never offsets (docs/adr/0003-keyset-pagination.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

from core.keyset import InvalidCursor, Page, paginate


class IdCursorPagination(CursorPagination):
    """Cursor pagination on the primary key: stable under inserts and O(page) at any depth."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class UpdatedCursorPagination(IdCursorPagination):
    """Most recently updated first, used when a list is asked for `updated_since`: a sync client
    walks every page of changes since its last sync, then uses the time it *started* that walk
    as the next `updated_since` (a row updated during the walk moves to the front and is picked
    up by the next sync instead of being skipped forever)."""

    ordering = ("-updated_at", "-id")  # type: ignore[assignment]  # DRF takes a tuple; the stub says str


class ArticleCursorPagination(IdCursorPagination):
    """A conversation reads oldest first."""

    ordering = ("created_at", "id")  # type: ignore[assignment]  # as above


class NameCursorPagination(IdCursorPagination):
    """Alphabetical, for lists keyed by a unique name (tags)."""

    ordering = "name"


class KeysetCursorPagination(IdCursorPagination):
    """Pages over any order whose last term is the id, by the queues' keyset pagination
    (core/keyset.py): the cursor holds the last row's sort key and id, so ties are broken by id
    and the rows a nullable key leaves empty (tickets without an SLA deadline) come last, none
    skipped or repeated. DRF's cursor keeps only the first key plus an offset, and cannot seek
    past a NULL. `next` and `previous` links as DRF's; a cursor we did not make is a 404."""

    NEXT, PREVIOUS = "n", "p"

    def __init__(self, *, order: Sequence[str] = ("-id",)) -> None:
        self.order = list(order)

    def paginate_queryset(self, queryset: QuerySet[Any], request: Request, view: Any = None) -> list[Any]:
        self.page_size = self.get_page_size(request) or IdCursorPagination.page_size
        self.base_url = request.build_absolute_uri()
        raw = request.query_params.get(self.cursor_query_param, "")
        direction, cursor = raw[:1], raw[1:]
        if raw and (direction not in (self.NEXT, self.PREVIOUS) or not cursor):
            raise NotFound(self.invalid_cursor_message)
        try:
            self.keyset_page: Page = paginate(
                queryset,
                order=self.order,
                size=self.page_size,
                after=cursor if direction == self.NEXT else "",
                before=cursor if direction == self.PREVIOUS else "",
                strict=True,
            )
        except InvalidCursor as exc:
            raise NotFound(self.invalid_cursor_message) from exc
        return self.keyset_page.rows

    def get_next_link(self) -> str | None:
        return self._link(self.NEXT, self.keyset_page.next_cursor)

    def get_previous_link(self) -> str | None:
        return self._link(self.PREVIOUS, self.keyset_page.prev_cursor)

    def _link(self, direction: str, cursor: str | None) -> str | None:
        if cursor is None or self.base_url is None:
            return None
        return replace_query_param(self.base_url, self.cursor_query_param, direction + cursor)
