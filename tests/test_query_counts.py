"""The main screens cost a fixed number of SQL statements, however many rows they show (no N+1)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from starlette.testclient import TestClient

from hub.app import create_app
from hub.auth.models import OrgType
from hub.state import HubState
from tests.conftest import World, create_doc, data, gql

SCREEN = """{ documents(first: 100) { nodes { id reference owner { name type } sharedWith { grantee { name } } } } }"""
SHARE = """mutation($id: ID!, $org: ID!) { shareRecord(input: {kind: "document", recordId: $id, withOrgId: $org}) { errors { code } } }"""


@contextmanager
def counting(state: HubState) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(state.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(state.engine, "before_cursor_execute", record)


def _statements_for(client: TestClient, state: HubState, token: str) -> int:
    with counting(state) as statements:
        result = data(gql(client, token, SCREEN))
    assert result["documents"]["nodes"]
    return len(statements)


def test_the_document_list_does_not_grow_with_its_rows(state: HubState, world: World) -> None:
    # Without the in-process anchoring worker, whose statements on the same engine would be counted too;
    # and only once the ledger has finished connecting (it looks up its registries on that engine).
    state.settings = state.settings.model_copy(update={"anchor_in_process": False, "push_in_process": False})
    with TestClient(create_app(state.settings, state)) as client:
        deadline = time.monotonic() + 20
        while client.get("/ready").json()["checks"]["chain"] != "ok":
            assert time.monotonic() < deadline, "the ledger never connected"
            time.sleep(0.05)
        _screen_is_flat(client, state, world)


def _screen_is_flat(client: TestClient, state: HubState, world: World) -> None:
    seller = world.party(OrgType.SELLER)
    bank = world.party(OrgType.BANK)
    for i in range(3):
        doc = create_doc(client, seller, f"FEW-{i}")
        data(gql(client, seller.token, SHARE, {"id": doc, "org": str(bank.id)}))
    few = _statements_for(client, state, seller.token)
    for i in range(40):
        doc = create_doc(client, seller, f"MANY-{i}")
        data(gql(client, seller.token, SHARE, {"id": doc, "org": str(bank.id)}))
    many = _statements_for(client, state, seller.token)
    assert many == few, f"{few} statements for 3 documents but {many} for 43"
    assert many <= 6  # authentication, the page, owners, shares, grantees
