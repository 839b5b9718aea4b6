"""Cross-border e-commerce records: orders, payments, waybills, inventory lists, and buyers' annual totals.

The CEB fields of each document are kept as received, in ``head`` (and ``lines``) as JSON with decimals
written as text, so the hub can write the message back exactly; the columns beside them are the keys
that join the three documents and the states the hub derives.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Enum, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from hub.db import Money, new_id, utcnow

ORDER_KIND = "ceb_order"
PAYMENT_KIND = "ceb_payment"
WAYBILL_KIND = "ceb_waybill"
INVENTORY_KIND = "ceb_inventory"


class InventoryStatus(enum.StrEnum):
    """An inventory list's way through customs (from the CEB622 receipts' returnStatus)."""

    DRAFT = "DRAFT"  # generated, not yet sent
    SUBMITTED = "SUBMITTED"  # written as a signed CEB621 and handed to the e-port
    STORED = "STORED"  # 1: held at the e-port (暂存)
    DECLARING = "DECLARING"  # 2, 3, 120: on its way / received by customs
    SEND_FAILED = "SEND_FAILED"  # 4: the e-port could not send it to customs
    REJECTED = "REJECTED"  # 100 or a negative code: customs refused it (the reason is in the receipt)
    MANUAL_REVIEW = "MANUAL_REVIEW"  # 300
    ACCEPTED = "ACCEPTED"  # 399: examined and concluded (审结)
    INSPECTION = "INSPECTION"  # 500: to be inspected
    DETAINED = "DETAINED"  # 501..599: held and passed on
    RETURNED = "RETURNED"  # 700: goods sent back
    RELEASED = "RELEASED"  # 800
    CLEARED = "CLEARED"  # 899: customs formalities closed


class CommerceOrder(SQLModel, table=True):
    """A CEB311 order (or a platform order in the same shape), with its match and tax."""

    __tablename__ = "ceb_order"
    __table_args__ = (
        UniqueConstraint("ebp_code", "order_no"),
        Index("ix_ceb_order_owner_created", "owner_org_id", "created_at", "id"),
        Index("ix_ceb_order_order_no", "order_no"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    owner_org_id: uuid.UUID = Field(foreign_key="organisation.id")
    ebp_code: str = Field(max_length=18)
    ebc_code: str = Field(max_length=18)
    order_no: str = Field(max_length=60)
    buyer_id_number: str = Field(max_length=60)
    source: str = Field(max_length=10)  # CEB311, JSON, CSV
    head: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    lines: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    match_status: str = Field(max_length=12, index=True)
    match_problems: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    customs_value: Decimal = Field(sa_column=Column(Money(), nullable=False))
    limit_status: str = Field(max_length=24)
    tax: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    customs_status: str | None = Field(default=None, max_length=10)  # the latest CEB312 returnStatus
    customs_info: str | None = Field(default=None, max_length=1000)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class CommercePayment(SQLModel, table=True):
    """A CEB411 payment record from a payment enterprise."""

    __tablename__ = "ceb_payment"
    __table_args__ = (
        UniqueConstraint("pay_code", "pay_transaction_id"),
        Index("ix_ceb_payment_order", "ebp_code", "order_no"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    owner_org_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    pay_code: str = Field(max_length=18)
    pay_transaction_id: str = Field(max_length=60)
    ebp_code: str = Field(max_length=18)
    order_no: str = Field(max_length=60)
    head: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    customs_status: str | None = Field(default=None, max_length=10)
    customs_info: str | None = Field(default=None, max_length=1000)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)


class CommerceWaybill(SQLModel, table=True):
    """A CEB511 parcel waybill from a logistics enterprise; it may name the through bill and container."""

    __tablename__ = "ceb_waybill"
    __table_args__ = (UniqueConstraint("logistics_code", "logistics_no"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    owner_org_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    logistics_code: str = Field(max_length=18)
    logistics_no: str = Field(max_length=60)
    order_no: str = Field(max_length=60, index=True)
    bill_no: str | None = Field(default=None, max_length=37)
    container_number: str | None = Field(default=None, max_length=11)
    head: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    customs_status: str | None = Field(default=None, max_length=10)
    customs_info: str | None = Field(default=None, max_length=1000)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)


class InventoryList(SQLModel, table=True):
    """A CEB621 inventory list declaring one matched order's goods, and customs' answers to it."""

    __tablename__ = "ceb_inventory"
    __table_args__ = (Index("ix_ceb_inventory_owner_created", "owner_org_id", "created_at", "id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    owner_org_id: uuid.UUID = Field(foreign_key="organisation.id")
    order_id: uuid.UUID = Field(foreign_key="ceb_order.id", unique=True)
    waybill_id: uuid.UUID = Field(foreign_key="ceb_waybill.id")
    bill_id: uuid.UUID | None = Field(default=None, foreign_key="bill.id")
    container_number: str | None = Field(default=None, max_length=11)
    cop_no: str = Field(max_length=20, unique=True)
    ebp_code: str = Field(max_length=18)
    customs_code: str = Field(max_length=4, index=True)
    status: InventoryStatus = Field(
        sa_column=Column(Enum(InventoryStatus, native_enum=False, length=16), nullable=False)
    )
    pre_no: str | None = Field(default=None, max_length=18)
    invt_no: str | None = Field(default=None, max_length=18)
    head: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    lines: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    receipts: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    message_id: uuid.UUID | None = Field(default=None, foreign_key="ceb_outbound_message.id")
    quota_year: int
    quota_amount: Decimal = Field(sa_column=Column(Money(), nullable=False))
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class OutboundMessage(SQLModel, table=True):
    """A CEB message the hub wrote (signed where required), kept exactly as it was sent."""

    __tablename__ = "ceb_outbound_message"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    owner_org_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    code: str = Field(max_length=6)
    guid: str = Field(max_length=36)
    xml: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class BuyerQuota(SQLModel, table=True):
    """How much of the annual retail-import limit a buyer has used in a year (declared, not refused)."""

    __tablename__ = "ceb_buyer_quota"

    buyer_id_number: str = Field(max_length=60, primary_key=True)
    year: int = Field(primary_key=True)
    used: Decimal = Field(sa_column=Column(Money(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)
