"""The hub's bills as DCSA eBL 3.0 transport documents: the issuer's profile, and the translation.

``adapters.dcsa.ebl`` translates; this module reads the bill as the caller may see it and the issuer's
profile (``IssuerProfile``), which the issuer keeps itself (``setIssuerProfile``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from adapters.dcsa.ebl import Issuer, NotRepresentable, transport_document
from hub.auth.models import Organisation
from hub.auth.permissions import Action, Principal
from hub.bills import service as bills
from hub.bills.models import IssuerProfile, PintTitle
from hub.db import utcnow
from hub.errors import Conflict, Invalid

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class ProfileInput:
    street: str
    city: str
    email: str
    carrier_code: str
    carrier_code_list_provider: str
    terms_and_conditions: str
    post_code: str | None = None


def set_profile(session: Session, principal: Principal, data: ProfileInput) -> IssuerProfile:
    """Record (or replace) the caller's own issuer profile; only organisations that issue bills keep one."""
    principal.require(Action.ISSUE_BILLS)
    principal.require(Action.WRITE_RECORDS)
    checks = (
        ("street", data.street, 100),
        ("city", data.city, 35),
        ("termsAndConditions", data.terms_and_conditions, 50000),
    )
    for field, value, longest in checks:
        if not value.strip() or len(value) > longest:
            raise Invalid(f"{field}: 1 to {longest} characters", field=field)
    if not _EMAIL.match(data.email) or len(data.email) > 100:
        raise Invalid("email: the documentation desk's address, name@domain", field="email")
    if not re.fullmatch(r"[A-Z0-9]{2,4}", data.carrier_code):
        raise Invalid(
            "carrierCode: 2 to 4 capital letters or digits (an SMDG or NMFTA code)", field="carrierCode"
        )
    if data.carrier_code_list_provider not in ("SMDG", "NMFTA"):
        raise Invalid("carrierCodeListProvider: SMDG or NMFTA", field="carrierCodeListProvider")
    if data.post_code is not None and len(data.post_code) > 10:
        raise Invalid("postCode: at most 10 characters", field="postCode")
    # One row per issuer: merge inserts the first profile and replaces it afterwards.
    row = session.merge(
        IssuerProfile(
            org_id=principal.org_id,
            street=data.street.strip(),
            city=data.city.strip(),
            post_code=data.post_code,
            email=data.email,
            carrier_code=data.carrier_code,
            carrier_code_list_provider=data.carrier_code_list_provider,
            terms_and_conditions=data.terms_and_conditions,
            updated_at=utcnow(),
        )
    )
    session.flush()
    return row


def as_transport_document(session: Session, principal: Principal, number: str) -> dict[str, Any]:
    """The bill the caller may read, by number, as a DCSA eBL 3.0 TransportDocument."""
    view = bills.get_bill(session, principal, number=number)
    title = session.get(PintTitle, view.bill.id)
    if title is not None:
        return dict(title.transport_document)  # crossed platforms: unchanged for the rest of its life
    return document_of(session, view)


def document_of(session: Session, view: bills.BillView, *, with_holder: bool = True) -> dict[str, Any]:
    """A bill (as loaded) as a DCSA eBL 3.0 TransportDocument, with its issuer's profile."""
    bill = view.bill
    issuer_org = session.get(Organisation, bill.owner_org_id)
    profile = session.get(IssuerProfile, bill.owner_org_id)
    if profile is None:
        raise Conflict(
            "the bill's issuer has no eBL profile on the hub (address, email, carrier code, terms): "
            "it records one with setIssuerProfile",
            field="transportDocumentReference",
        )
    if issuer_org is None or not issuer_org.country:
        raise Conflict(
            "the bill's issuer has no country in the hub's directory, which an eBL's address needs",
            field="transportDocumentReference",
        )
    issuer = Issuer(
        name=issuer_org.name,
        street=profile.street,
        city=profile.city,
        post_code=profile.post_code,
        country_code=issuer_org.country,
        email=profile.email,
        carrier_code=profile.carrier_code,
        carrier_code_list_provider=profile.carrier_code_list_provider,
        terms_and_conditions=profile.terms_and_conditions,
    )
    holder = None
    if with_holder and bill.holder_org_id is not None:
        org = session.get(Organisation, bill.holder_org_id)
        holder = (org.name if org else str(bill.holder_org_id), str(bill.holder_org_id))
    try:
        return transport_document(bills.canonical_view(view), issuer, holder=holder)
    except NotRepresentable as exc:
        raise Conflict(
            f"the bill cannot be written as an eBL 3.0 transport document: {exc}", field=exc.field
        ) from exc
