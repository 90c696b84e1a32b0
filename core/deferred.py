"""Rows written once per unit of work instead of once per item: within a batch of the inbound
worker (intake.services.inbound_process_batch, one transaction) the ticket events, the Telegram
and email message references and the search documents of every message are written by one
statement per table at the batch's end, not one per message. See docs/architecture/email.md, "Batches".

    insert_deferred(TicketEvent(ticket=ticket, kind=..., data=...))   # INSERTed now, or at the end
    defer_ids(search.index_tickets, ticket.pk)                        # rebuilt once, at the end

Outside a `deferred_writes()` block both write at once. Inside one:

- `insert_deferred` keeps the instance (its primary key stays None until it is written). A
  savepoint rolled back drops what was queued inside it, exactly as Django drops the `on_commit`
  callbacks registered there — each queued row is tied to such a (no-op) callback, and a row is
  written only while its callback is still registered.
- A reader that needs the rows (an SLA clock reading status events, a notice keyed by the latest
  event's id) calls `flush_deferred()` first — or, when the rows it would read are seldom among
  the queued ones (a reply in the same batch as the message it answers), asks `deferred_queued()`
  and flushes only when they are. A flush inside a savepoint that is later rolled back
  loses what it wrote; the rows queued outside that savepoint are then queued again (their
  primary keys cleared) and written by the next flush, in their original order.
- `defer_ids(writer, id)` collects ids for a writer that rebuilds rows from the current state
  (idempotent: a ticket's search document); it runs once, with the ids sorted, when the block
  ends. An id whose row was rolled back meanwhile is the writer's to skip.
- Everything left is written when the block ends, inside the caller's transaction: should that
  raise, the transaction is rolled back with it (the inbound batch then processes its messages
  again one per transaction, where nothing is deferred).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction

from core.db import insert_model

M = TypeVar("M", bound=models.Model)

# A no-op `on_commit` callback, one per savepoint that queued rows: Django drops it when that
# savepoint rolls back (BaseDatabaseWrapper.savepoint_rollback), which tells the rows' fate.
_Marker = Callable[[], None]


def _new_marker() -> _Marker:
    def deferred_rows_marker() -> None:
        return None

    return deferred_rows_marker


@dataclass
class _Queued:
    seq: int
    obj: models.Model
    ignore_conflicts: bool
    marker: _Marker


@dataclass
class _Buffer:
    using: str
    queued: list[_Queued] = field(default_factory=list)
    # (marker of the flush, the rows it wrote) for flushes made inside a savepoint.
    flushed: list[tuple[_Marker, list[_Queued]]] = field(default_factory=list)
    ids: dict[Callable[[list[int]], None], set[int]] = field(default_factory=dict)
    markers: dict[tuple[str, ...], _Marker] = field(default_factory=dict)
    counter: Iterator[int] = field(default_factory=itertools.count)

    def marker(self) -> _Marker:
        """The marker of the current savepoint (one per savepoint: Django names each one anew)."""
        sids = tuple(connections[self.using].savepoint_ids)
        marker = self.markers.get(sids)
        if marker is None:
            marker = self.markers[sids] = _new_marker()
            transaction.on_commit(marker, using=self.using)
        return marker

    def alive(self) -> set[int]:
        # Entries are (savepoint ids, callback, robust); the stubs know only the first two.
        return {id(entry[1]) for entry in connections[self.using].run_on_commit}

    def flush(self) -> None:
        alive = self.alive()
        again: list[_Queued] = []
        kept: list[tuple[_Marker, list[_Queued]]] = []
        for marker, rows in self.flushed:
            if id(marker) in alive:
                kept.append((marker, rows))
            else:  # written inside a savepoint rolled back since: write again what is still wanted
                again.extend(row for row in rows if id(row.marker) in alive)
        self.flushed = kept
        for row in again:
            row.obj.pk = None
            row.obj._state.adding = True
        rows = sorted([*again, *(row for row in self.queued if id(row.marker) in alive)], key=lambda row: row.seq)
        self.queued = []
        if not rows:
            return
        groups: dict[tuple[type[models.Model], bool], list[models.Model]] = {}
        for row in rows:
            groups.setdefault((type(row.obj), row.ignore_conflicts), []).append(row.obj)
        for (model, ignore_conflicts), objs in groups.items():
            model._default_manager.using(self.using).bulk_create(objs, ignore_conflicts=ignore_conflicts)
        if connections[self.using].savepoint_ids:
            self.flushed.append((self.marker(), rows))

    def finish(self) -> None:
        self.flush()
        for writer, ids in self.ids.items():
            writer(sorted(ids))
        self.ids = {}


_buffer: ContextVar[_Buffer | None] = ContextVar("deferred_writes", default=None)


@contextmanager
def deferred_writes(*, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Defer `insert_deferred` and `defer_ids` writes until the block ends. Open it inside an
    atomic block (the rows are written before that commits); the block's own exception discards
    them."""
    if not connections[using].in_atomic_block:
        raise RuntimeError("deferred_writes() needs an atomic block around it")
    buffer = _Buffer(using=using)
    token = _buffer.set(buffer)
    try:
        yield
        buffer.finish()
    finally:
        _buffer.reset(token)


def insert_deferred(obj: models.Model, *, ignore_conflicts: bool = False) -> None:
    """INSERT `obj` — at once, or within `deferred_writes()` with the block's other rows of its
    model (by bulk_create: no model signals then); `ignore_conflicts` skips a row that breaks a
    unique constraint instead of raising."""
    buffer = _buffer.get()
    if buffer is None:
        if ignore_conflicts:
            type(obj)._default_manager.bulk_create([obj], ignore_conflicts=True)
        else:
            insert_model(obj)
        return
    buffer.queued.append(_Queued(next(buffer.counter), obj, ignore_conflicts, buffer.marker()))


def flush_deferred() -> None:
    """Write the queued rows now (call before reading a table whose rows may be queued)."""
    buffer = _buffer.get()
    if buffer is not None and (buffer.queued or buffer.flushed):
        buffer.flush()


def deferred_queued(model: type[M]) -> list[M]:
    """The rows of `model` queued by `insert_deferred` and not written (empty outside a
    `deferred_writes()` block): those waiting, and those a flush wrote inside a savepoint rolled
    back since. Rows queued inside a savepoint rolled back may be among them. A reader uses this
    to tell whether it must `flush_deferred()` before reading the table, which is cheaper to ask
    than to do at every read."""
    buffer = _buffer.get()
    if buffer is None:
        return []
    rows = [row for row in buffer.queued if type(row.obj) is model]
    if buffer.flushed:  # written inside a savepoint rolled back since: to be written again
        alive = buffer.alive()
        rows += [row for marker, done in buffer.flushed if id(marker) not in alive for row in done]
        rows = [row for row in rows if type(row.obj) is model]
    return [row.obj for row in sorted(rows, key=lambda row: row.seq)]  # type: ignore[misc]


def defer_ids(writer: Callable[[list[int]], None], pk: int) -> None:
    """Call `writer([pk, …])` once for every id given during `deferred_writes()`, when it ends;
    outside it, `writer([pk])` at once."""
    buffer = _buffer.get()
    if buffer is None:
        writer([pk])
        return
    buffer.ids.setdefault(writer, set()).add(pk)
