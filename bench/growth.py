"""Tracking ingest as the event table grows: events/s at 100,000 stored events and at 10,000,000, in one run.

    .venv/bin/python bench/growth.py [--small 100000] [--large 10000000] [--events 100000] [--no-postgres]

For each database (a SQLite file; PostgreSQL when it answers): the table is filled by SQL to ``--small``
events (as a terminal's history: random source keys, time-ordered ids, every index the hub keeps), then
``--events`` new DCSA events are ingested through ``hub.tracking.pipeline`` as `hub ingest` does (one
writer, one parsing worker, 2,000 events a message), then the table is filled on to ``--large`` and the
same ingest runs again. Flat means the second figure is close to the first. Also printed: the size of
the table with its indexes at each point, and, on PostgreSQL, the plan of the duplicate check (the
lookup by source key each message makes), which must stay an index scan.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from bench.calibrate import machine_line  # noqa: E402
from bench.ingest import containers, ingest_rate  # noqa: E402
from bench.loadgen import databases, scratch  # noqa: E402

_COLUMNS = (
    "id, owner_org_id, source_key, source_format, message_type, event_type, classifier, type_code, "
    "event_datetime, event_created_datetime, un_location_code, mode_of_transport, seals, flags, version, "
    "created_at"
)


def fill(engine: Engine, owner: str, start: int, stop: int) -> float:
    """Rows ``start``..``stop - 1`` of a terminal's history, written by the database itself; seconds taken."""
    began = time.perf_counter()
    step = 1_000_000
    for low in range(start, stop, step):
        high = min(stop, low + step)
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(
                    text(
                        f"INSERT INTO tracking_event ({_COLUMNS}) SELECT "
                        "lpad(to_hex(g), 32, '0')::uuid, CAST(:owner AS uuid), 'dcsa:' || md5(g::text), 'DCSA', "
                        "'DCSA-3.0', 'EQUIPMENT', 'ACT', 'GTIN', timestamptz '2025-01-01' + g * interval '1 second', "
                        "timestamptz '2025-01-01' + g * interval '1 second', 'CNDLC', 'TRUCK', '[]', '[]', 1, "
                        "timestamptz '2025-01-01' + g * interval '1 second' FROM generate_series(:low, :high - 1) g"
                    ),
                    {"owner": owner, "low": low, "high": high},
                )
            else:
                conn.execute(
                    text(
                        "WITH RECURSIVE g(x) AS (SELECT :low UNION ALL SELECT x + 1 FROM g WHERE x < :high - 1) "
                        f"INSERT INTO tracking_event ({_COLUMNS}) SELECT "
                        "printf('%032x', x), :owner, 'dcsa:' || lower(hex(randomblob(16))), 'DCSA', 'DCSA-3.0', "
                        "'EQUIPMENT', 'ACT', 'GTIN', datetime('2025-01-01', '+' || x || ' seconds') || '.000000', "
                        "datetime('2025-01-01', '+' || x || ' seconds') || '.000000', 'CNDLC', 'TRUCK', '[]', '[]', 1, "
                        "datetime('2025-01-01', '+' || x || ' seconds') || '.000000' FROM g"
                    ),
                    {"owner": owner.replace("-", ""), "low": low, "high": high},
                )
    return time.perf_counter() - began


def size(engine: Engine) -> str:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            total = conn.execute(text("SELECT pg_total_relation_size('tracking_event')")).scalar_one()
        else:
            pages = conn.execute(text("PRAGMA page_count")).scalar_one()
            total = pages * conn.execute(text("PRAGMA page_size")).scalar_one()
    return f"{total / 1e9:.2f} GB"


def plan(engine: Engine) -> str:
    with engine.connect() as conn:
        rows = conn.execute(
            text("EXPLAIN SELECT id FROM tracking_event WHERE source_key IN ('dcsa:a', 'dcsa:b')")
        ).all()
    return " / ".join(str(row[0]).strip() for row in rows[:2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=10_000_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()

    from hub import migrate
    from hub.auth import service as auth
    from hub.auth.models import OrgType
    from hub.db import make_engine, session_scope

    workdir = scratch("bench-growth-")
    numbers = containers(5_000)
    print(machine_line(workdir), flush=True)
    print(
        f"bench/growth: {args.events:,} DCSA events ingested at {args.small:,} and at {args.large:,} stored",
        flush=True,
    )
    with databases(workdir, postgres=not args.no_postgres) as targets:
        for name, url in targets:
            migrate.upgrade(url)
            engine = make_engine(url)
            with session_scope(engine) as session:
                owner = str(auth.create_organisation(session, "History Terminal", OrgType.TERMINAL).id)
            figures = []
            filled = 0
            for target in (args.small, args.large):
                took = fill(engine, owner, filled, target)
                filled = target
                if engine.dialect.name == "postgresql":
                    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                        conn.execute(text("VACUUM ANALYZE tracking_event"))
                rate = ingest_rate(url, "dcsa", args.events, 2_000, numbers, 1)
                filled += args.events
                figures.append(rate)
                print(
                    f"  {name:<10} at {target:>12,} stored ({size(engine)}, filled in {took:5.0f} s): "
                    f"{rate:8,.0f} events/s",
                    flush=True,
                )
            if engine.dialect.name == "postgresql":
                print(f"  {name:<10} duplicate check plan: {plan(engine)}")
            print(f"  {name:<10} large/small: {figures[1] / figures[0]:.2f}", flush=True)
            engine.dispose()


if __name__ == "__main__":
    main()
