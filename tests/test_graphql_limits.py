"""Hostile or careless queries are refused before they run, with an error that says why."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from hub.app import create_app
from hub.auth.models import OrgType
from hub.documents import service
from hub.state import HubState
from tests.conftest import World, create_doc, data, gql


def _codes(body: dict[str, object]) -> list[str]:
    return [e["extensions"]["code"] for e in body["errors"]]  # type: ignore[index, union-attr]


def test_a_query_deeper_than_the_limit_is_refused(state: HubState, world: World) -> None:
    # Today's schema nests six levels at most, so the limit is set below that to see it bite.
    state.settings = state.settings.model_copy(update={"graphql_max_depth": 4})
    party = world.party(OrgType.SELLER)
    with TestClient(create_app(state.settings, state)) as shallow:
        assert "errors" not in gql(shallow, party.token, "{ documents { nodes { owner { id } } } }")
        body = gql(shallow, party.token, "{ documents { edges { node { sharedWith { grantee { id } } } } } }")
    assert body["data"] is None
    assert "exceeds maximum operation depth of 4" in body["errors"][0]["message"]


def test_too_many_aliases_are_refused(client: TestClient, world: World) -> None:
    party = world.party(OrgType.SELLER)
    query = "{ " + " ".join(f"a{i}: me {{ role }}" for i in range(31)) + " }"
    body = gql(client, party.token, query)
    assert body["data"] is None
    assert "aliases" in body["errors"][0]["message"].lower()


def test_too_many_tokens_are_refused(client: TestClient, world: World) -> None:
    party = world.party(OrgType.SELLER)
    query = "{ me { " + " ".join(["role"] * 2100) + " } }"
    body = gql(client, party.token, query)
    assert body["data"] is None
    assert "token" in body["errors"][0]["message"].lower()


def test_a_page_larger_than_the_maximum_is_refused(client: TestClient, world: World) -> None:
    party = world.party(OrgType.SELLER)
    body = gql(client, party.token, "{ documents(first: 201) { nodes { id } } }")
    assert _codes(body) == ["LIMIT_EXCEEDED"]
    assert "at most 200" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["field"] == "first"
    assert "errors" not in gql(client, party.token, "{ documents(first: 200) { nodes { id } } }")


def test_an_oversized_body_is_refused_before_it_is_read(client: TestClient, world: World) -> None:
    party = world.party(OrgType.SELLER)
    huge = "{ me { role } }" + " " * 2_100_000
    response = client.post("/graphql", json={"query": huge}, headers=party.headers)
    assert response.status_code == 413
    assert response.json()["code"] == "LIMIT_EXCEEDED"


def test_a_forged_cursor_is_an_invalid_argument(client: TestClient, world: World) -> None:
    party = world.party(OrgType.SELLER)
    body = gql(client, party.token, '{ documents(after: "not-a-cursor") { nodes { id } } }')
    assert _codes(body) == ["INVALID"]


def test_pages_follow_each_other_without_gaps_or_repeats(client: TestClient, world: World) -> None:
    party = world.party(OrgType.SELLER)
    made = [create_doc(client, party, f"P-{i:02}") for i in range(7)]
    seen: list[str] = []
    after = None
    while True:
        page = data(
            gql(
                client,
                party.token,
                "query($a: String) { documents(first: 3, after: $a) { nodes { id } pageInfo { hasNextPage endCursor } } }",
                {"a": after},
            )
        )["documents"]
        seen += [n["id"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == made


def test_unexpected_errors_are_masked_and_logged(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    party = world.party(OrgType.SELLER)

    def boom(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("connection string postgresql://secret@db")

    monkeypatch.setattr(service, "list_documents", boom)
    body = gql(client, party.token, "{ documents { nodes { id } } }")
    assert body["errors"][0]["message"] == "Unexpected error; it has been logged."
    assert body["errors"][0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "secret" not in str(body)


def test_invalid_input_names_the_field(client: TestClient, world: World) -> None:
    party = world.party(OrgType.SELLER)
    mutation = """mutation($i: CreateDocumentInput!) { createDocument(input: $i) { document { id } errors { code field message } } }"""
    base = {"kind": "COMMERCIAL_INVOICE", "reference": "X-1", "title": "t", "issuedOn": "2026-01-01"}
    cases = [
        ({"amount": "10", "currency": "ABC"}, "currency"),
        ({"amount": "10"}, "currency"),
        ({"amount": "-1", "currency": "CNY"}, "amount"),
        ({"amount": "1.00001", "currency": "CNY"}, "amount"),
        ({"contentSha256": "xyz"}, "contentSha256"),
        ({"reference": "   "}, "reference"),
    ]
    for extra, field in cases:
        result = data(gql(client, party.token, mutation, {"i": {**base, **extra}}))["createDocument"]
        assert result["document"] is None
        assert result["errors"][0]["code"] == "INVALID" and result["errors"][0]["field"] == field, (
            extra,
            result,
        )
    create_doc(client, party, "DUP-1")
    result = data(gql(client, party.token, mutation, {"i": {**base, "reference": "DUP-1"}}))["createDocument"]
    assert result["errors"][0]["code"] == "CONFLICT" and result["errors"][0]["field"] == "reference"


def test_text_holding_nul_is_refused_with_its_place_on_every_backend(
    client: TestClient, world: World
) -> None:
    """PostgreSQL cannot store NUL and SQLite would: either way the request is refused before it runs."""
    from tests.conftest import CREATE_DOC

    party = world.party(OrgType.FORWARDER)
    payload = {
        "kind": "COMMERCIAL_INVOICE",
        "reference": "INV-\u0000",
        "title": "Invoice",
        "issuedOn": "2026-11-01",
        "amount": "1",
        "currency": "USD",
    }
    body = gql(client, party.token, CREATE_DOC, {"input": payload})
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": "INVALID", "field": "variables.input.reference"}
    assert "NUL" in error["message"]
    literal = 'mutation { createDocument(input: {kind: COMMERCIAL_INVOICE, reference: "X\\u0000", title: "T", issuedOn: "2026-11-01"}) { errors { code } } }'
    body = gql(client, party.token, literal)
    assert body["data"] is None and _codes(body) == ["INVALID"]
    assert body["errors"][0]["extensions"]["field"] == "query"
    listed = data(gql(client, party.token, "{ documents { nodes { reference } } }"))["documents"]["nodes"]
    assert listed == []
