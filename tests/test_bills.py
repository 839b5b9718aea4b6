"""Bills: what a forwarder may enter, the lifecycle, and who may move the title."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
from starlette.testclient import TestClient

from hub.bills.states import ALLOWED, BillState
from seeds import journey
from tests.conftest import Party, World, data, gql, journey_cast

CREATE = """mutation($i: BillInput!) { createBill(input: $i) { bill { id version state } errors { code field message } } }"""
AMEND = """mutation($id: ID!, $i: BillInput!) { amendBill(id: $id, input: $i) { bill { version legs { sequence } } errors { code field message } } }"""
OP = """mutation($id: ID!) { %s(id: $id) { bill { state version holder { name } } errors { code field message } } }"""


@pytest.fixture
def cast(world: World) -> dict[str, Party]:
    return journey_cast(world)


def _input(cast: dict[str, Party]) -> dict[str, Any]:
    return journey.bill_input({name: str(p.id) for name, p in cast.items()})


@pytest.mark.parametrize(
    "change, field, says",
    [
        (
            lambda b: b["containers"][0].update(number="MSCU6639871"),
            "containers[0].number",
            "check digit is 0",
        ),
        (
            lambda b: b["containers"][0].update(number="MSCU66398"),
            "containers[0].number",
            "4 letters and 7 digits",
        ),
        (lambda b: b["legs"][1].update(fromLocode="CNTXG"), "legs[1].from", "journey is broken"),
        (lambda b: b["legs"][0].update(mode="TELEPORT"), "legs[0].mode", "not one of"),
        (lambda b: b["legs"][0].update(toLocode="XXDLC"), "legs[0].to", "not a UN/LOCODE"),
        (lambda b: b["cargo"][0].update(hsCode="85A852"), "cargo[0].hsCode", "HS code"),
        (
            lambda b: b["cargo"][0].update(containerNumber="BMOU5123340"),
            "cargo[0].containerNumber",
            "not among",
        ),
        (lambda b: b["cargo"][0].update(currency="ZZZ"), "cargo[0].currency", "ISO 4217"),
        (lambda b: b["shipper"].pop("orgId"), "shipper.orgId", "first holder"),
        (lambda b: b.update(legs=[]), "legs", "at least one leg"),
        (
            lambda b: b["legs"][0].update(plannedArrival="2026-11-01T00:00:00Z"),
            "legs[0].plannedArrival",
            "not after",
        ),
    ],
)
def test_what_a_forwarder_enters_is_checked_field_by_field(
    client: TestClient, cast: dict[str, Party], change: Any, field: str, says: str
) -> None:
    bill = copy.deepcopy(_input(cast))
    change(bill)
    result = data(gql(client, cast["Bohai Multimodal Forwarding"].token, CREATE, {"i": bill}))["createBill"]
    assert result["bill"] is None
    assert result["errors"][0]["field"] == field and says in result["errors"][0]["message"], result["errors"]


def test_only_forwarders_and_carriers_issue_bills_and_numbers_are_unique(
    client: TestClient, cast: dict[str, Party]
) -> None:
    seller = cast["Hanul Electronics Export"]
    assert (
        data(gql(client, seller.token, CREATE, {"i": _input(cast)}))["createBill"]["errors"][0]["code"]
        == "FORBIDDEN"
    )
    forwarder = cast["Bohai Multimodal Forwarding"]
    assert data(gql(client, forwarder.token, CREATE, {"i": _input(cast)}))["createBill"]["errors"] == []
    again = data(gql(client, forwarder.token, CREATE, {"i": _input(cast)}))["createBill"]["errors"]
    assert again[0]["code"] == "CONFLICT" and again[0]["field"] == "number"


def test_the_lifecycle_refuses_what_it_does_not_allow(client: TestClient, cast: dict[str, Party]) -> None:
    forwarder = cast["Bohai Multimodal Forwarding"]
    bill = data(gql(client, forwarder.token, CREATE, {"i": _input(cast)}))["createBill"]["bill"]
    early = data(gql(client, forwarder.token, OP % "confirmDelivery", {"id": bill["id"]}))["confirmDelivery"]
    assert (
        early["errors"][0]["code"] == "CONFLICT"
        and "DRAFT bill cannot become DELIVERED" in early["errors"][0]["message"]
    )
    issued = data(gql(client, forwarder.token, OP % "issueBill", {"id": bill["id"]}))["issueBill"]["bill"]
    assert issued["state"] == "ISSUED" and issued["holder"]["name"] == "Hanul Electronics Export"
    amended = data(gql(client, forwarder.token, AMEND, {"id": bill["id"], "i": _input(cast)}))["amendBill"]
    assert amended["errors"] == [] and amended["bill"]["version"] == issued["version"] + 1
    carrier = cast["Korea Strait Shipping"]
    foreign = data(gql(client, carrier.token, OP % "voidBill", {"id": bill["id"]}))["voidBill"]
    assert foreign["errors"][0]["code"] == "NOT_FOUND"  # a carrier on the bill reads it but does not own it
    assert (
        data(gql(client, carrier.token, "{ bills { edges { node { number } } } }"))["bills"]["edges"][0][
            "node"
        ]["number"]
        == journey.BILL_NUMBER
    )


def test_the_state_machine_has_final_states() -> None:
    assert ALLOWED[BillState.SURRENDERED] == frozenset() and ALLOWED[BillState.VOID] == frozenset()
    assert all(BillState.DRAFT not in targets for targets in ALLOWED.values())


def test_only_the_holder_moves_the_title_and_blank_endorsement_passes_by_delivery(
    client: TestClient, cast: dict[str, Party]
) -> None:
    forwarder, seller = cast["Bohai Multimodal Forwarding"], cast["Hanul Electronics Export"]
    bank, buyer = cast["Bank of Dalian Trade Finance"], cast["Liaoning Cross-Border Mall"]
    bill = data(gql(client, forwarder.token, CREATE, {"i": _input(cast)}))["createBill"]["bill"]
    data(gql(client, forwarder.token, OP % "issueBill", {"id": bill["id"]}))
    transfer = """mutation($id: ID!, $to: ID!) { transferTitle(id: $id, toOrgId: $to) { bill { holder { name } } errors { code message } } }"""
    refused = data(gql(client, seller.token, transfer, {"id": bill["id"], "to": str(bank.id)}))[
        "transferTitle"
    ]
    assert refused["errors"][0]["code"] == "CONFLICT" and "blank-endorsed" in refused["errors"][0]["message"]
    assert (
        data(gql(client, seller.token, OP % "blankEndorseTitle", {"id": bill["id"]}))["blankEndorseTitle"][
            "errors"
        ]
        == []
    )
    moved = data(gql(client, seller.token, transfer, {"id": bill["id"], "to": str(bank.id)}))["transferTitle"]
    assert moved["errors"] == [] and moved["bill"]["holder"]["name"] == "Bank of Dalian Trade Finance"
    # The seller no longer holds it; the bank, as holder, now reads the bill.
    again = data(gql(client, seller.token, transfer, {"id": bill["id"], "to": str(buyer.id)}))[
        "transferTitle"
    ]
    assert again["errors"][0]["code"] == "FORBIDDEN"
    assert (
        data(gql(client, bank.token, OP % "requestSurrender", {"id": bill["id"]}))["requestSurrender"][
            "errors"
        ]
        == []
    )
    reject = """mutation($id: ID!) { rejectSurrender(id: $id, note: "missing bank release") { bill { holder { name } surrenderPending } errors { code } } }"""
    assert (
        data(gql(client, bank.token, reject, {"id": bill["id"]}))["rejectSurrender"]["errors"][0]["code"]
        == "FORBIDDEN"
    )
    back = data(gql(client, forwarder.token, reject, {"id": bill["id"]}))["rejectSurrender"]["bill"]
    assert back == {"holder": {"name": "Bank of Dalian Trade Finance"}, "surrenderPending": False}


def test_a_straight_bill_has_no_title(client: TestClient, cast: dict[str, Party]) -> None:
    forwarder = cast["Bohai Multimodal Forwarding"]
    straight = {**_input(cast), "negotiable": False, "consignee": {"name": "Liaoning Cross-Border Mall"}}
    bill = data(gql(client, forwarder.token, CREATE, {"i": straight}))["createBill"]["bill"]
    issued = data(gql(client, forwarder.token, OP % "issueBill", {"id": bill["id"]}))["issueBill"]["bill"]
    assert issued["holder"] is None
    seller = cast["Hanul Electronics Export"]
    nope = data(gql(client, seller.token, OP % "blankEndorseTitle", {"id": bill["id"]}))["blankEndorseTitle"]
    assert nope["errors"][0]["code"] == "CONFLICT"


TITLE = """query($n: String!) { bill(number: $n) { holder { name } titleOnChain { version status holderRef inStep } } }"""


def _until_in_step(client: TestClient, token: str) -> dict[str, Any]:
    import time

    deadline = time.monotonic() + 20
    while True:
        bill = data(gql(client, token, TITLE, {"n": journey.BILL_NUMBER}))["bill"]
        if (bill["titleOnChain"] or {}).get("inStep") or time.monotonic() > deadline:
            return bill  # type: ignore[no-any-return]
        time.sleep(0.05)


def test_the_current_holder_is_verifiable_on_chain(client: TestClient, cast: dict[str, Party]) -> None:
    from hub.canonical import org_ref

    forwarder, seller, buyer = (
        cast["Bohai Multimodal Forwarding"],
        cast["Hanul Electronics Export"],
        cast["Liaoning Cross-Border Mall"],
    )
    bill = data(gql(client, forwarder.token, CREATE, {"i": _input(cast)}))["createBill"]["bill"]
    data(gql(client, forwarder.token, OP % "issueBill", {"id": bill["id"]}))
    first = _until_in_step(client, seller.token)["titleOnChain"]
    assert first == {
        "version": 1,
        "status": "ACTIVE",
        "holderRef": "0x" + org_ref(seller.id).hex(),
        "inStep": True,
    }
    endorse = """mutation($id: ID!, $to: ID!) { endorseTitle(id: $id, toOrgId: $to) { errors { code } } }"""
    data(gql(client, seller.token, endorse, {"id": bill["id"], "to": str(buyer.id)}))
    data(gql(client, buyer.token, OP % "requestSurrender", {"id": bill["id"]}))
    data(gql(client, forwarder.token, OP % "acceptSurrender", {"id": bill["id"]}))
    last = _until_in_step(client, forwarder.token)["titleOnChain"]
    assert last == {"version": 4, "status": "SURRENDERED", "holderRef": "0x" + "00" * 32, "inStep": True}


def test_the_title_registry_takes_each_step_once_and_in_order(embedded_chain: Any, database_url: str) -> None:
    import uuid

    from hub.canonical import org_ref, title_ref
    from hub.db import make_engine
    from ledger.anchorer import ensure_registry
    from ledger.chain import ChainRejected
    from ledger.titles import read_title

    engine = make_engine(database_url)
    ensure_registry(engine, embedded_chain, address=None, allow_deploy=True, name="TitleRegistry")
    bill, issuer, holder = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    _, raw = embedded_chain.sign_call(
        "TitleRegistry", "record", title_ref(bill), org_ref(issuer), org_ref(holder), 1, 1, False
    )
    embedded_chain.send_raw(raw)
    for version, why in ((1, "StaleVersion"), (3, "StaleVersion")):  # a replay, and a skipped step
        with pytest.raises(ChainRejected) as refused:
            embedded_chain.sign_call(
                "TitleRegistry",
                "record",
                title_ref(bill),
                org_ref(issuer),
                org_ref(holder),
                version,
                1,
                False,
            )
        assert refused.value.reason == why
    _, raw = embedded_chain.sign_call(
        "TitleRegistry", "record", title_ref(bill), org_ref(issuer), org_ref(None), 2, 3, False
    )
    embedded_chain.send_raw(raw)
    with pytest.raises(ChainRejected) as closed:
        embedded_chain.sign_call(
            "TitleRegistry", "record", title_ref(bill), org_ref(issuer), org_ref(holder), 3, 1, False
        )
    assert closed.value.reason == "TitleClosed"
    found = read_title(embedded_chain, bill)
    assert found is not None and (found.version, found.status, found.holder) == (2, 3, b"\x00" * 32)
    engine.dispose()


def test_a_malformed_organisation_id_is_a_typed_error(client: TestClient, cast: dict[str, Party]) -> None:
    forwarder, seller = cast["Bohai Multimodal Forwarding"], cast["Hanul Electronics Export"]
    bill = data(gql(client, forwarder.token, CREATE, {"i": _input(cast)}))["createBill"]["bill"]
    data(gql(client, forwarder.token, OP % "issueBill", {"id": bill["id"]}))
    endorse = """mutation($id: ID!, $to: ID!) { endorseTitle(id: $id, toOrgId: $to) { bill { version } errors { code field } } }"""
    result = data(gql(client, seller.token, endorse, {"id": bill["id"], "to": "not-an-id"}))["endorseTitle"]
    assert result == {"bill": None, "errors": [{"code": "INVALID", "field": "toOrgId"}]}


STEP = """query($n: String!) { bill(number: $n) { state blankEndorsed surrenderPending holder { id }
  endorsementChain { sequence action } titleOnChain { version status holderRef blankEndorsed inStep } } }"""


def test_the_endorsement_chain_and_the_title_on_chain_agree_after_every_step(
    client: TestClient, cast: dict[str, Party]
) -> None:
    """Issue, endorse, endorse in blank, transfer, a surrender rejected, a surrender accepted: after each
    step the chain's title has the hub's holder, step number, blank endorsement and status."""
    import time

    from hub.canonical import org_ref

    forwarder, seller, buyer, bank = (
        cast["Bohai Multimodal Forwarding"],
        cast["Hanul Electronics Export"],
        cast["Liaoning Cross-Border Mall"],
        cast["Bank of Dalian Trade Finance"],
    )
    bill = data(gql(client, forwarder.token, CREATE, {"i": _input(cast)}))["createBill"]["bill"]
    to = """mutation($id: ID!, $to: ID!) { %s(id: $id, toOrgId: $to) { errors { code message } } }"""
    note = (
        """mutation($id: ID!) { rejectSurrender(id: $id, note: "the wrong consignee") { errors { code } } }"""
    )
    steps: list[tuple[Party, str, dict[str, Any]]] = [
        (forwarder, OP % "issueBill", {}),
        (seller, to % "endorseTitle", {"to": str(buyer.id)}),
        (buyer, OP % "blankEndorseTitle", {}),
        (buyer, to % "transferTitle", {"to": str(bank.id)}),
        (bank, OP % "requestSurrender", {}),
        (forwarder, note, {}),
        (bank, OP % "requestSurrender", {}),
        (forwarder, OP % "acceptSurrender", {}),
    ]
    statuses = []
    for number, (party, mutation, extra) in enumerate(steps, start=1):
        done = data(gql(client, party.token, mutation, {"id": bill["id"], **extra}))
        assert not next(iter(done.values()))["errors"], (mutation, done)
        deadline = time.monotonic() + 20
        while True:
            hub = data(gql(client, forwarder.token, STEP, {"n": journey.BILL_NUMBER}))["bill"]
            chain = hub["titleOnChain"] or {}
            if chain.get("inStep") and chain.get("version") == number:
                break
            assert time.monotonic() < deadline, (number, hub)
            time.sleep(0.05)
        holder = hub["holder"]
        assert chain["holderRef"] == (
            "0x" + org_ref(uuid.UUID(holder["id"])).hex() if holder else "0x" + "00" * 32
        )
        assert chain["version"] == len(hub["endorsementChain"]) == number
        assert chain["blankEndorsed"] == hub["blankEndorsed"]
        statuses.append(chain["status"])
        expected = (
            "SURRENDERED"
            if hub["state"] == "SURRENDERED"
            else ("SURRENDER_PENDING" if hub["surrenderPending"] else "ACTIVE")
        )
        assert chain["status"] == expected, (number, hub)
    assert statuses == ["ACTIVE"] * 4 + ["SURRENDER_PENDING", "ACTIVE", "SURRENDER_PENDING", "SURRENDERED"]
