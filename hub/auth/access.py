"""Record-level access: own records, records shared with the caller, and regulators' audit reads."""

from __future__ import annotations

import uuid
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, and_, exists, or_, true
from sqlmodel import Session, col, select

from hub.auth.models import Share
from hub.auth.permissions import Action, Principal
from hub.errors import NotFound


class OwnedRecord(Protocol):
    """A row that belongs to one organisation."""

    id: uuid.UUID
    owner_org_id: uuid.UUID


R = TypeVar("R", bound=OwnedRecord)


def visible_clause(principal: Principal, model: Any, kind: str) -> ColumnElement[bool]:
    """A WHERE clause that keeps only the rows of ``model`` the caller may read."""
    if principal.audits_all:
        return true()
    shared = exists(
        select(col(Share.id)).where(
            and_(
                col(Share.record_kind) == kind,
                col(Share.record_id) == model.id,
                col(Share.grantee_org_id) == principal.org_id,
                col(Share.revoked_at).is_(None),
            )
        )
    )
    return or_(model.owner_org_id == principal.org_id, shared)


def can_read(session: Session, principal: Principal, kind: str, record: OwnedRecord) -> bool:
    """True when the caller may read ``record``."""
    if not principal.can(Action.READ_RECORDS):
        return False
    if principal.audits_all or record.owner_org_id == principal.org_id:
        return True
    from hub import records

    if records.also_reads(session, principal, kind, record):
        return True
    share = session.exec(
        select(col(Share.id)).where(
            col(Share.record_kind) == kind,
            col(Share.record_id) == record.id,
            col(Share.grantee_org_id) == principal.org_id,
            col(Share.revoked_at).is_(None),
        )
    ).first()
    return share is not None


def ensure_readable(session: Session, principal: Principal, kind: str, record: R | None) -> R:
    """Return ``record`` if the caller may read it; otherwise NotFound (we do not reveal that it exists)."""
    principal.require(Action.READ_RECORDS)
    if record is None or not can_read(session, principal, kind, record):
        raise NotFound(f"no {kind} with that id")
    return record


def ensure_owned(principal: Principal, kind: str, record: R | None, action: Action) -> R:
    """Return ``record`` if the caller's organisation owns it and may perform ``action``."""
    principal.require(action)
    if record is None or record.owner_org_id != principal.org_id:
        raise NotFound(f"no {kind} of yours with that id")
    return record
