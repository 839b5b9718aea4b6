"""Subscriptions over graphql-transport-ws: in-process, and across two hubs through a real Redis that
goes away and comes back."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from hub.app import create_app
from hub.auth.models import OrgType
from hub.bus import InProcessBus, RedisBus
from hub.db import make_engine
from hub.settings import Settings
from hub.state import HubState
from ledger.chain import EmbeddedChain
from ledger.runtime import Ledger
from tests.conftest import World, journey_cast
from tests.servers import HubServer, RedisServer

SUBSCRIBE = "subscription { documentChanged { change version document { reference owner { name } } } }"
CREATE = """mutation($r: String!) { createDocument(input: {kind: OTHER, reference: $r, title: "t", issuedOn: "2026-01-01"}) {
  document { id } errors { code } } }"""


def _mutate(base: str, token: str, reference: str) -> dict[str, Any]:
    response = httpx.post(
        f"{base}/graphql",
        json={"query": CREATE, "variables": {"r": reference}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"]["createDocument"]["errors"] == [], body
    return body  # type: ignore[no-any-return]


class Subscriber:
    """A graphql-transport-ws client that authenticates in connection_init."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token

    async def __aenter__(self) -> Subscriber:
        self.ws = await websockets.connect(
            self.url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")]
        )
        await self.ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {self.token}"}})
        )
        ack = json.loads(await asyncio.wait_for(self.ws.recv(), 5))
        assert ack["type"] == "connection_ack", ack
        await self.ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
        await asyncio.sleep(0.3)  # let the server register the subscription
        return self

    async def next(self, within: float = 5) -> dict[str, Any]:
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), within))
            if message["type"] == "next":
                return message["payload"]["data"]["documentChanged"]  # type: ignore[no-any-return]
            assert message["type"] in ("ping", "pong"), message

    async def nothing_within(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self.ws.recv(), seconds)
        except TimeoutError:
            return True
        return False

    async def __aexit__(self, *_exc: object) -> None:
        await self.ws.close()


def _hub(settings: Settings, bus: InProcessBus | RedisBus, chain: EmbeddedChain) -> HubServer:
    engine = make_engine(settings.database_url)
    state = HubState(settings=settings, engine=engine, bus=bus, ledger=Ledger(settings, engine, chain=chain))
    return HubServer(create_app(settings, state))


async def test_a_subscriber_sees_committed_changes_it_may_read_and_nothing_else(
    settings: Settings, embedded_chain: EmbeddedChain, state: HubState, world: World
) -> None:
    seller = world.party(OrgType.SELLER, "Seller A")
    other = world.party(OrgType.SELLER, "Seller B")
    with _hub(settings, InProcessBus(), embedded_chain) as hub:
        async with Subscriber(hub.ws_url, seller.token) as sub:
            await asyncio.to_thread(_mutate, hub.url, other.token, "NOT-MINE")
            await asyncio.to_thread(_mutate, hub.url, seller.token, "MINE-1")
            event = await sub.next()
            assert event == {
                "change": "created",
                "version": 1,
                "document": {"reference": "MINE-1", "owner": {"name": "Seller A"}},
            }
            assert await sub.nothing_within(0.5)


async def test_a_websocket_with_a_bad_key_is_rejected(
    settings: Settings, embedded_chain: EmbeddedChain
) -> None:
    with _hub(settings, InProcessBus(), embedded_chain) as hub:
        ws = await websockets.connect(
            hub.ws_url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")]
        )
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer hub_000000000000_x"}})
        )
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_a_failed_write_publishes_nothing(
    settings: Settings, embedded_chain: EmbeddedChain, world: World
) -> None:
    seller = world.party(OrgType.SELLER)
    with _hub(settings, InProcessBus(), embedded_chain) as hub:
        async with Subscriber(hub.ws_url, seller.token) as sub:
            await asyncio.to_thread(_mutate, hub.url, seller.token, "ONCE")
            assert (await sub.next())["document"]["reference"] == "ONCE"
            dup = await asyncio.to_thread(
                httpx.post,
                f"{hub.url}/graphql",
                json={"query": CREATE, "variables": {"r": "ONCE"}},
                headers={"Authorization": f"Bearer {seller.token}"},
            )
            assert dup.json()["data"]["createDocument"]["errors"][0]["code"] == "CONFLICT"
            assert await sub.nothing_within(0.5)


def _wait_ready(base: str, want: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if httpx.get(f"{base}/ready", timeout=5).status_code == want:
            return
        time.sleep(0.1)
    raise AssertionError(f"{base}/ready never answered {want}")


async def test_subscriptions_cross_hubs_through_redis_and_survive_a_redis_restart(
    settings: Settings, embedded_chain: EmbeddedChain, world: World, tmp_path: Path
) -> None:
    redis_server = RedisServer(tmp_path)
    redis_server.start()
    try:
        seller = world.party(OrgType.SELLER)
        bus_a, bus_b = (
            RedisBus(redis_server.url, reconnect_max_seconds=0.5),
            RedisBus(redis_server.url, reconnect_max_seconds=0.5),
        )
        with _hub(settings, bus_a, embedded_chain) as hub_a, _hub(settings, bus_b, embedded_chain) as hub_b:
            await asyncio.to_thread(_wait_ready, hub_a.url, 200)
            await asyncio.to_thread(_wait_ready, hub_b.url, 200)
            async with Subscriber(hub_b.ws_url, seller.token) as sub:
                # A write on hub A reaches a subscriber on hub B.
                await asyncio.to_thread(_mutate, hub_a.url, seller.token, "BEFORE")
                assert (await sub.next())["document"]["reference"] == "BEFORE"

                redis_server.stop()
                await asyncio.to_thread(_wait_ready, hub_a.url, 503)
                # Writes and reads keep working while Redis is away.
                await asyncio.to_thread(_mutate, hub_a.url, seller.token, f"DURING-{uuid.uuid4().hex[:4]}")
                listed = await asyncio.to_thread(
                    httpx.post,
                    f"{hub_a.url}/graphql",
                    json={"query": "{ documents { nodes { reference } } }"},
                    headers={"Authorization": f"Bearer {seller.token}"},
                )
                assert len(listed.json()["data"]["documents"]["nodes"]) == 2

                redis_server.start()
                await asyncio.to_thread(_wait_ready, hub_a.url, 200)
                await asyncio.to_thread(_wait_ready, hub_b.url, 200)
                # The same subscription, never reopened, receives again.
                await asyncio.to_thread(_mutate, hub_a.url, seller.token, "AFTER")
                assert (await sub.next(within=10))["document"]["reference"] == "AFTER"
    finally:
        redis_server.stop()


CONTAINER_FEED = "subscription($n: String!) { containerEvents(number: $n) { typeCode unLocationCode reportedBy { name } } }"
BILL_FEED = (
    "subscription($n: String!) { billEvents(number: $n) { billNumber change containerNumber eventIds } }"
)


async def _open(url: str, token: str, query: str, variables: dict[str, Any]) -> Any:
    ws = await websockets.connect(url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")])
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
    await ws.send(
        json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}})
    )
    await asyncio.sleep(0.3)
    return ws


async def _next(ws: Any, field: str) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if message["type"] == "next":
            return message["payload"]["data"][field]  # type: ignore[no-any-return]
        assert message["type"] in ("ping", "pong"), message


async def test_container_and_bill_feeds_follow_the_journey(
    settings: Settings, embedded_chain: EmbeddedChain, world: World
) -> None:
    from seeds import journey

    parties = journey_cast(world)
    forwarder = parties["Bohai Multimodal Forwarding"]
    with _hub(settings, InProcessBus(), embedded_chain) as hub:
        created = await asyncio.to_thread(
            httpx.post,
            f"{hub.url}/graphql",
            headers={"Authorization": f"Bearer {forwarder.token}"},
            json={
                "query": "mutation($i: BillInput!) { createBill(input: $i) { bill { id } errors { message } } }",
                "variables": {"i": journey.bill_input({n: str(p.id) for n, p in parties.items()})},
            },
        )
        bill_id = created.json()["data"]["createBill"]["bill"]["id"]
        boxes = await _open(hub.ws_url, forwarder.token, CONTAINER_FEED, {"n": journey.CONTAINERS[0]})
        bill = await _open(hub.ws_url, forwarder.token, BILL_FEED, {"n": journey.BILL_NUMBER})
        await asyncio.to_thread(
            httpx.post,
            f"{hub.url}/graphql",
            headers={"Authorization": f"Bearer {forwarder.token}"},
            json={
                "query": "mutation($id: ID!) { issueBill(id: $id) { errors { message } } }",
                "variables": {"id": bill_id},
            },
        )
        assert (await _next(bill, "billEvents"))["change"] == "issued"
        step = journey.dalian_discharge()
        answer = await asyncio.to_thread(
            httpx.post,
            f"{hub.url}/ingest/edifact",
            content=step.body,
            headers={"Authorization": f"Bearer {parties[step.sender].token}"},
        )
        assert answer.status_code == 200
        event = await _next(boxes, "containerEvents")
        assert event == {
            "typeCode": "DISC",
            "unLocationCode": "CNDLC",
            "reportedBy": {"name": "Dalian Container Terminal"},
        }
        seen = {(await _next(bill, "billEvents"))["containerNumber"] for _ in range(2)}
        assert seen == set(journey.CONTAINERS)
        await boxes.close()
        await bill.close()
