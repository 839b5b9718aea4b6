"""Ingest endpoints: terminal EDIFACT, DCSA event JSON, China customs CEB XML and platform orders.

All or nothing per request. Each route reads its body on the server's event loop and parses and stores it
in a worker thread: parsing a large message and waiting for the database must not stall the other
requests the process serves (``/health`` among them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from hub.auth.permissions import Action, Principal
from hub.state import HubState
from hub.tracking import service
from hub.tracking.commands import ParsedBatch

from .auth import require_principal

router = APIRouter(prefix="/ingest", tags=["ingest"])
Caller = Annotated[Principal, Depends(require_principal)]


def _unit(request: Request, act: Callable[[Session], dict[str, Any]]) -> dict[str, Any]:
    """``act`` in one transaction of its own: what it answers, once committed."""
    state: HubState = request.app.state.hub
    with state.session() as session:
        result = act(session)
        session.commit()
    return result


def _store(request: Request, principal: Principal, batch: ParsedBatch) -> dict[str, Any]:
    return _unit(request, lambda session: service.ingest(session, principal, batch).as_json())


@router.post("/edifact", summary="Ingest one EDIFACT interchange (CODECO, COARRI, IFTSTA, BAPLIE)")
async def ingest_edifact(request: Request, principal: Caller) -> dict[str, Any]:
    """Store the events of an interchange; a malformed one is refused whole, naming the segment."""
    from adapters.edifact import parse

    principal.require(Action.INGEST_EVENTS)
    data = await request.body()
    return await run_in_threadpool(lambda: _store(request, principal, parse(data)))


@router.post("/dcsa", summary="Ingest DCSA Track & Trace events (2.2 or 3.0)")
async def ingest_dcsa(request: Request, principal: Caller) -> dict[str, Any]:
    """Store DCSA events; a body with one bad event is refused whole, naming its JSON path."""
    from adapters.dcsa import parse

    principal.require(Action.INGEST_EVENTS)
    data = await request.body()
    return await run_in_threadpool(
        lambda: _store(request, principal, parse(data, scope=str(principal.org_id)))
    )


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
    data = await request.body()

    def work() -> dict[str, Any]:
        message = parse(data)
        return _unit(request, lambda session: commerce.ingest_message(session, principal, message).as_json())

    return await run_in_threadpool(work)


@router.post("/orders", summary="Import platform orders as JSON or CSV (CEB311 field names)")
async def ingest_orders(request: Request, principal: Caller) -> dict[str, Any]:
    """Store orders from a platform that does not speak CEB: ``text/csv`` or JSON."""
    from adapters.platform import orders
    from hub.commerce import service as commerce

    principal.require(Action.TRADE_ECOMMERCE)
    data = await request.body()
    is_csv = "csv" in request.headers.get("content-type", "")
    source = "CSV" if is_csv else "JSON"

    def work() -> dict[str, Any]:
        records = orders.parse_csv(data) if is_csv else orders.parse_json(data)
        return _unit(
            request,
            lambda session: commerce.ingest_orders(session, principal, records, source=source).as_json(),
        )

    return await run_in_threadpool(work)


@router.post("/schedules", summary="Ingest a DCSA operational vessel schedule (OVS 3.0 response)")
async def ingest_schedules(request: Request, principal: Caller) -> dict[str, Any]:
    """Store the port calls of a schedule; a bad one refuses the whole body, naming its JSON path."""
    from adapters.dcsa.schedules import parse_ovs
    from hub.port import service as port

    principal.require(Action.INGEST_EVENTS)
    data = await request.body()

    def work() -> dict[str, Any]:
        commands = parse_ovs(data)
        flagged = sorted(
            {
                f"{c.where}: IMO {c.vessel.imo} fails its check digit (kept)"
                for c in commands
                if not c.vessel.imo_valid
            }
        )
        return _unit(
            request,
            lambda session: {
                "calls": [str(c.id) for c in port.ingest_calls(session, principal, commands)],
                "flagged": flagged,
            },
        )

    return await run_in_threadpool(work)


@router.post("/jit/{kind}", summary="Ingest a DCSA just-in-time port call payload (JIT 2.0)")
async def ingest_jit(kind: str, request: Request, principal: Caller) -> dict[str, Any]:
    """``kind``: port-call, terminal-call, port-call-service or vessel-status."""
    from adapters.dcsa.schedules import parse_jit
    from hub.port import service as port

    principal.require(Action.INGEST_EVENTS)
    data = await request.body()

    def work() -> dict[str, Any]:
        payload = parse_jit(kind, data)
        return _unit(
            request, lambda session: {"portCall": str(port.ingest_jit(session, principal, kind, payload).id)}
        )

    return await run_in_threadpool(work)


@router.post("/customs", summary="Ingest customs decisions: a JSON customs response or an EDIFACT CUSRES")
async def ingest_customs(request: Request, principal: Caller) -> dict[str, Any]:
    """Apply the decisions of a customs office to declarations addressed to its district."""
    from adapters.customs import decisions
    from hub.port import service as port

    principal.require(Action.DECIDE_CUSTOMS)
    data = await request.body()
    is_edifact = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:3] in (b"UNA", b"UNB")
    source = "CUSRES" if is_edifact else "JSON"

    def work() -> dict[str, Any]:
        commands = decisions.parse_cusres(data) if is_edifact else decisions.parse_json(data)
        return _unit(
            request, lambda session: port.decide(session, principal, commands, source=source).as_json()
        )

    return await run_in_threadpool(work)
