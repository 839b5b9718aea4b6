"""Organisations, their API keys, and what one organisation shares with another."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Column, Enum, UniqueConstraint
from sqlmodel import Field, SQLModel

from hub.db import new_id, utcnow


class OrgType(enum.StrEnum):
    """What kind of party an organisation is; it decides which operations its keys may call."""

    FORWARDER = "forwarder"
    CARRIER = "carrier"
    TERMINAL = "terminal"
    PORT_OPERATOR = "port_operator"
    SELLER = "seller"
    PLATFORM = "platform"
    BANK = "bank"
    CUSTOMS = "customs"
    REGULATOR = "regulator"
    ADMIN = "admin"
    # Another eBL platform (DCSA PINT) this hub exchanges titles with: it calls the PINT endpoints with its
    # key, and holds on this hub the titles sent to parties on it (hub.bills.platforms).
    EBL_PLATFORM = "ebl_platform"


class KeyRole(enum.StrEnum):
    """What a key may do inside its own organisation."""

    ADMIN = "admin"  # everything the organisation may do, plus its keys and shares
    OPERATOR = "operator"  # read and write the organisation's records
    VIEWER = "viewer"  # read only


class Organisation(SQLModel, table=True):
    """A party on the hub; every record belongs to exactly one."""

    __tablename__ = "organisation"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(max_length=200, unique=True, index=True)
    type: OrgType = Field(sa_column=Column(Enum(OrgType, native_enum=False, length=20), nullable=False))
    country: str | None = Field(default=None, max_length=2)
    # Its customs registration: a 10-character customs code or an 18-character USCC (CEB enterprise codes),
    # or a 4-digit customs district for a customs office. Cross-border documents are checked against it.
    customs_code: str | None = Field(default=None, max_length=18, unique=True)
    # The port a port operator or terminal works in (UN/LOCODE): what its port-status queries cover.
    port_locode: str | None = Field(default=None, max_length=5)
    created_at: datetime = Field(default_factory=utcnow)


class ApiKey(SQLModel, table=True):
    """A bearer key: only its HMAC is stored; the secret is shown once, at creation."""

    __tablename__ = "api_key"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    org_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    lookup: str = Field(max_length=16, unique=True, index=True)
    secret_hash: str = Field(max_length=64)
    name: str = Field(max_length=100)
    role: KeyRole = Field(sa_column=Column(Enum(KeyRole, native_enum=False, length=10), nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


class Share(SQLModel, table=True):
    """One organisation lets another read one of its records, until it revokes the share."""

    __tablename__ = "share"
    __table_args__ = (UniqueConstraint("record_kind", "record_id", "grantee_org_id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    owner_org_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    grantee_org_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    record_kind: str = Field(max_length=40)
    record_id: uuid.UUID = Field(index=True)
    # The highest class of field the grantee sees (hub.governance.classes): GENERAL, IMPORTANT or CORE.
    data_class: str = Field(default="CORE", max_length=10, sa_column_kwargs={"server_default": "CORE"})
    # Personal information is seen only when the share names why; None: masked.
    personal_purpose: str | None = Field(default=None, max_length=500)
    # The transfer rule a cross-border share was granted under (None at home, or for general data).
    rule_id: uuid.UUID | None = Field(default=None, foreign_key="transfer_rule.id")
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None
