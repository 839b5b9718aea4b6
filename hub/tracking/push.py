"""DCSA event subscriptions: the hub pushes matching events to subscribers' callback URLs.

Durable: a delivery row is written in the same transaction as the event it carries, so an event that was
stored is never lost, whatever restarts. The worker claims due deliveries with a lease, POSTs them as a
DCSA 2.2 array signed with the subscription's shared secret (``Notification-Signature: sha256=<hex>``
over the exact body), marks them delivered on a 2xx answer, retries with exponential back-off otherwise,
and after the last attempt keeps them as dead letters. Delivery is at least once: only a crash between
the subscriber's 2xx and our commit sends an event again, with the same eventID for the subscriber to
drop.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import hmac
import ipaddress
import json
import socket
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import structlog
from prometheus_client import Counter
from sqlalchemy import JSON, Column, Index, UniqueConstraint, insert, update
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col, select

from hub.auth.models import KeyRole, Organisation
from hub.auth.permissions import Action, Principal
from hub.db import new_id, utcnow
from hub.errors import Invalid, NotFound

log = structlog.get_logger(__name__)
PUSHED = Counter("hub_event_push_total", "Event deliveries to subscribers", ["outcome"])
FILTERS = (
    "eventType",
    "equipmentEventTypeCode",
    "transportEventTypeCode",
    "shipmentEventTypeCode",
    "equipmentReference",
    "carrierBookingReference",
    "transportDocumentReference",
    "transportCallID",
    "vesselIMONumber",
    "UNLocationCode",
)
_EVENT_FIELD = {
    "eventType": "event_type",
    "equipmentEventTypeCode": "type_code",
    "transportEventTypeCode": "type_code",
    "shipmentEventTypeCode": "type_code",
    "equipmentReference": "equipment_reference",
    "carrierBookingReference": "booking_reference",
    "transportDocumentReference": "transport_document_reference",
    "transportCallID": "transport_call_id",
    "vesselIMONumber": "vessel_imo",
    "UNLocationCode": "un_location_code",
}
_CODE_TYPE = {
    "equipmentEventTypeCode": "EQUIPMENT",
    "transportEventTypeCode": "TRANSPORT",
    "shipmentEventTypeCode": "SHIPMENT",
}


class Callback(SQLModel):
    """What every subscription table holds: whose it is, where to call, the secret it is signed with."""

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    owner_org_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    callback_url: str = Field(max_length=2000)
    secret: str = Field(max_length=500)  # base64, as DCSA sends it; needed in clear to sign
    created_at: datetime = Field(default_factory=utcnow)
    deleted_at: datetime | None = None


class Owed(SQLModel):
    """Where one delivery a pusher owes stands (every deliveries table has these, and its subscription_id)."""

    state: str = Field(max_length=10)  # PENDING, DELIVERED, DEAD, SKIPPED
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    lease_until: datetime | None = None
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    delivered_at: datetime | None = None


class EventSubscription(Callback, table=True):
    """A subscriber's callback, its shared secret and its filters."""

    __tablename__ = "event_subscription"

    filters: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # What the subscriber is sent: DCSA 2.2 notifications (an array of events), or a DCSA 3.0
    # PostEventsRequest ({"events": [...]}), as a 3.0 producer POSTs /events to its consumer.
    api_version: str = Field(default="2.2.0", max_length=10, sa_column_kwargs={"server_default": "2.2.0"})


class EventDelivery(Owed, table=True):
    """One event owed to one subscription."""

    __tablename__ = "event_delivery"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id"),
        Index("ix_event_delivery_due", "state", "next_attempt_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    subscription_id: uuid.UUID = Field(foreign_key="event_subscription.id", index=True)
    event_id: uuid.UUID = Field(foreign_key="tracking_event.id")


# -- subscriptions -----------------------------------------------------------------------------------


def _check_url(url: str, allow_private: bool) -> str:
    if len(url) > 2000:
        raise Invalid("callbackUrl is longer than 2000 characters", field="callbackUrl")
    try:
        parts = urlsplit(url)
        _ = parts.port  # checked here: out of range raises
    except ValueError as exc:  # an unclosed [IPv6] bracket, a port beyond 65535
        raise Invalid(f"callbackUrl is not a URL ({exc})", field="callbackUrl") from exc
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise Invalid("callbackUrl must be an http(s) URL with a host", field="callbackUrl")
    try:
        resolve_callback(url, allow_private)
    except CallbackRefused as exc:
        raise Invalid(f"callbackUrl: {exc}", field="callbackUrl") from exc
    return url


class CallbackRefused(Exception):
    """A callback URL the hub will not call: its host does not resolve, or only to addresses that are
    not on the public internet."""


def refused_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether the hub refuses to connect to ``address``: anything but a global unicast address
    (private, loopback, link-local, shared 100.64/10, multicast, reserved, unspecified, documentation),
    an IPv4 address inside IPv6 judged as the IPv4 address it carries."""
    if isinstance(address, ipaddress.IPv6Address):
        carried = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if carried is not None:
            address = carried
    return not address.is_global or address.is_multicast


def resolve_callback(url: str, allow_private: bool) -> str:
    """The address to connect to for ``url``: its host resolved now (a name can resolve elsewhere at each
    delivery: DNS rebinding), every address it resolves to checked, the first one kept; CallbackRefused
    when there is none the hub may call. With ``allow_private`` (HUB_CALLBACK_ALLOW_PRIVATE_NETWORKS, for
    a hub whose subscribers sit in its own network) any address is called."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:  # UnicodeError: a label IDNA cannot encode
        raise CallbackRefused(f"{host} does not resolve") from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not allow_private:
        refused = [a for a in addresses if refused_address(a)]
        if refused:  # one inside the network is enough: the next lookup may pick it
            raise CallbackRefused(
                f"{host} resolves to {refused[0]}, inside a private or special-purpose network, "
                "which the hub does not call"
            )
    return str(addresses[0])


def _pinned(url: str, address: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    """``url`` rewritten to connect to ``address``, with the Host header and the TLS server name (SNI and
    certificate check) of the original host, so that what was checked is what is connected to."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if ":" in address else address
    netloc = literal if parts.port is None else f"{literal}:{parts.port}"
    header = host if parts.port is None else f"{host}:{parts.port}"
    extensions: dict[str, Any] = {"sni_hostname": host} if parts.scheme == "https" else {}
    return parts._replace(netloc=netloc).geturl(), {"Host": header}, extensions


def _check_secret(secret: str) -> str:
    try:
        raw = base64.b64decode(secret, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Invalid(
            "secret must be standard base64 (DCSA 'format: byte') of at least 32 random bytes, "
            "for example the output of: openssl rand -base64 32",
            field="secret",
        ) from exc
    if len(raw) < 32:
        raise Invalid(
            f"secret must be base64 of at least 32 bytes, it decodes to {len(raw)}; "
            "for example the output of: openssl rand -base64 32",
            field="secret",
        )
    return secret


def _filters(body: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name in FILTERS:
        value = body.get(name)
        if value in (None, "", []):
            continue
        if name in ("eventType", *(_CODE_TYPE)):
            values = value if isinstance(value, list) else [v.strip() for v in str(value).split(",")]
            found[name] = [str(v) for v in values if v]
        elif isinstance(value, str):
            found[name] = value
        else:
            raise Invalid(f"{name} must be a string", field=name)
    return found


def create_subscription(
    session: Session, principal: Principal, body: dict[str, Any], *, allow_private: bool
) -> EventSubscription:
    """A new subscription of the caller's organisation: a write (viewer keys and regulators may not)."""
    principal.require(Action.READ_RECORDS)
    principal.require(Action.WRITE_RECORDS)
    if not isinstance(body.get("callbackUrl"), str):
        raise Invalid("callbackUrl is required", field="callbackUrl")
    if not isinstance(body.get("secret"), str):
        raise Invalid("secret is required (base64)", field="secret")
    secret = _check_secret(body["secret"])  # before the URL, whose check may need the network
    sub = EventSubscription(
        owner_org_id=principal.org_id,
        callback_url=_check_url(body["callbackUrl"], allow_private),
        secret=secret,
        filters=_filters(body),
        api_version=_version(body.get("apiVersion")),
    )
    session.add(sub)
    session.flush()
    return sub


def get_subscription(session: Session, principal: Principal, subscription_id: uuid.UUID) -> EventSubscription:
    """One of the caller's live subscriptions."""
    sub = session.get(EventSubscription, subscription_id)
    if sub is None or sub.owner_org_id != principal.org_id or sub.deleted_at is not None:
        raise NotFound("no subscription of yours with that id", field="subscriptionID")
    return sub


def list_subscriptions(session: Session, principal: Principal) -> list[EventSubscription]:
    """The caller's live subscriptions."""
    return list(
        session.exec(
            select(EventSubscription).where(
                EventSubscription.owner_org_id == principal.org_id,
                col(EventSubscription.deleted_at).is_(None),
            )
        )
    )


def delete_subscription(session: Session, principal: Principal, subscription_id: uuid.UUID) -> None:
    """Stop a subscription; what was still owed to it is dropped."""
    principal.require(Action.WRITE_RECORDS)
    sub = get_subscription(session, principal, subscription_id)
    sub.deleted_at = utcnow()
    session.add(sub)
    session.execute(
        update(EventDelivery)
        .where(col(EventDelivery.subscription_id) == sub.id, col(EventDelivery.state) == "PENDING")
        .values(state="SKIPPED", last_error="subscription deleted")
    )


def rotate_secret(session: Session, principal: Principal, subscription_id: uuid.UUID, secret: str) -> None:
    """Replace the shared secret; deliveries from now on are signed with the new one."""
    principal.require(Action.WRITE_RECORDS)
    sub = get_subscription(session, principal, subscription_id)
    sub.secret = _check_secret(secret)
    session.add(sub)


VERSIONS = ("2.2.0", "3.0.0")


def _version(value: Any) -> str:
    """The DCSA version the subscriber is sent (a hub extension of the 2.2 subscription: ``apiVersion``)."""
    if value in (None, ""):
        return VERSIONS[0]
    if value not in VERSIONS:
        raise Invalid(f"apiVersion must be one of {', '.join(VERSIONS)}", field="apiVersion")
    return str(value)


def as_dcsa(sub: EventSubscription) -> dict[str, Any]:
    """A subscription as DCSA 2.2 shows it (never its secret), with the version it is sent in."""
    shown = {"subscriptionID": str(sub.id), "callbackUrl": sub.callback_url, **sub.filters}
    if sub.api_version != VERSIONS[0]:
        shown["apiVersion"] = sub.api_version
    return shown


# -- matching, in the ingest transaction --------------------------------------------------------------


def _matches(filters: dict[str, Any], event: Mapping[str, Any]) -> bool:
    for name, wanted in filters.items():
        value = event.get(_EVENT_FIELD[name])
        if name in _CODE_TYPE:
            if event.get("event_type") == _CODE_TYPE[name] and value not in wanted:
                return False
        elif isinstance(wanted, list):
            if value not in wanted:
                return False
        elif value != wanted:
            return False
    return True


def queue_deliveries(session: Session, events: Iterable[Mapping[str, Any]]) -> int:
    """Owe every new event to each live subscription whose filters it matches (visibility is checked when
    sending, against the subscriber's organisation). ``events`` is not read when no subscription is live."""
    subs = list(session.exec(select(EventSubscription).where(col(EventSubscription.deleted_at).is_(None))))
    if not subs:
        return 0
    now = utcnow()
    rows = [
        {
            "id": new_id(),
            "subscription_id": sub.id,
            "event_id": event["id"],
            "state": "PENDING",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for event in events
        for sub in subs
        if _matches(sub.filters, event)
    ]
    if rows:
        session.connection().execute(insert(EventDelivery.__table__), rows)  # type: ignore[attr-defined]
    return len(rows)


# -- the delivery worker -----------------------------------------------------------------------------


def _log_abroad(session: Session, org: Organisation, events: list[Any]) -> int:
    """Events sent to a subscriber abroad are a cross-border transfer: public and general data (see
    hub.governance.classes), so never held back, and logged per owner of the events; how many logged."""
    from hub.governance import service as governance
    from hub.governance.classes import DataClass

    by_owner: dict[uuid.UUID, list[uuid.UUID]] = {}
    for event in events:
        if event.owner_org_id != org.id:
            by_owner.setdefault(event.owner_org_id, []).append(event.id)
    logged = 0
    for owner_id, ids in by_owner.items():
        logged += (
            governance.outbound(
                session,
                sender_org_id=owner_id,
                to_org_id=org.id,
                channel="subscription",
                kind="tracking_event",
                record_ids=ids,
                carried={DataClass.PUBLIC, DataClass.GENERAL},
            )
            is not None
        )
    return logged


def sign(secret: str, body: bytes) -> str:
    """The Notification-Signature header value for ``body``."""
    return "sha256=" + hmac.new(base64.b64decode(secret), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class PushSettings:
    """How hard the worker tries."""

    batch: int = 100
    max_attempts: int = 8
    backoff_seconds: float = 1.0
    backoff_max_seconds: float = 600.0
    timeout_seconds: float = 10.0
    lease_seconds: float = 60.0
    idle_seconds: float = 0.2
    allow_private_networks: bool = False  # HUB_CALLBACK_ALLOW_PRIVATE_NETWORKS


class Pusher:
    """Sends what is owed to subscribers. Several may run; leases keep them off each other's rows.

    The DCSA event subscriptions are its first use; a subclass names another pair of tables of the same
    shape (a subscription with a callback and a secret, deliveries with state, attempts and a lease) and
    builds its own bodies: the finance webhooks (hub.finance.hooks)."""

    subscriptions: Any = EventSubscription
    deliveries: Any = EventDelivery
    api_version = "2.2.0"
    name = "push"
    skipped_because = "not visible to the subscriber, or not DCSA 2.2"

    def __init__(self, engine: Engine, settings: PushSettings | None = None) -> None:
        self.engine = engine
        self.settings = settings or PushSettings()

    def _claim(self) -> list[tuple[Any, list[Any]]]:
        now = utcnow()
        with Session(self.engine, expire_on_commit=False) as session:
            due = list(
                session.exec(
                    select(self.deliveries)
                    .where(self.deliveries.state == "PENDING", col(self.deliveries.next_attempt_at) <= now)
                    .where(
                        (col(self.deliveries.lease_until).is_(None))
                        | (col(self.deliveries.lease_until) < now)
                    )
                    .order_by(col(self.deliveries.created_at))
                    .limit(self.settings.batch)
                )
            )
            claimed = []
            for delivery in due:
                result = session.execute(
                    update(self.deliveries)
                    .where(col(self.deliveries.id) == delivery.id, col(self.deliveries.state) == "PENDING")
                    .where(
                        (col(self.deliveries.lease_until).is_(None))
                        | (col(self.deliveries.lease_until) < now)
                    )
                    .values(lease_until=now + timedelta(seconds=self.settings.lease_seconds))
                )
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append(delivery)
            session.commit()
            groups: dict[uuid.UUID, list[Any]] = {}
            for delivery in claimed:
                groups.setdefault(delivery.subscription_id, []).append(delivery)
            return [
                (sub, groups[sub.id])
                for sub in session.exec(
                    select(self.subscriptions).where(col(self.subscriptions.id).in_(list(groups)))
                )
            ]

    def _body(self, sub: Any, deliveries: list[Any]) -> tuple[bytes, list[uuid.UUID], list[uuid.UUID]]:
        from adapters.dcsa.render import render_v22, render_v30, renderable
        from hub.tracking.service import events_by_ids

        # The events are rendered after the session: they must outlive its commit (of the transfer log).
        with Session(self.engine, expire_on_commit=False) as session:
            org = session.get(Organisation, sub.owner_org_id)
            assert org is not None
            principal = Principal(org.id, org.name, org.type, KeyRole.VIEWER, org.id)
            events = {e.id: e for e in events_by_ids(session, principal, [d.event_id for d in deliveries])}
            if _log_abroad(session, org, list(events.values())):
                session.commit()
        v3 = sub.api_version == "3.0.0"
        send, skip, body = [], [], []
        for delivery in deliveries:
            event = events.get(delivery.event_id)
            if event is None or not (v3 or renderable(event)):
                skip.append(delivery.id)
            else:
                send.append(delivery.id)
                body.append(render_v30(event) if v3 else render_v22(event))
        sent: Any = {"events": body} if v3 else body
        return json.dumps(sent, separators=(",", ":")).encode(), send, skip

    def _finish(self, ids: list[uuid.UUID], **values: Any) -> None:
        if not ids:
            return
        with Session(self.engine) as session:
            session.execute(
                update(self.deliveries)
                .where(col(self.deliveries.id).in_(ids))
                .values(lease_until=None, **values)
            )
            session.commit()

    def _retry(self, deliveries: list[Any], error: str) -> None:
        now = utcnow()
        with Session(self.engine) as session:
            for d in deliveries:
                attempts = d.attempts + 1
                dead = attempts >= self.settings.max_attempts
                delay = min(
                    self.settings.backoff_seconds * 2 ** (attempts - 1), self.settings.backoff_max_seconds
                )
                session.execute(
                    update(self.deliveries)
                    .where(col(self.deliveries.id) == d.id)
                    .values(
                        attempts=attempts,
                        state="DEAD" if dead else "PENDING",
                        lease_until=None,
                        last_error=error[:500],
                        next_attempt_at=now + timedelta(seconds=delay),
                    )
                )
                PUSHED.labels("dead" if dead else "retry").inc()
            session.commit()

    async def run_once(self, client: httpx.AsyncClient) -> int:
        """Send what is due now; return how many events were delivered."""
        delivered = 0
        for sub, deliveries in await asyncio.to_thread(self._claim):
            body, send, skip = await asyncio.to_thread(self._body, sub, deliveries)
            await asyncio.to_thread(
                self._finish,
                skip,
                state="SKIPPED",
                last_error=self.skipped_because,
            )
            if not send:
                continue
            by_id = {d.id: d for d in deliveries}
            try:
                # Resolved and checked at every delivery, and the checked address is the one connected to.
                address = await asyncio.to_thread(
                    resolve_callback, sub.callback_url, self.settings.allow_private_networks
                )
                url, host, extensions = _pinned(sub.callback_url, address)
                answer = await client.post(
                    url,
                    content=body,
                    timeout=self.settings.timeout_seconds,
                    headers={
                        **host,
                        "Content-Type": "application/json",
                        "API-Version": getattr(sub, "api_version", None) or self.api_version,
                        "Subscription-ID": str(sub.id),
                        "Notification-Signature": sign(sub.secret, body),
                    },
                    extensions=extensions,
                )
                ok = 200 <= answer.status_code < 300
                error = "" if ok else f"HTTP {answer.status_code}"
            except CallbackRefused as exc:
                ok, error = False, f"refused: {exc}"
            except httpx.HTTPError as exc:
                ok, error = False, f"{type(exc).__name__}: {exc}"
            if ok:
                await asyncio.to_thread(
                    self._finish, send, state="DELIVERED", delivered_at=utcnow(), last_error=None
                )
                PUSHED.labels("delivered").inc(len(send))
                delivered += len(send)
            else:
                log.warning(f"{self.name}.failed", subscription=str(sub.id), error=error)
                await asyncio.to_thread(self._retry, [by_id[i] for i in send], error)
        return delivered

    async def run(self, stop: asyncio.Event) -> None:
        """Loop until ``stop`` is set."""
        async with httpx.AsyncClient(follow_redirects=False) as client:
            while not stop.is_set():
                try:
                    done = await self.run_once(client)
                except Exception:
                    log.exception(f"{self.name}.worker_error")
                    done = 0
                if done == 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), self.settings.idle_seconds)
