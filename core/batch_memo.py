"""Rows read once per unit of work instead of once per item: within a batch of the inbound
worker (intake.services.inbound_process_batch, one transaction) the Telegram bot an update came
to, the mailboxes, a notice's template or a team's members are read for the first message and
reused for the rest.

    bot = batch_cached(("telegram-bot", bot_id), lambda: TelegramBot.objects.get(pk=bot_id))

Outside a `batch_memo()` block `batch_cached` simply calls the loader. Only what the work does not
write belongs here: a savepoint rolled back for one item does not roll back what is cached, and
a change made by someone else during the batch (a second or so) is seen by the next batch."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")

_memo: ContextVar[dict[Hashable, object] | None] = ContextVar("inbound_batch_memo", default=None)


@contextmanager
def batch_memo() -> Iterator[None]:
    """Share `batch_cached` values until the block ends (a batch's transaction)."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def batch_memo_active() -> bool:
    """Whether a `batch_memo()` block is open (a loader worth it only once per batch may be chosen)."""
    return _memo.get() is not None


def batch_cached(key: Hashable, load: Callable[[], T]) -> T:
    memo = _memo.get()
    if memo is None:
        return load()
    if key not in memo:
        memo[key] = load()
    return memo[key]  # type: ignore[return-value]
