"""Customs declarations and decisions, container holds, vessels and port calls, and where each container is.

``ContainerPosition`` is the yard's current picture, kept up to date by tracking ingest from actual
events (one row per container), so that port queries read 100,000 containers, not millions of events.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Enum, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from hub.db import new_id, utcnow

DECLARATION_KIND = "customs_declaration"
DECISION_KIND = "customs_decision"
PORT_CALL_KIND = "port_call"


class Direction(enum.StrEnum):
    EXPORT = "EXPORT"
    IMPORT = "IMPORT"


class DeclarationState(enum.StrEnum):
    """A declaration's way through customs."""

    DRAFT = "DRAFT"  # being completed; ``missing`` says what is still needed
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    INSPECTION = "INSPECTION"  # selected for inspection or scan: its containers are held
    RELEASED = "RELEASED"
    REJECTED = "REJECTED"  # with reasons; may be amended and submitted again
    CANCELLED = "CANCELLED"


class Declaration(SQLModel, table=True):
    """An export or import declaration, built from what the hub holds, each field's source kept."""

    __tablename__ = "customs_declaration"
    __table_args__ = (
        Index("ix_customs_declaration_owner_created", "owner_org_id", "created_at", "id"),
        Index("ix_customs_declaration_district_created", "customs_code", "created_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    owner_org_id: uuid.UUID = Field(foreign_key="organisation.id")  # the declarant
    reference: str = Field(max_length=60)  # the declarant's own reference
    direction: Direction = Field(
        sa_column=Column(Enum(Direction, native_enum=False, length=6), nullable=False)
    )
    customs_code: str | None = Field(default=None, max_length=4)  # the district it is addressed to
    trader_name: str | None = Field(default=None, max_length=200)
    trader_uscc: str | None = Field(default=None, max_length=18)
    bill_id: uuid.UUID | None = Field(default=None, foreign_key="bill.id")
    bill_number: str | None = Field(default=None, max_length=50)
    vessel_name: str | None = Field(default=None, max_length=100)
    voyage: str | None = Field(default=None, max_length=50)
    un_location_code: str | None = Field(default=None, max_length=5)  # the port of clearance
    containers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    items: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    sources: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    state: DeclarationState = Field(
        sa_column=Column(Enum(DeclarationState, native_enum=False, length=12), nullable=False)
    )
    reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    customs_number: str | None = Field(default=None, max_length=40)  # assigned by customs
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class DeclarationContainer(SQLModel, table=True):
    """Which containers a live declaration covers (for "gated in without a declaration")."""

    __tablename__ = "customs_declaration_container"

    declaration_id: uuid.UUID = Field(foreign_key="customs_declaration.id", primary_key=True)
    container_number: str = Field(max_length=11, primary_key=True, index=True)


class DecisionKind(enum.StrEnum):
    ACCEPT = "ACCEPT"
    INSPECT = "INSPECT"  # selected for physical inspection: hold, DCSA CUSI
    SCAN = "SCAN"  # selected for scanning: hold, DCSA CUSS
    HOLD = "HOLD"  # detained
    RELEASE = "RELEASE"  # holds lifted, DCSA CUSR
    REJECT = "REJECT"


class CustomsDecision(SQLModel, table=True):
    """One customs decision on a declaration, from a customs organisation or its messages."""

    __tablename__ = "customs_decision"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    owner_org_id: uuid.UUID = Field(foreign_key="organisation.id")  # the customs office
    declaration_id: uuid.UUID = Field(foreign_key="customs_declaration.id", index=True)
    kind: DecisionKind = Field(
        sa_column=Column(Enum(DecisionKind, native_enum=False, length=8), nullable=False)
    )
    reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    containers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    source: str = Field(max_length=10)  # HUB, JSON, CUSRES
    source_reference: str | None = Field(default=None, max_length=100)
    decided_at: datetime = Field(default_factory=utcnow)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)


class ContainerHold(SQLModel, table=True):
    """A customs hold on a container: active until a release lifts it."""

    __tablename__ = "container_hold"
    __table_args__ = (Index("ix_container_hold_active", "released_at", "un_location_code", "placed_at"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    container_number: str = Field(max_length=11, index=True)
    un_location_code: str | None = Field(default=None, max_length=5)
    reason: str = Field(max_length=500)
    kind: DecisionKind = Field(
        sa_column=Column(Enum(DecisionKind, native_enum=False, length=8), nullable=False)
    )
    declaration_id: uuid.UUID = Field(foreign_key="customs_declaration.id")
    placed_by_decision_id: uuid.UUID = Field(foreign_key="customs_decision.id")
    placed_at: datetime
    released_at: datetime | None = None


class ContainerPosition(SQLModel, table=True):
    """Where a container is now, from its latest actual event."""

    __tablename__ = "container_position"
    __table_args__ = (
        Index("ix_container_position_yard", "un_location_code", "in_yard", "since"),
        # Dwell statistics group the yard by facility: this one answers them from the index alone.
        Index("ix_container_position_dwell", "un_location_code", "in_yard", "facility_code", "since"),
    )

    container_number: str = Field(max_length=11, primary_key=True)
    un_location_code: str | None = Field(default=None, max_length=5)
    facility_code: str | None = Field(default=None, max_length=20)
    in_yard: bool = False  # gated in or discharged here, not yet gated out or loaded
    since: datetime  # when it came into the yard (or the latest event, when not in a yard)
    last_type_code: str = Field(max_length=4)
    last_event_at: datetime
    empty: bool | None = None


class Vessel(SQLModel, table=True):
    """A ship, by its IMO number (check digit validated; a failing one is kept and flagged)."""

    __tablename__ = "vessel"

    imo: str = Field(max_length=7, primary_key=True)
    imo_check_digit_valid: bool = True  # real schedules carry numbers that fail it: kept and flagged
    name: str | None = Field(default=None, max_length=100)
    call_sign: str | None = Field(default=None, max_length=20)
    mmsi: str | None = Field(default=None, max_length=9)
    operator_code: str | None = Field(default=None, max_length=10)
    type_code: str | None = Field(default=None, max_length=4)
    length_m: float | None = None
    width_m: float | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class PortCall(SQLModel, table=True):
    """A vessel's call at a port: schedule and actual times, terminal and berth."""

    __tablename__ = "port_call"
    __table_args__ = (
        UniqueConstraint("un_location_code", "vessel_imo", "port_visit_reference"),
        Index("ix_port_call_window", "un_location_code", "eta"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    owner_org_id: uuid.UUID = Field(foreign_key="organisation.id")
    un_location_code: str = Field(max_length=5)
    vessel_imo: str = Field(max_length=7, foreign_key="vessel.imo")
    port_visit_reference: str = Field(max_length=50)
    jit_port_call_id: str | None = Field(default=None, max_length=100, index=True)
    transport_call_reference: str | None = Field(default=None, max_length=100, index=True)
    carrier_service_code: str | None = Field(default=None, max_length=20)
    import_voyage: str | None = Field(default=None, max_length=50)
    export_voyage: str | None = Field(default=None, max_length=50)
    terminal_code: str | None = Field(default=None, max_length=20)
    berth: str | None = Field(default=None, max_length=50)
    status_code: str | None = Field(default=None, max_length=10)
    eta: datetime | None = None
    etb: datetime | None = None
    etd: datetime | None = None
    ata: datetime | None = None
    atb: datetime | None = None
    atd: datetime | None = None
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
