"""What live subscriptions read when a message arrives: once per message and reader, not once per subscriber.

A bus message reaches every subscription of its topic in this process as the same object. A thousand
subscribers of one container used to run a thousand queries per event, on the event loop, one after the
other. Here the first subscriber to look asks the database, in a worker thread, and the others with the
same reader await the same answer:

- ``per_message``: what does not depend on the reader (the rows the message names);
- ``per_reader``: what does (a document as one organisation may see it), keyed by the reader's
  organisation, type, key role and country: the inputs of every access rule and of the data classes;
- ``decision``: whether a reader may follow a subject at all (a container), remembered for a few
  seconds across messages. A revoked share or a title transferred away stops a live feed within that time;
  a new subscription always asks afresh when it starts.

Answers are kept by the identity of the message they were read for, and the entry holds the message, so
an identity is never reused while its entry lives; the table holds a bounded number of entries.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from anyio import to_thread
from sqlmodel import Session

from hub.auth.permissions import Principal

T = TypeVar("T")


def reader_key(principal: Principal) -> tuple[Any, ...]:
    """What every access rule and data class reads of a principal."""
    return (principal.org_id, principal.org_type, principal.role, principal.country)


class SharedReads:
    """One hub process's table of answers shared by its subscriptions."""

    def __init__(self, session: Callable[[], Session], *, size: int = 4096, ttl: float = 5.0) -> None:
        self._session = session
        self._size = size
        self._ttl = ttl
        self._answers: OrderedDict[Hashable, tuple[Any, asyncio.Future[Any]]] = OrderedDict()
        self._decisions: OrderedDict[Hashable, tuple[float, asyncio.Future[bool]]] = OrderedDict()

    async def per_message(self, message: dict[str, Any], what: str, load: Callable[[Session], T]) -> T:
        """``load(session)`` once for this message, whoever asks."""
        return await self._shared((id(message), what), message, load)

    async def per_reader(
        self, message: dict[str, Any], what: str, principal: Principal, load: Callable[[Session], T]
    ) -> T:
        """``load(session)`` once for this message and this reader (``load`` must read as ``principal``)."""
        return await self._shared((id(message), what, reader_key(principal)), message, load)

    async def decision(
        self, what: str, principal: Principal, subject: Hashable, check: Callable[[Session], bool]
    ) -> bool:
        """``check(session)`` for this reader and subject, asked again after the time-to-live."""
        key = (what, reader_key(principal), subject)
        now = time.monotonic()
        held = self._decisions.get(key)
        if held is not None and now - held[0] < self._ttl and not _failed(held[1]):
            self._decisions.move_to_end(key)
            return await _answer(held[1])
        future = asyncio.ensure_future(self._read(check))
        self._decisions[key] = (now, future)
        _trim(self._decisions, self._size)
        return await asyncio.shield(future)

    async def _shared(self, key: Hashable, message: dict[str, Any], load: Callable[[Session], T]) -> T:
        held = self._answers.get(key)
        if held is not None and held[0] is message and not _failed(held[1]):
            self._answers.move_to_end(key)
            return await _answer(held[1])
        future: asyncio.Future[T] = asyncio.ensure_future(self._read(load))
        self._answers[key] = (message, future)
        _trim(self._answers, self._size)
        return await asyncio.shield(future)

    async def _read(self, load: Callable[[Session], T]) -> T:
        def run() -> T:
            # A short session per read: a subscription may live for hours and must not hold a connection.
            with self._session() as session:
                return load(session)

        return await to_thread.run_sync(run)


async def _answer(future: asyncio.Future[T]) -> T:
    """A shared answer: at once when it is there (most subscribers come after the first); else awaited
    behind a shield, so that a subscriber that goes away does not cancel the others' read."""
    if future.done():
        return future.result()
    return await asyncio.shield(future)


def _failed(future: asyncio.Future[Any]) -> bool:
    """A read that raised is asked again rather than handed on (the database may be back)."""
    return future.done() and (future.cancelled() or future.exception() is not None)


def _trim(table: OrderedDict[Hashable, Any], size: int) -> None:
    while len(table) > size:
        table.popitem(last=False)


async def on_container(
    reads: SharedReads, principal: Principal, number: str, items: list[T], owner: Callable[[T], Any]
) -> list[T]:
    """The ``items`` (events of container ``number``) that ``principal`` may see: its own, and the rest
    when it may follow the container (one remembered decision, not a query per event)."""
    from hub.tracking.service import may_follow

    follows: bool | None = None
    shown = []
    for item in items:
        if owner(item) != principal.org_id:
            if follows is None:
                follows = await reads.decision(
                    "follow", principal, number, lambda session: may_follow(session, principal, number)
                )
            if not follows:
                continue
        shown.append(item)
    return shown
