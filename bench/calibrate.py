"""How fast this machine is right now, printed by the throughput benches next to their figures.

The hosts these benches run on are shared, and the same code runs up to three times slower from one hour
to the next. The issues state their targets next to a yardstick ("SQLite takes about 180,000 plain
rows/s"), so each bench measures that yardstick in the same run: a figure can then be read against the
machine it was measured on. It is measured before each database's figures and once after all of them,
since the speed also changes within a run. Two numbers: plain rows/s into a SQLite file (six short
columns, 2,000 rows per executemany and commit, WAL, as the hub opens SQLite) and the time of a fixed
pure-Python loop. Both are single-core figures: a pipelined run also depends on the second core, which
a neighbour may be using.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from pathlib import Path

_ROWS = 200_000
_PER_COMMIT = 2_000


def plain_rows_per_second(directory: Path) -> float:
    """Plain rows/s into a fresh SQLite file under ``directory``."""
    connection = sqlite3.connect(directory / "calibrate.db")
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute(
            "CREATE TABLE plain (id INTEGER PRIMARY KEY, kind TEXT, reference TEXT, location TEXT,"
            " amount INTEGER, at TEXT)"
        )
        rows = [
            (i, "GTIN", f"BMKU{i:07d}", "CNDAL", i % 1000, "2026-11-21T10:00:00+00:00") for i in range(_ROWS)
        ]
        started = time.perf_counter()
        for start in range(0, _ROWS, _PER_COMMIT):
            connection.executemany(
                "INSERT INTO plain VALUES (?, ?, ?, ?, ?, ?)", rows[start : start + _PER_COMMIT]
            )
            connection.commit()
        return _ROWS / (time.perf_counter() - started)
    finally:
        connection.close()
        (directory / "calibrate.db").unlink(missing_ok=True)


def python_loop_seconds() -> float:
    """Seconds for 10 million additions in a Python loop."""
    started = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    assert total > 0
    return time.perf_counter() - started


def machine_line(directory: Path | None = None) -> str:
    """One line that says how fast this machine is now, for a bench to print before its figures."""
    with tempfile.TemporaryDirectory() as scratch:
        rows = plain_rows_per_second(Path(directory or scratch))
    return (
        f"this machine now: SQLite {rows:,.0f} plain rows/s (the issues' yardstick: about 180,000), "
        f"Python loop of 10M additions {python_loop_seconds():.2f} s"
    )


if __name__ == "__main__":
    print(machine_line())
