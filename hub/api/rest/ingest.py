"""Ingest endpoints: terminal EDIFACT and DCSA event JSON. All or nothing per request."""

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
