"""verifyRecord and recordHistory through GraphQL, with the in-process anchoring worker of `hub serve`."""

from __future__ import annotations

import time

from starlette.testclient import TestClient

from hub.auth.models import OrgType
from tests.conftest import World, create_doc, data, gql

VERIFY = """query($id: ID!) { verifyRecord(kind: "document", id: $id) {
  status version recordHash leaf leafIndex proof merkleRoot chainId contract transactionHash blockNumber anchoredAt detail } }"""
HISTORY = 'query($id: ID!) { recordHistory(kind: "document", id: $id) { version anchored merkleRoot transactionHash } }'


def _until_anchored(client: TestClient, token: str, doc_id: str) -> dict[str, object]:
    deadline = time.monotonic() + 20
    while True:
        body = gql(client, token, VERIFY, {"id": doc_id})
        unavailable = [e for e in body.get("errors") or [] if e["extensions"]["code"] == "UNAVAILABLE"]
        if unavailable and time.monotonic() < deadline:  # the ledger is still connecting: ask again
            time.sleep(0.05)
            continue
        result = data(body)["verifyRecord"]
        if result["status"] == "ANCHORED" or time.monotonic() > deadline:
            return result  # type: ignore[no-any-return]
        assert result["status"] == "PENDING", result
        time.sleep(0.05)


def test_a_new_document_is_anchored_by_the_hub_and_verifiable(client: TestClient, world: World) -> None:
    seller = world.party(OrgType.SELLER)
    doc_id = create_doc(client, seller)
    result = _until_anchored(client, seller.token, doc_id)
    assert result["status"] == "ANCHORED", result
    assert result["version"] == 1 and result["transactionHash"].startswith("0x") and result["blockNumber"] > 0
    assert result["merkleRoot"].startswith("0x") and len(result["recordHash"]) == 66
    assert isinstance(result["proof"], list) and result["anchoredAt"]
    update = data(
        gql(
            client,
            seller.token,
            'mutation($id: ID!) { updateDocument(id: $id, input: {title: "v2"}) { errors { code } } }',
            {"id": doc_id},
        )
    )["updateDocument"]
    assert update["errors"] == []
    assert _until_anchored(client, seller.token, doc_id)["version"] == 2
    history = data(gql(client, seller.token, HISTORY, {"id": doc_id}))["recordHistory"]
    assert [(v["version"], v["anchored"]) for v in history] == [(1, True), (2, True)]


def test_verification_follows_the_same_access_rules_as_reading(client: TestClient, world: World) -> None:
    seller = world.party(OrgType.SELLER)
    forwarder = world.party(OrgType.FORWARDER)
    regulator = world.party(OrgType.REGULATOR)
    doc_id = create_doc(client, seller)
    hidden = data(gql(client, forwarder.token, VERIFY, {"id": doc_id}))["verifyRecord"]
    assert hidden["status"] == "NOT_FOUND" and hidden["recordHash"] is None
    assert (
        gql(client, forwarder.token, HISTORY, {"id": doc_id})["errors"][0]["extensions"]["code"]
        == "NOT_FOUND"
    )
    assert _until_anchored(client, regulator.token, doc_id)["status"] == "ANCHORED"


def test_an_unknown_kind_is_an_invalid_argument(client: TestClient, world: World) -> None:
    seller = world.party(OrgType.SELLER)
    body = gql(
        client,
        seller.token,
        'query { verifyRecord(kind: "spaceship", id: "00000000-0000-0000-0000-000000000000") { status } }',
    )
    assert body["errors"][0]["extensions"]["code"] == "INVALID"
