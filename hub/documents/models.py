"""The trade document table."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Enum, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from hub.db import Money, new_id, utcnow

RECORD_KIND = "document"


class DocumentKind(enum.StrEnum):
    """The kinds of trade document the hub keeps."""

    COMMERCIAL_INVOICE = "COMMERCIAL_INVOICE"
    PACKING_LIST = "PACKING_LIST"
    CERTIFICATE_OF_ORIGIN = "CERTIFICATE_OF_ORIGIN"
    INSURANCE_CERTIFICATE = "INSURANCE_CERTIFICATE"
    INSPECTION_CERTIFICATE = "INSPECTION_CERTIFICATE"
    SALES_CONTRACT = "SALES_CONTRACT"
    OTHER = "OTHER"


class TradeDocument(SQLModel, table=True):
    """One trade document of one organisation; ``version`` grows with every change."""

    __tablename__ = "trade_document"
    __table_args__ = (
        UniqueConstraint("owner_org_id", "kind", "reference"),
        Index("ix_trade_document_owner_page", "owner_org_id", "created_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    owner_org_id: uuid.UUID = Field(foreign_key="organisation.id")
    kind: DocumentKind = Field(
        sa_column=Column(Enum(DocumentKind, native_enum=False, length=30), nullable=False)
    )
    reference: str = Field(max_length=100)
    title: str = Field(max_length=300)
    issued_on: date
    amount: Decimal | None = Field(default=None, sa_column=Column(Money(), nullable=True))
    currency: str | None = Field(default=None, max_length=3)
    content_sha256: str | None = Field(default=None, max_length=64)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
