"""Events/s through EDIFACT and DCSA ingest (adapter + service + outbox, one transaction per message),
into SQLite and PostgreSQL, and the latency of the tracking query under load.

    .venv/bin/python bench/ingest.py [--events 100000] [--per-message 2000] [--skip-postgres]

Each run goes through ``hub.tracking.pipeline`` (what ``hub ingest`` does with many files): once parsed and
written in one process, as a REST request is, and once with worker processes parsing and preparing while
one process writes. Messages are generated here (CODECO gate-ins and DCSA 3.0 equipment events with valid ISO 6346 numbers,
spread over 5,000 containers); the tracking query is GraphQL ``container(number) { status, events }``
for random containers, from 8 connections for 8 s against one uvicorn worker.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import stdnum.iso6346  # noqa: E402

from bench.calibrate import machine_line  # noqa: E402
from bench.loadgen import build_request, databases, run, scratch, serve_hub  # noqa: E402

START = datetime(2026, 11, 1, tzinfo=UTC)


def containers(count: int) -> list[str]:
    """``count`` valid container numbers."""
    numbers = []
    for i in range(count):
        base = f"BMKU{i:06d}"
        numbers.append(base + stdnum.iso6346.calc_check_digit(base))
    return numbers


def codeco(n: int, numbers: list[str], index: int) -> bytes:
    """One CODECO gate-in interchange with ``n`` containers."""
    segs = [f"UNH+{index}+CODECO:D:95B:UN:SMDG16", f"BGM+34+{index}+9"]
    for i in range(n):
        when = (START + timedelta(minutes=index * n + i)).strftime("%Y%m%d%H%M")
        segs += [
            f"EQD+CN+{numbers[(index * n + i) % len(numbers)]}+45G1:102:5++2+5",
            f"DTM+7:{when}:203",
            "LOC+165+CNDLC:139:6+DCT:TER:ZZZ",
            "TDT+1++3++:172:ZZZ+++LN12345:146",
        ]
    segs.append(f"UNT+{len(segs) + 1}+{index}")
    return (f"UNB+UNOA:2+DLCT+HUB+261121:1200+IC{index}'" + "'".join(segs) + f"'UNZ+1+IC{index}'").encode()


def dcsa(n: int, numbers: list[str], index: int) -> bytes:
    """One DCSA 3.0 body with ``n`` equipment events."""
    events = []
    for i in range(n):
        when = (START + timedelta(minutes=index * n + i)).isoformat().replace("+00:00", "Z")
        events.append(
            {
                "eventID": f"bench-{index}-{i}",
                "eventDateTime": when,
                "eventUpdatedDateTime": when,
                "eventLocation": {"UNLocationCode": "CNSHE"},
                "eventClassification": {
                    "eventTypeCode": "EQUIPMENT",
                    "eventClassifierCode": "ACT",
                    "equipmentEventTypeCode": "DISC",
                },
                "equipmentDetails": {
                    "equipmentReference": numbers[(index * n + i) % len(numbers)],
                    "ISOEquipmentCode": "45G1",
                    "emptyIndicatorCode": "LADEN",
                },
                "transportDetails": {
                    "transportCall": {"modeOfTransport": "RAIL", "transportCallReference": "SY-DL-01"}
                },
            }
        )
    return json.dumps({"events": events}).encode()


def ingest_rate(url: str, kind: str, total: int, per_message: int, numbers: list[str], jobs: int) -> float:
    """Events/s for ``total`` events in messages of ``per_message``, through ``hub.tracking.pipeline`` with
    ``jobs`` worker processes (0: parsed and written in this process, as one REST request is)."""
    from hub import collector
    from hub.auth import service as auth
    from hub.auth.models import KeyRole, OrgType
    from hub.auth.permissions import Principal
    from hub.db import make_engine, session_scope
    from hub.tracking import pipeline

    collector.tune()  # as `hub ingest`, whose writer this process stands in for, does
    engine = make_engine(url)
    with session_scope(engine) as session:
        org = auth.create_organisation(session, f"Bench {kind} {uuid.uuid4().hex[:4]}", OrgType.TERMINAL)
    principal = Principal(org.id, org.name, org.type, KeyRole.OPERATOR, org.id)
    offset = random.randint(0, 10**6)
    bodies = [
        (f"m{i}", (codeco if kind == "edifact" else dcsa)(per_message, numbers, offset + i))
        for i in range(total // per_message)
    ]
    started = time.perf_counter()
    stored = 0
    for outcome in pipeline.run(engine, principal, bodies, jobs=jobs):
        assert outcome.report is not None, outcome.refused
        stored += outcome.report.stored
    elapsed = time.perf_counter() - started
    engine.dispose()
    assert stored == len(bodies) * per_message, stored
    return stored / elapsed


def query_latency(url: str, numbers: list[str], workdir: Path) -> str:
    """p50/p99 of the tracking query, from 8 connections, against one worker."""

    from hub.auth import service as auth
    from hub.auth.models import OrgType
    from hub.db import make_engine, session_scope
    from hub.settings import Settings

    engine = make_engine(url)
    with session_scope(engine) as session:
        regulator = auth.create_organisation(
            session, f"Bench regulator {uuid.uuid4().hex[:4]}", OrgType.REGULATOR
        )
        token = auth.issue_key(session, regulator, pepper=Settings().key_pepper.get_secret_value()).token
    server, port = serve_hub(url, workdir)
    try:
        number = numbers[len(numbers) // 2]
        query = (
            "query($n: String!) { container(number: $n) { number status { location modeOfTransport "
            "lastActualEvent { typeCode eventDateTime } } events(first: 20) { nodes { typeCode eventDateTime unLocationCode } } } }"
        )
        request = build_request(
            "POST",
            "/graphql",
            f"127.0.0.1:{port}",
            {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            json.dumps({"query": query, "variables": {"n": number}}).encode(),
        )
        asyncio.run(run("127.0.0.1", port, request, seconds=2, concurrency=8))
        result = asyncio.run(run("127.0.0.1", port, request, seconds=8, concurrency=8, check=b'"typeCode"'))
        return result.line("tracking query container(number)")
    finally:
        server.terminate()
        server.wait(timeout=20)
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--per-message", type=int, default=2_000)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="worker processes that parse while the writer writes (default: one per spare core, at least one)",
    )
    args = parser.parse_args()
    if args.jobs is None:
        from hub.tracking.pipeline import spare_cores

        args.jobs = max(1, spare_cores())
    from hub import migrate, native

    numbers = containers(5_000)
    workdir = scratch("bench-ingest-")
    print(
        f"bench/ingest: {args.events} events per run, {args.per_message} per message, one transaction per message"
    )
    print(native.describe())
    with databases(workdir, postgres=not args.skip_postgres) as targets:
        for name, url in targets:
            migrate.upgrade(url)
            print(machine_line(workdir))
            target = "20,000" if name == "sqlite" else "10,000"
            for kind in ("edifact", "dcsa"):
                for jobs in (0, args.jobs):
                    rate = ingest_rate(url, kind, args.events, args.per_message, numbers, jobs)
                    how = "one process" if jobs == 0 else f"{jobs} parsing + 1 writing"
                    print(f"{name:<10} {kind:<8} {rate:10,.0f} events/s  {how:<24} (target: {target})")
            print(
                query_latency(url, numbers, workdir) + f"  [{name}, {2 * args.events:,} events in the table]"
            )

    print(machine_line(workdir) + "  (after)")


if __name__ == "__main__":
    main()
