"""Organisations, API keys and shares: the only code that writes these tables."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import pycountry
from sqlalchemy import bindparam, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from hub.auth.models import ApiKey, KeyRole, Organisation, OrgType, Share
from hub.auth.permissions import Action, Principal
from hub.db import utcnow
from hub.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated

KEY_PREFIX = "hub"
_LOOKUP_BYTES = 6  # 12 hex characters: the public, indexed half of a key
_SECRET_BYTES = 24  # 192 bits: the secret half, never stored
# Refresh last_used_at at most this often, so that reads do not turn into writes.
_LAST_USED_GRANULARITY = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A new key: the full token is only ever available here."""

    key: ApiKey
    token: str


def _hash_secret(pepper: str, secret: str) -> str:
    return hmac.new(pepper.encode(), secret.encode(), hashlib.sha256).hexdigest()


def check_uscc(value: str, field: str) -> str:
    """A unified social credit code with its check character verified (python-stdnum), upper-cased."""
    import stdnum.cn.uscc
    from stdnum.exceptions import ValidationError

    try:
        return str(stdnum.cn.uscc.validate(value.strip().upper()))
    except ValidationError as exc:
        raise Invalid(
            f"{field}: {value!r} is not a valid unified social credit code ({exc})", field=field
        ) from exc


_ORGANISATIONS = Organisation.__table__  # type: ignore[attr-defined]
_CUSTOMS_CODE = sa_select(_ORGANISATIONS.c.customs_code).where(_ORGANISATIONS.c.id == bindparam("id"))


def customs_code_of(session: Session, principal: Principal, missing: str) -> str:
    """The caller's organisation's customs code; Forbidden with ``missing`` as the reason when it has none."""
    # One column by primary key, not the organisation as an object: each customs message asks this.
    code = session.connection().execute(_CUSTOMS_CODE, {"id": principal.org_id}).scalar()
    if not code:
        raise Forbidden(missing)
    return str(code)


def check_customs_code(code: str, org_type: OrgType) -> str:
    """A customs registration as CEB messages carry it: an 18-character unified social credit code (check
    character verified), a 10-character customs code, or, for a customs office, its 4-digit district."""
    clean = code.strip().upper()
    if org_type == OrgType.CUSTOMS:
        if len(clean) != 4 or not clean.isdigit():
            raise Invalid(
                f"a customs office's code is its 4-digit district, not {code!r}", field="customsCode"
            )
        return clean
    if len(clean) == 18:
        return check_uscc(clean, "customsCode")
    if len(clean) == 10 and clean.isalnum():
        return clean
    raise Invalid(
        f"{code!r} is neither an 18-character unified social credit code nor a 10-character customs code",
        field="customsCode",
    )


def create_organisation(
    session: Session,
    name: str,
    org_type: OrgType,
    country: str | None = None,
    customs_code: str | None = None,
    port_locode: str | None = None,
) -> Organisation:
    """Register a new organisation; names are unique, ignoring case and surrounding spaces."""
    clean = " ".join(name.split())
    if not clean:
        raise Invalid("an organisation needs a name", field="name")
    if len(clean) > 200:
        raise Invalid("an organisation name has at most 200 characters", field="name")
    if country is not None:
        if pycountry.countries.get(alpha_2=country.upper()) is None:
            raise Invalid(f"{country!r} is not an ISO 3166 alpha-2 country code", field="country")
        country = country.upper()
    taken = session.exec(
        select(Organisation.id).where(func.lower(Organisation.name) == clean.lower())
    ).first()
    if taken is not None:
        raise Conflict(f"an organisation named {clean!r} already exists", field="name")
    if customs_code:
        customs_code = check_customs_code(customs_code, org_type)
        if session.exec(select(Organisation.id).where(Organisation.customs_code == customs_code)).first():
            raise Conflict(
                f"customs code {customs_code} belongs to another organisation", field="customsCode"
            )
    if port_locode:
        port_locode = port_locode.strip().upper()
        if not re.match(r"^[A-Z]{2}[A-Z2-9]{3}$", port_locode):
            raise Invalid(f"{port_locode!r} is not a UN/LOCODE", field="portLocode")
    org = Organisation(
        name=clean,
        type=org_type,
        country=country,
        customs_code=customs_code or None,
        port_locode=port_locode or None,
    )
    session.add(org)
    session.flush()
    return org


def get_organisation_by_name(session: Session, name: str) -> Organisation:
    """The organisation with this name (case-insensitive), or NotFound."""
    org = session.exec(
        select(Organisation).where(func.lower(Organisation.name) == " ".join(name.split()).lower())
    ).first()
    if org is None:
        raise NotFound(f"no organisation named {name!r}")
    return org


def list_organisations(session: Session) -> list[Organisation]:
    """Every organisation, by name."""
    return list(session.exec(select(Organisation).order_by(Organisation.name)))


def issue_key(
    session: Session,
    org: Organisation,
    *,
    pepper: str,
    name: str = "default",
    role: KeyRole = KeyRole.ADMIN,
    expires_at: datetime | None = None,
) -> IssuedKey:
    """Create a key for ``org``; the returned token is shown once and never stored."""
    if expires_at is not None and expires_at <= utcnow():
        raise Invalid("a key cannot expire in the past", field="expiresAt")
    lookup = secrets.token_hex(_LOOKUP_BYTES)
    secret = secrets.token_urlsafe(_SECRET_BYTES)
    key = ApiKey(
        org_id=org.id,
        lookup=lookup,
        secret_hash=_hash_secret(pepper, secret),
        name=name.strip()[:100] or "default",
        role=role,
        expires_at=expires_at,
    )
    session.add(key)
    session.flush()
    return IssuedKey(key=key, token=f"{KEY_PREFIX}_{lookup}_{secret}")


def authenticate(session: Session, token: str, *, pepper: str) -> Principal:
    """Turn a bearer token into a principal, or raise Unauthenticated without saying which part failed."""
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or len(parts[1]) != 2 * _LOOKUP_BYTES:
        raise Unauthenticated("the API key is malformed")
    row = session.exec(
        select(ApiKey, Organisation).join(Organisation).where(ApiKey.lookup == parts[1])
    ).first()
    refused = Unauthenticated("the API key is unknown, revoked or expired")
    if row is None:
        # Spend the same time as a real comparison, so lookups cannot be probed by timing.
        hmac.compare_digest(_hash_secret(pepper, parts[2]), "0" * 64)
        raise refused
    key, org = row
    if not hmac.compare_digest(_hash_secret(pepper, parts[2]), key.secret_hash):
        raise refused
    now = utcnow()
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        raise refused
    if key.last_used_at is None or now - key.last_used_at > _LAST_USED_GRANULARITY:
        key.last_used_at = now
        session.add(key)
        session.flush()
    return Principal(
        org_id=org.id,
        org_name=org.name,
        org_type=org.type,
        role=key.role,
        key_id=key.id,
        country=org.country or "",
    )


def list_keys(session: Session, principal: Principal) -> list[ApiKey]:
    """The caller's organisation's keys (never their secrets)."""
    principal.require(Action.MANAGE_KEYS)
    return list(
        session.exec(select(ApiKey).where(ApiKey.org_id == principal.org_id).order_by(col(ApiKey.created_at)))
    )


def create_key_for(
    session: Session,
    principal: Principal,
    *,
    pepper: str,
    name: str,
    role: KeyRole,
    expires_at: datetime | None,
    org_id: uuid.UUID | None = None,
) -> IssuedKey:
    """A key for the caller's organisation, or (hub operator only) for another one."""
    principal.require(Action.MANAGE_KEYS)
    target_id = org_id or principal.org_id
    if target_id != principal.org_id and not principal.can(Action.MANAGE_ORGANISATIONS):
        raise Forbidden("only the hub's operator issues keys for another organisation")
    org = session.get(Organisation, target_id)
    if org is None:
        raise NotFound("no organisation with that id", field="orgId")
    return issue_key(session, org, pepper=pepper, name=name, role=role, expires_at=expires_at)


def revoke_key(session: Session, principal: Principal, key_id: uuid.UUID) -> ApiKey:
    """Revoke one of the caller's organisation's keys; it is refused from the next request on."""
    principal.require(Action.MANAGE_KEYS)
    key = session.get(ApiKey, key_id)
    if key is None or (key.org_id != principal.org_id and not principal.can(Action.MANAGE_ORGANISATIONS)):
        raise NotFound("no key of yours with that id", field="id")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
        session.flush()
    return key


def share_record(
    session: Session,
    principal: Principal,
    *,
    kind: str,
    record_id: uuid.UUID,
    owner_org_id: uuid.UUID,
    grantee_org_id: uuid.UUID,
    data_class: str = "CORE",
    personal_purpose: str | None = None,
) -> Share:
    """Let another organisation read one of the caller's records up to ``data_class``, and its personal
    information only with ``personal_purpose`` (idempotent; re-opens a revoked share, with the new
    class). A share abroad is a cross-border transfer: checked and logged (hub.governance)."""
    from hub.governance import service as governance
    from hub.governance.classes import DataClass

    principal.require(Action.SHARE_RECORDS)
    if data_class not in {c.value for c in governance.SHARE_CLASSES}:
        raise Invalid("a share's class is GENERAL, IMPORTANT or CORE", field="dataClass")
    if personal_purpose is not None:
        personal_purpose = personal_purpose.strip()
        if not personal_purpose or len(personal_purpose) > 500:
            raise Invalid(
                "the purpose of sharing personal information: 1 to 500 characters",
                field="personalDataPurpose",
            )
    assert DataClass(data_class)
    if owner_org_id != principal.org_id:
        raise NotFound(f"no {kind} of yours with that id", field="recordId")
    if grantee_org_id == principal.org_id:
        raise Invalid("a record cannot be shared with its own organisation", field="withOrgId")
    if session.get(Organisation, grantee_org_id) is None:
        raise NotFound("no organisation with that id", field="withOrgId")
    share = session.exec(
        select(Share).where(
            Share.record_kind == kind, Share.record_id == record_id, Share.grantee_org_id == grantee_org_id
        )
    ).first()
    if share is None:
        share = Share(
            owner_org_id=principal.org_id,
            grantee_org_id=grantee_org_id,
            record_kind=kind,
            record_id=record_id,
        )
    share.revoked_at = None
    share.data_class = data_class
    share.personal_purpose = personal_purpose
    governance.check_share(session, principal, share)
    session.add(share)
    session.flush()
    return share


def revoke_share(session: Session, principal: Principal, share_id: uuid.UUID) -> Share:
    """Withdraw a share; the grantee loses access at once."""
    principal.require(Action.SHARE_RECORDS)
    share = session.get(Share, share_id)
    if share is None or share.owner_org_id != principal.org_id:
        raise NotFound("no share of yours with that id", field="id")
    if share.revoked_at is None:
        share.revoked_at = utcnow()
        session.add(share)
        session.flush()
    return share


def shares_of(
    session: Session, principal: Principal, kind: str, record_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Share]]:
    """The live shares of the caller's records among ``record_ids``, in one query."""
    found: dict[uuid.UUID, list[Share]] = {record_id: [] for record_id in record_ids}
    rows = session.exec(
        select(Share)
        .where(
            Share.record_kind == kind,
            col(Share.record_id).in_(list(record_ids)),
            Share.owner_org_id == principal.org_id,
            col(Share.revoked_at).is_(None),
        )
        .order_by(col(Share.created_at))
    )
    for share in rows:
        found[share.record_id].append(share)
    return found
