"""Many clients at once against one hub process with its workers running: errors, latency, and /health.

    .venv/bin/python bench/load.py [--seconds 60] [--clients 20 100] [--no-postgres]

For each database (a SQLite file, and PostgreSQL with Redis when they answer) and each number of clients:
a fresh database with the demo's organisations and documents; one hub process as `hub serve` runs it
(uvicorn, the embedded chain, the anchoring and push workers in process, a DCSA subscription whose signed
callbacks of the terminal's events go to a listener of this script); then for ``--seconds`` the clients, each on its own
kept-alive connection, each doing one kind of work in a loop:

- ``graphql-read``: a forwarder reads 20 tracking events and the seller 20 documents (GraphQL);
- ``rest-read``: a forwarder's DCSA ``GET /v2/events?limit=20``;
- ``ingest``: the terminal posts 5 new DCSA events (each one stored, anchored, pushed to the subscriber);
- ``finance``: the seller registers a receivable (a transaction on the chain), shares it with the bank,
  the bank pledges it and repays it (two more transactions): the burst of pledges that stalled the hub.

An error is a 5xx, a dropped connection, or no answer within 30 s. A probe asks ``/health`` every 100 ms
on a connection of its own, during the load and for 10 s after it: the process must answer while it works
and be idle once the load stops (no queue of stalled requests behind it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.calibrate import machine_line  # noqa: E402
from bench.loadgen import HUB_SERVER, Result, build_request, databases, exchange, scratch, start_hub  # noqa: E402

TIMEOUT = 30.0
FORWARDER, TERMINAL = "Bohai Multimodal Forwarding", "Dalian Container Terminal"
SELLER, BANK = "Hanul Electronics Export", "Bank of Dalian Trade Finance"
INVOICE = "HNE-INV-2026-0412"
CONTAINERS = ("MSCU6639870", "TGHU8841201")


def prepare(url: str) -> tuple[dict[str, str], dict[str, str]]:
    """Migrate ``url`` and load the demo's organisations and documents; their keys, and the ids the
    finance clients cite (the seller's invoice, the bank)."""
    from sqlmodel import select

    from hub import migrate
    from hub.db import make_engine, session_scope
    from hub.documents.models import TradeDocument
    from hub.settings import Settings
    from seeds import loader

    migrate.upgrade(url)
    engine = make_engine(url)
    with session_scope(engine) as session:
        orgs = loader.load(session)
        keys = loader.issue_demo_keys(session, orgs, Settings().key_pepper.get_secret_value())
        invoice = session.exec(select(TradeDocument).where(TradeDocument.reference == INVOICE)).one()
        ids = {"invoice": str(invoice.id), "bank": str(orgs[BANK].id)}
    engine.dispose()
    return {key.organisation: key.token for key in keys}, ids


class Listener:
    """The subscriber's callback endpoint: counts the notifications the push worker delivers."""

    def __init__(self) -> None:
        self.received = 0
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                await reader.readexactly(length)
                self.received += 1
                writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            writer.close()


class Client:
    """One kept-alive connection that reconnects after an error; every answer timed into ``results``."""

    def __init__(
        self,
        host: str,
        port: int,
        results: dict[str, Result],
        statuses: dict[str, Counter[str]] | None = None,
    ) -> None:
        self.host, self.port, self.results = host, port, results
        self.statuses = statuses if statuses is not None else {}
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def send(
        self, kind: str, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> bytes | None:
        result = self.results.setdefault(kind, Result(0, 0, 0.0, []))
        request = build_request(method, path, f"{self.host}:{self.port}", headers, body)
        started = time.perf_counter()
        try:
            if self.streams is None:
                self.streams = await asyncio.open_connection(self.host, self.port)
            status, answer = await asyncio.wait_for(exchange(*self.streams, request), TIMEOUT)
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError, OSError):
            status, answer = 0, b""
            self.close()
        result.requests += 1
        # A GraphQL answer whose payload carries errors is a refusal, counted apart from its 200.
        refused = status == 200 and b'"errors":[{' in answer.replace(b" ", b"")
        self.statuses.setdefault(kind, Counter())[f"{status or 'none'}{' refused' if refused else ''}"] += 1
        result.latencies_ms.append((time.perf_counter() - started) * 1000)
        if status == 0 or status >= 500:
            result.errors += 1
            return None
        return answer

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


def _graphql(
    token: str, query: str, variables: dict[str, object] | None = None
) -> tuple[dict[str, str], bytes]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return headers, json.dumps({"query": query, "variables": variables or {}}).encode()


def _events(serial: str, count: int) -> bytes:
    now = datetime(2026, 11, 20, tzinfo=UTC)
    events = []
    for i in range(count):
        when = (now + timedelta(seconds=i)).isoformat().replace("+00:00", "Z")
        events.append(
            {
                "eventID": str(uuid.uuid5(uuid.NAMESPACE_URL, f"load/{serial}/{i}")),
                "eventType": "EQUIPMENT",
                "eventClassifierCode": "ACT",
                "eventDateTime": when,
                "eventCreatedDateTime": when,
                "equipmentEventTypeCode": "DISC",
                "equipmentReference": CONTAINERS[i % 2],  # the demo's boxes: the forwarder follows them
                "ISOEquipmentCode": "45G1",
                "emptyIndicatorCode": "LADEN",
                "eventLocation": {"UNLocationCode": "CNDLC"},
                "transportCall": {
                    "transportCallID": "DLC-1",
                    "modeOfTransport": "VESSEL",
                    "UNLocationCode": "CNDLC",
                    "facilityTypeCode": "POTE",
                },
            }
        )
    return json.dumps(events).encode()


def workloads(keys: dict[str, str], ids: dict[str, str]) -> dict[str, Callable[[Client, str, int], object]]:
    """What each kind of client does once per loop."""

    async def graphql_read(client: Client, name: str, n: int) -> None:
        if n % 2:
            headers, body = _graphql(
                keys[FORWARDER], "{ trackingEvents(first: 20) { nodes { id eventType } } }"
            )
        else:
            headers, body = _graphql(
                keys[SELLER], "{ documents(first: 20) { nodes { id reference title } } }"
            )
        await client.send("graphql-read", "POST", "/graphql", headers, body)

    async def rest_read(client: Client, name: str, n: int) -> None:
        headers = {"Authorization": f"Bearer {keys[FORWARDER]}"}
        await client.send("rest-read", "GET", "/v2/events?limit=20", headers)

    async def ingest(client: Client, name: str, n: int) -> None:
        headers = {"Authorization": f"Bearer {keys[TERMINAL]}", "Content-Type": "application/json"}
        await client.send("ingest", "POST", "/ingest/dcsa", headers, _events(f"{name}-{n}", 5))

    async def finance(client: Client, name: str, n: int) -> None:
        register = (
            "mutation($input: ReceivableInput!) { registerReceivable(input: $input) "
            "{ errors { code message } receivable { id } } }"
        )
        headers, body = _graphql(
            keys[SELLER],
            register,
            {
                "input": {
                    "debtorName": "Liaoning Cross-Border Mall",
                    "invoiceNumber": f"LOAD-{name}-{n}",
                    "amount": "1000.00",
                    "currency": "USD",
                    "issueDate": "2026-11-02",
                    "dueDate": "2027-01-31",
                    "evidence": [{"kind": "document", "id": ids["invoice"]}],
                }
            },
        )
        answer = await client.send("finance", "POST", "/graphql", headers, body)
        made = json.loads(answer or b"{}").get("data") or {}
        receivable = ((made.get("registerReceivable") or {}).get("receivable") or {}).get("id")
        if receivable is None:
            return
        share = "mutation($i: ShareRecordInput!) { shareRecord(input: $i) { errors { code } } }"
        headers, body = _graphql(
            keys[SELLER],
            share,
            {"i": {"kind": "receivable", "recordId": receivable, "withOrgId": ids["bank"]}},
        )
        await client.send("finance", "POST", "/graphql", headers, body)
        for step in ("pledgeReceivable", "repayReceivable"):
            headers, body = _graphql(
                keys[BANK],
                f"mutation($id: ID!) {{ {step}(id: $id) {{ errors {{ code }} }} }}",
                {"id": receivable},
            )
            await client.send("finance", "POST", "/graphql", headers, body)

    return {"graphql-read": graphql_read, "rest-read": rest_read, "ingest": ingest, "finance": finance}


# Out of every ten clients: four read by GraphQL, two by REST, two ingest, two finance.
MIX = [
    "graphql-read",
    "ingest",
    "finance",
    "rest-read",
    "graphql-read",
    "graphql-read",
    "ingest",
    "finance",
    "rest-read",
    "graphql-read",
]


async def probe(host: str, port: int, stop: asyncio.Event, latencies: list[float]) -> None:
    """``/health`` every 100 ms until ``stop``; an unanswered probe counts as the timeout."""
    client = Client(host, port, {})
    while not stop.is_set():
        started = time.perf_counter()
        answer = await client.send("health", "GET", "/health", {})
        latencies.append((time.perf_counter() - started) * 1000 if answer is not None else TIMEOUT * 1000)
        await asyncio.sleep(0.1)
    client.close()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def load(
    port: int, keys: dict[str, str], ids: dict[str, str], clients: int, seconds: float, listener: Listener
) -> None:
    host = "127.0.0.1"
    work = workloads(keys, ids)
    results: dict[str, Result] = {}
    statuses: dict[str, Counter[str]] = {}
    stop_at = time.perf_counter() + seconds

    async def client_loop(index: int) -> None:
        kind = MIX[index % len(MIX)]
        client = Client(host, port, results, statuses)
        n = 0
        while time.perf_counter() < stop_at:
            await work[kind](client, f"c{index}", n)  # type: ignore[misc]
            n += 1
        client.close()

    during: list[float] = []
    after: list[float] = []
    stop_probe = asyncio.Event()
    started = time.perf_counter()
    watcher = asyncio.create_task(probe(host, port, stop_probe, during))
    await asyncio.gather(*(client_loop(i) for i in range(clients)))
    elapsed = time.perf_counter() - started
    stop_probe.set()
    await watcher
    stop_after = asyncio.Event()
    watcher = asyncio.create_task(probe(host, port, stop_after, after))
    await asyncio.sleep(10)
    stop_after.set()
    await watcher
    for kind, result in sorted(results.items()):
        result.seconds = elapsed
        answered = ", ".join(f"{code}: {count}" for code, count in sorted(statuses[kind].items()))
        print("  " + result.line(kind) + f"   [{answered}]")
    print(
        f"  {'/health during the load':<44} p50 {_pct(during, 0.5):7.2f} ms   p99 {_pct(during, 0.99):8.2f} ms"
        f"   max {max(during or [0]):8.2f} ms   ({len(during)} probes)"
    )
    print(
        f"  {'/health in the 10 s after it':<44} p50 {_pct(after, 0.5):7.2f} ms   p99 {_pct(after, 0.99):8.2f} ms"
        f"   max {max(after or [0]):8.2f} ms   ({len(after)} probes)"
    )
    print(f"  notifications delivered to the subscriber: {listener.received}")


async def subscribe(port: int, token: str, callback_port: int) -> None:
    client = Client("127.0.0.1", port, {})
    secret = "a2V5LWtleS1rZXkta2V5LWtleS1rZXkta2V5LWtleS1rZXk="
    body = json.dumps({"callbackUrl": f"http://127.0.0.1:{callback_port}/events", "secret": secret}).encode()
    answer = await client.send(
        "subscribe",
        "POST",
        "/v2/event-subscriptions",
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        body,
    )
    client.close()
    assert answer is not None and b"subscriptionID" in answer, answer


async def one_run(name: str, url: str, clients: int, seconds: float, workdir: Path) -> None:
    from tests.backends import REDIS_URL, redis_available

    keys, ids = prepare(url)
    env = {
        **os.environ,
        "HUB_DATABASE_URL": url,
        "HUB_LOG_LEVEL": "WARNING",
        "HUB_CHAIN_DATA_DIR": str(workdir / f"chain-{name}-{clients}"),
        "HUB_ANCHOR_IN_PROCESS": "true",
        "HUB_PUSH_IN_PROCESS": "true",
        "HUB_CALLBACK_ALLOW_PRIVATE_NETWORKS": "true",
    }
    bus = "in-process bus"
    if name == "postgresql" and redis_available():
        env["HUB_REDIS_URL"], bus = REDIS_URL, "Redis"
    listener = Listener()
    callback_port = await listener.start()
    server, port = start_hub(HUB_SERVER, str(ROOT), env)
    try:
        await subscribe(port, keys[TERMINAL], callback_port)
        print(f"{name} ({bus}), {clients} clients, {seconds:.0f} s:")
        await load(port, keys, ids, clients, seconds, listener)
    finally:
        server.terminate()
        server.wait(timeout=30)
        assert listener.server is not None
        listener.server.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, nargs="+", default=[20, 100])
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    print(machine_line())
    workdir = scratch("bench-load-")
    for clients in args.clients:
        with databases(workdir / str(clients), postgres=not args.no_postgres) as targets:
            for name, url in targets:
                asyncio.run(one_run(name, url, clients, args.seconds, workdir))


if __name__ == "__main__":
    main()
