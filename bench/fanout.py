"""Fan-out: how long a tracking event takes from the ingest request to every GraphQL subscriber.

    .venv/bin/python bench/fanout.py [--subscribers 1000] [--wide 10000] [--orgs 50] [--events 20]
                                     [--no-postgres]

Runs, each on a fresh database loaded with the demo's organisations plus ``--orgs`` hauliers that have
each moved the demo's container once (so each may follow it; access is checked per subscriber):

- one hub process with ``--subscribers`` subscriptions, on a SQLite file with the in-process bus, and on
  PostgreSQL with Redis when they answer (the production path);
- four hub processes on one PostgreSQL, one Redis and one anvil node with ``--wide`` subscriptions spread
  over them (needs PostgreSQL, Redis and node_modules/.bin/anvil).

The load clients are other processes (this script with ``--client``, ``--clients`` of them sharing the
subscriptions): they open the subscriptions (graphql-transport-ws, ``containerEvents``), say when each has
received a warm-up event; then this script posts ``--events`` single-event DCSA bodies to the first hub as
the terminal, one every ``--gap`` seconds on a schedule the clients know, and each client times every
delivery from its event's scheduled post to the frame's arrival (one clock: the same machine). It prints
p50/p99/max over all deliveries and the messages lost (expected deliveries that never came within 15 s of
the last post).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.calibrate import machine_line  # noqa: E402
from bench.loadgen import HUB_SERVER, scratch, start_hub  # noqa: E402

BOX = "MSCU6639870"  # a demo container
TERMINAL = "Dalian Container Terminal"
QUERY = (
    "subscription($n: String!) { containerEvents(number: $n) { typeCode eventDateTime equipmentReference } }"
)


def _event(serial: str, at: datetime, code: str = "DISC") -> dict[str, Any]:
    when = at.isoformat().replace("+00:00", "Z")
    return {
        "eventID": str(uuid.uuid5(uuid.NAMESPACE_URL, f"fanout/{serial}")),
        "eventType": "EQUIPMENT",
        "eventClassifierCode": "ACT",
        "eventDateTime": when,
        "eventCreatedDateTime": when,
        "equipmentEventTypeCode": code,
        "equipmentReference": BOX,
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


def prepare(url: str, orgs: int) -> dict[str, Any]:
    """Migrate ``url``, load the demo and ``orgs`` hauliers that each moved the box once; their keys."""
    from adapters import dcsa
    from hub import migrate
    from hub.auth import service as auth
    from hub.auth.models import KeyRole, OrgType
    from hub.db import make_engine, session_scope
    from hub.settings import Settings
    from hub.tracking import service
    from seeds import loader

    migrate.upgrade(url)
    engine = make_engine(url)
    pepper = Settings().key_pepper.get_secret_value()
    tokens = []
    with session_scope(engine) as session:
        demo = loader.load(session)
        terminal = auth.issue_key(session, demo[TERMINAL], pepper=pepper).token
        start = datetime(2026, 10, 1, tzinfo=UTC)
        for i in range(orgs):
            org = auth.create_organisation(session, f"Fan-out Haulier {i:05d}", OrgType.CARRIER)
            body = json.dumps([_event(f"haulier/{i}", start + timedelta(minutes=i), "GTIN")]).encode()
            service.record_events(session, org.id, dcsa.parse(body, scope=str(org.id)))
            tokens.append(auth.issue_key(session, org, pepper=pepper, role=KeyRole.VIEWER).token)
    engine.dispose()
    return {"terminal": terminal, "subscribers": tokens}


# -- the load client (its own process) ------------------------------------------------------------------


MEASURED = datetime(2026, 11, 15, tzinfo=UTC)  # measured event i happens at MEASURED + i seconds
WARMUP = datetime(2026, 11, 1, tzinfo=UTC)


async def _client(spec: dict[str, Any]) -> dict[str, Any]:
    """Open ``spec["subscribers"]`` subscriptions; print "warm" once each has had a warm-up event; read
    the wall-clock time the first measured event is posted at from stdin; time every measured delivery
    from its scheduled post (event i is posted at start + i * gap)."""
    import websockets

    ports: list[int] = spec["ports"]
    tokens: list[str] = spec["tokens"]
    count: int = spec["subscribers"]
    latencies: list[float] = []
    complete = asyncio.Event()
    expected = count * spec["events"]
    seen: dict[int, set[int]] = {i: set() for i in range(count)}
    warm = asyncio.Event()
    warmed: set[int] = set()
    start: list[float] = []  # the wall-clock time of the first measured post, once known
    limit = asyncio.Semaphore(100)  # connections opened at once

    async def subscriber(index: int) -> None:
        port = ports[(spec["first"] + index) % len(ports)]
        async with limit:
            ws = await websockets.connect(
                f"ws://127.0.0.1:{port}/graphql",
                subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
                open_timeout=60,
                max_queue=None,
                ping_interval=None,
                compression=None,
            )
            token = tokens[(spec["first"] + index) % len(tokens)]
            await ws.send(
                json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
            )
            ack = json.loads(await ws.recv())
            assert ack["type"] == "connection_ack", ack
            await ws.send(
                json.dumps(
                    {"id": "1", "type": "subscribe", "payload": {"query": QUERY, "variables": {"n": BOX}}}
                )
            )
        async for raw in ws:
            arrived = time.time()
            message = json.loads(raw)
            if message.get("type") != "next":
                if message.get("type") in ("error", "complete"):
                    raise SystemExit(f"subscription {index}: {message}")
                continue
            stamp = datetime.fromisoformat(message["payload"]["data"]["containerEvents"]["eventDateTime"])
            if stamp < MEASURED:
                warmed.add(index)
                if len(warmed) == count:
                    warm.set()
                continue
            number = int((stamp - MEASURED).total_seconds())
            if start and number not in seen[index]:
                seen[index].add(number)
                latencies.append(arrived - (start[0] + number * spec["gap"]))
                if len(latencies) >= expected:
                    complete.set()

    tasks = [asyncio.create_task(subscriber(i)) for i in range(count)]
    await warm.wait()
    print("warm", flush=True)
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    start.append(float(line))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(complete.wait(), start[0] + spec["events"] * spec["gap"] + 15 - time.time())
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"latencies": latencies, "expected": expected}


def _measure(spec: dict[str, Any], clients: int, post_port: int, terminal: str) -> dict[str, Any]:
    """Run the load clients, post the warm-up events until all are up, then the measured ones on their
    schedule; every client's deliveries, and how long each measured POST took."""
    import httpx

    share = [
        spec["subscribers"] // clients + (1 if i < spec["subscribers"] % clients else 0)
        for i in range(clients)
    ]
    procs = []
    first = 0
    for count in share:
        part = {**spec, "subscribers": count, "first": first}
        first += count
        procs.append(
            subprocess.Popen(
                [sys.executable, __file__, "--client", json.dumps(part)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        )
    headers = {"Authorization": f"Bearer {terminal}", "Content-Type": "application/json"}
    posts: list[float] = []
    with httpx.Client(base_url=f"http://127.0.0.1:{post_port}", timeout=60) as http:
        import selectors

        waiting = selectors.DefaultSelector()
        for proc in procs:
            assert proc.stdout is not None
            waiting.register(proc.stdout, selectors.EVENT_READ)
        up = 0
        n = 0
        deadline = time.monotonic() + 300
        while up < clients:
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise SystemExit("the subscriptions did not all come up")
            body = json.dumps([_event(f"warm/{spec['run']}/{n}", WARMUP + timedelta(seconds=n))])
            http.post("/ingest/dcsa", content=body, headers=headers).raise_for_status()
            n += 1
            for key, _ in waiting.select(timeout=1.0):
                if key.fileobj.readline().strip() == "warm":  # type: ignore[union-attr]
                    up += 1
                    waiting.unregister(key.fileobj)
        begin = time.time() + 2.0
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write(f"{begin}\n")
            proc.stdin.flush()
        for i in range(spec["events"]):
            time.sleep(max(0.0, begin + i * spec["gap"] - time.time()))
            body = json.dumps([_event(f"measure/{spec['run']}/{i}", MEASURED + timedelta(seconds=i))])
            began = time.perf_counter()
            http.post("/ingest/dcsa", content=body, headers=headers).raise_for_status()
            posts.append(time.perf_counter() - began)
    latencies: list[float] = []
    expected = 0
    for proc in procs:
        out, _ = proc.communicate(timeout=spec["events"] * spec["gap"] + 60)
        if proc.returncode != 0:
            raise SystemExit("a load client failed")
        result = json.loads(out.strip().splitlines()[-1])
        latencies += result["latencies"]
        expected += result["expected"]
    return {"latencies": latencies, "expected": expected, "posts": posts}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


def _report(name: str, result: dict[str, Any]) -> None:
    lat = result["latencies"]
    lost = result["expected"] - len(lat)
    print(
        f"  {name}: {len(lat)} deliveries, p50 {_pct(lat, 0.5):.1f} ms, p99 {_pct(lat, 0.99):.1f} ms, "
        f"max {_pct(lat, 1.0):.1f} ms, lost {lost}; ingest request p50 {_pct(result['posts'], 0.5):.1f} ms",
        flush=True,
    )


def _hub_env(url: str, workdir: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "HUB_DATABASE_URL": url,
        "HUB_LOG_LEVEL": "WARNING",
        "HUB_CHAIN_DATA_DIR": str(workdir / "chain"),
        "HUB_ANCHOR_IN_PROCESS": "false",
        **extra,
    }


def one_process(name: str, url: str, workdir: Path, args: argparse.Namespace, redis: str | None) -> None:
    keys = prepare(url, args.orgs)
    env = _hub_env(url, workdir, **({"HUB_REDIS_URL": redis} if redis else {}))
    server, port = start_hub(HUB_SERVER, str(ROOT), env)
    try:
        spec = {
            "ports": [port],
            "tokens": keys["subscribers"],
            "subscribers": args.subscribers,
            "events": args.events,
            "gap": args.gap,
            "run": name,
        }
        result = _measure(spec, args.clients, port, keys["terminal"])
        _report(f"{name}, 1 process, {args.subscribers} subscribers", result)
    finally:
        server.terminate()
        server.wait(timeout=30)


def four_processes(url: str, workdir: Path, args: argparse.Namespace, redis: str) -> None:
    from tests.servers import Anvil

    keys = prepare(url, args.orgs)
    anvil = Anvil(workdir).start()
    servers = []
    try:
        env = _hub_env(url, workdir, HUB_REDIS_URL=redis, HUB_CHAIN_URL=anvil.url)
        ports = []
        for _ in range(4):  # one at a time: the first deploys the registries, the others find them
            server, port = start_hub(HUB_SERVER, str(ROOT), env)
            servers.append(server)
            ports.append(port)
        spec = {
            "ports": ports,
            "tokens": keys["subscribers"],
            "subscribers": args.wide,
            "events": args.events,
            "gap": args.gap,
            "run": "wide",
        }
        result = _measure(spec, args.clients, ports[0], keys["terminal"])
        _report(f"postgresql + redis, 4 processes, {args.wide} subscribers", result)
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
        anvil.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument(
        "--wide", type=int, default=10_000, help="subscribers across four processes (0: skip)"
    )
    parser.add_argument("--orgs", type=int, default=50, help="organisations the subscribers belong to")
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--gap", type=float, default=0.5, help="seconds between posted events")
    parser.add_argument(
        "--clients", type=int, default=2, help="load client processes sharing the subscribers"
    )
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--client", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        print(json.dumps(asyncio.run(_client(json.loads(args.client)))))
        return

    from tests.backends import REDIS_URL, PgDatabase, postgres_available, redis_available

    print(machine_line(), flush=True)
    print(
        f"fan-out of one DCSA event per {args.gap} s, {args.events} events, subscribers in {args.orgs} "
        "organisations (each checked for access), the load client in its own process:",
        flush=True,
    )
    workdir = scratch("fanout")
    one_process("sqlite", f"sqlite:///{workdir / 'hub.db'}", workdir, args, None)
    production = not args.no_postgres and postgres_available() and redis_available()
    if not production:
        print("  postgresql + redis: not measured (they do not answer, or --no-postgres)")
        return
    pg = PgDatabase.create()
    try:
        one_process("postgresql + redis", pg.url, workdir / "pg1", args, REDIS_URL)
    finally:
        pg.drop()
    anvil_bin = ROOT / "node_modules" / ".bin" / "anvil"
    if args.wide and anvil_bin.exists():
        pg = PgDatabase.create()
        try:
            four_processes(pg.url, workdir / "pg4", args, REDIS_URL)
        finally:
            pg.drop()
    elif args.wide:
        print("  4 processes: not measured (node_modules/.bin/anvil is missing: run scripts/setup.sh)")


if __name__ == "__main__":
    main()
