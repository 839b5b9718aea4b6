"""The per-request GraphQL context: who is calling, a lazily opened session, and DataLoaders."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from functools import cached_property
from typing import Any

from fastapi import HTTPException
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext
from strawberry.types import Info as StrawberryInfo

from hub.auth.models import Organisation, Share
from hub.auth.permissions import Principal
from hub.auth.service import authenticate, shares_of
from hub.errors import Unauthenticated
from hub.governance import service as governance
from hub.state import HubState


def bearer_token(value: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` value, or None when there is none."""
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("use 'Authorization: Bearer <API key>'")
    return token.strip()


def principal_for(state: HubState, header: str | None) -> Principal | None:
    """Authenticate an Authorization header value in a short session of its own."""
    token = bearer_token(header)
    if token is None:
        return None
    with state.session() as session:
        principal = authenticate(session, token, pepper=state.pepper)
        session.commit()
    return principal


class Loaders:
    """One DataLoader per relation, built per request, named ``<things>_by_<key>``."""

    def __init__(self, context: Context) -> None:
        self._context = context
        self.organisations_by_id: DataLoader[uuid.UUID, Organisation | None] = DataLoader(
            load_fn=self._organisations_by_id
        )
        self.shares_by_record: DataLoader[tuple[str, uuid.UUID], list[Share]] = DataLoader(
            load_fn=self._shares_by_record
        )

    async def _organisations_by_id(self, keys: Sequence[uuid.UUID]) -> list[Organisation | None]:
        rows = self._context.session.exec(select(Organisation).where(col(Organisation.id).in_(list(keys))))
        found = {org.id: org for org in rows}
        return [found.get(key) for key in keys]

    async def _shares_by_record(self, keys: Sequence[tuple[str, uuid.UUID]]) -> list[list[Share]]:
        # Only the owner sees a record's shares; the service filters on the caller's organisation.
        by_kind: dict[str, list[uuid.UUID]] = {}
        for kind, record_id in keys:
            by_kind.setdefault(kind, []).append(record_id)
        found: dict[tuple[str, uuid.UUID], list[Share]] = {}
        for kind, ids in by_kind.items():
            shares = shares_of(self._context.session, self._context.principal, kind, ids)
            found.update({(kind, record_id): rows for record_id, rows in shares.items()})
        return [found.get(key, []) for key in keys]


class Context(BaseContext):
    """Built once per HTTP request, or once per WebSocket connection."""

    def __init__(self, state: HubState, principal: Principal | None) -> None:
        super().__init__()
        self.state = state
        self._principal = principal
        self._session: Session | None = None
        self._reads: list[dict[str, Any]] = []

    @property
    def principal(self) -> Principal:
        """The caller, or Unauthenticated when the request carried no key."""
        if self._principal is None:
            raise Unauthenticated("this operation needs an API key: send 'Authorization: Bearer <key>'")
        return self._principal

    @property
    def known_principal(self) -> Principal | None:
        """The caller when it has authenticated, else None (nothing raised)."""
        return self._principal

    def set_principal(self, principal: Principal) -> None:
        """Attach the caller once a WebSocket connection has authenticated."""
        self._principal = principal

    @property
    def session(self) -> Session:
        """The request's session, opened on first use; never use this from a subscription."""
        if self._session is None:
            self._session = self.state.session()
        return self._session

    @cached_property
    def loaders(self) -> Loaders:
        """This request's DataLoaders."""
        return Loaders(self)

    def governed(self, kind: str, rows: Sequence[Any]) -> list[tuple[Any, list[str], governance.Grant]]:
        """Each of ``rows`` (already found readable) as the caller's grant shows it, with the paths it
        masks; reads of sensitive fields by another organisation go to the access log at close."""
        if not rows:
            return []
        principal = self.principal
        grants = governance.grants(self.session, principal, kind, rows)
        out = []
        for row in rows:
            grant = grants[row.id]
            entry = governance.access_entry(principal, kind, row, grant)
            if entry is not None:
                self._reads.append(entry)
            out.append((*governance.view(kind, row, grant), grant))
        return out

    @property
    def has_reads(self) -> bool:
        """True when reads wait to be written to the access log."""
        return bool(self._reads)

    def close(self) -> None:
        """Roll back anything uncommitted, release the connection, and write the access log (in a
        transaction of its own: a read commits nothing else)."""
        if self._session is not None:
            self._session.close()
            self._session = None
        if self._reads:
            reads, self._reads = self._reads, []
            with self.state.session() as session:
                governance.write_access_log(session, reads)
                session.commit()


Info = StrawberryInfo[Context, Any]


async def get_context(connection: HTTPConnection) -> AsyncIterator[Context]:
    """FastAPI dependency: authenticate the caller and open the request's context."""
    state: HubState = connection.app.state.hub
    try:
        # In a worker thread: authenticating reads and writes the database, which must not stall the loop.
        principal = await run_in_threadpool(principal_for, state, connection.headers.get("authorization"))
    except Unauthenticated as exc:
        raise HTTPException(
            status_code=401,
            detail={"code": exc.code, "message": exc.message},
            headers={"WWW-Authenticate": "Bearer"},
        ) from exc
    context = Context(state, principal)
    try:
        yield context
    finally:
        if context.has_reads:  # the access log's write, off the event loop
            await run_in_threadpool(context.close)
        else:
            context.close()
