"""Bill tables: the bill, its legs, containers, cargo lines, and the title's endorsement chain."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Enum, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from hub.bills.states import BillState, TitleAction
from hub.db import Money, new_id, utcnow

BILL_KIND = "bill"


class Bill(SQLModel, table=True):
    """One multimodal through bill, issued by a forwarder."""

    __tablename__ = "bill"
    __table_args__ = (
        UniqueConstraint("number"),
        Index("ix_bill_owner_created", "owner_org_id", "created_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    owner_org_id: uuid.UUID = Field(foreign_key="organisation.id")  # the issuing forwarder
    number: str = Field(max_length=35)
    negotiable: bool
    state: BillState = Field(sa_column=Column(Enum(BillState, native_enum=False, length=12), nullable=False))
    shipper_name: str = Field(max_length=200)
    shipper_org_id: uuid.UUID | None = Field(default=None, foreign_key="organisation.id", index=True)
    consignee_name: str | None = Field(default=None, max_length=200)  # "TO ORDER" bills may leave it open
    consignee_org_id: uuid.UUID | None = Field(default=None, foreign_key="organisation.id", index=True)
    notify_name: str | None = Field(default=None, max_length=200)
    notify_org_id: uuid.UUID | None = Field(default=None, foreign_key="organisation.id", index=True)
    place_of_receipt: str | None = Field(default=None, max_length=5)
    place_of_delivery: str | None = Field(default=None, max_length=5)
    holder_org_id: uuid.UUID | None = Field(default=None, foreign_key="organisation.id", index=True)
    blank_endorsed: bool = False
    surrender_pending: bool = False
    # DCSA PINT: the platform that issued a bill received from another platform (None: issued here), and
    # the platform the title is on while it is away from this hub (None: it is here).
    origin_platform: str | None = Field(default=None, max_length=4)
    title_platform: str | None = Field(default=None, max_length=4)
    version: int = 1
    issued_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class BillLeg(SQLModel, table=True):
    """One leg of the journey, in order."""

    __tablename__ = "bill_leg"
    __table_args__ = (UniqueConstraint("bill_id", "sequence"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    bill_id: uuid.UUID = Field(foreign_key="bill.id", index=True)
    sequence: int
    mode: str = Field(max_length=5)  # SEA, RAIL, ROAD, BARGE, AIR
    from_locode: str = Field(max_length=5)
    to_locode: str = Field(max_length=5)
    carrier_name: str | None = Field(default=None, max_length=200)
    carrier_org_id: uuid.UUID | None = Field(default=None, foreign_key="organisation.id", index=True)
    vessel_name: str | None = Field(default=None, max_length=100)
    voyage: str | None = Field(default=None, max_length=50)
    vehicle_reference: str | None = Field(default=None, max_length=50)  # train or truck
    planned_departure: datetime | None = None
    planned_arrival: datetime | None = None
    actual_departure: datetime | None = None
    actual_arrival: datetime | None = None


class BillContainer(SQLModel, table=True):
    """A container carried under the bill."""

    __tablename__ = "bill_container"
    __table_args__ = (UniqueConstraint("bill_id", "number"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    bill_id: uuid.UUID = Field(foreign_key="bill.id", index=True)
    number: str = Field(max_length=11, index=True)
    check_digit_valid: bool
    iso_size_type: str = Field(max_length=4)
    seals: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    gross_weight_kg: Decimal | None = Field(default=None, sa_column=Column(Money(), nullable=True))
    tare_weight_kg: Decimal | None = Field(default=None, sa_column=Column(Money(), nullable=True))


class CargoLine(SQLModel, table=True):
    """What is carried: one HS-coded line."""

    __tablename__ = "bill_cargo_line"
    __table_args__ = (UniqueConstraint("bill_id", "sequence"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    bill_id: uuid.UUID = Field(foreign_key="bill.id", index=True)
    sequence: int
    hs_code: str = Field(max_length=10)
    description: str = Field(max_length=500)
    packages: int
    package_type: str = Field(max_length=30)
    gross_weight_kg: Decimal = Field(sa_column=Column(Money(), nullable=False))
    value: Decimal | None = Field(default=None, sa_column=Column(Money(), nullable=True))
    currency: str | None = Field(default=None, max_length=3)
    container_number: str | None = Field(default=None, max_length=11)


class TitleEntry(SQLModel, table=True):
    """One step of a negotiable title's endorsement chain."""

    __tablename__ = "bill_title_entry"
    __table_args__ = (UniqueConstraint("bill_id", "sequence"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    bill_id: uuid.UUID = Field(foreign_key="bill.id", index=True)
    sequence: int
    action: TitleAction = Field(
        sa_column=Column(Enum(TitleAction, native_enum=False, length=20), nullable=False)
    )
    by_org_id: uuid.UUID = Field(foreign_key="organisation.id")
    to_org_id: uuid.UUID | None = Field(default=None, foreign_key="organisation.id")
    note: str | None = Field(default=None, max_length=500)
    at: datetime = Field(default_factory=utcnow)
    chain_tx_hash: str | None = Field(default=None, max_length=66)
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class TitleSync(SQLModel, table=True):
    """One title step owed to the on-chain TitleRegistry; written with the step, sent by the ledger."""

    __tablename__ = "bill_title_sync"
    __table_args__ = (
        UniqueConstraint("bill_id", "version"),
        Index("ix_bill_title_sync_pending", "synced_at", "id"),
        Index("ix_bill_title_sync_tradetrust", "tradetrust_synced_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    bill_id: uuid.UUID = Field(foreign_key="bill.id")
    version: int  # the step of the endorsement chain (TitleEntry.sequence)
    issuer_org_id: uuid.UUID
    holder_org_id: uuid.UUID | None = None
    status: int
    blank_endorsed: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    synced_at: datetime | None = None
    tx_hash: str | None = Field(default=None, max_length=66)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_error: str | None = Field(default=None, max_length=500)
    # Sent on to TradeTrustTitles, the same step as TradeTrust's token registry shows it (after TitleRegistry).
    tradetrust_synced_at: datetime | None = None


class IssuerProfile(SQLModel, table=True):
    """What an issuer of bills keeps for DCSA eBL 3.0 transport documents and a bill does not carry: its
    address, its documentation desk's email, its carrier code and its terms and conditions."""

    __tablename__ = "issuer_profile"

    org_id: uuid.UUID = Field(foreign_key="organisation.id", primary_key=True)
    street: str = Field(max_length=100)
    city: str = Field(max_length=35)
    post_code: str | None = Field(default=None, max_length=10)
    email: str = Field(max_length=100)
    carrier_code: str = Field(max_length=4)
    carrier_code_list_provider: str = Field(max_length=5)  # SMDG or NMFTA
    terms_and_conditions: str = Field(max_length=50000)
    updated_at: datetime = Field(default_factory=utcnow)


class PintTitle(SQLModel, table=True):
    """A bill as DCSA PINT knows it: the transport document, unchanged for its life once it first crossed
    platforms, and the envelope transfer chain as far as this hub knows it."""

    __tablename__ = "pint_title"
    __table_args__ = (UniqueConstraint("document_checksum"),)

    bill_id: uuid.UUID = Field(foreign_key="bill.id", primary_key=True)
    document_checksum: str = Field(max_length=64)
    transport_document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    chain: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The last step of the endorsement chain (TitleEntry.sequence) the transfer chain already carries.
    steps_in_chain: int = 0
    # The party on the other platform who holds the title while it is away, or who sent it here.
    remote_party: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    updated_at: datetime = Field(default_factory=utcnow)


class PintTransfer(SQLModel, table=True):
    """One envelope transfer, sent (``out``) or received (``in``): the envelope as it went, the answer."""

    __tablename__ = "pint_transfer"
    __table_args__ = (
        UniqueConstraint("direction", "last_entry_checksum"),
        Index("ix_pint_transfer_bill", "bill_id", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    direction: str = Field(max_length=3)  # in or out
    envelope_reference: str = Field(max_length=100, unique=True)
    peer: str = Field(max_length=4)  # the other platform's code
    bill_id: uuid.UUID | None = Field(default=None, foreign_key="bill.id")
    document_checksum: str = Field(max_length=64)
    last_entry_checksum: str = Field(max_length=64)
    envelope: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    documents: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    state: str = Field(max_length=10)  # STARTED, ACCEPTED, REJECTED
    response_code: str | None = Field(default=None, max_length=4)
    reason: str | None = Field(default=None, max_length=255)
    signed_response: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None


class PintDocument(SQLModel, table=True):
    """An additional document of an envelope transfer (supporting documents, the carrier's visualisation),
    by its SHA-256 checksum: what was sent, or what arrived."""

    __tablename__ = "pint_document"
    __table_args__ = (UniqueConstraint("transfer_id", "checksum"),)

    id: int | None = Field(default=None, primary_key=True)
    transfer_id: uuid.UUID = Field(foreign_key="pint_transfer.id", index=True)
    checksum: str = Field(max_length=64)
    name: str = Field(max_length=200)
    media_type: str = Field(max_length=100)
    size: int
    content: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    received_at: datetime | None = None
