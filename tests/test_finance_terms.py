"""Finance that follows the goods (issue 22): money released by logistics events, the bill's title as
collateral, evidence whose value falls, and the regulator's view of every organisation's exposure.

The events are the journey's own messages (seeds/journey.py): the carrier's DCSA load at Busan, a CUSRES
release from Dalian customs, the terminal's CODECO gate-out at Dalian."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from hub.app import create_app
from hub.auth.models import KeyRole, Organisation, OrgType
from hub.bus import InProcessBus
from hub.commerce.models import CommerceOrder, InventoryList
from hub.db import session_scope
from hub.finance.models import Receivable
from hub.state import HubState, ceb_signer
from seeds import journey, loader
from tests.conftest import Party, World, create_doc, data, gql, running
from tests.test_event_push import SECRET, Receiver, _wait
from tests.test_finance import (
    FORWARDER,
    SELLER,
    SHARE,
    STEP,
    _shared,
    anchored_versions,
    cast,
    declare_and_submit,
    register,
)

CUSTOMS = "0900"
TERMS = """mutation($id: ID!, $c: [Condition!], $days: Int, $title: ID) {
  pledgeReceivable(id: $id, conditions: $c, repayDaysAfterDelivery: $days, titleBillId: $title) {
  receivable { status disbursedAt repaymentDue deliveredAt titleCollateral
    conditions { kind met metAt evidence detail } history { action condition evidence detail } }
  errors { code field message } } }"""
READ = """query($id: ID!) { receivable(id: $id) { status disbursedAt repaymentDue deliveredAt version
  conditions { kind met metAt evidence detail } history { action condition evidence detail } } }"""
TITLES = """query($id: ID!) { verifyReceivable(id: $id) { financeable evidenceCovers
  titles { billNumber state heldByLender collateral holder { name } }
  draws { ref label value draw drawnByOthers overdrawn } } }"""
ENDORSE = """mutation($id: ID!, $to: ID!) { endorseTitle(id: $id, toOrgId: $to) {
  bill { holder { name } } errors { code field message } } }"""
EXPOSURE = """{ financeExposure { evidence { ref label currency value drawn drawnOnChain receivables overdrawn }
  bySeller { organisation { name } currency amount receivables }
  byBank { organisation { name } currency amount receivables }
  overdrawn { ref label value drawn } } }"""


def _release(reference: str) -> bytes:
    """Dalian customs' CUSRES: declaration ``reference`` released (GIS 4)."""
    return (
        "UNB+UNOC:3+CNCUSTOMS0900+HUB+261113:0600+CUS2'UNH+1+CUSRES:D:96B:UN'BGM+962+R0900-26-2+9'"
        f"DTM+137:202611130600:203'GIS+4'RFF+ABT:090020261112000001'RFF+ACW:{reference}'UNT+7+1'UNZ+1+CUS2'"
    ).encode()


def _port_to_port(parties: dict[str, Party]) -> dict[str, Any]:
    """The journey's bill as a port-to-port sea bill: Busan to Dalian, delivered at Dalian."""
    bill = journey.bill_input({name: str(p.id) for name, p in parties.items()})
    bill["placeOfDelivery"] = "CNDLC"
    bill["legs"] = bill["legs"][:1]  # type: ignore[index]
    return bill


@pytest.fixture
def client(state: HubState) -> Iterator[TestClient]:
    """The hub, allowed to call back into the loopback network, where the webhook receiver listens."""
    state.settings = state.settings.model_copy(
        update={"callback_allow_private_networks": True, "push_backoff_seconds": 0.05}
    )
    with running(state) as test_client:
        yield test_client


@pytest.fixture
def trade(client: TestClient, world: World) -> dict[str, Any]:
    """An issued bill, not yet loaded; the seller's receivable on it, shared with both banks."""
    parties = cast(world)
    parties["customs"] = world.party(OrgType.CUSTOMS, "Dalian Customs", customs_code=CUSTOMS)
    forwarder, seller = parties[FORWARDER], parties[SELLER]
    made = data(
        gql(
            client,
            forwarder.token,
            "mutation($i: BillInput!) { createBill(input: $i) { bill { id } errors { message } } }",
            {"i": _port_to_port(parties)},
        )
    )["createBill"]
    bill = made["bill"]["id"]
    issued = gql(
        client,
        forwarder.token,
        "mutation($id: ID!) { issueBill(id: $id) { errors { message } } }",
        {"id": bill},
    )
    assert data(issued)["issueBill"]["errors"] == []
    invoice = create_doc(client, seller, "HNE-INV-2026-0413", amount="186000.00", currency="USD")
    registered = register(client, seller, [{"kind": "bill", "id": bill}, {"kind": "document", "id": invoice}])
    assert registered["errors"] == []
    rid = registered["receivable"]["id"]
    _shared(client, seller, rid, parties["Bank of Dalian Trade Finance"], parties["Second Bank"])
    return {"parties": parties, "bill": bill, "receivable": rid}


def _send(client: TestClient, party: Party, kind: str, body: bytes) -> None:
    sent = client.post(f"/ingest/{kind}", content=body, headers=party.headers)
    assert sent.status_code == 200, sent.text


def _read(client: TestClient, party: Party, rid: str) -> dict[str, Any]:
    found: dict[str, Any] = data(gql(client, party.token, READ, {"id": rid}))["receivable"]
    return found


def test_the_money_waits_for_the_load_the_customs_release_and_the_gate_out(
    client: TestClient, trade: dict[str, Any]
) -> None:
    parties, rid = trade["parties"], trade["receivable"]
    seller, bank = parties[SELLER], parties["Bank of Dalian Trade Finance"]
    terms = {"id": rid, "c": ["LOADED", "CUSTOMS_RELEASED", "GATED_OUT"], "days": 30}
    pledged = data(gql(client, bank.token, TERMS, terms))["pledgeReceivable"]
    assert pledged["errors"] == [], pledged["errors"]
    receivable = pledged["receivable"]
    assert receivable["status"] == "PLEDGED" and receivable["disbursedAt"] is None
    assert [(c["kind"], c["met"]) for c in receivable["conditions"]] == [
        ("LOADED", False),
        ("CUSTOMS_RELEASED", False),
        ("GATED_OUT", False),
    ]
    assert receivable["history"][-1]["detail"] == "disbursement waits for LOADED, CUSTOMS_RELEASED, GATED_OUT"

    # The carrier's load at Busan (DCSA): the first condition is met, named by the event.
    _send(client, parties["Korea Strait Shipping"], "dcsa", journey.sea_loading().body)
    loaded = _read(client, seller, rid)
    first = loaded["conditions"][0]
    assert first["met"] and first["evidence"].startswith("tracking_event:"), first
    assert "LOAD of" in first["detail"] and "at KRPUS" in first["detail"]
    assert loaded["disbursedAt"] is None and not loaded["conditions"][1]["met"]
    # The discharge and a gate-out at a place that is not the bill's place of delivery meet nothing more.
    _send(client, parties["Dalian Container Terminal"], "edifact", journey.dalian_discharge().body)
    assert _read(client, seller, rid)["version"] == loaded["version"]

    # Customs releases the declaration (CUSRES): the second.
    declare_and_submit(client, parties[FORWARDER], "IMP-22")
    _send(client, parties["customs"], "customs", _release("IMP-22"))
    released = _read(client, bank, rid)
    assert released["conditions"][1]["met"], released["conditions"]
    assert released["conditions"][1]["evidence"].startswith("customs_declaration:")
    assert released["disbursedAt"] is None

    # The terminal's CODECO gate-out at Dalian, the place of delivery: disbursed, and repayment is due 30
    # days after that gate-out.
    _send(client, parties["Dalian Container Terminal"], "edifact", journey.dalian_gate_out_rail().body)
    done = _read(client, bank, rid)
    assert all(c["met"] for c in done["conditions"]) and done["disbursedAt"] is not None
    delivered = datetime.fromisoformat(done["deliveredAt"])
    assert delivered.date() == (journey.T0 + timedelta(days=3)).date()
    assert date.fromisoformat(done["repaymentDue"]) == delivered.date() + timedelta(days=30)
    actions = [(h["action"], h["condition"]) for h in done["history"]]
    assert actions == [
        ("REGISTERED", None),
        ("PLEDGED", None),
        ("CONDITION_MET", "LOADED"),
        ("CONDITION_MET", "CUSTOMS_RELEASED"),
        ("CONDITION_MET", "GATED_OUT"),
        ("DISBURSED", None),
        ("REPAYMENT_DUE", None),
    ]
    # Each step is a version of the receivable, anchored like every other.
    assert anchored_versions(client, seller, rid) == list(range(1, done["version"] + 1))
    # Events that arrive later change nothing.
    _send(client, parties["Korea Strait Shipping"], "dcsa", journey.rail_leg().body)
    assert _read(client, bank, rid)["version"] == done["version"]


def test_terms_are_checked_before_the_chain_is_asked(
    client: TestClient, trade: dict[str, Any], world: World
) -> None:
    parties = trade["parties"]
    seller, bank = parties[SELLER], parties["Bank of Dalian Trade Finance"]
    bad_days = data(gql(client, bank.token, TERMS, {"id": trade["receivable"], "days": 5000}))[
        "pledgeReceivable"
    ]
    assert bad_days["errors"][0]["field"] == "repayDays" and bad_days["receivable"] is None
    invoice = create_doc(client, seller, "HNE-INV-2026-0777", amount="50.00", currency="USD")
    lone = register(client, seller, [{"kind": "document", "id": invoice}], "HNE-INV-2026-0777", "50.00")[
        "receivable"
    ]["id"]
    data(gql(client, seller.token, SHARE, {"id": lone, "org": str(bank.id)}))
    refused = data(gql(client, bank.token, TERMS, {"id": lone, "c": ["LOADED"]}))["pledgeReceivable"]
    (error,) = refused["errors"]
    assert error["code"] == "INVALID" and error["field"] == "conditions" and "bill" in error["message"]
    # Refused before the registry: the receivable is still free, and pledges without terms disburse at once.
    plain = data(gql(client, bank.token, TERMS, {"id": lone}))["pledgeReceivable"]["receivable"]
    assert plain["status"] == "PLEDGED" and plain["disbursedAt"] is not None and plain["conditions"] == []


def test_the_title_is_collateral_while_pledged_and_comes_back_on_repayment(
    client: TestClient, trade: dict[str, Any]
) -> None:
    parties, rid, bill = trade["parties"], trade["receivable"], trade["bill"]
    seller, bank, second = parties[SELLER], parties["Bank of Dalian Trade Finance"], parties["Second Bank"]
    # The seller holds the title: the bank cannot take it as collateral until the seller endorses it over.
    early = data(gql(client, bank.token, TERMS, {"id": rid, "title": bill}))["pledgeReceivable"]
    (error,) = early["errors"]
    assert error["code"] == "CONFLICT" and error["field"] == "titleBillId"
    assert f"bill {journey.BILL_NUMBER} is held by {SELLER}" in error["message"], error
    endorsed = data(gql(client, seller.token, ENDORSE, {"id": bill, "to": str(bank.id)}))["endorseTitle"]
    assert endorsed["errors"] == [] and endorsed["bill"]["holder"]["name"] == "Bank of Dalian Trade Finance"

    pledged = data(gql(client, bank.token, TERMS, {"id": rid, "title": bill}))["pledgeReceivable"]
    assert pledged["errors"] == [] and pledged["receivable"]["titleCollateral"] == bill
    (title,) = data(gql(client, bank.token, TITLES, {"id": rid}))["verifyReceivable"]["titles"]
    assert title == {
        "billNumber": journey.BILL_NUMBER,
        "state": "ISSUED",
        "heldByLender": True,
        "collateral": True,
        "holder": {"name": "Bank of Dalian Trade Finance"},
    }
    # Locked while pledged: the bank cannot endorse it on, nor ask for its surrender.
    locked = data(gql(client, bank.token, ENDORSE, {"id": bill, "to": str(second.id)}))["endorseTitle"]
    assert locked["errors"][0]["code"] == "CONFLICT" and "collateral" in locked["errors"][0]["message"]
    surrender = gql(
        client,
        bank.token,
        "mutation($id: ID!) { requestSurrender(id: $id) { errors { code message } } }",
        {"id": bill},
    )
    assert data(surrender)["requestSurrender"]["errors"][0]["code"] == "CONFLICT"

    # A transfer of the receivable moves the collateral with it; repayment endorses it back to the seller.
    moved = gql(
        client,
        bank.token,
        "mutation($id: ID!, $to: ID!) { transferReceivable(id: $id, toOrgId: $to) { errors { message } } }",
        {"id": rid, "to": str(second.id)},
    )
    assert data(moved)["transferReceivable"]["errors"] == []
    (title,) = data(gql(client, second.token, TITLES, {"id": rid}))["verifyReceivable"]["titles"]
    assert title["holder"] == {"name": "Second Bank"} and title["collateral"] and title["heldByLender"]
    repaid = data(gql(client, second.token, STEP % "repayReceivable", {"id": rid}))["repayReceivable"]
    assert repaid["errors"] == []
    (title,) = data(gql(client, second.token, TITLES, {"id": rid}))["verifyReceivable"]["titles"]
    assert title["holder"] == {"name": SELLER} and not title["collateral"] and not title["heldByLender"]
    chain = data(
        gql(
            client,
            seller.token,
            "query($n: String!) { bill(number: $n) { endorsementChain { action by { name } to { name } note } } }",
            {"n": journey.BILL_NUMBER},
        )
    )["bill"]["endorsementChain"]
    assert [(s["action"], s["to"]["name"] if s["to"] else None) for s in chain] == [
        ("ISSUE", SELLER),
        ("ENDORSE", "Bank of Dalian Trade Finance"),
        ("ENDORSE", "Second Bank"),
        ("ENDORSE", SELLER),
    ]
    assert "repayment" in chain[-1]["note"]
    # Free again: the seller endorses it as it likes.
    free = data(gql(client, seller.token, ENDORSE, {"id": bill, "to": str(bank.id)}))["endorseTitle"]
    assert free["errors"] == []


def _demo_party(world: World, session: Any, name: str) -> Party:
    org = session.exec(select(Organisation).where(Organisation.name == name)).one()
    return Party(org=org, token=world.key(Party(org=org, token=""), KeyRole.ADMIN))


def _parcels(state: HubState) -> None:
    """The demo's organisations and cross-border parcels (five matched orders, three declared)."""
    with session_scope(state.engine) as session:
        orgs = loader.load(session)
        loader.commerce(session, orgs, ceb_signer(state.settings))


def test_an_order_its_platform_cancels_flags_the_receivable_financed_on_it(
    client: TestClient, state: HubState, world: World
) -> None:
    from adapters.ceb.xml import CebRecord
    from hub.auth.permissions import Principal
    from hub.commerce import service as shop
    from seeds import commerce as parcels

    _parcels(state)
    with state.session() as session:
        seller, bank = (
            _demo_party(world, session, name) for name in (SELLER, "Bank of Dalian Trade Finance")
        )
        order = session.exec(select(CommerceOrder).where(CommerceOrder.order_no == "HNL00000004")).one()
    paid = order.head["acturalPaid"]
    made = register(client, seller, [{"kind": "ceb_order", "id": str(order.id)}], "HNL-4", paid, "CNY")
    rid = made["receivable"]["id"]
    _shared(client, seller, rid, bank)
    assert data(gql(client, bank.token, TERMS, {"id": rid}))["pledgeReceivable"]["errors"] == []

    # The platform withdraws the order (CEB311 appType 3, delete).
    withdrawn = parcels.parcel(4, bill_no=None)
    with state.session() as session:
        principal = Principal(seller.id, seller.org.name, seller.org.type, KeyRole.ADMIN, seller.id)
        record = CebRecord("orders[0]", {**withdrawn.order, "appType": "3"}, withdrawn.lines)
        assert shop.ingest_orders(session, principal, [record], source="JSON").updated == 1
        session.commit()
    short = _read(client, bank, rid)["history"][-1]
    assert (
        short["action"] == "EVIDENCE_SHORT" and "order HNL00000004 (cancelled) is worth 0" in short["detail"]
    )
    ((draw, overdrawn),) = [
        (Decimal(d["value"]), d["overdrawn"])
        for d in data(gql(client, bank.token, TITLES, {"id": rid}))["verifyReceivable"]["draws"]
    ]
    assert draw == 0 and overdrawn


def test_a_rejected_inventory_list_flags_the_receivable_financed_on_its_order(
    client: TestClient, state: HubState, world: World
) -> None:
    """The demo's parcels: a receivable on two declared orders is financed; customs rejects one order's
    inventory list, so that order is worth nothing now: the receivable is flagged to creditor and lender,
    the draw shows overdrawn, and the regulator's exposure lists it."""
    _parcels(state)
    with state.session() as session:
        seller, bank, customs, regulator, outsider = (
            _demo_party(world, session, name)
            for name in (
                SELLER,
                "Bank of Dalian Trade Finance",
                "Dalian Customs District",
                "Trade Facilitation Regulator",
                "Bohai Multimodal Forwarding",
            )
        )
        lists = {
            o.order_no: (o, i)
            for o, i in session.exec(
                select(CommerceOrder, InventoryList).where(InventoryList.order_id == CommerceOrder.id)
            )
        }
    (first, _), (second, second_list) = lists["HNL00000002"], lists["HNL00000003"]
    paid = [Decimal(o.head["acturalPaid"]) for o in (first, second)]
    evidence = [
        {"kind": "ceb_order", "id": str(first.id)},
        {"kind": "ceb_inventory", "id": str(second_list.id)},  # counts as its order
    ]
    made = register(client, seller, evidence, "HNL-SETTLEMENT-2026-11", str(sum(paid)), "CNY")
    assert made["errors"] == [], made["errors"]
    rid = made["receivable"]["id"]
    data(gql(client, seller.token, SHARE, {"id": rid, "org": str(bank.id)}))
    pledged = data(gql(client, bank.token, TERMS, {"id": rid}))["pledgeReceivable"]
    assert pledged["errors"] == [], pledged["errors"]
    before = data(gql(client, bank.token, TITLES, {"id": rid}))["verifyReceivable"]
    assert [(d["ref"], Decimal(d["draw"]), d["overdrawn"]) for d in before["draws"]] == [
        (f"ceb_order:{first.id}", paid[0], False),
        (f"ceb_order:{second.id}", paid[1], False),
    ]
    exposure = data(gql(client, regulator.token, EXPOSURE))["financeExposure"]
    assert exposure["overdrawn"] == []
    assert {(e["ref"], Decimal(e["drawn"]), Decimal(e["drawnOnChain"])) for e in exposure["evidence"]} == {
        (f"ceb_order:{first.id}", paid[0], paid[0]),
        (f"ceb_order:{second.id}", paid[1], paid[1]),
    }
    assert [
        (p["organisation"]["name"], p["currency"], Decimal(p["amount"])) for p in exposure["bySeller"]
    ] == [(SELLER, "CNY", sum(paid))]
    assert [(p["organisation"]["name"], p["receivables"]) for p in exposure["byBank"]] == [
        ("Bank of Dalian Trade Finance", 1)
    ]

    rejected = gql(
        client,
        customs.token,
        """mutation($i: InventoryReceiptInput!) { recordInventoryReceipt(input: $i) { errors { message } } }""",
        {"i": {"copNo": second_list.cop_no, "returnStatus": "100", "returnInfo": "declared value refused"}},
    )
    assert data(rejected)["recordInventoryReceipt"]["errors"] == []
    flagged = _read(client, bank, rid)
    short = flagged["history"][-1]
    assert short["action"] == "EVIDENCE_SHORT", flagged["history"]
    assert (
        f"order {second.order_no} (inventory list {second_list.cop_no} REJECTED) is worth 0"
        in short["detail"]
    )
    assert _read(client, seller, rid)["history"][-1]["action"] == "EVIDENCE_SHORT"
    after = data(gql(client, bank.token, TITLES, {"id": rid}))["verifyReceivable"]
    assert not after["evidenceCovers"] and not after["financeable"]
    assert [d["overdrawn"] for d in after["draws"]] == [False, True]
    exposure = data(gql(client, regulator.token, EXPOSURE))["financeExposure"]
    ((ref, value),) = [(e["ref"], Decimal(e["value"])) for e in exposure["overdrawn"]]
    assert ref == f"ceb_order:{second.id}" and value == 0
    # A second receipt saying the same changes nothing more; nobody but a regulator sees the exposure.
    again = gql(
        client,
        customs.token,
        """mutation($i: InventoryReceiptInput!) { recordInventoryReceipt(input: $i) { errors { message } } }""",
        {
            "i": {
                "copNo": second_list.cop_no,
                "returnStatus": "100",
                "returnInfo": "declared value refused again",
            }
        },
    )
    assert data(again)["recordInventoryReceipt"]["errors"] == []
    assert [h["action"] for h in _read(client, bank, rid)["history"]].count("EVIDENCE_SHORT") == 1
    for party in (bank, seller, outsider):
        refused = gql(client, party.token, EXPOSURE)
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", refused


HOOK = """mutation($url: String!, $secret: String!) { createFinanceWebhook(callbackUrl: $url, secret: $secret) {
  webhook { id callbackUrl } errors { code field message } } }"""


def test_the_creditor_and_the_lender_are_called_back_at_each_step(
    client: TestClient, trade: dict[str, Any], world: World
) -> None:
    with Receiver() as receiver:
        _called_back(client, trade, world, receiver)


def _called_back(client: TestClient, trade: dict[str, Any], world: World, receiver: Receiver) -> None:
    parties, rid = trade["parties"], trade["receivable"]
    seller, bank, second = parties[SELLER], parties["Bank of Dalian Trade Finance"], parties["Second Bank"]
    paths = {}
    for party in (seller, bank, second):
        paths[party.org.name] = f"{receiver.url}?org={party.id}"
        made = data(gql(client, party.token, HOOK, {"url": paths[party.org.name], "secret": SECRET}))
        assert made["createFinanceWebhook"]["errors"] == [], made
    outsider = world.party(OrgType.FORWARDER)
    refused = data(gql(client, outsider.token, HOOK, {"url": receiver.url, "secret": SECRET}))
    assert refused["createFinanceWebhook"]["errors"][0]["field"] == "callbackUrl"
    weak = data(gql(client, bank.token, HOOK, {"url": receiver.url, "secret": "c2hvcnQ="}))
    assert weak["createFinanceWebhook"]["errors"][0]["field"] == "secret"
    listed = data(gql(client, bank.token, "{ financeWebhooks { callbackUrl } }"))["financeWebhooks"]
    assert listed == [{"callbackUrl": paths[bank.org.name]}]

    assert (
        data(gql(client, bank.token, TERMS, {"id": rid, "c": ["LOADED"]}))["pledgeReceivable"]["errors"] == []
    )
    _send(client, parties["Korea Strait Shipping"], "dcsa", journey.sea_loading().body)

    def steps(party: Party) -> list[str]:
        with receiver.lock:
            calls = [r for r in receiver.received if str(party.id) in r["path"]]
        return [step["action"] for r in calls for n in json.loads(r["body"]) for step in n["steps"]]

    expected = ["PLEDGED", "CONDITION_MET", "DISBURSED"]
    _wait(lambda: steps(seller) == expected and steps(bank) == expected)
    with receiver.lock:
        request = next(r for r in receiver.received if str(bank.id) in r["path"])
    signature = "sha256=" + hmac.new(base64.b64decode(SECRET), request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["notification-signature"] == signature
    assert request["headers"]["api-version"] == "hub-finance-1"
    notice = json.loads(request["body"])[0]
    assert (
        notice["receivableId"] == rid
        and notice["status"] == "PLEDGED"
        and "byOrgId" not in notice["steps"][0]
    )
    # The second bank was shared the receivable but takes no part in this financing: told nothing.
    assert steps(second) == []


def test_an_older_registry_is_named_and_the_receivables_move_to_this_version(
    client: TestClient, trade: dict[str, Any], state: HubState, embedded_chain: Any
) -> None:
    """A hub upgraded over an older ReceivableRegistry (here: the remembered address holds other code)
    refuses to use it, names the command, and the command replays the receivables, draws and all."""
    from hub.anchors import ChainContract
    from hub.finance.upgrade import upgrade
    from ledger.chain import ChainError
    from ledger.runtime import Ledger

    parties, rid = trade["parties"], trade["receivable"]
    bank, second = parties["Bank of Dalian Trade Finance"], parties["Second Bank"]
    assert data(gql(client, bank.token, TERMS, {"id": rid}))["pledgeReceivable"]["errors"] == []
    key = state.settings.finance_blinding_key.get_secret_value()
    with state.session() as session:
        row = session.exec(select(Receivable)).one()
        blinded = bytes.fromhex(row.blinded_id[2:])
        before = state.ledger.receivable_draws(blinded)  # type: ignore[union-attr]
        contracts = {c.name: c for c in session.exec(select(ChainContract))}
        old = contracts["TitleRegistry"].address
        contracts["ReceivableRegistry"].address = old
        session.add(contracts["ReceivableRegistry"])
        session.commit()
    fresh = Ledger(state.settings, state.engine, chain=embedded_chain)
    with pytest.raises(ChainError, match="older version; run 'hub chain upgrade-receivables'"):
        fresh.connect()
    # A hub starting on it keeps serving and says so where operators look: /ready.
    starting = HubState(settings=state.settings, engine=state.engine, bus=InProcessBus(), ledger=fresh)
    with TestClient(create_app(state.settings, starting)) as hub:
        _wait(lambda: "upgrade-receivables" in hub.get("/ready").json()["checks"]["chain"])
        assert hub.get("/ready").status_code == 503

    done = upgrade(state.engine, fresh.chain, key)
    assert (done.old, done.registered, done.pledged, done.already) == (old, 1, 1, 0)
    fresh.connect()
    assert fresh.receivable_of(blinded).status == "PLEDGED" and fresh.receivable_draws(blinded) == before
    again = upgrade(state.engine, fresh.chain, key)
    assert (again.old, again.registered, again.already) == (None, 0, 1)
    with state.session() as session:
        names = sorted(c.name for c in session.exec(select(ChainContract)) if "Receivable" in c.name)
    assert names == ["ReceivableRegistry", "ReceivableRegistry-retired-1"]
    # The replayed draws guard the cargo as before: a second receivable on the bill finds nothing left.
    other = register(
        client, parties[SELLER], [{"kind": "bill", "id": trade["bill"]}], "HNE-INV-2026-0500", "1000"
    )["receivable"]["id"]
    _shared(client, parties[SELLER], other, second)
    refused = data(gql(client, second.token, TERMS, {"id": other}))["pledgeReceivable"]
    assert refused["errors"][0]["code"] == "CONFLICT" and "0 remains" in refused["errors"][0]["message"]


def test_two_ingests_moving_the_same_bill_at_once_take_each_step_once(
    client: TestClient, trade: dict[str, Any], state: HubState
) -> None:
    """Two processes store LOAD events of the bill's two containers at the same moment: the financing's
    condition is met once, by one of them, and neither ingest fails."""
    import threading
    import time

    from adapters.dcsa import parse as parse_dcsa
    from hub.auth.permissions import Principal
    from hub.tracking import service as tracking

    parties, rid = trade["parties"], trade["receivable"]
    bank, carrier = parties["Bank of Dalian Trade Finance"], parties["Korea Strait Shipping"]
    assert (
        data(gql(client, bank.token, TERMS, {"id": rid, "c": ["LOADED"]}))["pledgeReceivable"]["errors"] == []
    )
    events = json.loads(journey.sea_loading().body)["events"]
    loads = [e for e in events if e["eventClassification"].get("equipmentEventTypeCode") == "LOAD"]
    assert len(loads) == 2
    principal = Principal(carrier.id, carrier.org.name, carrier.org.type, KeyRole.ADMIN, carrier.id)
    failures: list[BaseException] = []

    def ingest(event: dict[str, Any], hold: float) -> None:
        try:
            with state.session() as session:
                batch = parse_dcsa(json.dumps({"events": [event]}).encode(), scope=str(carrier.id))
                tracking.ingest(session, principal, batch)
                time.sleep(hold)  # the first keeps its transaction open while the second arrives
                session.commit()
        except BaseException as exc:
            failures.append(exc)

    first = threading.Thread(target=ingest, args=(loads[0], 0.6))
    second = threading.Thread(target=ingest, args=(loads[1], 0.0))
    first.start()
    time.sleep(0.2)
    second.start()
    first.join(20)
    second.join(20)
    assert failures == []
    steps = [h["action"] for h in _read(client, bank, rid)["history"]]
    assert steps.count("CONDITION_MET") == 1 and steps.count("DISBURSED") == 1, steps
