"""Latency (p50, p99) of each port-operator query with a yard of 100,000 containers and 1,000,000 events.

    .venv/bin/python bench/port.py [--containers 100000] [--events 1000000] [--postgres] [--seconds 4]

The port (CNDLC) is filled straight into the tables the hub's services write (events, the yard's
positions, 2,000 vessel calls, 30,000 declarations covering most boxes, 3,000 active holds), then each
GraphQL query a port operator runs is sent over HTTP to one uvicorn worker, one request at a time, for a
few seconds: vessel calls in a week, a call with what it discharges and loads, containers on hold, the
yard, boxes without a declaration, and dwell statistics.
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import stdnum.imo  # noqa: E402
import stdnum.iso6346  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from bench.loadgen import build_request, databases, run, scratch, serve_hub  # noqa: E402

PORT = "CNDLC"
NOW = datetime.now(UTC).replace(microsecond=0)
FACILITIES = ("DCT", "DLCT2", "DPCM")


def _imo(n: int) -> str:
    """The n-th valid IMO number from 9100000 on (the check digit follows from the first six)."""
    base = f"{910000 + n:06d}"
    return next(base + d for d in "0123456789" if stdnum.imo.is_valid(base + d))


def populate(url: str, containers: int, events: int) -> dict[str, Any]:
    """Fill the port; return the ids and keys the queries need."""
    from hub.auth import service as auth
    from hub.auth.models import OrgType
    from hub.db import make_engine, session_scope
    from hub.port.models import (
        ContainerHold,
        ContainerPosition,
        CustomsDecision,
        DecisionKind,
        Declaration,
        DeclarationContainer,
        DeclarationState,
        Direction,
        PortCall,
        Vessel,
    )
    from hub.settings import Settings
    from hub.tracking.models import Container, TrackingEvent

    rng = random.Random(7)
    engine = make_engine(url)
    with session_scope(engine) as session:
        terminal = auth.create_organisation(session, "Bench Terminal", OrgType.TERMINAL, port_locode=PORT)
        operator = auth.create_organisation(
            session, "Bench Port Operator", OrgType.PORT_OPERATOR, port_locode=PORT
        )
        customs = auth.create_organisation(session, "Bench Customs", OrgType.CUSTOMS, customs_code="0900")
        broker = auth.create_organisation(session, "Bench Broker", OrgType.FORWARDER)
        token = auth.issue_key(session, operator, pepper=Settings().key_pepper.get_secret_value()).token
    numbers = []
    for i in range(containers):
        base = f"BMKU{i:06d}"
        numbers.append(base + stdnum.iso6346.calc_check_digit(base))
    vessels = [_imo(n) for n in range(200)]
    calls = []
    for n in range(2000):
        eta = NOW - timedelta(days=60) + timedelta(hours=n * 1.44)
        calls.append(
            {
                "id": uuid.uuid4(),
                "owner_org_id": terminal.id,
                "un_location_code": PORT,
                "vessel_imo": vessels[n % len(vessels)],
                "port_visit_reference": f"CNDLC{n:06d}",
                "jit_port_call_id": None,
                "transport_call_reference": f"V{n:05d}-CNDLC",
                "carrier_service_code": "KSX",
                "import_voyage": f"{n:05d}N",
                "export_voyage": f"{n:05d}S",
                "terminal_code": FACILITIES[n % 3],
                "berth": f"B{n % 12}",
                "status_code": None,
                "eta": eta,
                "etb": eta + timedelta(hours=2),
                "etd": eta + timedelta(hours=20),
                "ata": eta + timedelta(hours=1) if eta < NOW else None,
                "atb": None,
                "atd": None,
                "details": {},
                "version": 1,
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
    container_ids = {n: uuid.uuid4() for n in numbers}
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(
            insert(Vessel.__table__),  # type: ignore[attr-defined]
            [
                {"imo": v, "imo_check_digit_valid": True, "name": f"BENCH {i}", "updated_at": NOW}
                for i, v in enumerate(vessels)
            ],
        )
        connection.execute(insert(PortCall.__table__), calls)  # type: ignore[attr-defined]
        connection.execute(
            insert(Container.__table__),  # type: ignore[attr-defined]
            [
                {
                    "id": container_ids[n],
                    "number": n,
                    "check_digit_valid": True,
                    "iso_size_type": "45G1",
                    "created_at": NOW,
                }
                for n in numbers
            ],
        )
        positions = []
        for n in numbers:
            in_yard = rng.random() < 0.6
            positions.append(
                {
                    "container_number": n,
                    "un_location_code": PORT if in_yard or rng.random() < 0.5 else "CNSHE",
                    "facility_code": rng.choice(FACILITIES),
                    "in_yard": in_yard,
                    "since": NOW - timedelta(hours=rng.uniform(1, 24 * 30)),
                    "last_type_code": "DISC" if in_yard else "GTOT",
                    "last_event_at": NOW - timedelta(hours=1),
                    "empty": False,
                }
            )
        connection.execute(insert(ContainerPosition.__table__), positions)  # type: ignore[attr-defined]
    per_container = max(1, events // containers)
    batch: list[dict[str, Any]] = []
    written = 0
    codes = ("DISC", "GTOT", "GTIN", "LOAD", "STRP", "STUF", "DEPA", "ARRI", "INSP", "PICK")
    for index, number in enumerate(numbers):
        call = calls[index % len(calls)]
        for k in range(per_container):
            code = codes[k % len(codes)]
            batch.append(
                {
                    "id": uuid.uuid4(),
                    "owner_org_id": terminal.id,
                    "source_key": f"BENCH:{number}:{k}",
                    "source_format": "EDIFACT",
                    "message_type": "COARRI",
                    "event_type": "EQUIPMENT",
                    "classifier": "ACT",
                    "type_code": code,
                    "event_datetime": NOW - timedelta(hours=per_container - k),
                    "event_created_datetime": NOW,
                    "source_updated_datetime": None,
                    "container_id": container_ids[number],
                    "equipment_reference": number,
                    "iso_equipment_code": "45G1",
                    "empty_indicator": "LADEN",
                    "movement_type": "IMPORT",
                    "un_location_code": PORT,
                    "facility_code": call["terminal_code"],
                    "facility_provider": None,
                    "location_name": None,
                    "mode_of_transport": "VESSEL",
                    "transport_call_id": call["transport_call_reference"],
                    "vessel_name": None,
                    "vessel_imo": call["vessel_imo"],
                    "vessel_call_sign": None,
                    "carrier_code": None,
                    "carrier_service_code": "KSX",
                    "export_voyage": call["export_voyage"],
                    "import_voyage": call["import_voyage"],
                    "vehicle_reference": None,
                    "booking_reference": None,
                    "transport_document_reference": None,
                    "document_type_code": None,
                    "seals": [],
                    "flags": [],
                    "version": 1,
                    "created_at": NOW,
                }
            )
            if len(batch) >= 20_000:
                with engine.begin() as connection:
                    connection.execute(insert(TrackingEvent.__table__), batch)  # type: ignore[attr-defined]
                written += len(batch)
                batch = []
                print(f"\r  events written: {written:,}", end="", flush=True)
    if batch:
        with engine.begin() as connection:
            connection.execute(insert(TrackingEvent.__table__), batch)  # type: ignore[attr-defined]
        written += len(batch)
    print(f"\r  events written: {written:,}")
    declarations, covered, holds, decisions = [], [], [], []
    shuffled = numbers[:]
    rng.shuffle(shuffled)
    for d in range(30_000):
        declaration_id = uuid.uuid4()
        boxes = shuffled[d * 3 : d * 3 + 3]
        if not boxes:
            break
        declarations.append(
            {
                "id": declaration_id,
                "owner_org_id": broker.id,
                "reference": f"BENCH-{d}",
                "direction": Direction.IMPORT,
                "customs_code": "0900",
                "trader_name": "Importer",
                "trader_uscc": "91210200MA0Y8K3Q14",
                "bill_id": None,
                "bill_number": None,
                "vessel_name": None,
                "voyage": None,
                "un_location_code": PORT,
                "containers": boxes,
                "items": [],
                "sources": {},
                "state": DeclarationState.INSPECTION if d < 1000 else DeclarationState.SUBMITTED,
                "reasons": [],
                "customs_number": None,
                "version": 1,
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
        covered += [{"declaration_id": declaration_id, "container_number": b} for b in boxes]
        if d < 1000:
            decision_id = uuid.uuid4()
            decisions.append(
                {
                    "id": decision_id,
                    "owner_org_id": customs.id,
                    "declaration_id": declaration_id,
                    "kind": DecisionKind.INSPECT,
                    "reasons": ["random selection"],
                    "containers": boxes,
                    "source": "HUB",
                    "source_reference": None,
                    "decided_at": NOW,
                    "version": 1,
                    "created_at": NOW,
                }
            )
            holds += [
                {
                    "id": uuid.uuid4(),
                    "container_number": b,
                    "un_location_code": PORT,
                    "reason": "random selection",
                    "kind": DecisionKind.INSPECT,
                    "declaration_id": declaration_id,
                    "placed_by_decision_id": decision_id,
                    "placed_at": NOW - timedelta(hours=rng.uniform(1, 200)),
                    "released_at": None,
                }
                for b in boxes
            ]
    with engine.begin() as connection:
        connection.execute(insert(Declaration.__table__), declarations)  # type: ignore[attr-defined]
        connection.execute(insert(DeclarationContainer.__table__), covered)  # type: ignore[attr-defined]
        connection.execute(insert(CustomsDecision.__table__), decisions)  # type: ignore[attr-defined]
        connection.execute(insert(ContainerHold.__table__), holds)  # type: ignore[attr-defined]
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    else:
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    print(
        f"  filled in {time.perf_counter() - started:.0f} s: {containers:,} containers, {written:,} events, "
        f"{len(calls):,} calls, {len(declarations):,} declarations, {len(holds):,} holds"
    )
    engine.dispose()
    middle = calls[len(calls) // 2]
    return {
        "token": token,
        "call": str(middle["id"]),
        "week": (middle["eta"] - timedelta(days=3), middle["eta"] + timedelta(days=4)),
    }


def measure(url: str, info: dict[str, Any], workdir: Path, seconds: float) -> None:
    server, port = serve_hub(url, workdir)
    start, end = (t.isoformat() for t in info["week"])
    queries = {
        "vesselCalls (a week, first 50)": (
            "query($s: DateTime!, $e: DateTime!) { vesselCalls(start: $s, end: $e, first: 50) { nodes { vesselImo eta ata berth } } }",
            {"s": start, "e": end},
        ),
        "portCall with discharge/load lists": (
            "query($id: ID!) { portCall(id: $id) { vesselImo moves { discharge { containerNumber } load { containerNumber } } } }",
            {"id": info["call"]},
        ),
        "containersOnHold (first 50)": (
            "{ containersOnHold(first: 50) { nodes { containerNumber reason ageHours } pageInfo { endCursor } } }",
            {},
        ),
        "yard (first 50, longest dwell first)": (
            "{ yard(first: 50) { nodes { containerNumber facilityCode dwellHours } } }",
            {},
        ),
        "undeclaredContainers (first 50)": (
            "{ undeclaredContainers(first: 50) { nodes { containerNumber dwellHours } } }",
            {},
        ),
        "dwellStatistics (whole yard)": (
            "{ dwellStatistics { containers averageHours p50Hours p90Hours maxHours byFacility { facilityCode containers } } }",
            {},
        ),
    }
    try:
        for label, (query, variables) in queries.items():
            request = build_request(
                "POST",
                "/graphql",
                f"127.0.0.1:{port}",
                {"Authorization": f"Bearer {info['token']}", "Content-Type": "application/json"},
                json.dumps({"query": query, "variables": variables}).encode(),
            )
            asyncio.run(run("127.0.0.1", port, request, seconds=0.5, concurrency=1))
            result = asyncio.run(
                run("127.0.0.1", port, request, seconds=seconds, concurrency=1, check=b'"data"')
            )
            print(result.line(label))
    finally:
        server.terminate()
        server.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--containers", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--postgres", action="store_true", help="also measure on PostgreSQL")
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()
    from hub import migrate

    workdir = scratch("bench-port-")
    print(f"bench/port: a yard of {args.containers:,} containers and {args.events:,} events at {PORT}")
    with databases(workdir, postgres=args.postgres) as targets:
        for name, url in targets:
            print(f"[{name}]")
            migrate.upgrade(url)
            info = populate(url, args.containers, args.events)
            measure(url, info, workdir, args.seconds)


if __name__ == "__main__":
    main()
