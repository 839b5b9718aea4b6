"""What holding DCSA events to DCSA's schemas costs per event (adapters/dcsa/schema.py), beside what
reading them costs without it, on the shipped Track & Trace samples. Prints figures, asserts nothing.

    .venv/bin/python bench/dcsa_schema.py [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from adapters.dcsa import parse
from adapters.dcsa.schema import check_event

SAMPLES = Path(__file__).resolve().parent.parent / "tests" / "data" / "fixtures" / "dcsa"


def _events(name: str) -> list[dict[str, Any]]:
    body = json.loads((SAMPLES / name).read_text(encoding="utf-8"))
    return body["events"] if isinstance(body, dict) else body  # type: ignore[no-any-return]


def _per_event(work: Any, count: int, rounds: int) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        work()
    return (time.perf_counter() - start) / (rounds * count) * 1e6


def main() -> None:
    """Microseconds per event: the schema check alone, and the whole reader (which includes it)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=500)
    rounds = parser.parse_args().rounds
    for version, name in (("2.2", "tnt-220-response.json"), ("3.0", "tnt-300-response.json")):
        events = _events(name)
        data = (SAMPLES / name).read_bytes()
        check_event(events[0], "$", version)  # compile the validator outside the timing (once per process)
        schema = _per_event(
            lambda events=events, version=version: [check_event(e, "$", version) for e in events],
            len(events),
            rounds,
        )
        whole = _per_event(lambda data=data: parse(data, scope="bench"), len(events), rounds)
        print(
            f"DCSA {version}: schema check {schema:6.1f} us/event; whole reader with it {whole:6.1f} us/event"
        )


if __name__ == "__main__":
    main()
