"""Keys: who gets in, and who is refused."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select
from starlette.testclient import TestClient

from hub.auth.models import ApiKey, KeyRole, OrgType
from hub.db import utcnow
from hub.state import HubState
from tests.conftest import World, create_doc, data, gql

ME = "{ me { organisation { name type } role } }"


def test_a_valid_key_identifies_its_organisation(client: TestClient, world: World) -> None:
    forwarder = world.party(OrgType.FORWARDER, "Bohai Forwarding")
    me = data(gql(client, forwarder.token, ME))["me"]
    assert me == {"organisation": {"name": "Bohai Forwarding", "type": "FORWARDER"}, "role": "ADMIN"}


def test_a_request_without_a_key_gets_an_unauthenticated_error(client: TestClient) -> None:
    body = gql(client, None, ME)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert body["data"] is None


def test_unknown_and_malformed_keys_are_refused_with_401(client: TestClient, world: World) -> None:
    party = world.party(OrgType.SELLER)
    tampered = party.token[:-2] + ("AA" if not party.token.endswith("AA") else "BB")
    for header in (f"Bearer {tampered}", "Bearer hub_000000000000_nothing", "Bearer nonsense", "Basic abc"):
        response = client.post("/graphql", json={"query": ME}, headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.json()["code"] == "UNAUTHENTICATED"
        assert response.headers["www-authenticate"] == "Bearer"


def test_a_revoked_key_is_refused_from_the_next_request_on(client: TestClient, world: World) -> None:
    seller = world.party(OrgType.SELLER)
    second = world.key(seller, KeyRole.VIEWER, name="laptop")
    assert data(gql(client, second, ME))["me"]["role"] == "VIEWER"
    keys = data(gql(client, seller.token, "{ apiKeys { id name revokedAt } }"))["apiKeys"]
    laptop = next(k for k in keys if k["name"] == "laptop")
    revoked = data(
        gql(
            client,
            seller.token,
            "mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { revokedAt } errors { code } } }",
            {"id": laptop["id"]},
        )
    )["revokeApiKey"]
    assert revoked["errors"] == [] and revoked["apiKey"]["revokedAt"] is not None
    response = client.post("/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {second}"})
    assert response.status_code == 401
    # The key that revoked it still works.
    assert data(gql(client, seller.token, ME))["me"]["role"] == "ADMIN"


def test_an_expired_key_is_refused(client: TestClient, world: World, state: HubState) -> None:
    bank = world.party(OrgType.BANK)
    short = world.key(bank, KeyRole.OPERATOR, expires_at=utcnow() + timedelta(minutes=5))
    assert data(gql(client, short, ME))["me"]["role"] == "OPERATOR"
    with state.session() as session:  # time passes: move the expiry into the past
        key = session.exec(select(ApiKey).where(ApiKey.role == KeyRole.OPERATOR)).one()
        key.expires_at = utcnow() - timedelta(seconds=1)
        session.add(key)
        session.commit()
    assert (
        client.post("/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {short}"}).status_code
        == 401
    )


def test_a_key_created_over_graphql_is_shown_once_and_works(client: TestClient, world: World) -> None:
    seller = world.party(OrgType.SELLER)
    created = data(
        gql(
            client,
            seller.token,
            """mutation {
      createApiKey(input: {name: "warehouse", role: OPERATOR}) { token apiKey { id prefix role } errors { code } } }""",
        )
    )["createApiKey"]
    assert created["errors"] == []
    token = created["token"]
    assert token.startswith(created["apiKey"]["prefix"] + "_")
    assert data(gql(client, token, ME))["me"]["role"] == "OPERATOR"
    listed = data(gql(client, seller.token, "{ apiKeys { id prefix } }"))["apiKeys"]
    assert all("token" not in k for k in listed) and len(listed) == 2


def test_a_key_cannot_be_created_already_expired(client: TestClient, world: World) -> None:
    seller = world.party(OrgType.SELLER)
    result = data(
        gql(
            client,
            seller.token,
            """mutation {
      createApiKey(input: {name: "x", expiresAt: "2001-01-01T00:00:00+00:00"}) { token errors { code field } } }""",
        )
    )["createApiKey"]
    assert result == {"token": None, "errors": [{"code": "INVALID", "field": "expiresAt"}]}


def test_operator_and_viewer_keys_cannot_manage_keys(client: TestClient, world: World) -> None:
    seller = world.party(OrgType.SELLER)
    for role in (KeyRole.OPERATOR, KeyRole.VIEWER):
        token = world.key(seller, role)
        result = data(
            gql(client, token, 'mutation { createApiKey(input: {name: "x"}) { token errors { code } } }')
        )
        assert result["createApiKey"] == {"token": None, "errors": [{"code": "FORBIDDEN"}]}


def test_a_viewer_key_reads_but_cannot_write(client: TestClient, world: World) -> None:
    seller = world.party(OrgType.SELLER)
    doc_id = create_doc(client, seller)
    viewer = world.key(seller, KeyRole.VIEWER)
    assert (
        data(gql(client, viewer, "query($id: ID!) { document(id: $id) { id } }", {"id": doc_id}))["document"][
            "id"
        ]
        == doc_id
    )
    result = data(
        gql(
            client,
            viewer,
            """mutation { createDocument(input: {kind: OTHER, reference: "R", title: "T",
      issuedOn: "2026-01-01"}) { document { id } errors { code } } }""",
        )
    )["createDocument"]
    assert result == {"document": None, "errors": [{"code": "FORBIDDEN"}]}


def test_a_forwarder_cannot_read_a_banks_records(client: TestClient, world: World) -> None:
    bank = world.party(OrgType.BANK)
    forwarder = world.party(OrgType.FORWARDER)
    doc_id = create_doc(client, bank, "CREDIT-MEMO-1")
    body = gql(client, forwarder.token, "query($id: ID!) { document(id: $id) { id title } }", {"id": doc_id})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    listed = data(gql(client, forwarder.token, "{ documents { nodes { id } } }"))["documents"]["nodes"]
    assert listed == []
