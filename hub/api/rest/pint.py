"""DCSA eBL Platform Interoperability (PINT 3.0.0): the receiving platform's routes.

``POST /v3/envelopes`` starts a transfer, ``PUT /v3/envelopes/{ref}/additional-documents/{checksum}``
takes one additional document, ``PUT /v3/envelopes/{ref}/finish-transfer`` finishes it, and
``POST /v3/receiver-validation`` names a party before a sender commits to a transfer. Only a peer
platform's organisation (``ebl_platform``, listed in ``HUB_PINT_PEERS_FILE``) may call them. Accepting and
rejecting answers are JWS signed by this platform (sent as a JSON string); the others are PINT's unsigned
bodies, and refusals of the request itself (no key, a body that is not JSON) PINT's ``ErrorResponse``
(hub/app.py). The logic is hub/bills/pint.py; ``/.well-known/jwks.json`` serves this platform's public key.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from adapters import jsonio
from hub.auth.permissions import Principal
from hub.bills import pint
from hub.bills.platforms import platform
from hub.errors import Invalid
from hub.state import HubState

from .auth import require_principal

API_VERSION = pint.API_VERSION
PATHS = ("/v3/envelopes", "/v3/receiver-validation")  # where refusals take PINT's ErrorResponse form


def api_version_major(api_version: Annotated[str | None, Header(alias="API-Version")] = None) -> None:
    """DCSA's optional ``API-Version`` request header: the major version only, which must be the URI's."""
    if api_version is not None and api_version.strip().split(".")[0] != "3":
        raise Invalid(
            f"API-Version {api_version!r}: this is version 3 of the API (send the major version, 3)",
            field="API-Version",
        )


router = APIRouter(prefix="/v3", tags=["DCSA eBL PINT 3.0"], dependencies=[Depends(api_version_major)])
keys_router = APIRouter(tags=["DCSA eBL PINT 3.0"])
Caller = Annotated[Principal, Depends(require_principal)]


def _respond(answer: pint.Answer) -> Response:
    headers = {"API-Version": API_VERSION}
    if answer.status == 204:
        return Response(status_code=204, headers=headers)
    content: Any = answer.signed if answer.signed is not None else answer.body
    return JSONResponse(content, status_code=answer.status, headers=headers)


async def _json(request: Request) -> Any:
    state: HubState = request.app.state.hub
    body = await request.body()
    if len(body) > state.settings.max_ingest_bytes:
        raise Invalid(f"the body is larger than {state.settings.max_ingest_bytes} bytes", field="body")
    return jsonio.loads(body, root="body")


def _run(request: Request, work: Any) -> Response:
    state: HubState = request.app.state.hub
    with state.session() as session:
        answer = work(session, platform(state.settings))
        session.commit()
    return _respond(answer)


@router.post("/envelopes", summary="Start an eBL envelope transfer")
async def post_envelopes(request: Request, principal: Caller) -> Response:
    body = await _json(request)
    return await run_in_threadpool(
        _run, request, lambda session, plat: pint.start(session, plat, principal, body)
    )


@router.put(
    "/envelopes/{envelopeReference}/additional-documents/{documentChecksum}",
    summary="Transfer an additional document of an envelope transfer",
)
async def put_additional_document(
    envelopeReference: str, documentChecksum: str, request: Request, principal: Caller
) -> Response:
    body = await _json(request)
    return await run_in_threadpool(
        _run,
        request,
        lambda session, plat: pint.put_document(
            session, plat, principal, envelopeReference, documentChecksum, body
        ),
    )


@router.put("/envelopes/{envelopeReference}/finish-transfer", summary="Finish an eBL envelope transfer")
async def put_finish_transfer(envelopeReference: str, request: Request, principal: Caller) -> Response:
    return await run_in_threadpool(
        _run, request, lambda session, plat: pint.finish(session, plat, principal, envelopeReference)
    )


@router.post("/receiver-validation", summary="Name the party behind an identifying code")
async def post_receiver_validation(request: Request, principal: Caller) -> Response:
    body = await _json(request)
    return await run_in_threadpool(
        _run, request, lambda session, plat: pint.validate_party(session, plat, principal, body)
    )


@keys_router.get("/.well-known/jwks.json", summary="This platform's public signing keys (JWKS)")
def jwks(request: Request) -> JSONResponse:
    state: HubState = request.app.state.hub
    return JSONResponse(platform(state.settings).public_keys())
