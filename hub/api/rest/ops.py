"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import json
import time
import uuid

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from sqlalchemy import text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.state import HubState

router = APIRouter(tags=["operations"])
log = structlog.get_logger(__name__)

REQUESTS = Counter("hub_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "hub_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


@router.get("/health", summary="Liveness: the process answers")
async def health() -> dict[str, str]:
    """Always ok while the process can answer: on the event loop, touching neither the database nor a
    worker thread, so that it answers while every thread waits on the database or the chain."""
    return {"status": "ok"}


@router.get("/ready", summary="Readiness: database, Redis and chain")
def ready(request: Request) -> JSONResponse:
    """Check every dependency; 503 when one that is configured does not answer."""
    state: HubState = request.app.state.hub
    checks: dict[str, str] = {}
    try:
        with state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # a readiness probe reports every failure, whatever its kind
        checks["database"] = f"error: {type(exc).__name__}"
    if state.bus.kind == "redis":
        checks["redis"] = "ok" if state.bus.healthy() else "error: not connected"
    else:
        checks["redis"] = "not configured (in-process bus)"
    checks["chain"] = state.ledger.health() if state.ledger is not None else "error: no ledger wired"
    ok = all(not value.startswith("error") for value in checks.values())
    return JSONResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503
    )


@router.get("/metrics", summary="Prometheus metrics")
def metrics() -> Response:
    """The process's metrics in the Prometheus text format."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


class RequestContextMiddleware:
    """Pure ASGI: a request id for every request, a body size limit, a log line and latency metrics."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_ingest_bytes: int | None = None,
        max_stream_bytes: int | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_ingest_bytes = max_ingest_bytes or max_body_bytes
        self.max_stream_bytes = max_stream_bytes or self.max_ingest_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        incoming = headers.get("x-request-id", "")
        request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        path = scope.get("path", "")
        route = path if path in _KNOWN_ROUTES else "other"
        method = scope.get("method", "")
        started = time.perf_counter()
        status = {"code": 500}
        length = headers.get("content-length", "")
        if path.startswith("/ingest/stream/"):
            limit = self.max_stream_bytes
        elif path.startswith("/ingest/"):
            limit = self.max_ingest_bytes
        else:
            limit = self.max_body_bytes
        if length.isdigit() and int(length) > limit:
            await self._too_large(send, request_id, limit)
            status["code"] = 413
        else:
            received = 0

            async def limited_receive() -> Message:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > limit:
                        raise _BodyTooLarge
                return message

            async def tagged_send(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status["code"] = message["status"]
                    message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
                await send(message)

            try:
                await self.app(scope, limited_receive, tagged_send)
            except _BodyTooLarge:
                await self._too_large(send, request_id, limit)
                status["code"] = 413
        elapsed = time.perf_counter() - started
        REQUESTS.labels(method, route, str(status["code"])).inc()
        LATENCY.labels(method, route).observe(elapsed)
        if route not in ("/health", "/metrics"):
            log.info(
                "http.request", method=method, path=path, status=status["code"], ms=round(elapsed * 1000, 2)
            )

    async def _too_large(self, send: Send, request_id: str, limit: int) -> None:
        body = json.dumps(
            {
                "code": "LIMIT_EXCEEDED",
                "message": f"the request body is larger than {limit} bytes",
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-request-id", request_id.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _BodyTooLarge(Exception):
    pass


# Label metrics by these paths only, so that hostile URLs cannot grow the metric's cardinality.
_KNOWN_ROUTES = frozenset(
    {"/graphql", "/health", "/ready", "/metrics", "/ingest/edifact", "/ingest/dcsa", "/v2/events"}
)
