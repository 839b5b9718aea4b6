"""DCSA Track & Trace 2.2 producer endpoints: ``GET /v2/events`` and ``GET /v2/events/{eventID}``."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from adapters import jsonio
from adapters.text import nul_refused
from hub.auth.permissions import Principal
from hub.errors import Invalid, NotFound
from hub.state import HubState
from hub.tracking import push, service
from hub.tracking.models import TrackingEvent

from .auth import require_principal

router = APIRouter(prefix="/v2", tags=["DCSA Track & Trace 2.2"])
Caller = Annotated[Principal, Depends(require_principal)]
API_VERSION = "2.2.0"
_SIMPLE = {
    "transportCallID": "transport_call_id",
    "vesselIMONumber": "vessel_imo",
    "carrierVoyageNumber": "voyage",
    "exportVoyageNumber": "export_voyage",
    "carrierServiceCode": "carrier_service_code",
    "UNLocationCode": "un_location_code",
    "equipmentReference": "equipment_reference",
    "carrierBookingReference": "booking_reference",
    "bookingReference": "booking_reference",
    "transportDocumentReference": "transport_document_reference",
    "transportDocumentID": "transport_document_reference",
}
_CODE_PARAMS = ("shipmentEventTypeCode", "transportEventTypeCode", "equipmentEventTypeCode")
_IGNORED = {"limit", "cursor", "sort", "scheduleID", "documentTypeCode", "API-Version"}


def date_time_param(name: str, value: str) -> datetime:
    """A date-time query parameter (RFC 3339 with its offset; a '+' sent unescaped arrives as a space)."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError as exc:
        raise Invalid(f"{name}: {value!r} is not an ISO 8601 date-time", field=name) from exc
    if parsed.tzinfo is None:
        raise Invalid(f"{name}: {value!r} needs a time zone offset", field=name)
    return parsed


def _filter(params: list[tuple[str, str]]) -> service.EventFilter:
    values: dict[str, Any] = {}
    codes: list[str] = []
    created: list[tuple[str, datetime]] = []
    for name, value in params:
        if "\x00" in value:  # PostgreSQL text cannot hold it; no event has it
            raise nul_refused(name)
        if name == "eventType":
            values["event_types"] = tuple(v.strip() for v in value.split(",") if v.strip())
            bad = set(values["event_types"]) - {"SHIPMENT", "TRANSPORT", "EQUIPMENT"}
            if bad:
                raise Invalid(
                    f"eventType: {', '.join(sorted(bad))} not one of SHIPMENT, TRANSPORT, EQUIPMENT",
                    field="eventType",
                )
        elif name in _CODE_PARAMS:
            codes.extend(v.strip() for v in value.split(",") if v.strip())
        elif name in _SIMPLE:
            values[_SIMPLE[name]] = value
        elif name.startswith("eventCreatedDateTime"):
            _, _, op = name.partition(":")
            op = op or "eq"
            if op not in ("gte", "gt", "lte", "lt", "eq"):
                raise Invalid(f"{name}: the operator must be one of gte, gt, lte, lt, eq", field=name)
            created.append((op, date_time_param(name, value)))
        elif name not in _IGNORED:
            raise Invalid(f"unknown query parameter {name!r}", field=name or "query string")
    return service.EventFilter(type_codes=tuple(codes), created=tuple(created), **values)


def page_cursor(value: str | None) -> tuple[datetime, uuid.UUID] | None:
    """Where a page starts: a cursor this API handed out (the last row's creation time and id)."""
    if not value:
        return None
    try:
        stamp, _, row = base64.urlsafe_b64decode(value.encode()).decode().partition("|")
        after = datetime.fromisoformat(stamp), uuid.UUID(row)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise Invalid("cursor: not a cursor this API handed out", field="cursor") from exc
    if after[0].utcoffset() is None:  # the hub's cursors carry their zone
        raise Invalid("cursor: not a cursor this API handed out", field="cursor")
    return after


def page_limit(request: Request, state: HubState) -> int:
    """The ``limit`` query parameter: 1 to five GraphQL pages, 100 when not given."""
    most = state.settings.graphql_max_page_size * 5
    raw = request.query_params.get("limit", "100")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= most:
        raise Invalid(f"limit must be between 1 and {most}", field="limit")
    return int(raw)


def page_token(row: TrackingEvent) -> str:
    """The cursor of the page after ``row``."""
    return base64.urlsafe_b64encode(f"{row.created_at.isoformat()}|{row.id}".encode()).decode()


@router.get("/events", summary="Find events (DCSA 2.2)")
def find_events(request: Request, principal: Caller) -> JSONResponse:
    """Events the caller may see, oldest first, with DCSA 2.2 filters and cursor paging."""
    from adapters.dcsa.render import render_v22, renderable

    state: HubState = request.app.state.hub
    params = list(request.query_params.multi_items())
    limit = page_limit(request, state)
    flt = _filter(params)
    with state.session() as session:
        rows = service.list_events(
            session, principal, flt, limit=limit + 1, after=page_cursor(request.query_params.get("cursor"))
        )
    page = rows[:limit]
    headers = {"API-Version": API_VERSION, "Current-Page": str(request.url)}
    if len(rows) > limit:
        last = page[-1]
        token = page_token(last)
        kept = [(k, v) for k, v in params if k != "cursor"]
        headers["Next-Page"] = f"{request.url.path}?{urlencode([*kept, ('cursor', token)])}"
    body = [render_v22(e) for e in page if renderable(e)]
    return JSONResponse(body, headers=headers)


@router.get("/events/{event_id}", summary="One event (DCSA 2.2)")
def get_event(event_id: str, request: Request, principal: Caller) -> JSONResponse:
    """One event the caller may see."""
    from adapters.dcsa.render import render_v22, renderable

    state: HubState = request.app.state.hub
    try:
        wanted = uuid.UUID(event_id)
    except ValueError as exc:
        raise NotFound("no such event", field="eventID") from exc
    with state.session() as session:
        rows: list[TrackingEvent] = service.events_by_ids(session, principal, [wanted])
    if not rows or not renderable(rows[0]):
        raise NotFound("no such event", field="eventID")
    return JSONResponse(render_v22(rows[0]), headers={"API-Version": API_VERSION})


# -- event subscriptions (push) ------------------------------------------------------------------------


def _subscription_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFound("no subscription of yours with that id", field="subscriptionID") from exc


async def _json_object(request: Request) -> dict[str, Any]:
    body = jsonio.loads(await request.body())
    if not isinstance(body, dict):
        raise Invalid("the body is a JSON object", field="$")
    return body


@router.post("/event-subscriptions", status_code=201, summary="Subscribe to events (DCSA 2.2 push)")
async def create_subscription(request: Request, principal: Caller) -> JSONResponse:
    """Register a callback URL, a base64 shared secret and filters; matching events are pushed, signed."""
    state: HubState = request.app.state.hub
    body = await _json_object(request)

    def create() -> dict[str, Any]:  # a worker thread: it resolves the callback's name and writes
        with state.session() as session:
            sub = push.create_subscription(
                session, principal, body, allow_private=state.settings.callback_allow_private_networks
            )
            session.commit()
            return push.as_dcsa(sub)

    made = await run_in_threadpool(create)
    return JSONResponse(made, status_code=201, headers={"API-Version": API_VERSION})


@router.get("/event-subscriptions", summary="Your subscriptions")
def list_subscriptions(request: Request, principal: Caller) -> JSONResponse:
    """The caller's subscriptions (never their secrets)."""
    state: HubState = request.app.state.hub
    with state.session() as session:
        return JSONResponse(
            [push.as_dcsa(s) for s in push.list_subscriptions(session, principal)],
            headers={"API-Version": API_VERSION},
        )


@router.get("/event-subscriptions/{subscription_id}", summary="One subscription")
def get_subscription(subscription_id: str, request: Request, principal: Caller) -> JSONResponse:
    """One of the caller's subscriptions."""
    state: HubState = request.app.state.hub
    with state.session() as session:
        sub = push.get_subscription(session, principal, _subscription_id(subscription_id))
        return JSONResponse(push.as_dcsa(sub), headers={"API-Version": API_VERSION})


@router.delete("/event-subscriptions/{subscription_id}", status_code=204, summary="Unsubscribe")
def delete_subscription(subscription_id: str, request: Request, principal: Caller) -> Response:
    """Stop a subscription."""
    state: HubState = request.app.state.hub
    with state.session() as session:
        push.delete_subscription(session, principal, _subscription_id(subscription_id))
        session.commit()
    return Response(status_code=204)


@router.put(
    "/event-subscriptions/{subscription_id}/secret", status_code=204, summary="Rotate the shared secret"
)
async def rotate_secret(subscription_id: str, request: Request, principal: Caller) -> Response:
    """Replace the secret that signs notifications."""
    state: HubState = request.app.state.hub
    body = await _json_object(request)

    def rotate() -> None:
        with state.session() as session:
            push.rotate_secret(
                session, principal, _subscription_id(subscription_id), str(body.get("secret", ""))
            )
            session.commit()

    await run_in_threadpool(rotate)
    return Response(status_code=204)
