"""DCSA Track & Trace 3.0: ``GET /v3/events`` for consumers and ``POST /v3/events`` for producers.

The same events, and the same access rules, as ``/v2/events``: a consumer finds the events it sent, those
of bills it is party to, those shared with it and those of its port. 3.0 expresses every event the hub
keeps (customs, IoT and reefer codes included). Filters are the ones DCSA requires every producer to
support (booking, transport document and equipment references, each alone or with the equipment, with
``eventTypes`` and an ``eventUpdatedDateTime`` window); an unknown parameter is refused with 400, which
the standard allows. Pages: ``limit`` and ``cursor``, the next page's cursor in ``Next-Page-Cursor``.
Refusals carry the 3.0 ``feedbackElements`` beside the hub's own ``code``, ``message`` and ``field``
(hub/app.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from adapters import jsonio
from adapters.text import nul_refused
from hub.auth.permissions import Action, Principal
from hub.errors import Invalid
from hub.state import HubState
from hub.tracking import service
from hub.tracking.commands import EventType

from .auth import require_principal
from .dcsa import date_time_param, page_cursor, page_limit, page_token

router = APIRouter(prefix="/v3", tags=["DCSA Track & Trace 3.0"])
Caller = Annotated[Principal, Depends(require_principal)]
API_VERSION = "3.0.0"
_REFERENCES = {
    "carrierBookingReference": "booking_reference",
    "transportDocumentReference": "transport_document_reference",
    "equipmentReference": "equipment_reference",
}
_TYPES = {t.value for t in EventType}


def _filter(params: list[tuple[str, str]]) -> service.EventFilter:
    values: dict[str, Any] = {}
    types: list[str] = []
    updated: list[tuple[str, datetime]] = []
    for name, value in params:
        if "\x00" in value:
            raise nul_refused(name)
        if name in _REFERENCES:
            values[_REFERENCES[name]] = value
        elif name == "eventTypes":  # repeated (the OpenAPI form style) or comma-separated
            types.extend(v.strip() for v in value.split(",") if v.strip())
        elif name == "eventUpdatedDateTimeMin":
            updated.append(("gte", date_time_param(name, value)))
        elif name == "eventUpdatedDateTimeMax":
            updated.append(("lte", date_time_param(name, value)))
        elif name not in ("limit", "cursor", "API-Version"):
            raise Invalid(f"unknown query parameter {name!r}", field=name or "query string")
    bad = sorted(set(types) - _TYPES)
    if bad:
        raise Invalid(
            f"eventTypes: {', '.join(bad)} not one of {', '.join(sorted(_TYPES))}", field="eventTypes"
        )
    return service.EventFilter(event_types=tuple(dict.fromkeys(types)), updated=tuple(updated), **values)


@router.get("/events", summary="Find events (DCSA 3.0)")
def get_events(request: Request, principal: Caller) -> JSONResponse:
    """Events the caller may see, oldest first, in DCSA 3.0 form."""
    from adapters.dcsa.render import render_v30

    state: HubState = request.app.state.hub
    limit = page_limit(request, state)
    flt = _filter(list(request.query_params.multi_items()))
    with state.session() as session:
        rows = service.list_events(
            session, principal, flt, limit=limit + 1, after=page_cursor(request.query_params.get("cursor"))
        )
    page = rows[:limit]
    headers = {"API-Version": API_VERSION}
    if len(rows) > limit:
        headers["Next-Page-Cursor"] = page_token(page[-1])
    return JSONResponse({"events": [render_v30(e) for e in page]}, headers=headers)


@router.post("/events", summary="Publish events (DCSA 3.0 producers)")
async def post_events(request: Request, principal: Caller) -> JSONResponse:
    """Store a 3.0 ``PostEventsRequest``; one bad event refuses the request whole, naming its JSON path.
    Events already known come back as INFO feedback, events stored with a data warning as WARN."""
    from adapters.dcsa import parse

    principal.require(Action.INGEST_EVENTS)
    data = await request.body()
    state: HubState = request.app.state.hub

    def work() -> dict[str, Any]:
        body = jsonio.loads(data)
        if not isinstance(body, dict) or not isinstance(body.get("events"), list):
            raise Invalid("a 3.0 PostEventsRequest is an object with an events array", field="$.events")
        batch = parse(data, scope=str(principal.org_id))
        with state.session() as session:
            report = service.ingest(session, principal, batch)
            session.commit()
        feedback = [
            {
                "severity": "WARN",
                "message": f"stored, with data warnings: {flag['flags']}",
                "propertyPath": flag["where"],
            }
            for flag in report.flagged
        ]
        if report.duplicates:
            feedback.append(
                {
                    "severity": "INFO",
                    "message": f"{report.duplicates} events were already known",
                    "propertyPath": "$",
                }
            )
        return {"feedbackElements": feedback, **report.as_json()}

    answer = await run_in_threadpool(work)
    return JSONResponse(answer, headers={"API-Version": API_VERSION})
