"""DCSA eBL 3.0: the hub's bills served as transport documents (``GET /v3/transport-documents/{ref}``).

The same access rules as the bill in GraphQL: a bill the caller may not read is not found. Refusals are in
DCSA 3.0's error form (hub/app.py), with the ``API-Version`` of the eBL specification.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from hub.auth.permissions import Principal
from hub.state import HubState

from .auth import require_principal
from .pint import api_version_major

router = APIRouter(prefix="/v3", tags=["DCSA eBL 3.0"], dependencies=[Depends(api_version_major)])
Caller = Annotated[Principal, Depends(require_principal)]
API_VERSION = "3.0.4"
PATHS = ("/v3/transport-documents",)  # where refusals take eBL 3.0's error form


@router.get(
    "/transport-documents/{transportDocumentReference}", summary="A bill as a DCSA eBL 3.0 transport document"
)
def get_transport_document(
    transportDocumentReference: str, request: Request, principal: Caller
) -> JSONResponse:
    """The negotiable or straight through bill with this number, as eBL 3.0's ``TransportDocument``."""
    from hub.bills.ebl import as_transport_document

    state: HubState = request.app.state.hub
    with state.session() as session:
        document = as_transport_document(session, principal, transportDocumentReference)
    return JSONResponse(document, headers={"API-Version": API_VERSION})
