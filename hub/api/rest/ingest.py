"""Ingest endpoints: terminal EDIFACT, DCSA event JSON, China customs CEB XML and platform orders.

All or nothing per request."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from hub.auth.permissions import Action, Principal
from hub.state import HubState
from hub.tracking import service
from hub.tracking.commands import ParsedBatch

from .auth import require_principal

router = APIRouter(prefix="/ingest", tags=["ingest"])
Caller = Annotated[Principal, Depends(require_principal)]


def _store(request: Request, principal: Principal, batch: ParsedBatch) -> dict[str, Any]:
    state: HubState = request.app.state.hub
    with state.session() as session:
        report = service.ingest(session, principal, batch)
        session.commit()
    return report.as_json()


@router.post("/edifact", summary="Ingest one EDIFACT interchange (CODECO, COARRI, IFTSTA, BAPLIE)")
async def ingest_edifact(request: Request, principal: Caller) -> dict[str, Any]:
    """Store the events of an interchange; a malformed one is refused whole, naming the segment."""
    from adapters.edifact import parse

    principal.require(Action.INGEST_EVENTS)
    data = await request.body()
    return _store(request, principal, parse(data))


@router.post("/dcsa", summary="Ingest DCSA Track & Trace events (2.2 or 3.0)")
async def ingest_dcsa(request: Request, principal: Caller) -> dict[str, Any]:
    """Store DCSA events; a body with one bad event is refused whole, naming its JSON path."""
    from adapters.dcsa import parse

    principal.require(Action.INGEST_EVENTS)
    data = await request.body()
    return _store(request, principal, parse(data, scope=str(principal.org_id)))


def _store_commerce(request: Request, act: Any) -> dict[str, Any]:
    state: HubState = request.app.state.hub
    with state.session() as session:
        report = act(session)
        session.commit()
    result: dict[str, Any] = report.as_json()
    return result


@router.post(
    "/ceb",
    summary="Ingest a China customs CEB message (311 orders, 411 payments, 511 waybills; 312/412/512/622 receipts)",
)
async def ingest_ceb(request: Request, principal: Caller) -> dict[str, Any]:
    """Store a CEB message; a malformed one is refused whole, naming the element path."""
    from adapters.ceb import parse
    from hub.commerce import service as commerce

    if not (principal.can(Action.TRADE_ECOMMERCE) or principal.can(Action.DECIDE_CUSTOMS)):
        principal.require(Action.TRADE_ECOMMERCE)
    message = parse(await request.body())
    return _store_commerce(request, lambda session: commerce.ingest_message(session, principal, message))


@router.post("/orders", summary="Import platform orders as JSON or CSV (CEB311 field names)")
async def ingest_orders(request: Request, principal: Caller) -> dict[str, Any]:
    """Store orders from a platform that does not speak CEB: ``text/csv`` or JSON."""
    from adapters.platform import orders
    from hub.commerce import service as commerce

    principal.require(Action.TRADE_ECOMMERCE)
    data = await request.body()
    is_csv = "csv" in request.headers.get("content-type", "")
    records = orders.parse_csv(data) if is_csv else orders.parse_json(data)
    source = "CSV" if is_csv else "JSON"
    return _store_commerce(
        request, lambda session: commerce.ingest_orders(session, principal, records, source=source)
    )
