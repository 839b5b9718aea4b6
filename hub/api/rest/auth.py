"""The caller of a REST route: the same API keys as GraphQL."""

from __future__ import annotations

from fastapi import Request

from hub.api.graphql.context import principal_for
from hub.auth.permissions import Principal
from hub.errors import Unauthenticated


def require_principal(request: Request) -> Principal:
    """FastAPI dependency: the authenticated caller, or 401."""
    principal = principal_for(request.app.state.hub, request.headers.get("authorization"))
    if principal is None:
        raise Unauthenticated("this route needs an API key: send 'Authorization: Bearer <key>'")
    return principal
