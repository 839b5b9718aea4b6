"""Many tracking messages at once (``hub ingest`` with several files, ``bench/ingest``): parsed and prepared
in worker processes, written by this one, each message in its own transaction and in the order given.

SQLite takes one writer at a time, and PostgreSQL gains little from more than one on the same rows; but
two thirds of an event's cost is reading the message, mapping it and hashing its canonical document,
which needs no database. Workers do that part (``service.prepare``) with a snapshot of the vessel register
taken when the run starts, and hand back plain rows; this process only checks them against what is
stored and writes them (``service.store``). With ``jobs=0`` everything runs here, as a REST request does.
"""

from __future__ import annotations

import os
import uuid
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from adapters.stream import Part
from hub import collector
from hub.auth.permissions import Principal
from hub.db import session_scope
from hub.errors import HubError
from hub.tracking import service
from hub.tracking.rows import VesselRegister
from hub.tracking.service import IngestReport, KnownContainers, PreparedBatch


def detect_format(data: bytes) -> str:
    """edifact, dcsa (JSON), ceb (XML) or unknown, from the first bytes of a message."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:3]
    if head.startswith((b"UNA", b"UNB")):
        return "edifact"
    if head[:1] in (b"{", b"["):
        return "dcsa"
    if head[:1] == b"<":
        return "ceb"
    return "unknown"


def spare_cores() -> int:
    """Worker processes to start by default: one per core beyond this one's, at most four."""
    return max(0, min(4, (os.cpu_count() or 1) - 1))


@dataclass(frozen=True)
class Outcome:
    """What became of one message: its report, or why it was refused (nothing of it stored)."""

    name: str
    kind: str
    report: IngestReport | None = None
    refused: str | None = None


# -- in the worker --------------------------------------------------------------------------------------

_ORG: uuid.UUID | None = None
_VESSELS: VesselRegister = ({}, {})


def _start_worker(org_id: uuid.UUID, vessels: VesselRegister) -> None:
    global _ORG, _VESSELS
    _ORG, _VESSELS = org_id, vessels


def _start_pool_worker(org_id: uuid.UUID, vessels: VesselRegister) -> None:
    _start_worker(org_id, vessels)
    collector.tune()


def _prepare(data: bytes | Part) -> tuple[str, PreparedBatch | None, str | None]:
    """``_prepare_for`` in a worker process, for the organisation it was started for."""
    assert _ORG is not None, "the worker was not started for an organisation"
    return _prepare_for(_ORG, _VESSELS, data)


def _prepare_for(
    org: uuid.UUID, vessels: VesselRegister, data: bytes | Part
) -> tuple[str, PreparedBatch | None, str | None]:
    """(format, prepared batch or None, refusal or None) for one message or one part of a streamed DCSA
    body; CEB XML is left to the caller."""
    if isinstance(data, Part):
        from adapters import dcsa, edifact

        try:
            if data.kind == "edifact":
                batch = edifact.parse(data.data, shift=data.offset)
            else:
                batch = dcsa.parse(data.data, scope=str(org), base=data.base, offset=data.offset)
            return data.kind, service.prepare(batch, org, vessels), None
        except HubError as exc:
            return data.kind, None, exc.message
    kind = detect_format(data)
    try:
        if kind == "edifact":
            from adapters import edifact

            return kind, service.prepare(edifact.parse(data), org, vessels), None
        if kind == "dcsa":
            from adapters import dcsa

            return kind, service.prepare(dcsa.parse(data, scope=str(org)), org, vessels), None
    except HubError as exc:
        return kind, None, exc.message
    if kind == "ceb":
        return kind, None, None
    return kind, None, "neither EDIFACT (UNA/UNB), DCSA JSON nor CEB XML"


# -- in the writer --------------------------------------------------------------------------------------


def run(
    engine: Engine,
    principal: Principal,
    messages: Iterable[tuple[str, bytes | Part]],
    *,
    jobs: int = 1,
    info: dict[str, Any] | None = None,
) -> Iterator[Outcome]:
    """Ingest ``(name, bytes)`` messages (or parts of a streamed DCSA body, each a message of its own)
    for ``principal`` with ``jobs`` worker processes (0: none),
    yielding each outcome in the order given. CEB XML comes back with kind ``ceb`` and no report, for the
    caller to route to the commerce service. Each message is checked against the caller's permissions
    when it is written. ``info`` goes into each writing session's ``info`` (the bus a server publishes
    committed changes on)."""
    info = info or {}
    with session_scope(engine) as session:
        vessels = service.vessel_register(session)
    known = KnownContainers()
    if jobs <= 0:  # here, in this thread: several requests may be doing this at once
        for name, data in messages:
            yield _write(engine, info, principal, known, name, *_prepare_for(principal.org_id, vessels, data))
        return
    # The initializer hands each worker the organisation and the vessel register, and tunes its collector.
    with ProcessPoolExecutor(
        max_workers=jobs, initializer=_start_pool_worker, initargs=(principal.org_id, vessels)
    ) as pool:
        window: deque[tuple[str, Future[tuple[str, PreparedBatch | None, str | None]]]] = deque()
        # Messages are read as they are submitted: a streamed body is never in memory beyond the window.
        source = iter(messages)
        depth = 2 * jobs + 1  # enough to keep every worker busy while the writer works, no more in memory
        for name, data in source:
            window.append((name, pool.submit(_prepare, data)))
            if len(window) >= depth:
                done_name, future = window.popleft()
                yield _write(engine, info, principal, known, done_name, *future.result())
        while window:
            done_name, future = window.popleft()
            yield _write(engine, info, principal, known, done_name, *future.result())


def _write(
    engine: Engine,
    info: dict[str, Any],
    principal: Principal,
    known: KnownContainers,
    name: str,
    kind: str,
    prepared: PreparedBatch | None,
    refused: str | None,
) -> Outcome:
    if prepared is None:
        return Outcome(name, kind, refused=refused)
    try:
        with session_scope(engine, **info) as session:
            report = service.ingest_prepared(session, principal, prepared, known)
        known.commit()
    except HubError as exc:
        return Outcome(name, kind, refused=exc.message)
    finally:
        known.pending.clear()  # what a message rolled back found or registered is not known
    return Outcome(name, kind, report=report)
