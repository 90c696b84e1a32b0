"""What the messages of one processing batch share (intake.services.inbound_process_batch).

A processor reads some rows for every message it handles — the Telegram bot an update came to,
the mailboxes — that no message changes. Within a batch (one transaction) they are read once:

    bot = batch_cached(("telegram-bot", bot_id), lambda: TelegramBot.objects.get(pk=bot_id))

Outside a batch `batch_cached` simply calls the loader. Only rows the processing does not write
belong here: a savepoint rolled back for one message does not roll back what is cached."""

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


def batch_cached(key: Hashable, load: Callable[[], T]) -> T:
    memo = _memo.get()
    if memo is None:
        return load()
    if key not in memo:
        memo[key] = load()
    return memo[key]  # type: ignore[return-value]
