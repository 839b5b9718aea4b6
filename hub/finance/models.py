"""Receivables: an exporter's or seller's claim on a debtor, with the trade evidence behind it."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Enum, Index
from sqlmodel import Field, SQLModel

from hub.db import Money, new_id, utcnow

RECEIVABLE_KIND = "receivable"


class ReceivableStatus(enum.StrEnum):
    """Where a receivable stands; the on-chain registry holds the same (REPAID shows as REGISTERED there)."""

    REGISTERED = "REGISTERED"  # on the registry, not financed
    PLEDGED = "PLEDGED"  # financed by the lender
    REPAID = "REPAID"  # the financing was repaid: free to pledge again
    SETTLED = "SETTLED"  # the debtor paid the lender: closed


class Receivable(SQLModel, table=True):
    """A receivable registered by its creditor; the invoice identity is on chain only as a blinded id."""

    __tablename__ = "receivable"
    __table_args__ = (Index("ix_receivable_owner_created", "owner_org_id", "created_at", "id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    owner_org_id: uuid.UUID = Field(foreign_key="organisation.id")  # the creditor
    creditor_code: str = Field(max_length=18)  # the creditor's unified social credit code
    creditor_name: str = Field(max_length=200)
    debtor_name: str = Field(max_length=200)
    debtor_code: str | None = Field(default=None, max_length=18)
    invoice_number: str = Field(max_length=100)  # as entered; the blinded id uses its normalised form
    blinded_id: str = Field(max_length=66, unique=True)
    amount: Decimal = Field(sa_column=Column(Money(), nullable=False))
    currency: str = Field(max_length=3)
    issue_date: date
    due_date: date
    evidence: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: ReceivableStatus = Field(
        sa_column=Column(Enum(ReceivableStatus, native_enum=False, length=12), nullable=False)
    )
    lender_org_id: uuid.UUID | None = Field(default=None, foreign_key="organisation.id", index=True)
    # The financing's terms, set by the pledge (hub.finance.conditions): the logistics events the lender
    # disburses on, each met or not ({"kind", "metAt", "evidence", "detail"}), and repayment N days after
    # delivery. ``awaiting`` is true while a condition or the delivery is outstanding, so an ingest asks
    # one indexed question ("any receivable waiting?") and nothing more on the usual answer.
    conditions: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    repay_days_after_delivery: int | None = None
    disbursed_at: datetime | None = None
    delivered_at: datetime | None = None
    repayment_due: date | None = None
    awaiting: bool = Field(default=False, index=True)
    # The bill whose negotiable title the lender holds as collateral while the receivable is pledged.
    title_bill_id: uuid.UUID | None = Field(default=None, foreign_key="bill.id", index=True)
    history: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    @property
    def bill_ids(self) -> list[uuid.UUID]:
        """The bills among the evidence, in the order cited."""
        return [uuid.UUID(e["id"]) for e in self.evidence if e["kind"] == "bill"]
