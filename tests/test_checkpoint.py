"""The write-ahead log is copied back by the checkpointer's thread, not in the requests' commits."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, Table, Text, insert, text

from hub.checkpoint import Checkpointer
from hub.db import BACKSTOP_PAGES, WAL_SIZE_LIMIT, make_engine


def _table() -> Table:
    return Table("filler", MetaData(), Column("id", Integer, primary_key=True), Column("body", Text))


def _write(engine: object, start: int, rows: int) -> None:
    table = _table()
    with engine.begin() as connection:  # type: ignore[attr-defined]
        connection.execute(insert(table), [{"id": start + i, "body": "x" * 4000} for i in range(rows)])


def _uncopied(path: Path) -> int:
    """Frames in the log not yet copied back, as a fresh connection sees them."""
    plain = sqlite3.connect(path)
    try:
        _, in_log, copied = plain.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    finally:
        plain.close()
    return int(in_log) - int(copied)


def test_commits_leave_the_log_to_the_thread_which_copies_it_back(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    engine = make_engine(f"sqlite:///{path}", checkpoints="thread")
    _table().create(engine)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA wal_autocheckpoint")).scalar() == BACKSTOP_PAGES
        assert connection.execute(text("PRAGMA journal_size_limit")).scalar() == WAL_SIZE_LIMIT
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    checkpointer = Checkpointer.for_engine(engine, every=0.05)
    assert checkpointer is not None
    # A connection kept open, as the server's pool keeps them: the log is not copied when one closes.
    keeper = engine.connect()
    try:
        _write(engine, 0, 400)  # 1.6 MB, more than 100 pages of 16 KiB
        assert (tmp_path / "hub.db-wal").stat().st_size > 1_000_000
        checkpointer.start()
        assert any(t.name == "sqlite-checkpoint" for t in threading.enumerate())
        deadline = time.monotonic() + 10
        while checkpointer.checkpoints == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert checkpointer.checkpoints >= 1
        _write(engine, 400, 10)  # written while it runs; stop copies what is left
        checkpointer.stop()
        assert not any(t.name == "sqlite-checkpoint" and t.is_alive() for t in threading.enumerate())
        assert _uncopied(path) == 0
        plain = sqlite3.connect(path)
        try:
            assert plain.execute("SELECT count(*) FROM filler").fetchone() == (410,)
        finally:
            plain.close()
    finally:
        keeper.close()
        engine.dispose()


def test_commits_still_checkpoint_by_themselves_when_no_thread_is_asked_for(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 1000
    finally:
        engine.dispose()


def test_only_a_sqlite_file_gets_a_checkpointer(database_url: str) -> None:
    memory = make_engine("sqlite://")
    other = make_engine(database_url)
    try:
        assert Checkpointer.for_engine(memory) is None
        made = Checkpointer.for_engine(other)
        assert (made is not None) == database_url.startswith("sqlite")
    finally:
        memory.dispose()
        other.dispose()


def test_the_running_hub_checkpoints_in_its_own_thread_while_it_serves(client: object) -> None:
    names = [t.name for t in threading.enumerate()]
    assert ("sqlite-checkpoint" in names) == str(client.app.state.hub.engine.url).startswith("sqlite:///")  # type: ignore[attr-defined]


def test_a_checkpointer_started_before_the_database_exists_does_not_create_it(tmp_path: Path) -> None:
    path = tmp_path / "later.db"
    checkpointer = Checkpointer(str(path), every=0.02).start()
    try:
        time.sleep(0.1)
        assert not path.exists()
        engine = make_engine(f"sqlite:///{path}", checkpoints="thread")
        try:
            with engine.connect() as connection:  # the hub's own connection makes it, with its settings
                assert connection.execute(text("PRAGMA page_size")).scalar() == 16384
            keeper = engine.connect()
            _table().create(engine)
            _write(engine, 0, 200)
            deadline = time.monotonic() + 10
            while checkpointer.checkpoints == 0 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert checkpointer.checkpoints >= 1
            keeper.close()
        finally:
            engine.dispose()
    finally:
        checkpointer.stop()
