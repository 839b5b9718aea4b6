"""Load the demo scenario: idempotent, so `hub demo` can run again on the same database."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from importlib import resources
from typing import Any

from sqlmodel import Session, select

from hub.auth import service as auth
from hub.auth.models import ApiKey, KeyRole, Organisation, OrgType
from hub.auth.permissions import Principal
from hub.db import utcnow
from hub.documents import service as documents
from hub.documents.models import DocumentKind, TradeDocument

DEMO_KEY_NAME = "demo"


@dataclass(frozen=True)
class DemoKey:
    """A key printed for one demo organisation."""

    organisation: str
    org_type: str
    token: str


def scenario() -> dict[str, Any]:
    """The demo scenario as shipped in ``seeds/demo.json``."""
    return json.loads(resources.files("seeds").joinpath("demo.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _principal(org: Organisation) -> Principal:
    # The loader acts as each organisation's own administrator.
    return Principal(org_id=org.id, org_name=org.name, org_type=org.type, role=KeyRole.ADMIN, key_id=org.id)


def load(session: Session) -> dict[str, Organisation]:
    """Create whatever part of the scenario is missing; return the organisations by name."""
    data = scenario()
    orgs: dict[str, Organisation] = {}
    for spec in data["organisations"]:
        existing = session.exec(select(Organisation).where(Organisation.name == spec["name"])).first()
        orgs[spec["name"]] = existing or auth.create_organisation(
            session, spec["name"], OrgType(spec["type"]), spec.get("country")
        )
    for spec in data["documents"]:
        owner = orgs[spec["owner"]]
        doc = session.exec(
            select(TradeDocument).where(
                TradeDocument.owner_org_id == owner.id,
                TradeDocument.kind == DocumentKind(spec["kind"]),
                TradeDocument.reference == spec["reference"],
            )
        ).first()
        if doc is None:
            doc = documents.create_document(
                session,
                _principal(owner),
                documents.DocumentInput(
                    kind=DocumentKind(spec["kind"]),
                    reference=spec["reference"],
                    title=spec["title"],
                    issued_on=date.fromisoformat(spec["issuedOn"]),
                    amount=Decimal(spec["amount"]) if spec.get("amount") else None,
                    currency=spec.get("currency"),
                ),
            )
        for grantee in spec.get("shareWith", []):
            auth.share_record(
                session,
                _principal(owner),
                kind="document",
                record_id=doc.id,
                owner_org_id=owner.id,
                grantee_org_id=orgs[grantee].id,
            )
    session.flush()
    return orgs


def issue_demo_keys(session: Session, orgs: dict[str, Organisation], pepper: str) -> list[DemoKey]:
    """A fresh admin key per demo organisation; keys from earlier demo runs are revoked."""
    now = utcnow()
    for key in session.exec(select(ApiKey).where(ApiKey.name == DEMO_KEY_NAME, ApiKey.revoked_at.is_(None))):  # type: ignore[union-attr]
        key.revoked_at = now
        session.add(key)
    keys = []
    for name, org in orgs.items():
        issued = auth.issue_key(session, org, pepper=pepper, name=DEMO_KEY_NAME, role=KeyRole.ADMIN)
        keys.append(DemoKey(organisation=name, org_type=org.type.value, token=issued.token))
    session.flush()
    return keys
