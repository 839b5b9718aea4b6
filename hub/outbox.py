"""Changes that must leave the database: record versions to anchor, and messages to publish after commit.

Both are written in the caller's transaction, so a change and its outbox entry commit or roll back
together. Messages for subscribers go to the bus only after the commit succeeded.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, ForeignKey, Identity, Index, Integer, Text, event
from sqlmodel import Field, Session, SQLModel

from hub.canonical import anchored
from hub.db import utcnow

_EVENTS_KEY = "hub.pending_events"
BUS_KEY = "hub.bus"


class OutboxEntry(SQLModel, table=True):
    """One version of one record, with its hash; ``batch_id`` is set when a worker claims it.

    The id is an integer sequence so that the worker claims entries in commit order
    (INTEGER PRIMARY KEY on SQLite, where BIGINT would not auto-increment).
    """

    __tablename__ = "outbox_entry"
    __table_args__ = (
        Index("ix_outbox_entry_batch", "batch_id", "id"),
        Index("ix_outbox_entry_record", "record_kind", "record_id", "version", unique=True),
    )

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer(), "sqlite"), Identity(), primary_key=True),
    )
    record_kind: str = Field(max_length=40)
    record_id: uuid.UUID
    version: int
    # The exact canonical bytes that were hashed (UTF-8 text): what was anchored, not a re-rendering of it.
    document: str = Field(sa_column=Column(Text, nullable=False))
    record_hash: str = Field(max_length=66)
    created_at: datetime = Field(default_factory=utcnow)
    batch_id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer(), "sqlite"), ForeignKey("anchor_batch.id"), nullable=True
        ),
    )


def record_change(
    session: Session, kind: str, record_id: uuid.UUID, version: int, payload: dict[str, Any]
) -> str:
    """Queue one version of a record for anchoring, in the current transaction; return its record hash."""
    document, rhash = anchored(kind, record_id, version, payload)
    session.add(
        OutboxEntry(
            record_kind=kind, record_id=record_id, version=version, document=document, record_hash=rhash
        )
    )
    return rhash


def outbox_values(
    kind: str,
    record_id: uuid.UUID,
    version: int,
    payload: dict[str, Any],
    now: datetime,
    *,
    checked: bool = False,
) -> dict[str, Any]:
    """The outbox row for one record version, for writers that insert many rows with one statement
    (``checked``: see ``canonical_json``)."""
    document, rhash = anchored(kind, record_id, version, payload, checked=checked)
    return {
        "record_kind": kind,
        "record_id": record_id,
        "version": version,
        "document": document,
        "record_hash": rhash,
        "created_at": now,
    }


def emit(session: Session, topic: str, message: dict[str, Any]) -> None:
    """Publish ``message`` on ``topic`` once the current transaction commits (and never if it rolls back)."""
    session.info.setdefault(_EVENTS_KEY, []).append((topic, message))


@event.listens_for(Session, "after_commit")
def _publish_after_commit(session: Session) -> None:
    pending = session.info.pop(_EVENTS_KEY, [])
    bus = session.info.get(BUS_KEY)
    if bus is None:
        return
    for topic, message in pending:
        bus.publish(topic, message)


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    session.info.pop(_EVENTS_KEY, None)


# The batch table is the target of OutboxEntry.batch_id: whoever writes the outbox needs it in the metadata.
from hub import anchors as _anchors  # noqa: E402, F401
