"""Copying a SQLite database's write-ahead log back into the database file, away from the requests.

In WAL mode every commit appends the pages it changed to the log; a checkpoint copies them back into the
database file and waits for two fsyncs. Left to itself, SQLite checkpoints inside the commit that finds
the log past 1,000 pages: that request then copies 16 MiB (with the hub's 16 KiB pages) before it
answers. In ``bench/commerce`` those commits took about a twentieth of the run (runs without checkpoints:
2,074 and 2,237 orders/s, against 2,043 and 2,046 with them).

``hub serve`` runs a ``Checkpointer`` instead: a thread with a connection of its own that checkpoints
every half second (PASSIVE: it never waits for a writer or blocks one, and does nothing when the log
holds nothing new). Its engine is made with ``make_engine(url, checkpoints="thread")``, whose connections
checkpoint themselves only past ``hub.db.BACKSTOP_PAGES`` (should the thread not keep up, or not run), and
keep the log file at most ``hub.db.WAL_SIZE_LIMIT`` bytes long once it has been copied back. PostgreSQL
needs none of this. Python's sqlite3 releases the GIL while SQLite works, so the copy runs beside the
requests, on another core where there is one.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import structlog
from sqlalchemy.engine import Engine

log = structlog.get_logger(__name__)


class Checkpointer:
    """A thread that checkpoints one SQLite database file every ``every`` seconds until stopped."""

    def __init__(self, path: str, *, every: float = 0.5) -> None:
        self.path = path
        self.every = every
        self.checkpoints = 0  # how many copied frames back
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)

    @classmethod
    def for_engine(cls, engine: Engine, *, every: float = 0.5) -> Checkpointer | None:
        """A checkpointer for the engine's database when it is a SQLite file, else None."""
        database = engine.url.database
        if engine.dialect.name != "sqlite" or not database or database == ":memory:":
            return None
        return cls(database, every=every)

    def start(self) -> Checkpointer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop after the checkpoint under way, and copy what is left once more."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        connection: sqlite3.Connection | None = None
        try:
            stopping = False
            while not stopping:  # one more round once stopped: what came in meanwhile is copied too
                stopping = self._stop.wait(self.every)
                connection = connection or self._connect()
                if connection is not None:
                    self._checkpoint(connection)
        finally:
            if connection is not None:
                connection.close()

    def _connect(self) -> sqlite3.Connection | None:
        """A connection to the database file, which it never creates (``mode=rw``): a hub started before
        its database was migrated gets the file the migration makes, with its page size and WAL mode."""
        try:
            return sqlite3.connect(
                f"{Path(self.path).resolve().as_uri()}?mode=rw", uri=True, timeout=10, check_same_thread=False
            )
        except sqlite3.Error:
            return None  # not there yet: the next round looks again

    def _checkpoint(self, connection: sqlite3.Connection) -> None:
        try:
            busy, in_log, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if in_log < 0:
                # Not in WAL mode as this connection last saw the file (it was switched since, or is
                # about to be): a checkpoint reads nothing, so read the schema's version to look again.
                connection.execute("PRAGMA schema_version").fetchone()
                return
        except sqlite3.Error as exc:  # the next round tries again; the backstop still bounds the log
            log.warning("checkpoint failed", database=self.path, error=str(exc))
            return
        if copied > 0 and not busy:
            self.checkpoints += 1
