"""Transfer rules a regulator approved, the log of cross-border transfers, and the log of sensitive reads."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from hub.db import new_id, utcnow

TRANSFER_KIND = "data_transfer"


class TransferRule(SQLModel, table=True):
    """What a regulator allows to leave the country: which record kinds, up to which class, personal
    information or not, to which country, for which purpose, and until when."""

    __tablename__ = "transfer_rule"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    regulator_org_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    destination_country: str = Field(max_length=2, index=True)
    record_kinds: list[str] = Field(sa_column=Column(JSON, nullable=False))
    max_class: str = Field(max_length=10)  # IMPORTANT or CORE
    personal: bool = False
    purpose: str = Field(max_length=500)
    # The organisation that may send under the rule; None for any organisation of the hub's country.
    sender_org_id: uuid.UUID | None = Field(default=None, foreign_key="organisation.id")
    valid_from: datetime = Field(default_factory=utcnow)
    valid_until: datetime
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


class DataTransfer(SQLModel, table=True):
    """One cross-border transfer: who sent which records at which classes to whom, under which rule.

    A record kind of its own (``data_transfer``), anchored like the others; its sender owns it, and
    regulators read every one."""

    __tablename__ = "data_transfer"
    __table_args__ = (Index("ix_data_transfer_owner_created", "owner_org_id", "created_at", "id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    owner_org_id: uuid.UUID = Field(foreign_key="organisation.id")
    to_org_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    to_country: str = Field(max_length=2)
    channel: str = Field(max_length=20)  # share, read, webhook, subscription, pint, export
    record_kind: str = Field(max_length=40)
    record_ids: list[str] = Field(sa_column=Column(JSON, nullable=False))
    classes: list[str] = Field(sa_column=Column(JSON, nullable=False))
    rule_id: uuid.UUID | None = Field(default=None, foreign_key="transfer_rule.id")
    purpose: str | None = Field(default=None, max_length=500)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)

    def canonical(self) -> dict[str, Any]:
        """The anchored form."""
        return {
            "ownerOrgId": str(self.owner_org_id),
            "channel": self.channel,
            "toOrgId": str(self.to_org_id),
            "toCountry": self.to_country,
            "recordKind": self.record_kind,
            "recordIds": list(self.record_ids),
            "classes": list(self.classes),
            "ruleId": None if self.rule_id is None else str(self.rule_id),
            "purpose": self.purpose,
            "at": self.created_at.isoformat(),
        }


class AccessLog(SQLModel, table=True):
    """One read of a record's important, core or personal fields by an organisation that does not own it."""

    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_record", "record_kind", "record_id", "created_at"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    record_kind: str = Field(max_length=40)
    record_id: uuid.UUID
    owner_org_id: uuid.UUID = Field(index=True)
    reader_org_id: uuid.UUID = Field(index=True)
    reader_key_id: uuid.UUID
    classes: list[str] = Field(sa_column=Column(JSON, nullable=False))
    via: str = Field(max_length=10)  # share, party, audit, authority
    created_at: datetime = Field(default_factory=utcnow)
