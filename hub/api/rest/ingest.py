"""Ingest endpoints: terminal EDIFACT, DCSA event JSON, China customs CEB XML and platform orders.

All or nothing per request, but for ``/ingest/stream/*``: a body of any size, read as it arrives and
stored in parts, each all or nothing (``adapters.stream``). Each route reads its body on the server's
event loop and parses and stores it in a worker thread: parsing a large message and waiting for the database must not stall the other
requests the process serves (``/health`` among them)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from anyio import from_thread
from fastapi import APIRouter, Depends, Query, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from hub.auth.permissions import Action, Principal
from hub.errors import HubError, Invalid
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


class _Body:
    """A request body read from a worker thread, chunk by chunk as the client sends it: the thread waits
    on the event loop for the next chunk, so no more than one is held beyond what the reader buffers."""

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks
        self._held = b""
        self._ended = False

    async def _next(self) -> bytes | None:
        try:
            return await anext(self._chunks)
        except StopAsyncIteration:
            return None

    def read(self, size: int = -1, /) -> bytes:
        while not self._ended and (size < 0 or len(self._held) < size):
            chunk = from_thread.run(self._next)
            if chunk is None:
                self._ended = True
            else:
                self._held += chunk
        if size < 0:
            size = len(self._held)
        out, self._held = self._held[:size], self._held[size:]
        return out


async def _stream(
    request: Request, principal: Principal, reader: Callable[..., Any], part_size: int
) -> dict[str, Any]:
    """Store the parts a streaming reader (``adapters.dcsa.stream.parts``, ``adapters.edifact.stream.parts``)
    cuts from the request body as it arrives, each in its own transaction."""
    from hub.governance import HOME_KEY
    from hub.outbox import BUS_KEY
    from hub.tracking import pipeline

    principal.require(Action.INGEST_EVENTS)
    state: HubState = request.app.state.hub
    body = _Body(request.stream().__aiter__())

    def work() -> dict[str, Any]:
        report: dict[str, Any] = {"stored": 0, "duplicates": 0, "updated": 0, "parts": [], "refused": []}
        info = {BUS_KEY: state.bus, HOME_KEY: state.settings.country}
        wheres: dict[str, str] = {}

        def parts() -> Any:
            for part in reader(body, size=part_size, whole_limit=state.settings.max_ingest_bytes):
                wheres[str(len(wheres))] = part.where
                yield str(len(wheres) - 1), part

        try:
            for outcome in pipeline.run(state.engine, principal, parts(), jobs=0, info=info):
                where = wheres.pop(outcome.name)
                if outcome.report is None:
                    report["refused"].append({"where": where, "message": outcome.refused})
                    continue
                done = outcome.report.as_json()
                for key in ("stored", "duplicates", "updated"):
                    report[key] += done[key]
                report["parts"].append(
                    {"where": where, "stored": done["stored"], "duplicates": done["duplicates"]}
                )
        except HubError as exc:  # the body stopped being readable: what came before it is stored
            report["refused"].append({"where": exc.field or "body", "message": exc.message})
        return _answer(report)

    return await run_in_threadpool(work)


def _answer(report: dict[str, Any]) -> dict[str, Any]:
    """A streamed body's answer; refused as a whole-body route refuses (422, the place named) when
    nothing of it was stored."""
    if report["refused"] and not report["parts"]:
        first = report["refused"][0]
        raise Invalid(first["message"], field=first["where"])
    report["complete"] = not report["refused"]
    return report


_STREAMED = """Each part is stored whole or refused whole, in its own transaction; a refusal names its place
    in the body. What was stored stays stored when a later part is refused or the connection drops: send
    the same body again once it is mended, and what is already stored counts as duplicates, never twice.
    ``complete`` is true when every part was stored; a body of which no part could be stored is refused
    with 422, as the whole-body routes refuse."""


@router.post(
    "/stream/dcsa",
    summary="Ingest DCSA events of any size, read as they arrive and stored in parts (chunked bodies)",
    description="Parts of at most ``partSize`` events. " + _STREAMED,
)
async def ingest_dcsa_stream(
    request: Request,
    principal: Caller,
    part_size: Annotated[int, Query(alias="partSize", ge=1, le=50_000)] = 5000,
) -> dict[str, Any]:
    """DCSA events (an array, or ``{"events": [...]}``) in parts of ``partSize`` events."""
    from adapters.dcsa import stream

    return await _stream(request, principal, stream.parts, part_size)


@router.post(
    "/stream/edifact",
    summary="Ingest an EDIFACT interchange of any size, read as it arrives and stored in parts of whole messages",
    description="Parts of whole messages, at least ``partSize`` segments each. " + _STREAMED,
)
async def ingest_edifact_stream(
    request: Request,
    principal: Caller,
    part_size: Annotated[int, Query(alias="partSize", ge=1, le=200_000)] = 20_000,
) -> dict[str, Any]:
    """An interchange (CODECO, COARRI, IFTSTA, BAPLIE) in parts of whole messages."""
    from adapters.edifact import stream

    return await _stream(request, principal, stream.parts, part_size)


@router.post(
    "/stream/orders",
    summary="Import platform orders as CSV of any size, read as it arrives and stored in parts",
    description="Parts of ``partSize`` orders (an order's rows are never split). " + _STREAMED,
)
async def ingest_orders_stream(
    request: Request,
    principal: Caller,
    part_size: Annotated[int, Query(alias="partSize", ge=1, le=10_000)] = 500,
) -> dict[str, Any]:
    """CSV orders, one row per item (CEB311 field names), ``partSize`` orders per transaction."""
    from adapters.platform import stream
    from hub.commerce import service as commerce

    principal.require(Action.TRADE_ECOMMERCE)
    body = _Body(request.stream().__aiter__())

    def work() -> dict[str, Any]:
        report: dict[str, Any] = {"stored": 0, "updated": 0, "duplicates": 0, "parts": [], "refused": []}
        try:
            for part in stream.parts(body, size=part_size):
                if part.refused is not None:
                    report["refused"].append({"where": part.where, "message": part.refused.message})
                    continue

                def store(session: Session, orders: list[Any] = part.orders) -> dict[str, Any]:
                    return commerce.ingest_orders(session, principal, orders, source="CSV").as_json()

                try:
                    done = _unit(request, store)
                except HubError as exc:
                    report["refused"].append({"where": part.where, "message": exc.message})
                    continue
                for key in ("stored", "updated", "duplicates"):
                    report[key] += done.get(key, 0)
                report["parts"].append({"where": part.where, "stored": done.get("stored", 0)})
        except HubError as exc:  # the body stopped being CSV: what came before it is stored
            report["refused"].append({"where": exc.field or "body", "message": exc.message})
        return _answer(report)

    return await run_in_threadpool(work)


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
