"""Containers and their events (DCSA Track & Trace model), and the messages they came in."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, String, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from hub.db import new_id, utcnow

EVENT_KIND = "tracking_event"


class Container(SQLModel, table=True):
    """A piece of equipment, known by its ISO 6346 number (kept even when the check digit fails)."""

    __tablename__ = "container"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    number: str = Field(max_length=11, unique=True, index=True)
    check_digit_valid: bool
    iso_size_type: str | None = Field(default=None, max_length=4)
    created_at: datetime = Field(default_factory=utcnow)


def _where_set(name: str, *columns: str) -> Index:
    """An index over rows whose first column is set, on both databases."""
    where = text(f"{columns[0]} IS NOT NULL")
    return Index(name, *columns, sqlite_where=where, postgresql_where=where)


class TrackingEvent(SQLModel, table=True):
    """One equipment, transport, shipment, IoT or reefer event, owned by the organisation that sent it."""

    __tablename__ = "tracking_event"
    __table_args__ = (
        UniqueConstraint("source_key"),
        Index("ix_tracking_event_container_time", "container_id", "event_datetime"),
        Index("ix_tracking_event_owner_created", "owner_org_id", "created_at", "id"),
        Index("ix_tracking_event_created", "created_at", "id"),
        # Partial: most terminal events name no vessel, booking or bill, and an index entry for NULL costs
        # every insert and serves no query (an equality filter on the column implies IS NOT NULL).
        _where_set("ix_tracking_event_vessel_port", "vessel_imo", "un_location_code", "event_datetime"),
        _where_set("ix_tracking_event_booking_reference", "booking_reference"),
        _where_set("ix_tracking_event_transport_document_reference", "transport_document_reference"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    owner_org_id: uuid.UUID = Field(foreign_key="organisation.id")
    source_key: str = Field(sa_column=Column(String(600), nullable=False))
    source_format: str = Field(max_length=10)  # EDIFACT, DCSA, HUB
    message_type: str = Field(max_length=20)
    event_type: str = Field(max_length=10)
    classifier: str = Field(max_length=3)
    type_code: str = Field(max_length=4)
    event_datetime: datetime
    event_created_datetime: datetime = Field(default_factory=utcnow)
    source_updated_datetime: datetime | None = None
    container_id: uuid.UUID | None = Field(default=None, foreign_key="container.id")
    # Queries by container number go through container_id (every numbered event has one).
    equipment_reference: str | None = Field(default=None, max_length=11)
    iso_equipment_code: str | None = Field(default=None, max_length=4)
    empty_indicator: str | None = Field(default=None, max_length=5)
    movement_type: str | None = Field(default=None, max_length=15)
    un_location_code: str | None = Field(default=None, max_length=5, index=True)
    facility_code: str | None = Field(default=None, max_length=20)
    facility_provider: str | None = Field(default=None, max_length=10)
    location_name: str | None = Field(default=None, max_length=200)
    mode_of_transport: str | None = Field(default=None, max_length=10)
    transport_call_id: str | None = Field(default=None, max_length=100)
    vessel_name: str | None = Field(default=None, max_length=100)
    vessel_imo: str | None = Field(default=None, max_length=8)
    vessel_call_sign: str | None = Field(default=None, max_length=20)
    carrier_code: str | None = Field(default=None, max_length=10)
    carrier_service_code: str | None = Field(default=None, max_length=20)
    export_voyage: str | None = Field(default=None, max_length=50)
    import_voyage: str | None = Field(default=None, max_length=50)
    vehicle_reference: str | None = Field(default=None, max_length=50)
    booking_reference: str | None = Field(default=None, max_length=100)
    transport_document_reference: str | None = Field(default=None, max_length=100)
    document_type_code: str | None = Field(default=None, max_length=3)
    seals: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    flags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)


class IngestedMessage(SQLModel, table=True):
    """One message taken in (an EDIFACT message, a DCSA body): what it carried and what became of it."""

    __tablename__ = "ingested_message"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    org_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    format: str = Field(max_length=10)
    message_type: str = Field(max_length=20)
    reference: str = Field(max_length=300)
    events_new: int = 0
    events_duplicate: int = 0
    events_updated: int = 0
    received_at: datetime = Field(default_factory=utcnow)
