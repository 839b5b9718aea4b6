"""Streamed ingest of one large file: peak memory and events/s of `hub ingest`, as a user runs it.

    .venv/bin/python bench/stream.py [--mb 195] [--no-postgres]

Writes a DCSA 3.0 file of about ``--mb`` MB (pretty-printed, as exports are) and a CODECO interchange of
a million segments, then runs `hub ingest FILE --org ...` in a process of its own on a fresh SQLite file
and, when it answers, a fresh PostgreSQL database; prints each run's wall time, events/s and the peak
resident memory of the command and its workers (getrusage of the children). Before streaming, the same
195 MB file took 1.49 GB and was then refused ("at most 50000 per request").
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.calibrate import machine_line  # noqa: E402
from bench.ingest import containers  # noqa: E402
from bench.loadgen import scratch  # noqa: E402

START = datetime(2026, 6, 1, tzinfo=UTC)


def dcsa_file(path: Path, megabytes: int, numbers: list[str]) -> int:
    """A DCSA 3.0 ``{"events": [...]}`` file of about ``megabytes`` MB; how many events it holds."""
    count = 0
    with path.open("w") as out:
        out.write('{\n  "events": [\n')
        while out.tell() < megabytes * 1_000_000:
            when = (START + timedelta(seconds=count)).isoformat().replace("+00:00", "Z")
            event = {
                "eventID": f"stream-{count}",
                "eventDateTime": when,
                "eventUpdatedDateTime": when,
                "eventLocation": {"UNLocationCode": "CNDLC", "locationName": "Dalian Container Terminal"},
                "eventClassification": {
                    "eventTypeCode": "EQUIPMENT",
                    "eventClassifierCode": "ACT",
                    "equipmentEventTypeCode": "DISC",
                },
                "equipmentDetails": {
                    "equipmentReference": numbers[count % len(numbers)],
                    "ISOEquipmentCode": "45G1",
                    "emptyIndicatorCode": "LADEN",
                },
                "transportDetails": {
                    "transportCall": {"modeOfTransport": "VESSEL", "transportCallReference": "DLC-KS-42"}
                },
            }
            out.write(
                ("    " if count == 0 else ",\n    ") + json.dumps(event, indent=2).replace("\n", "\n    ")
            )
            count += 1
        out.write("\n  ]\n}\n")
    return count


def edifact_file(path: Path, segments: int, numbers: list[str]) -> int:
    """A CODECO interchange of about ``segments`` segments, 50 gate-ins a message; its events."""
    events = 0
    message = 0
    with path.open("w") as out:
        out.write("UNB+UNOA:2+DLCT+HUB+261121:1200+BIG1'\n")
        written = 1
        while written < segments:
            message += 1
            body = [f"UNH+{message}+CODECO:D:95B:UN:SMDG16", f"BGM+34+BIG{message}+9"]
            for _ in range(50):
                when = (START + timedelta(minutes=events)).strftime("%Y%m%d%H%M")
                body += [
                    f"EQD+CN+{numbers[events % len(numbers)]}+45G1:102:5++2+5",
                    f"DTM+7:{when}:203",
                    "LOC+165+CNDLC:139:6+DCT:TER:ZZZ",
                    "TDT+1++3++:172:ZZZ+++LN12345:146",
                ]
                events += 1
            body.append(f"UNT+{len(body) + 1}+{message}")
            out.write("'\n".join(body) + "'\n")
            written += len(body)
        out.write(f"UNZ+{message}+BIG1'\n")
    return events


def run(url: str, path: Path, events: int, label: str) -> None:
    from hub import migrate
    from hub.auth import service as auth
    from hub.auth.models import OrgType
    from hub.db import make_engine, session_scope

    migrate.upgrade(url)
    engine = make_engine(url)
    name = f"Streaming Terminal {label}"
    with session_scope(engine) as session:
        auth.create_organisation(session, name, OrgType.TERMINAL)
    engine.dispose()
    env = {**os.environ, "HUB_DATABASE_URL": url, "HUB_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    # Through a process of its own that reports its children's peak: each run's figure is its own.
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--measure",
            sys.executable,
            "-m",
            "hub.cli",
            "ingest",
            str(path),
            "--org",
            name,
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    lines = done.stdout.strip().splitlines()
    peak = int(lines[-1]) if lines and lines[-1].isdigit() else 0
    summary = lines[-2] if len(lines) > 1 else done.stderr[-300:]
    print(
        f"  {label:<22} {path.stat().st_size / 1e6:7.0f} MB  {elapsed:7.1f} s  {events / elapsed:9,.0f} events/s  "
        f"peak {peak / 1024:6.0f} MB  (exit {done.returncode}: {summary})",
        flush=True,
    )


def main() -> None:
    if sys.argv[1:2] == ["--measure"]:
        code = subprocess.run(sys.argv[2:], stderr=subprocess.DEVNULL).returncode
        print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)  # KiB, the largest descendant
        raise SystemExit(code)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=195)
    parser.add_argument("--segments", type=int, default=1_000_000)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    from tests.backends import PgDatabase, postgres_available

    workdir = scratch("bench-stream-")
    numbers = containers(5_000)
    print(machine_line(workdir), flush=True)
    big = workdir / "events.json"
    dcsa_events = dcsa_file(big, args.mb, numbers)
    edi = workdir / "codeco.edi"
    edi_events = edifact_file(edi, args.segments, numbers)
    print(
        f"bench/stream: {dcsa_events:,} DCSA events in {big.stat().st_size / 1e6:.0f} MB; "
        f"{edi_events:,} CODECO gate-ins in {args.segments:,} segments; `hub ingest` with default jobs",
        flush=True,
    )
    targets = [("sqlite", f"sqlite:///{workdir / 'hub.db'}")]
    pg = PgDatabase.create() if not args.no_postgres and postgres_available() else None
    if pg is not None:
        targets.append(("postgresql", pg.url))
    try:
        for name, url in targets:
            run(url, big, dcsa_events, f"{name} dcsa")
            run(url, edi, edi_events, f"{name} edifact")
    finally:
        if pg is not None:
            pg.drop()


if __name__ == "__main__":
    main()
