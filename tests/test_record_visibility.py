"""Every field of the GraphQL schema that returns records has a visibility rule, and the rules hold.

The field list is read from the schema itself: a new field that returns an object (a record, a part of
one, a page of them) fails ``test_every_record_field_has_a_rule`` until it is given a rule here. The root
fields' rules are then observed on the demo scenario: an organisation that takes no part in it (a seller,
a bank, a forwarder, a platform of its own) finds none of its records, through lists or by id, while a
regulator, who audits everything, finds each one (so that no probe passes by finding nothing at all).
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
from graphql import GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema, get_named_type
from starlette.testclient import TestClient

from hub.api.graphql.schema import build_schema
from hub.auth.models import OrgType
from hub.db import session_scope
from hub.state import HubState, ceb_signer
from seeds import loader
from tests.conftest import Party, World, data, gql

# The rules. A root field names how it decides what the caller sees; a nested field either is a part of the
# record its parent already let through, or a directory entry, or reaches other records and applies a rule
# of its own (``filtered``).
OWN_SHARED = "own-shared-audit"  # the owner's, shared with the caller, or any for regulators
TRACKING = "tracking"  # events the caller sent, of bills it is party to, shared, or its port's
BILL_PARTY = "bill-party"  # bills the caller issued, holds, or is a named party of
COMMERCE = "commerce-party"  # orders and lists of the caller's platform, seller, payer, carrier or district
RECEIVABLE = "receivable"  # the creditor's own, shared with the caller, or financed by it
DECLARATION = "declaration"  # the declarant's, shared, or addressed to the caller's customs district
PORT_VIEW = "port-view"  # port operators and terminals of that port, customs, regulators; nobody else
SCHEDULE = "public-schedule"  # vessel calls are public, as carriers publish them; their moves are not
SELF = "self"  # the caller's own organisation and keys
DIRECTORY = "directory"  # an organisation's name and type, readable by every member of the hub
PART = "part"  # drawn from the parent record, which the parent's rule let through
PAGE = "page"  # a page of records the root field's rule chose
FILTERED = "filtered"  # reaches other records and applies their rule (tested where named)
REGULATOR = "regulator"  # regulators only; everyone else is refused (tests/test_finance_terms.py)
SUBSCRIPTION = "subscription"  # a live feed checked as its query is (tests/test_subscriptions.py)
FILE = "file"  # checks a file the caller brings against the chain; reads no record of the hub's
TRANSFERS = "transfers"  # the sender's own transfer log, every one for regulators (tests/test_governance.py)
RULEBOOK = "rulebook"  # transfer rules: every one for regulators, those one may send under for others
OWNER_AUDIT = "owner-audit"  # the record's owner and regulators only (tests/test_governance.py)
PUBLIC_TABLE = "public-table"  # the hub's class table: the same for every key

RULES: dict[str, str] = {
    "Query.me": SELF,
    "Query.organisations": DIRECTORY,
    "Query.apiKeys": SELF,
    "Query.issuerProfile": SELF,
    "Query.documents": OWN_SHARED,
    "Query.document": OWN_SHARED,
    "Query.verifyRecord": OWN_SHARED,
    "Query.recordHistory": OWN_SHARED,
    "Query.exportRecord": OWN_SHARED,
    "Query.exportDocument": OWN_SHARED,
    "Query.exportAttestations": FILTERED,  # each kind's own read rule (tests/test_open_attestation.py)
    "Query.checkExportedRecord": FILE,
    "Query.container": TRACKING,
    "Query.trackingEvents": TRACKING,
    "Query.bill": BILL_PARTY,
    "Query.bills": BILL_PARTY,
    "Query.commerceOrder": COMMERCE,
    "Query.commerceOrders": COMMERCE,
    "Query.inventoryList": COMMERCE,
    "Query.inventoryLists": COMMERCE,
    "Query.receivable": RECEIVABLE,
    "Query.receivables": RECEIVABLE,
    "Query.verifyReceivable": RECEIVABLE,
    "Query.financeExposure": REGULATOR,
    "Query.financeWebhooks": SELF,
    "FinanceExposure.evidence": PART,
    "FinanceExposure.bySeller": PART,
    "FinanceExposure.byBank": PART,
    "FinanceExposure.overdrawn": PART,
    "PartyExposure.organisation": DIRECTORY,
    "Receivable.conditions": PART,
    "ReceivableVerification.titles": PART,  # the cited bills' titles, which the creditor could read
    "TitleHolder.holder": DIRECTORY,
    "Query.declaration": DECLARATION,
    "Query.declarations": DECLARATION,
    "Query.vesselCalls": SCHEDULE,
    "Query.portCall": SCHEDULE,
    "Query.containersOnHold": PORT_VIEW,
    "Query.yard": PORT_VIEW,
    "Query.undeclaredContainers": PORT_VIEW,
    "Query.dwellStatistics": PORT_VIEW,
    "Me.organisation": SELF,
    "DocumentConnection.edges": PAGE,
    "DocumentConnection.nodes": PAGE,
    "DocumentConnection.pageInfo": PAGE,
    "DocumentEdge.node": PAGE,
    "Document.owner": DIRECTORY,
    "Document.sharedWith": FILTERED,  # the owner sees its shares; anyone else an empty list
    "Share.grantee": DIRECTORY,
    "Container.status": FILTERED,  # from the events and bills the caller may see
    "Container.bills": FILTERED,  # the bills the caller may see (BILL_PARTY)
    "Container.events": FILTERED,  # TRACKING
    "ContainerStatus.lastEvent": PART,
    "ContainerStatus.lastActualEvent": PART,
    "ContainerStatus.nextPlannedEvent": PART,
    "ContainerStatus.currentLeg": FILTERED,  # the leg of a bill the caller may see
    "TrackingEvent.seals": PART,
    "TrackingEvent.reportedBy": DIRECTORY,
    "Bill.shipper": PART,
    "Bill.consignee": PART,
    "Bill.notify": PART,
    "Bill.legs": PART,
    "Bill.containers": PART,
    "Bill.cargo": PART,
    "Bill.endorsementChain": PART,
    "Bill.platformTransfers": PART,
    "Bill.issuer": DIRECTORY,
    "Bill.holder": DIRECTORY,
    "Bill.titleOnChain": PART,
    "BillParty.organisation": DIRECTORY,
    "TitleEntry.by": DIRECTORY,
    "TitleEntry.to": DIRECTORY,
    "TrackingEventConnection.edges": PAGE,
    "TrackingEventConnection.nodes": PAGE,
    "TrackingEventConnection.pageInfo": PAGE,
    "TrackingEventEdge.node": PAGE,
    "BillConnection.edges": PAGE,
    "BillConnection.pageInfo": PAGE,
    "BillEdge.node": PAGE,
    "CommerceOrder.problems": PART,
    "CommerceOrder.tax": PART,
    "CommerceOrder.lines": PART,
    "CommerceOrder.payment": PART,
    "CommerceOrder.waybill": PART,
    "CommerceOrder.inventoryList": FILTERED,  # COMMERCE
    "TaxBreakdown.lines": PART,
    "InventoryList.receipts": PART,
    "CommerceOrderConnection.nodes": PAGE,
    "CommerceOrderConnection.pageInfo": PAGE,
    "InventoryListConnection.nodes": PAGE,
    "InventoryListConnection.pageInfo": PAGE,
    "Receivable.evidence": PART,  # references only: the records behind them keep their own rule
    "Receivable.history": PART,
    "Receivable.lender": DIRECTORY,
    "ReceivableStep.by": DIRECTORY,
    "ReceivableConnection.nodes": PAGE,
    "ReceivableConnection.pageInfo": PAGE,
    "ReceivableVerification.receivable": PART,
    "ReceivableVerification.records": PART,  # proofs of the evidence, for whoever may verify the receivable
    "ReceivableVerification.trade": PART,
    "ReceivableVerification.amounts": PART,
    "ReceivableVerification.onChain": PART,
    # what this receivable draws on each evidence item; others' draws appear only as a total, never by name
    "ReceivableVerification.draws": PART,
    "EvidenceCheck.verification": PART,
    "Declaration.items": PART,
    "Declaration.sources": PART,
    "DeclarationConnection.nodes": PAGE,
    "DeclarationConnection.pageInfo": PAGE,
    "PortCallConnection.nodes": PAGE,
    "PortCallConnection.pageInfo": PAGE,
    "PortCall.moves": FILTERED,  # TRACKING (test_port.py::test_a_calls_moves_show_only_the_containers...)
    "CallMoves.discharge": PART,
    "CallMoves.load": PART,
    "HoldConnection.nodes": PAGE,
    "HoldConnection.pageInfo": PAGE,
    "YardConnection.nodes": PAGE,
    "YardConnection.pageInfo": PAGE,
    "DwellStatistics.byFacility": PART,
    "DwellStatistics.distribution": PART,
    "Container.holds": FILTERED,  # why and under which declaration: the declaration's rule (tests/test_port.py)
    "Subscription.documentChanged": SUBSCRIPTION,
    "Subscription.containerEvents": SUBSCRIPTION,
    "Subscription.billEvents": SUBSCRIPTION,
    "Subscription.customsReceipts": SUBSCRIPTION,
    "Subscription.receivableChanged": SUBSCRIPTION,
    "Subscription.containerHolds": SUBSCRIPTION,
    "Subscription.portCallChanged": SUBSCRIPTION,
    "DocumentChange.document": PART,
    "Query.dataClasses": PUBLIC_TABLE,
    "Query.transferRules": RULEBOOK,
    "Query.dataTransfers": TRANSFERS,
    "Query.accessLog": OWNER_AUDIT,
}


@functools.cache
def _schema() -> GraphQLSchema:
    """The hub's schema, built once for the whole module (the probes ask it about every root field)."""
    return build_schema()._schema


def _record_fields() -> dict[str, GraphQLObjectType | GraphQLInterfaceType]:
    """``Type.field`` -> what it returns, for every field outside mutations' payloads that returns an object,
    and for every root field whatever it returns (a root that answers a string can carry a record too)."""
    schema = _schema()
    found: dict[str, GraphQLObjectType | GraphQLInterfaceType] = {}
    for name, kind in schema.type_map.items():
        if name.startswith("__") or name == "Mutation" or name.endswith("Payload"):
            continue  # a mutation answers with what the caller just changed: checked by the mutation
        if not isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
            continue
        for field, definition in kind.fields.items():
            target = get_named_type(definition.type)
            if isinstance(target, GraphQLObjectType | GraphQLInterfaceType) or name == "Query":
                found[f"{name}.{field}"] = target  # type: ignore[assignment]
    return found


def test_every_record_field_has_a_rule() -> None:
    fields = set(_record_fields())
    assert fields - set(RULES) == set(), "give these fields a visibility rule (and a probe if at the root)"
    assert set(RULES) - fields == set(), "these fields are gone from the schema"


# How the probe finds a record for each root field: the list it comes from (read by a regulator), the node
# field that names it, and the root field's argument that takes that name.
LISTS = {
    "documents": "id",
    "trackingEvents": "equipmentReference",
    "bills": "number",
    "commerceOrders": "id",
    "inventoryLists": "id",
    "receivables": "id",
}
BY_NAME: dict[str, tuple[str, str, dict[str, str]]] = {
    "document": ("documents", "id", {}),
    "verifyRecord": ("documents", "id", {"kind": "document"}),
    "recordHistory": ("documents", "id", {"kind": "document"}),
    "exportRecord": ("documents", "id", {"kind": "document"}),
    "container": ("trackingEvents", "number", {}),
    "bill": ("bills", "number", {}),
    "commerceOrder": ("commerceOrders", "id", {}),
    "inventoryList": ("inventoryLists", "id", {}),
    "receivable": ("receivables", "id", {}),
    "verifyReceivable": ("receivables", "id", {}),
}
# An OpenAttestation export is probed in tests/test_open_attestation.py; declarations in tests/test_port.py;
# the port view refuses outsiders outright; schedules are public and their moves filtered (tests/test_port.py).
ELSEWHERE = {
    "exportDocument",  # needs a document store: tests/test_open_attestation.py refuses an outsider
    "exportAttestations",  # likewise, for every kind it exports
    "financeExposure",
    "declaration",
    "declarations",
    "containersOnHold",
    "yard",
    "undeclaredContainers",
    "dwellStatistics",
    "dataTransfers",  # tests/test_governance.py: the sender's own, everyone's for regulators
    "transferRules",  # likewise
    "accessLog",  # likewise: the owner and regulators only
}
PUBLIC = {
    "me",
    "organisations",
    "apiKeys",
    "issuerProfile",
    "financeWebhooks",
    "vesselCalls",
    "portCall",
    "checkExportedRecord",
    "dataClasses",
}


def test_every_root_field_is_probed() -> None:
    roots = {key.split(".", 1)[1] for key in RULES if key.startswith("Query.")}
    assert roots == set(LISTS) | set(BY_NAME) | ELSEWHERE | PUBLIC


def _names(client: TestClient, party: Party, root: str, node_field: str) -> list[str]:
    page = get_named_type(_schema().query_type.fields[root].type)
    if "nodes" in page.fields:  # type: ignore[union-attr]
        body = data(gql(client, party.token, f"{{ {root}(first: 200) {{ nodes {{ {node_field} }} }} }}"))
        return [node[node_field] for node in body[root]["nodes"]]
    body = data(
        gql(client, party.token, f"{{ {root}(first: 200) {{ edges {{ node {{ {node_field} }} }} }} }}")
    )
    return [edge["node"][node_field] for edge in body[root]["edges"]]


def _single(root: str, argument: str, extra: dict[str, str]) -> str:
    schema = _schema()
    definition = schema.query_type.fields[root]
    types = {name: arg.type for name, arg in definition.args.items()}
    declared = ", ".join(f"${name}: {types[name]}" for name in (argument, *extra))
    passed = ", ".join(f"{name}: ${name}" for name in (argument, *extra))
    target = get_named_type(definition.type)
    if not isinstance(target, GraphQLObjectType):  # a scalar answer (exportRecord's file) has no selection
        return f"query({declared}) {{ {root}({passed}) }}"
    leaf = next(
        name
        for name, field in target.fields.items()  # type: ignore[union-attr]
        if not isinstance(get_named_type(field.type), GraphQLObjectType | GraphQLInterfaceType)
        and not field.args
    )
    return f"query({declared}) {{ {root}({passed}) {{ {leaf} }} }}"


@pytest.fixture
def demo(client: TestClient, state: HubState) -> None:
    """The demo scenario, as `hub demo` loads it: documents, the journey, cross-border orders, a pledge."""
    with session_scope(state.engine) as session:
        orgs = loader.load(session)
        loader.commerce(session, orgs, ceb_signer(state.settings))
    with session_scope(state.engine) as session:
        loader.finance(session, orgs, state.ledger, state.settings.finance_blinding_key.get_secret_value())


@pytest.mark.parametrize("org_type", [OrgType.SELLER, OrgType.BANK, OrgType.FORWARDER, OrgType.PLATFORM])
def test_an_outsider_finds_none_of_the_demos_records(
    org_type: OrgType, client: TestClient, world: World, demo: None
) -> None:
    regulator = world.party(OrgType.REGULATOR, "Audit office")
    outsider = world.party(org_type, f"Outsider {org_type.value}")
    for root, node_field in LISTS.items():
        assert _names(client, regulator, root, node_field), (
            f"the demo has no {root}: the probe proves nothing"
        )
        assert _names(client, outsider, root, node_field) == [], f"{root} shows an outsider others' records"
    for root, (source, argument, extra) in BY_NAME.items():
        name = next(n for n in _names(client, regulator, source, LISTS[source]) if n)
        variables: dict[str, Any] = {argument: name, **extra}
        query = _single(root, argument, extra)
        seen = gql(client, regulator.token, query, variables)
        assert not seen.get("errors"), (root, seen)
        hidden = gql(client, outsider.token, query, variables)
        if root == "verifyRecord":  # answers a status rather than an error
            assert hidden.get("errors") or hidden["data"][root] != seen["data"][root], root
            continue
        assert hidden["errors"][0]["extensions"]["code"] in ("NOT_FOUND", "FORBIDDEN"), (root, hidden)


def test_the_probe_argument_types_are_what_the_schema_asks() -> None:
    """A renamed argument fails here rather than as a puzzling error in the probe."""
    schema = _schema()
    for root, (_source, argument, extra) in BY_NAME.items():
        args = schema.query_type.fields[root].args
        assert argument in args and set(extra) <= set(args), root
