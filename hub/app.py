"""create_app(): FastAPI with the GraphQL router, REST routes and the lifespan that wires the parts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Any

import orjson
import structlog
from cross_web import HTTPException
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from strawberry.exceptions import ConnectionRejectionError
from strawberry.fastapi import GraphQLRouter
from strawberry.types.unset import UNSET, UnsetType

from adapters import jsonio
from hub import __version__, native
from hub.api import console, graphiql
from hub.api.graphql.context import Context, get_context, principal_for
from hub.api.graphql.schema import build_schema
from hub.api.rest import dcsa, dcsa3, ebl, ingest, ops, pint
from hub.checkpoint import Checkpointer
from hub.db import busy_refusal, utcnow
from hub.errors import HubError, Invalid, Unauthenticated
from hub.finance.hooks import FinancePusher
from hub.logging import configure_logging
from hub.settings import Settings, get_settings
from hub.state import HubState, build_state
from hub.tracking.push import Pusher, PushSettings


class HubGraphQLRouter(GraphQLRouter[Context, None]):
    """The GraphQL endpoint; WebSocket clients may also authenticate in ``connection_init``."""

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Accept a key from the connection_init payload when the upgrade request carried none."""
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        header = params.get("Authorization") or params.get("authorization")
        if header is not None:
            try:
                principal = await run_in_threadpool(principal_for, context.state, str(header))
            except Unauthenticated as exc:
                raise ConnectionRejectionError({"code": exc.code, "message": exc.message}) from exc
            if principal is not None:
                context.set_principal(principal)
        return await super().on_ws_connect(context)

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        """Strawberry refuses a request it cannot read (no or an unknown content type, no query, a broken
        multipart body) in plain text; the hub's refusals are JSON with a code and the place, on every route."""
        try:
            return await super().run(request, context, root_value)
        except HTTPException as exc:
            place = "Content-Type" if "content type" in exc.reason.lower() else "body"
            code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "BAD_REQUEST")
            return JSONResponse(
                {"code": code, "message": exc.reason, "field": place}, status_code=exc.status_code
            )

    def encode_json(self, data: object) -> str:
        """Answers and subscription frames as JSON text, with orjson: a fan-out encodes one frame per
        subscriber, and the standard library's encoder took a tenth of a 1,000-subscriber fan-out."""
        return orjson.dumps(data).decode()

    def parse_json(self, data: str | bytes) -> Any:
        """A request body, or query-string variables: refused with a 4xx that names the place (depth before
        any parser recurses, text that is not UTF-8, a lone surrogate), and only a JSON object is a request."""
        value = jsonio.loads(data)
        if not isinstance(value, dict):
            raise Invalid(
                f'$: a GraphQL request is a JSON object ({{"query": ..., "variables": {{...}}}}), '
                f"not {_json_kind(value)}",
                field="$",
            )
        return value

    def decode_json(self, data: str | bytes) -> object:
        """A WebSocket message: what the hub refuses closes the connection as a message that is not JSON."""
        try:
            return jsonio.loads(data)
        except HubError as exc:
            raise json.JSONDecodeError(exc.message, "", 0) from exc

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        """GraphiQL from the hub's own files (strawberry's page loads it from a public CDN)."""
        return graphiql.page()


def _json_kind(value: object) -> str:
    kinds = {list: "an array", str: "a string", bool: "true or false", type(None): "null"}
    return kinds.get(type(value), "a number")


def _refusal(
    request: Request, body: dict[str, Any], status: int, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """A refusal in the hub's one shape; on a DCSA 3.0 route also in 3.0's, with its feedbackElements and
    the API-Version header, and 400 where the hub's other routes say 422 for a bad value."""
    if request.url.path.startswith(ebl.PATHS + pint.PATHS):
        # DCSA eBL 3.0's (and PINT's) ErrorResponse, beside the hub's own code, message and place.
        version = pint.API_VERSION if request.url.path.startswith(pint.PATHS) else ebl.API_VERSION
        status = 400 if status == 422 else status
        detail = {"errorCodeText": body["code"], "errorCodeMessage": body["message"][:5000]}
        if body.get("field"):
            detail["property"] = body["field"]
        body = {
            **body,
            "httpMethod": request.method,
            "requestUri": request.url.path,
            "statusCode": status,
            "statusCodeText": HTTPStatus(status).phrase,
            "statusCodeMessage": body["message"][:200],
            "errorDateTime": utcnow().isoformat().replace("+00:00", "Z"),
            "errors": [detail],
        }
        return JSONResponse(body, status_code=status, headers={**(headers or {}), "API-Version": version})
    if request.url.path.startswith("/v3/"):
        feedback = {"severity": "ERROR", "message": body["message"]}
        if body.get("field"):
            feedback["propertyPath"] = body["field"]
        body = {**body, "feedbackElements": [feedback]}
        headers = {**(headers or {}), "API-Version": dcsa3.API_VERSION}
        status = 400 if status == 422 else status
    return JSONResponse(body, status_code=status, headers=headers)


# How uvicorn serves the hub (``hub serve``, the benches). Subscription frames are a few hundred bytes:
# compressing each for each subscriber cost more than it saved (a tenth of a 1,000-subscriber fan-out).
SERVER_OPTIONS: dict[str, Any] = {"ws": "websockets-sansio", "ws_per_message_deflate": False}


def create_app(settings: Settings | None = None, state: HubState | None = None) -> FastAPI:
    """The hub's ASGI application."""
    settings = settings or get_settings()
    state = state or build_state(settings)
    configure_logging(settings.log_level, json=settings.log_json)

    if state.ledger is None:
        # The composition root: the only place where the hub meets the chain side.
        from ledger.runtime import Ledger

        state.ledger = Ledger(settings, state.engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Which build of the per-event and per-order code this process runs (compiled or sources).
        structlog.get_logger(__name__).info("hub.native", modules=native.describe())
        checkpointer = Checkpointer.for_engine(state.engine)
        if checkpointer is not None:
            checkpointer.start()
        await state.bus.start()
        assert state.ledger is not None
        await state.ledger.start(worker=settings.anchor_in_process)
        stop = asyncio.Event()
        pushers = []
        if settings.push_in_process:
            # DCSA event subscriptions and finance webhooks: one worker each, the same retries and checks.
            push_settings = PushSettings(
                max_attempts=settings.push_max_attempts,
                backoff_seconds=settings.push_backoff_seconds,
                allow_private_networks=settings.callback_allow_private_networks,
            )
            for kind, name in ((Pusher, "event-push"), (FinancePusher, "finance-push")):
                pushers.append(asyncio.create_task(kind(state.engine, push_settings).run(stop), name=name))
        try:
            yield
        finally:
            stop.set()
            for pusher in pushers:
                await pusher
            await state.ledger.stop()
            await state.bus.stop()
            if checkpointer is not None:
                checkpointer.stop()

    app = FastAPI(
        title="Port and trade single-window hub",
        version=__version__,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.hub = state
    graphql = HubGraphQLRouter(
        build_schema(settings),
        path="/graphql",
        context_getter=get_context,  # type: ignore[arg-type]  # strawberry's hint omits generator dependencies
        graphql_ide="graphiql" if settings.graphql_graphiql else None,
        multipart_uploads_enabled=False,
    )
    app.include_router(graphql)
    app.include_router(graphiql.router)
    app.include_router(console.router)
    app.include_router(ops.router)
    app.include_router(ingest.router)
    app.include_router(dcsa.router)
    app.include_router(dcsa3.router)
    app.include_router(ebl.router)
    app.include_router(pint.router)
    app.include_router(pint.keys_router)

    @app.exception_handler(HubError)
    async def hub_error(request: Request, exc: HubError) -> JSONResponse:
        body: dict[str, Any] = {"code": exc.code, "message": exc.message}
        if exc.field:
            body["field"] = exc.field
        return _refusal(request, body, exc.http_status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        """Starlette's own refusals (no such route, a method the route lacks, a key refused before GraphQL
        runs) in the hub's one shape: a code and a message, as every other refusal."""
        detail = exc.detail
        if isinstance(detail, dict) and "code" in detail:
            body = dict(detail)
        else:
            code = {401: "UNAUTHENTICATED", 403: "FORBIDDEN", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}
            body = {"code": code.get(exc.status_code, "BAD_REQUEST"), "message": str(detail)}
        return _refusal(request, body, exc.status_code, exc.headers)

    @app.exception_handler(OperationalError)
    async def database_error(_request: Request, exc: OperationalError) -> JSONResponse:
        busy = busy_refusal(exc)
        if busy is None:
            raise exc  # unexpected: the server's own 500, logged with its trace
        structlog.get_logger(__name__).warning("db.busy", error=str(exc.orig))
        return JSONResponse(
            {"code": busy.code, "message": busy.message},
            status_code=busy.http_status,
            headers={"Retry-After": "1"},
        )

    app.add_middleware(
        ops.RequestContextMiddleware,
        max_body_bytes=settings.max_request_bytes,
        max_ingest_bytes=settings.max_ingest_bytes,
        max_stream_bytes=settings.max_stream_bytes,
    )
    return app
