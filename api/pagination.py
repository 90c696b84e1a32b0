from rest_framework.pagination import CursorPagination


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
