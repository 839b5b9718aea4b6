"""Scale-out: 1, 2 and 4 `hub serve` processes and two `hub anchor` workers on one PostgreSQL, one Redis
and one anvil node, as production runs the hub.

    .venv/bin/python bench/scale.py [--seconds 10] [--connections 16]

One database, loaded once with the demo's organisations and documents; for each number of processes,
the processes are started (the anchoring workers outside them, as `hub anchor`), and this script (the
load client, a process of its own) drives them for ``--seconds`` each:

- GraphQL: a forwarder's ``container(number)`` read (status and 20 events of a demo box), over ``--connections`` kept-alive
  connections spread evenly over the processes;
- ingest: the terminal's DCSA bodies of 100 new events each (every event new, stored, anchored), over the
  same number of connections.

Each round starts once the workers have anchored what the round before wrote. On a machine with fewer
cores than processes, the processes share them with PostgreSQL, Redis, anvil, the workers and this
client: the figures then show what contention costs, not what more machines would give.
It prints the total and the per-process figure, then waits for the anchoring workers to anchor everything
written and checks that nothing was anchored twice or lost: every outbox entry in exactly one anchored
batch, the batches' record counts summing to the entries, each batch's root on chain once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.calibrate import machine_line  # noqa: E402
from bench.ingest import containers  # noqa: E402
from bench.load import FORWARDER, TERMINAL, prepare  # noqa: E402
from bench.loadgen import HUB_SERVER, Result, build_request, exchange, run, scratch, start_hub  # noqa: E402

# One container's status and history, as a forwarder follows its box: a read whose cost does not grow with
# the events the rounds write (a forwarder's newest-first list of every event it may see does: see the
# closing note of issue 21).
READ = (
    '{ container(number: "MSCU6639870") { number status { location lastActualEvent { typeCode } } '
    "events(first: 20) { nodes { id typeCode eventDateTime } } } }"
)


def _body(serial: str, numbers: list[str], count: int = 100) -> bytes:
    start = datetime(2026, 7, 1, tzinfo=UTC)
    events = []
    for i in range(count):
        when = (start + timedelta(seconds=i)).isoformat().replace("+00:00", "Z")
        events.append(
            {
                "eventID": f"{serial}-{i}",
                "eventDateTime": when,
                "eventUpdatedDateTime": when,
                "eventLocation": {"UNLocationCode": "CNDLC"},
                "eventClassification": {
                    "eventTypeCode": "EQUIPMENT",
                    "eventClassifierCode": "ACT",
                    "equipmentEventTypeCode": "GTIN",
                },
                "equipmentDetails": {
                    "equipmentReference": numbers[(hash(serial) + i) % len(numbers)],
                    "ISOEquipmentCode": "45G1",
                    "emptyIndicatorCode": "LADEN",
                },
                "transportDetails": {
                    "transportCall": {"modeOfTransport": "TRUCK", "transportCallReference": "G1"}
                },
            }
        )
    return json.dumps({"events": events}).encode()


async def _ingest_worker(port: int, token: str, numbers: list[str], stop_at: float, result: Result) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    try:
        while time.perf_counter() < stop_at:
            request = build_request(
                "POST", "/ingest/dcsa", f"127.0.0.1:{port}", headers, _body(uuid.uuid4().hex, numbers)
            )
            started = time.perf_counter()
            status, body = await exchange(reader, writer, request)
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
            if status != 200 or b'"stored":100' not in body:
                result.errors += 1
            result.requests += 1
    finally:
        writer.close()


async def _ingest(
    ports: list[int], token: str, numbers: list[str], seconds: float, connections: int
) -> Result:
    result = Result(0, 0, 0.0, [])
    started = time.perf_counter()
    stop_at = started + seconds
    await asyncio.gather(
        *(_ingest_worker(ports[i % len(ports)], token, numbers, stop_at, result) for i in range(connections))
    )
    result.seconds = time.perf_counter() - started
    return result


async def _read(ports: list[int], token: str, seconds: float, connections: int) -> Result:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = json.dumps({"query": READ}).encode()
    share = [
        connections // len(ports) + (1 if i < connections % len(ports) else 0) for i in range(len(ports))
    ]
    parts = await asyncio.gather(
        *(
            run(
                "127.0.0.1",
                port,
                build_request("POST", "/graphql", f"127.0.0.1:{port}", headers, body),
                seconds=seconds,
                concurrency=n,
                check=b'"typeCode"',
            )
            for port, n in zip(ports, share, strict=True)
            if n
        )
    )
    total = Result(0, 0, max(p.seconds for p in parts), [])
    for part in parts:
        total.requests += part.requests
        total.errors += part.errors
        total.latencies_ms += part.latencies_ms
    return total


def _check_anchoring(url: str, timeout: float = 300) -> str:
    """Wait until every outbox entry is anchored; what the database and the chain say about it."""
    from sqlalchemy import text

    from hub.db import make_engine

    engine = make_engine(url)
    deadline = time.monotonic() + timeout
    with engine.connect() as conn:
        while True:
            pending = conn.execute(
                text(
                    "SELECT count(*) FROM outbox_entry e LEFT JOIN anchor_batch b ON b.id = e.batch_id "
                    "WHERE b.id IS NULL OR b.state <> 'ANCHORED'"
                )
            ).scalar_one()
            if pending == 0 or time.monotonic() > deadline:
                break
            conn.rollback()
            time.sleep(0.5)
        entries = conn.execute(text("SELECT count(*) FROM outbox_entry")).scalar_one()
        counted = conn.execute(
            text("SELECT coalesce(sum(record_count), 0) FROM anchor_batch WHERE state = 'ANCHORED'")
        ).scalar_one()
        roots = conn.execute(
            text("SELECT count(*), count(DISTINCT root) FROM anchor_batch WHERE state = 'ANCHORED'")
        ).one()
        versions = conn.execute(
            text("SELECT count(*) FROM (SELECT DISTINCT record_kind, record_id, version FROM outbox_entry) v")
        ).scalar_one()
    engine.dispose()
    ok = pending == 0 and entries == counted == versions and roots[0] == roots[1]
    return (
        f"anchoring: {entries:,} record versions, {pending} not anchored, {counted:,} in {roots[0]:,} anchored "
        f"batches with {roots[1]:,} distinct roots, {versions:,} distinct versions: "
        + ("nothing anchored twice or lost" if ok else "MISMATCH")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()

    from tests.backends import REDIS_URL, PgDatabase, postgres_available, redis_available
    from tests.servers import Anvil

    if not (postgres_available() and redis_available() and (ROOT / "node_modules/.bin/anvil").exists()):
        raise SystemExit("bench/scale needs PostgreSQL, Redis and node_modules/.bin/anvil (scripts/setup.sh)")
    workdir = scratch("bench-scale-")
    print(machine_line(workdir), flush=True)
    pg = PgDatabase.create()
    anvil = Anvil(workdir).start()
    numbers = containers(5_000)
    anchors: list[subprocess.Popen[bytes]] = []
    try:
        keys, _ = prepare(pg.url)
        env = {
            **os.environ,
            "HUB_DATABASE_URL": pg.url,
            "HUB_REDIS_URL": REDIS_URL,
            "HUB_CHAIN_URL": anvil.url,
            "HUB_LOG_LEVEL": "WARNING",
            "HUB_ANCHOR_IN_PROCESS": "false",
            "HUB_ANCHOR_MAX_WAIT_SECONDS": "0.2",
            "PYTHONPATH": str(ROOT),
        }
        print(
            f"bench/scale: PostgreSQL, Redis, anvil; 2 `hub anchor` workers; {args.connections} connections, "
            f"{args.seconds:.0f} s per figure",
            flush=True,
        )
        first, _ = start_hub(HUB_SERVER, str(ROOT), env)  # deploys the registries; the rest find them
        first.terminate()
        first.wait(timeout=30)
        anchors = [
            subprocess.Popen([sys.executable, "-m", "hub.cli", "anchor"], env=env, stderr=subprocess.DEVNULL)
            for _ in range(2)
        ]
        base: dict[str, float] = {}
        for count in args.processes:
            servers = [start_hub(HUB_SERVER, str(ROOT), env) for _ in range(count)]
            ports = [port for _, port in servers]
            try:
                _check_anchoring(pg.url)  # start quiet: the last round's events anchored
                asyncio.run(_read(ports, keys[FORWARDER], 2, args.connections))  # warm every process
                read = asyncio.run(_read(ports, keys[FORWARDER], args.seconds, args.connections))
                write = asyncio.run(_ingest(ports, keys[TERMINAL], numbers, args.seconds, args.connections))
            finally:
                for server, _ in servers:
                    server.terminate()
                for server, _ in servers:
                    server.wait(timeout=30)
            events = write.requests * 100 / write.seconds
            base.setdefault("read", read.rps)
            base.setdefault("write", events)
            print(
                f"  {count} process{'es' if count > 1 else '  '}: GraphQL {read.rps:7.0f} req/s "
                f"({read.rps / count:6.0f} per process, x{read.rps / base['read']:.2f}, p99 {read.pct(0.99):6.1f} ms, "
                f"{read.errors} errors); ingest {events:8,.0f} events/s ({events / count:7,.0f} per process, "
                f"x{events / base['write']:.2f}, p99 {write.pct(0.99):6.1f} ms, {write.errors} errors)",
                flush=True,
            )
        print("  " + _check_anchoring(pg.url), flush=True)
    finally:
        for worker in anchors:
            worker.terminate()
        for worker in anchors:
            worker.wait(timeout=30)
        anvil.stop()
        pg.drop()


if __name__ == "__main__":
    main()
