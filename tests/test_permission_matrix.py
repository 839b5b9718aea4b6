"""The permission matrix: organisation type x operation x whose record.

Two layers, both complete by construction of the tests:
- the action matrix (``allowed``) against an expectation table written out here, which must name every
  organisation type and every action: adding an action without deciding who may use it fails;
- the same decisions observed through the GraphQL API, on one's own record, another organisation's
  record, and another organisation's record shared with the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from starlette.testclient import TestClient

from hub.auth.models import KeyRole, OrgType
from hub.auth.permissions import ORG_CAPABILITIES, Action, allowed
from tests.conftest import Party, World, create_doc, data, gql

A = Action
TRADER = {A.READ_DIRECTORY, A.MANAGE_KEYS, A.READ_RECORDS, A.WRITE_RECORDS, A.SHARE_RECORDS}

OPERATOR = TRADER | {A.INGEST_EVENTS}  # those who send terminal, rail, road and carrier messages
ISSUER = OPERATOR | {A.ISSUE_BILLS}  # those who issue through bills
ECOMMERCE = TRADER | {A.TRADE_ECOMMERCE}  # those who send cross-border orders, payments or waybills

# What an admin key of each organisation type may do. Written out, not derived from the code.
EXPECTED: dict[OrgType, set[Action]] = {
    OrgType.FORWARDER: ISSUER | {A.TRADE_ECOMMERCE},  # waybills (CEB511) of the parcels they carry
    OrgType.CARRIER: ISSUER | {A.TRADE_ECOMMERCE},
    OrgType.TERMINAL: OPERATOR,
    OrgType.PORT_OPERATOR: OPERATOR,
    OrgType.SELLER: ECOMMERCE | {A.REGISTER_RECEIVABLES},  # exporters and sellers are the creditors
    OrgType.PLATFORM: ECOMMERCE,
    OrgType.BANK: ECOMMERCE | {A.FINANCE_RECEIVABLES},  # payment records (CEB411); financing
    OrgType.CUSTOMS: TRADER | {A.DECIDE_CUSTOMS},
    # Regulators also approve the rules under which important and personal data cross the border.
    OrgType.REGULATOR: {A.READ_DIRECTORY, A.READ_RECORDS, A.AUDIT_ALL, A.APPROVE_TRANSFERS},
    OrgType.ADMIN: {A.READ_DIRECTORY, A.MANAGE_ORGANISATIONS, A.MANAGE_KEYS},
    OrgType.EBL_PLATFORM: {A.TRANSFER_ENVELOPES},  # a peer platform: PINT envelopes, nothing else
}
# What each key role keeps of that.
ROLE_KEEPS: dict[KeyRole, set[Action]] = {
    KeyRole.ADMIN: set(Action),
    KeyRole.OPERATOR: set(Action) - {A.MANAGE_KEYS, A.MANAGE_ORGANISATIONS},
    KeyRole.VIEWER: {A.READ_DIRECTORY, A.READ_RECORDS, A.AUDIT_ALL},
}


def test_the_expectation_table_covers_every_type_and_action() -> None:
    assert set(EXPECTED) == set(OrgType) == set(ORG_CAPABILITIES)
    mentioned = set().union(*EXPECTED.values(), *ROLE_KEEPS.values())
    assert mentioned == set(Action), f"decide who may use {set(Action) - mentioned}"


@pytest.mark.parametrize("org_type", list(OrgType))
@pytest.mark.parametrize("role", list(KeyRole))
@pytest.mark.parametrize("action", list(Action))
def test_action_matrix(org_type: OrgType, role: KeyRole, action: Action) -> None:
    expected = action in EXPECTED[org_type] and action in ROLE_KEEPS[role]
    assert allowed(org_type, role, action) is expected


def test_regulators_never_write_anything() -> None:
    writes = {A.WRITE_RECORDS, A.SHARE_RECORDS, A.MANAGE_KEYS, A.MANAGE_ORGANISATIONS}
    assert not any(allowed(OrgType.REGULATOR, role, a) for role in KeyRole for a in writes)


READ = "query($id: ID!) { document(id: $id) { id } }"
LIST = "{ documents(first: 200) { nodes { id } } }"
UPDATE = 'mutation($id: ID!) { updateDocument(id: $id, input: {title: "changed"}) { document { id } errors { code } } }'
SHARE = """mutation($id: ID!, $org: ID!) { shareRecord(input: {kind: "document", recordId: $id, withOrgId: $org}) {
  share { id } errors { code } } }"""


@dataclass
class Records:
    bank: Party
    private: str  # a seller's record, never shared
    shared: str  # a bank's record, shared with the caller in each test


@pytest.fixture
def records(client: TestClient, world: World) -> Records:
    seller = world.party(OrgType.SELLER, "matrix seller")
    bank = world.party(OrgType.BANK, "matrix bank")
    return Records(
        bank=bank,
        private=create_doc(client, seller, "PRIVATE-1"),
        shared=create_doc(client, bank, "SHARED-1"),
    )


# Who may read a record that is not theirs and not shared with them: only regulators.
@pytest.mark.parametrize("org_type", [t for t in OrgType if t is not OrgType.SELLER])
def test_matrix_through_the_api(
    org_type: OrgType, client: TestClient, world: World, records: Records
) -> None:
    caller = world.party(org_type)
    bank, private, shared = records.bank, records.private, records.shared
    # The bank shares its record with the caller.
    assert (
        data(gql(client, bank.token, SHARE, {"id": shared, "org": str(caller.id)}))["shareRecord"]["errors"]
        == []
    )

    can_read = EXPECTED[org_type] >= {A.READ_RECORDS}
    audits = A.AUDIT_ALL in EXPECTED[org_type]

    # Another organisation's record, not shared: regulators only.
    body = gql(client, caller.token, READ, {"id": private})
    if audits:
        assert data(body)["document"]["id"] == private
    else:
        assert body["errors"][0]["extensions"]["code"] in ("NOT_FOUND", "FORBIDDEN")

    # A record shared with the caller: anyone who reads records at all.
    body = gql(client, caller.token, READ, {"id": shared})
    if can_read:
        assert data(body)["document"]["id"] == shared
    else:
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    # Listing shows exactly what may be read.
    body = gql(client, caller.token, LIST)
    if can_read:
        ids = {n["id"] for n in data(body)["documents"]["nodes"]}
        assert shared in ids
        assert (private in ids) is audits
    else:
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    # Nobody changes or re-shares another organisation's record, shared or not.
    for record in (private, shared):
        result = data(gql(client, caller.token, UPDATE, {"id": record}))["updateDocument"]
        assert result["document"] is None and result["errors"][0]["code"] in ("NOT_FOUND", "FORBIDDEN")
        result = data(gql(client, caller.token, SHARE, {"id": record, "org": str(caller.id)}))["shareRecord"]
        assert result["share"] is None and result["errors"][0]["code"] in (
            "NOT_FOUND",
            "FORBIDDEN",
            "INVALID",
        )

    # Own records: whoever may write creates, changes and shares its own.
    can_write = A.WRITE_RECORDS in EXPECTED[org_type]
    create = data(
        gql(
            client,
            caller.token,
            """mutation { createDocument(input: {kind: OTHER, reference: "OWN-1",
        title: "own", issuedOn: "2026-01-01"}) { document { id } errors { code } } }""",
        )
    )["createDocument"]
    if can_write:
        own = create["document"]["id"]
        assert data(gql(client, caller.token, UPDATE, {"id": own}))["updateDocument"]["errors"] == []
        assert (
            data(gql(client, caller.token, SHARE, {"id": own, "org": str(bank.id)}))["shareRecord"]["errors"]
            == []
        )
    else:
        assert create == {"document": None, "errors": [{"code": "FORBIDDEN"}]}


def test_revoking_a_share_takes_access_away_at_once(client: TestClient, world: World) -> None:
    seller = world.party(OrgType.SELLER)
    bank = world.party(OrgType.BANK)
    doc = create_doc(client, seller)
    share = data(gql(client, seller.token, SHARE, {"id": doc, "org": str(bank.id)}))["shareRecord"]["share"][
        "id"
    ]
    assert data(gql(client, bank.token, READ, {"id": doc}))["document"]["id"] == doc
    revoked = data(
        gql(
            client,
            seller.token,
            "mutation($id: ID!) { revokeShare(id: $id) { share { revokedAt } errors { code } } }",
            {"id": share},
        )
    )["revokeShare"]
    assert revoked["errors"] == [] and revoked["share"]["revokedAt"]
    assert gql(client, bank.token, READ, {"id": doc})["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_only_the_hub_operator_creates_organisations(client: TestClient, world: World) -> None:
    operator = world.party(OrgType.ADMIN)
    forwarder = world.party(OrgType.FORWARDER)
    mutation = 'mutation($n: String!) { createOrganisation(input: {name: $n, type: BANK, country: "cn"}) { organisation { name country } errors { code field } } }'
    assert data(gql(client, forwarder.token, mutation, {"n": "Rogue Bank"}))["createOrganisation"][
        "errors"
    ] == [{"code": "FORBIDDEN", "field": None}]
    made = data(gql(client, operator.token, mutation, {"n": "New Bank"}))["createOrganisation"]
    assert made == {"organisation": {"name": "New Bank", "country": "CN"}, "errors": []}
    again = data(gql(client, operator.token, mutation, {"n": "  new   BANK "}))["createOrganisation"]
    assert again["errors"] == [{"code": "CONFLICT", "field": "name"}]
