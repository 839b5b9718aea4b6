"""Publish/subscribe for GraphQL subscriptions: Redis pub/sub when configured, in-process otherwise.

Publishing never fails the caller: the data is already committed. When Redis is down, a message is
delivered to this process's own subscribers and counted as degraded; the Redis listener reconnects with
backoff and subscriptions resume when Redis returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any, Protocol, cast

import redis
import redis.asyncio as aredis
import structlog
from prometheus_client import Counter

log = structlog.get_logger(__name__)

BUS_MESSAGES = Counter("hub_bus_messages_total", "Messages published on the bus", ["backend", "outcome"])
CHANNEL_PREFIX = "hub:"


class Bus(Protocol):
    """What the rest of the hub needs from a bus."""

    kind: str  # "redis" or "memory", for readiness and metrics

    def publish(self, topic: str, message: dict[str, Any]) -> None:
        """Send ``message`` to every subscriber of ``topic``; never raises."""

    def subscribe(self, topic: str) -> AsyncIterator[dict[str, Any]]:
        """Messages on ``topic`` from now on, until the consumer stops iterating."""

    async def start(self) -> None:
        """Connect, where there is anything to connect to."""

    async def stop(self) -> None:
        """Disconnect and end every subscription."""

    def healthy(self) -> bool:
        """True when messages reach every process that subscribes."""


class _Fanout:
    """Local delivery to this process's subscribers, safe to call from any thread."""

    def __init__(self, max_queue: int = 1000) -> None:
        self._queues: dict[str, set[asyncio.Queue[dict[str, Any] | None]]] = defaultdict(set)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._max_queue = max_queue

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def deliver(self, topic: str, message: dict[str, Any]) -> None:
        with self._lock:
            queues = list(self._queues.get(topic, ()))
        if not queues:
            return
        loop = self._loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        for queue in queues:
            if loop is not None and running is not loop:
                loop.call_soon_threadsafe(self._put, queue, message)
            else:
                self._put(queue, message)

    @staticmethod
    def _put(queue: asyncio.Queue[dict[str, Any] | None], message: dict[str, Any]) -> None:
        try:
            queue.put_nowait(message)
        except asyncio.QueueFull:
            # A consumer that does not keep up loses messages rather than the hub's memory.
            log.warning("bus.subscriber_overflow")

    async def subscribe(self, topic: str) -> AsyncIterator[dict[str, Any]]:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(self._max_queue)
        with self._lock:
            self._queues[topic].add(queue)
        try:
            while True:
                message = await queue.get()
                if message is None:
                    return
                yield message
        finally:
            with self._lock:
                self._queues[topic].discard(queue)
                if not self._queues[topic]:
                    del self._queues[topic]

    def close_all(self) -> None:
        with self._lock:
            queues = [q for qs in self._queues.values() for q in qs]
        for queue in queues:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)

    def topics(self) -> int:
        with self._lock:
            return len(self._queues)


class InProcessBus:
    """A bus inside one process: enough for `hub demo`, tests and a single worker."""

    kind = "memory"

    def __init__(self) -> None:
        self._fanout = _Fanout()

    def publish(self, topic: str, message: dict[str, Any]) -> None:
        """Deliver to this process's subscribers."""
        self._fanout.deliver(topic, message)
        BUS_MESSAGES.labels("memory", "delivered").inc()

    def subscribe(self, topic: str) -> AsyncIterator[dict[str, Any]]:
        """Messages on ``topic`` from now on."""
        return self._fanout.subscribe(topic)

    async def start(self) -> None:
        """Remember the event loop, so that other threads can publish."""
        self._fanout.bind(asyncio.get_running_loop())

    async def stop(self) -> None:
        """End every subscription."""
        self._fanout.close_all()

    def healthy(self) -> bool:
        """Always: there is nothing to lose contact with."""
        return True


class RedisBus:
    """Redis pub/sub across processes; one listener connection per process, fanned out locally."""

    kind = "redis"

    def __init__(self, url: str, *, reconnect_max_seconds: float = 5.0) -> None:
        self._url = url
        self._fanout = _Fanout()
        self._client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
        self._task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._reconnect_max = reconnect_max_seconds

    def publish(self, topic: str, message: dict[str, Any]) -> None:
        """Publish through Redis; if Redis is unreachable, deliver locally and count it."""
        data = json.dumps({"topic": topic, "message": message}, separators=(",", ":"), default=str)
        try:
            self._client.publish(CHANNEL_PREFIX + topic, data)
            BUS_MESSAGES.labels("redis", "published").inc()
        except redis.RedisError as exc:
            BUS_MESSAGES.labels("redis", "local_only").inc()
            log.warning("bus.redis_publish_failed", error=str(exc), topic=topic)
            self._fanout.deliver(topic, message)

    def subscribe(self, topic: str) -> AsyncIterator[dict[str, Any]]:
        """Messages on ``topic`` from any process, from now on."""
        return self._fanout.subscribe(topic)

    async def start(self) -> None:
        """Start the listener; it keeps trying while Redis is away."""
        self._fanout.bind(asyncio.get_running_loop())
        self._task = asyncio.create_task(self._listen(), name="redis-bus-listener")

    async def wait_connected(self, within: float) -> bool:
        """Wait until the listener is subscribed (for tests and readiness)."""
        try:
            await asyncio.wait_for(self._connected.wait(), within)
        except TimeoutError:
            return False
        return True

    async def stop(self) -> None:
        """Stop listening and end every subscription."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._fanout.close_all()
        self._client.close()

    def healthy(self) -> bool:
        """True while the listener holds a live subscription."""
        return self._connected.is_set()

    async def _listen(self) -> None:
        delay = 0.1
        while True:
            client = aredis.Redis.from_url(self._url, socket_connect_timeout=1)
            pubsub = client.pubsub()
            try:
                await pubsub.psubscribe(CHANNEL_PREFIX + "*")
                self._connected.set()
                log.info("bus.redis_connected")
                delay = 0.1
                async for raw in pubsub.listen():
                    if raw.get("type") != "pmessage":
                        continue
                    try:
                        envelope = json.loads(raw["data"])
                        self._fanout.deliver(envelope["topic"], envelope["message"])
                    except (ValueError, KeyError, TypeError):
                        log.warning("bus.bad_message", channel=str(raw.get("channel")))
            except asyncio.CancelledError:
                raise
            except (redis.RedisError, OSError) as exc:
                if self._connected.is_set():
                    log.warning("bus.redis_lost", error=str(exc))
                self._connected.clear()
            finally:
                with contextlib.suppress(Exception):
                    await cast(Any, pubsub).aclose()  # typed in some redis 8 releases, not in others
                    await client.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._reconnect_max)


def make_bus(redis_url: str | None) -> InProcessBus | RedisBus:
    """The bus the settings ask for."""
    return RedisBus(redis_url) if redis_url else InProcessBus()
