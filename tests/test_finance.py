"""Supply-chain finance: a receivable from the demo journey financed end to end, verified point by point,
registered once however its invoice number is typed, caught when evidence is tampered with, closed to a
bank whose consent was revoked, and pledged by exactly one of two racing banks on anvil."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from starlette.testclient import TestClient

from hub.auth.models import KeyRole, OrgType
from hub.auth.permissions import Principal
from hub.db import make_engine, session_scope
from hub.errors import Conflict
from hub.finance import service
from hub.finance.models import Receivable, ReceivableStatus
from hub.settings import Settings
from hub.state import HubState
from seeds import journey
from tests.conftest import JOURNEY_CAST, Party, World, create_doc, data, gql
from tests.servers import Anvil

SELLER_USCC = "91210200MA0Y8K3Q14"
KEY = "k" * 40  # the blinding key of the races on anvil
SELLER = "Hanul Electronics Export"
FORWARDER = "Bohai Multimodal Forwarding"
REGISTER = """mutation($i: ReceivableInput!) { registerReceivable(input: $i) {
  receivable { id status blindedId amount } errors { code field message } } }"""
VERIFY = """query($id: ID!) { verifyReceivable(id: $id) { financeable authentic tradeHappened amountsAgree pledgedElsewhere
  records { ref verification { status detail merkleRoot transactionHash proof } }
  trade { point ok detail evidence } amounts { source ok expected found }
  onChain { status lenderIsYou pledges contract blockNumber } } }"""
STEP = """mutation($id: ID!) { %s(id: $id) { receivable { status lender { name } history { action transactionHash } }
  errors { code message } } }"""
SHARE = """mutation($id: ID!, $org: ID!) { shareRecord(input: {kind: "receivable", recordId: $id, withOrgId: $org}) {
  share { id } errors { code message } } }"""


def anchored_versions(client: TestClient, party: Party, rid: str) -> list[int]:
    """The receivable's versions as its record history lists them."""
    versions = data(
        gql(
            client,
            party.token,
            'query($id: ID!) { recordHistory(kind: "receivable", id: $id) { version } }',
            {"id": rid},
        )
    )["recordHistory"]
    return [v["version"] for v in versions]


def fullwidth(text: str) -> str:
    """The full-width forms Chinese input methods produce (U+FF01..U+FF5E for ASCII)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def cast(world: World) -> dict[str, Party]:
    parties = {
        name: world.party(kind, name, customs_code=SELLER_USCC if name == SELLER else None)
        for name, kind in JOURNEY_CAST.items()
    }
    parties["Second Bank"] = world.party(OrgType.BANK, "Second Bank")
    return parties


def shipped_bill(client: TestClient, parties: dict[str, Party]) -> str:
    """The journey's bill, issued, with the sea leg's loading reported."""
    forwarder = parties[FORWARDER]
    ids = {name: str(p.id) for name, p in parties.items()}
    made = data(
        gql(
            client,
            forwarder.token,
            "mutation($i: BillInput!) { createBill(input: $i) { bill { id } errors { message } } }",
            {"i": journey.bill_input(ids)},
        )
    )["createBill"]
    bill_id: str = made["bill"]["id"]
    issued = gql(
        client,
        forwarder.token,
        "mutation($id: ID!) { issueBill(id: $id) { errors { message } } }",
        {"id": bill_id},
    )
    assert data(issued)["issueBill"]["errors"] == []
    step = journey.sea_loading()
    sent = client.post(f"/ingest/{step.kind}", content=step.body, headers=parties[step.sender].headers)
    assert sent.status_code == 200, sent.text
    return bill_id


def register(
    client: TestClient,
    seller: Party,
    evidence: list[dict[str, str]],
    number: str = "HNE-INV-2026-0413",
    amount: str = "186000.00",
    currency: str = "USD",
) -> dict[str, Any]:
    return data(
        gql(
            client,
            seller.token,
            REGISTER,
            {
                "i": {
                    "debtorName": "Liaoning Cross-Border Mall",
                    "invoiceNumber": number,
                    "amount": amount,
                    "currency": currency,
                    "issueDate": "2026-11-18",
                    "dueDate": "2027-02-16",
                    "evidence": evidence,
                }
            },
        )
    )["registerReceivable"]


def verify_when_anchored(client: TestClient, bank: Party, receivable_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while True:
        body = gql(client, bank.token, VERIFY, {"id": receivable_id})
        if not body.get("errors"):
            result: dict[str, Any] = body["data"]["verifyReceivable"]
            pending = [r for r in result["records"] if r["verification"]["status"] == "PENDING"]
            if not pending or time.monotonic() > deadline:
                return result
        elif body["errors"][0]["extensions"]["code"] != "UNAVAILABLE" or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


@pytest.fixture
def financed(client: TestClient, world: World) -> dict[str, Any]:
    parties = cast(world)
    seller = parties[SELLER]
    bill_id = shipped_bill(client, parties)
    invoice = create_doc(client, seller, "HNE-INV-2026-0413", amount="186000.00", currency="USD")
    made = register(client, seller, [{"kind": "bill", "id": bill_id}, {"kind": "document", "id": invoice}])
    assert made["errors"] == [], made["errors"]
    return {"parties": parties, "receivable": made["receivable"], "bill": bill_id, "invoice": invoice}


def test_a_full_financing_from_the_demo_journey(client: TestClient, financed: dict[str, Any]) -> None:
    parties, receivable = financed["parties"], financed["receivable"]
    seller, bank, second = parties[SELLER], parties["Bank of Dalian Trade Finance"], parties["Second Bank"]
    rid = receivable["id"]
    assert receivable["status"] == "REGISTERED" and receivable["blindedId"].startswith("0x")
    # Without the creditor's consent a bank sees nothing.
    hidden = gql(client, bank.token, VERIFY, {"id": rid})
    assert hidden["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    for party in (bank, second):
        assert (
            data(gql(client, seller.token, SHARE, {"id": rid, "org": str(party.id)}))["shareRecord"]["errors"]
            == []
        )

    check = verify_when_anchored(client, bank, rid)
    assert check["authentic"] and check["tradeHappened"] and check["amountsAgree"], check
    assert check["financeable"] and not check["pledgedElsewhere"]
    assert [r["verification"]["status"] for r in check["records"]] == ["ANCHORED"] * 3
    assert all(
        r["verification"]["proof"] is not None and r["verification"]["merkleRoot"] for r in check["records"]
    )
    points = {p["point"]: p for p in check["trade"]}
    assert points["BILL_ISSUED"]["ok"] and points["GOODS_MOVED"]["ok"]
    assert "LOAD" in points["GOODS_MOVED"]["detail"] and points["GOODS_MOVED"]["evidence"][0].startswith(
        "tracking_event:"
    )
    assert {a["source"]: a["ok"] for a in check["amounts"]} == {"INVOICES": True, "CARGO": True}
    assert check["onChain"]["status"] == "REGISTERED" and check["onChain"]["contract"].startswith("0x")

    pledged = data(gql(client, bank.token, STEP % "pledgeReceivable", {"id": rid}))["pledgeReceivable"]
    assert pledged["errors"] == [] and pledged["receivable"]["status"] == "PLEDGED"
    assert pledged["receivable"]["lender"]["name"] == "Bank of Dalian Trade Finance"
    seen_by_second = data(gql(client, second.token, VERIFY, {"id": rid}))["verifyReceivable"]
    assert seen_by_second["pledgedElsewhere"] and not seen_by_second["financeable"]
    refused = data(gql(client, second.token, STEP % "pledgeReceivable", {"id": rid}))["pledgeReceivable"]
    assert refused["errors"][0]["code"] == "CONFLICT" and "already pledged" in refused["errors"][0]["message"]
    not_lender = data(gql(client, second.token, STEP % "repayReceivable", {"id": rid}))["repayReceivable"]
    assert not_lender["errors"][0]["code"] == "CONFLICT"

    repaid = data(gql(client, bank.token, STEP % "repayReceivable", {"id": rid}))["repayReceivable"]
    assert repaid["receivable"]["status"] == "REPAID" and repaid["receivable"]["lender"] is None
    again = data(gql(client, second.token, STEP % "pledgeReceivable", {"id": rid}))["pledgeReceivable"]
    assert again["receivable"]["status"] == "PLEDGED"
    moved = data(
        gql(
            client,
            second.token,
            "mutation($id: ID!, $to: ID!) { transferReceivable(id: $id, toOrgId: $to) { receivable { lender { name } } errors { message } } }",
            {"id": rid, "to": str(bank.id)},
        )
    )["transferReceivable"]
    assert moved["receivable"]["lender"]["name"] == "Bank of Dalian Trade Finance"
    settled = data(gql(client, bank.token, STEP % "settleReceivable", {"id": rid}))["settleReceivable"]
    steps = settled["receivable"]["history"]
    assert settled["receivable"]["status"] == "SETTLED"
    assert [s["action"] for s in steps] == [
        "REGISTERED",
        "PLEDGED",
        "REPAID",
        "PLEDGED",
        "TRANSFERRED",
        "SETTLED",
    ]
    assert all(s["transactionHash"].startswith("0x") for s in steps)
    closed = data(gql(client, second.token, STEP % "pledgeReceivable", {"id": rid}))["pledgeReceivable"]
    assert closed["errors"][0]["code"] in ("CONFLICT", "NOT_FOUND")
    assert anchored_versions(client, seller, rid) == [1, 2, 3, 4, 5, 6]


DRAWS = """query($id: ID!) { verifyReceivable(id: $id) { financeable evidenceCovers amountsAgree
  amounts { source ok detail } draws { ref source label evidenceId value drawnByOthers remaining draw } } }"""
PLEDGE = """mutation($id: ID!) { pledgeReceivable(id: $id) { receivable { status } errors { code field message } } }"""


def _shared(client: TestClient, seller: Party, rid: str, *banks: Party) -> None:
    for bank in banks:
        shared = gql(client, seller.token, SHARE, {"id": rid, "org": str(bank.id)})
        assert data(shared)["shareRecord"]["errors"] == []


def _amounts(draw: dict[str, Any], *names: str) -> tuple[Decimal, ...]:
    return tuple(Decimal(draw[name]) for name in names)


def _draws(client: TestClient, bank: Party, rid: str) -> dict[str, Any]:
    check: dict[str, Any] = data(gql(client, bank.token, DRAWS, {"id": rid}))["verifyReceivable"]
    return check


def test_the_same_cargo_cannot_back_a_second_receivable_beyond_its_value(
    client: TestClient, financed: dict[str, Any]
) -> None:
    """The issue's case: the demo's receivable of 186,000 is pledged against the bill's cargo (186,000); a
    second receivable of 93,000 citing the same bill was financeable and was pledged by a bank."""
    parties, first = financed["parties"], financed["receivable"]["id"]
    seller, bank, second = parties[SELLER], parties["Bank of Dalian Trade Finance"], parties["Second Bank"]
    _shared(client, seller, first, bank, second)
    assert data(gql(client, bank.token, PLEDGE, {"id": first}))["pledgeReceivable"]["errors"] == []
    pledged = _draws(client, bank, first)
    assert {(d["source"], *_amounts(d, "value", "draw", "drawnByOthers")) for d in pledged["draws"]} == {
        ("CARGO", 186000, 186000, 0),
        ("INVOICES", 186000, 186000, 0),
    }, pledged["draws"]

    again = register(
        client, seller, [{"kind": "bill", "id": financed["bill"]}], number="HNE-INV-2026-0499", amount="93000"
    )
    assert again["errors"] == [], again["errors"]
    later = again["receivable"]["id"]
    _shared(client, seller, later, second)
    check = _draws(client, second, later)
    assert not check["financeable"] and not check["evidenceCovers"] and not check["amountsAgree"], check
    (cargo,) = check["draws"]
    assert cargo["ref"] == f"bill:{financed['bill']}" and cargo["label"] == f"bill {journey.BILL_NUMBER}"
    assert _amounts(cargo, "value", "drawnByOthers", "remaining", "draw") == (186000, 186000, 0, 0)
    assert cargo["evidenceId"].startswith("0x") and len(cargo["evidenceId"]) == 66
    (point,) = check["amounts"]
    assert (
        point["source"] == "CARGO" and not point["ok"] and "other receivables draw 186000" in point["detail"]
    )
    refused = data(gql(client, second.token, PLEDGE, {"id": later}))["pledgeReceivable"]
    (error,) = refused["errors"]
    assert error["code"] == "CONFLICT" and error["field"] == "evidence[0]", error
    assert f"bill {journey.BILL_NUMBER} is worth 186000 USD" in error["message"], error
    assert "other receivables draw 186000 on it, 0 remains" in error["message"], error
    assert refused["receivable"] is None

    # Repaying the first gives its draw back: the second is financeable, and then the first only to the
    # extent the second leaves.
    repaid = data(gql(client, bank.token, STEP % "repayReceivable", {"id": first}))["repayReceivable"]
    assert repaid["errors"] == []
    assert _draws(client, second, later)["evidenceCovers"]
    taken = data(gql(client, second.token, PLEDGE, {"id": later}))["pledgeReceivable"]
    assert taken["errors"] == [] and taken["receivable"]["status"] == "PLEDGED"
    blocked = data(gql(client, bank.token, PLEDGE, {"id": first}))["pledgeReceivable"]
    assert blocked["errors"][0]["code"] == "CONFLICT" and "93000 remains" in blocked["errors"][0]["message"]
    view = _draws(client, bank, first)
    assert {d["source"]: Decimal(d["remaining"]) for d in view["draws"]} == {
        "CARGO": 93000,
        "INVOICES": 186000,
    }
    # Settling the second closes it and gives the cargo back to the first.
    settled = data(gql(client, second.token, STEP % "settleReceivable", {"id": later}))["settleReceivable"]
    assert settled["errors"] == []
    assert data(gql(client, bank.token, PLEDGE, {"id": first}))["pledgeReceivable"]["errors"] == []


@pytest.mark.parametrize(
    "typed",
    [
        "hne-inv-2026-0413",
        " HNE-INV-2026-0413 ",
        "HNE-INV- 2026-0413",
        fullwidth("HNE-INV-2026-0413"),
        "hne-INV-2026-\t0413",
    ],
)
def test_the_same_invoice_again_is_caught_whatever_its_spacing_and_case(
    client: TestClient, financed: dict[str, Any], typed: str
) -> None:
    parties = financed["parties"]
    second = register(
        client, parties[SELLER], [{"kind": "document", "id": financed["invoice"]}], number=typed
    )
    assert second["receivable"] is None
    assert (
        second["errors"][0]["code"] == "CONFLICT" and "already registered" in second["errors"][0]["message"]
    )


def test_normalisation_keeps_different_invoices_apart() -> None:
    key = "k" * 40
    same = {
        service.blinded_id(key, SELLER_USCC, n) for n in ("INV-1", " inv-1", fullwidth("INV-1"), "in v-1")
    }
    assert len(same) == 1
    assert service.blinded_id(key, SELLER_USCC, "INV-1") != service.blinded_id(key, SELLER_USCC, "INV-11")
    assert service.blinded_id(key, SELLER_USCC, "INV-1") != service.blinded_id("x" * 40, SELLER_USCC, "INV-1")


def test_tampered_evidence_is_caught_and_named(
    client: TestClient, financed: dict[str, Any], state: HubState
) -> None:
    parties, rid = financed["parties"], financed["receivable"]["id"]
    bank = parties["Bank of Dalian Trade Finance"]
    data(gql(client, parties[SELLER].token, SHARE, {"id": rid, "org": str(bank.id)}))
    assert verify_when_anchored(client, bank, rid)["authentic"]
    with state.session() as session:  # someone edits the invoice behind the hub's back
        session.execute(
            text("UPDATE trade_document SET amount = :a WHERE id = :id"),
            {"a": "286000.00", "id": _db_id(state, financed["invoice"])},
        )
        session.commit()
    check = data(gql(client, bank.token, VERIFY, {"id": rid}))["verifyReceivable"]
    assert not check["authentic"] and not check["financeable"]
    bad = [r for r in check["records"] if r["verification"]["status"] != "ANCHORED"]
    assert [r["ref"] for r in bad] == [f"document:{financed['invoice']}"]
    assert bad[0]["verification"]["status"] == "TAMPERED" and "differs" in bad[0]["verification"]["detail"]
    assert {a["source"]: a["ok"] for a in check["amounts"]}["INVOICES"] is False


def _db_id(state: HubState, record_id: str) -> str:
    import uuid

    value = uuid.UUID(record_id)
    return value.hex if state.settings.is_sqlite else str(value)


def test_consent_revoked_part_way_closes_the_receivable_to_the_bank(
    client: TestClient, financed: dict[str, Any]
) -> None:
    parties, rid = financed["parties"], financed["receivable"]["id"]
    seller, bank = parties[SELLER], parties["Bank of Dalian Trade Finance"]
    share = data(gql(client, seller.token, SHARE, {"id": rid, "org": str(bank.id)}))["shareRecord"]["share"][
        "id"
    ]
    assert verify_when_anchored(client, bank, rid)["financeable"]
    revoked = gql(
        client, seller.token, "mutation($id: ID!) { revokeShare(id: $id) { errors { code } } }", {"id": share}
    )
    assert data(revoked)["revokeShare"]["errors"] == []
    assert gql(client, bank.token, VERIFY, {"id": rid})["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    refused = data(gql(client, bank.token, STEP % "pledgeReceivable", {"id": rid}))["pledgeReceivable"]
    assert refused["errors"][0]["code"] == "NOT_FOUND"
    listed = data(gql(client, bank.token, "{ receivables { nodes { id } } }"))["receivables"]["nodes"]
    assert listed == []


def test_only_creditors_register_and_only_banks_finance(client: TestClient, financed: dict[str, Any]) -> None:
    parties, rid = financed["parties"], financed["receivable"]["id"]
    forwarder = parties[FORWARDER]
    made = register(client, forwarder, [{"kind": "bill", "id": financed["bill"]}], number="BMF-1")
    assert made["errors"][0]["code"] == "FORBIDDEN"
    data(gql(client, parties[SELLER].token, SHARE, {"id": rid, "org": str(forwarder.id)}))
    refused = data(gql(client, forwarder.token, STEP % "pledgeReceivable", {"id": rid}))["pledgeReceivable"]
    assert refused["errors"][0]["code"] == "FORBIDDEN"


ANVIL_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


@pytest.fixture
def anvil_node(tmp_path: Path) -> Iterator[Anvil]:
    node = Anvil(tmp_path / "anvil").start()
    yield node
    node.stop()


@dataclass
class Racing:
    """A hub ledger on anvil, a seller and two banks, for the races."""

    engine: Any
    ledger: Any
    seller: Principal
    north: Principal
    south: Principal


@pytest.fixture
def racing(database_url: str, anvil_node: Anvil) -> Iterator[Racing]:
    from hub.auth import service as auth
    from ledger.runtime import Ledger

    settings = Settings(
        env="test", database_url=database_url, chain_url=anvil_node.url, chain_private_key=ANVIL_KEY
    )
    engine = make_engine(database_url)
    ledger = Ledger(settings, engine)
    ledger.connect()
    with session_scope(engine) as session:
        orgs = [
            auth.create_organisation(session, "Racing Seller", OrgType.SELLER, customs_code=SELLER_USCC),
            auth.create_organisation(session, "Bank North", OrgType.BANK),
            auth.create_organisation(session, "Bank South", OrgType.BANK),
        ]
        seller, north, south = (Principal(o.id, o.name, o.type, KeyRole.OPERATOR, o.id) for o in orgs)
    yield Racing(engine, ledger, seller, north, south)
    ledger.chain.close()
    engine.dispose()


def _race(racing: Racing, pledges: dict[str, Any]) -> dict[str, str]:
    """Each bank (by name) pledges its receivable at the same moment: what each got."""
    outcomes: dict[str, str] = {}
    banks = {racing.north.org_name: racing.north, racing.south.org_name: racing.south}
    start = threading.Barrier(len(pledges))

    def race(name: str) -> None:
        start.wait()
        try:
            with session_scope(racing.engine) as session:
                service.pledge(session, banks[name], pledges[name], ledger=racing.ledger, blinding_key=KEY)
            outcomes[name] = "won"
        except Conflict as exc:
            outcomes[name] = f"lost: {exc.message}"

    threads = [threading.Thread(target=race, args=(name,)) for name in pledges]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(o.split(":")[0] for o in outcomes.values()) == ["lost", "won"], outcomes
    return outcomes


def _raw_pledges(racing: Racing, calls: list[tuple[Any, ...]]) -> list[int]:
    """Pledges signed and sent back to back straight to the contract, with no simulation in front: the
    status of each receipt."""
    from ledger.receivables import NAME

    chain = racing.ledger.chain
    contract = chain.contracts[NAME]
    nonce = chain.w3.eth.get_transaction_count(chain.account.address, "pending")
    hashes = []
    for offset, args in enumerate(calls):
        tx = contract.functions.pledge(*args).build_transaction(
            {
                "from": chain.account.address,
                "nonce": nonce + offset,
                "gas": 400_000,
                "gasPrice": chain.w3.eth.gas_price,
                "chainId": chain.chain_id,
            }
        )
        signed = chain.account.sign_transaction(tx)
        chain.send_raw(bytes(signed.raw_transaction))
        hashes.append(signed.hash.to_0x_hex())
    return [chain.wait_receipt(h).status for h in hashes]


def _receivable(racing: Racing, session: Any, number: str, amount: str, doc: Any, *banks: Principal) -> Any:
    from hub.auth import service as auth

    receivable = service.register(
        session,
        racing.seller,
        service.ReceivableInput(
            "Debtor Ltd",
            number,
            Decimal(amount),
            "USD",
            date(2026, 11, 1),
            date(2027, 1, 1),
            (("document", doc),),
        ),
        ledger=racing.ledger,
        blinding_key=KEY,
    )
    for bank in banks:
        auth.share_record(
            session,
            racing.seller,
            kind="receivable",
            record_id=receivable.id,
            owner_org_id=racing.seller.org_id,
            grantee_org_id=bank.org_id,
        )
    return receivable


def test_two_banks_racing_on_anvil_exactly_one_wins(racing: Racing) -> None:
    from hub.canonical import org_ref
    from ledger.receivables import NAME

    north, south, ledger = racing.north, racing.south, racing.ledger
    with session_scope(racing.engine) as session:
        doc = _invoice(session, racing.seller)
        receivable = _receivable(racing, session, "RACE-1", "100", doc, north, south)
    outcomes = _race(racing, {north.org_name: receivable.id, south.org_name: receivable.id})
    winner = next(name for name, o in outcomes.items() if o == "won")
    with session_scope(racing.engine) as session:
        row = session.get(Receivable, receivable.id)
        assert row is not None and row.status == ReceivableStatus.PLEDGED
        lender = row.lender_org_id
    on_chain = ledger.receivable_of(bytes.fromhex(receivable.blinded_id[2:]))
    assert on_chain.status == "PLEDGED" and on_chain.pledges == 1 and on_chain.lender == org_ref(lender)
    assert {north.org_id: "Bank North", south.org_id: "Bank South"}[lender] == winner

    # The contract itself, with no simulation in front: two pledges sent back to back, one reverts.
    other = bytes.fromhex(service.blinded_id(KEY, SELLER_USCC, "RACE-2").hex())
    ledger.chain.call_and_wait(NAME, "register", other)
    calls = [(other, org_ref(bank.org_id), [], [], []) for bank in (north, south)]
    assert _raw_pledges(racing, calls) == [1, 0]
    assert ledger.receivable_of(other).lender == org_ref(north.org_id)


def test_two_banks_pledging_two_receivables_on_one_invoice_cannot_both_draw_it(racing: Racing) -> None:
    """Two invoices' receivables citing the same commercial invoice of 100: North pledges one of 100 and
    South one of 60 at the same moment; the evidence cannot back 160, so exactly one pledge stands."""
    from hub.canonical import org_ref
    from ledger.receivables import NAME

    north, south, ledger = racing.north, racing.south, racing.ledger
    with session_scope(racing.engine) as session:
        doc = _invoice(session, racing.seller)
        first = _receivable(racing, session, "GOODS-A", "100", doc, north)
        second = _receivable(racing, session, "GOODS-B", "60", doc, south)
    outcomes = _race(racing, {north.org_name: first.id, south.org_name: second.id})
    (lost,) = [o for o in outcomes.values() if o.startswith("lost")]
    assert "invoice RACE-1 is worth 100 USD" in lost and "remains" in lost, lost
    drawn = ledger.evidence_drawn([service.evidence_id(KEY, f"document:{doc}", "USD")])
    winner = first if outcomes[north.org_name] == "won" else second
    assert drawn == [int(winner.amount * 10_000)], (drawn, outcomes)

    # The contract alone refuses the second draw, whatever the hub checked before sending.
    evidence = bytes(range(32))
    ids = [bytes.fromhex(service.blinded_id(KEY, SELLER_USCC, n).hex()) for n in ("RAW-1", "RAW-2")]
    for rid in ids:
        ledger.chain.call_and_wait(NAME, "register", rid)
    calls = [(rid, org_ref(north.org_id), [evidence], [70], [100]) for rid in ids]
    assert _raw_pledges(racing, calls) == [1, 0]
    assert ledger.evidence_drawn([evidence]) == [70]
    ledger.receivable("release", ids[0], org_ref(north.org_id))
    assert ledger.evidence_drawn([evidence]) == [0]
    assert ledger.receivable_draws(ids[0]) == {}


def _invoice(session: Any, owner: Principal) -> Any:
    from hub.documents import service as documents
    from hub.documents.models import DocumentKind

    made = documents.create_document(
        session,
        owner,
        documents.DocumentInput(
            kind=DocumentKind.COMMERCIAL_INVOICE,
            reference="RACE-1",
            title="Invoice",
            issued_on=date(2026, 11, 1),
            amount=Decimal("100"),
            currency="USD",
        ),
    )
    return made.id


async def test_creditor_and_bank_follow_the_receivable(
    settings: Settings, embedded_chain: Any, world: World
) -> None:
    import asyncio
    import json

    import httpx

    from hub.bus import InProcessBus
    from tests.test_subscriptions import _hub, _next, _open

    parties = cast(world)
    seller, bank, other = parties[SELLER], parties["Bank of Dalian Trade Finance"], parties["Second Bank"]
    feed = "subscription { receivableChanged { invoiceNumber status lender { name } } }"

    def graphql(party: Party, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = httpx.post(
            f"{hub.url}/graphql",
            content=json.dumps({"query": query, "variables": variables}),
            headers={**party.headers, "Content-Type": "application/json"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    with _hub(settings, InProcessBus(), embedded_chain) as hub:
        deadline = time.monotonic() + 20
        while (await asyncio.to_thread(httpx.get, f"{hub.url}/ready")).json()["checks"]["chain"] != "ok":
            assert time.monotonic() < deadline
            await asyncio.sleep(0.1)
        invoice = (await asyncio.to_thread(graphql, seller, CREATE_INVOICE, {}))["data"]["createDocument"][
            "document"
        ]["id"]
        made = await asyncio.to_thread(
            graphql,
            seller,
            REGISTER,
            {
                "i": {
                    "debtorName": "Debtor",
                    "invoiceNumber": "SUB-1",
                    "amount": "100.50",
                    "currency": "USD",
                    "issueDate": "2026-11-01",
                    "dueDate": "2026-12-01",
                    "evidence": [{"kind": "document", "id": invoice}],
                }
            },
        )
        rid = made["data"]["registerReceivable"]["receivable"]["id"]
        await asyncio.to_thread(graphql, seller, SHARE, {"id": rid, "org": str(bank.id)})
        mine = await _open(hub.ws_url, seller.token, feed, {})
        banks = await _open(hub.ws_url, bank.token, feed, {})
        stranger = await _open(hub.ws_url, other.token, feed, {})
        await asyncio.to_thread(graphql, bank, STEP % "pledgeReceivable", {"id": rid})
        expected = {
            "invoiceNumber": "SUB-1",
            "status": "PLEDGED",
            "lender": {"name": "Bank of Dalian Trade Finance"},
        }
        assert await _next(mine, "receivableChanged") == expected
        assert await _next(banks, "receivableChanged") == expected
        try:
            await asyncio.wait_for(stranger.recv(), 0.5)
            raise AssertionError("a bank without consent was told")
        except TimeoutError:
            pass
        for ws in (mine, banks, stranger):
            await ws.close()


CREATE_INVOICE = """mutation { createDocument(input: {kind: COMMERCIAL_INVOICE, reference: "SUB-1", title: "Invoice",
  issuedOn: "2026-11-01", amount: "100.50", currency: "USD"}) { document { id } errors { message } } }"""


def declare_and_submit(client: TestClient, forwarder: Party, reference: str) -> str:
    """An import declaration for the journey's bill, completed and submitted to Dalian customs (0900)."""
    made = data(
        gql(
            client,
            forwarder.token,
            """mutation($i: DeclarationDraftInput!) { createDeclaration(input: $i) {
        declaration { id } errors { message } } }""",
            {
                "i": {
                    "reference": reference,
                    "direction": "IMPORT",
                    "billNumber": journey.BILL_NUMBER,
                    "customsCode": "0900",
                    "traderUscc": SELLER_USCC,
                }
            },
        )
    )["createDeclaration"]
    declaration: str = made["declaration"]["id"]
    for mutation in (
        """mutation($id: ID!) { amendDeclaration(id: $id, input: {traderName: "Importer",
        items: [{originCountry: "KR"}, {originCountry: "KR"}]}) { errors { message } } }""",
        "mutation($id: ID!) { submitDeclaration(id: $id) { errors { message } } }",
    ):
        done = data(gql(client, forwarder.token, mutation, {"id": declaration}))
        assert next(iter(done.values()))["errors"] == []
    return declaration


def test_a_customs_release_of_the_bill_counts_as_trade_evidence(
    client: TestClient, financed: dict[str, Any], world: World
) -> None:
    parties, rid = financed["parties"], financed["receivable"]["id"]
    forwarder, bank = parties[FORWARDER], parties["Bank of Dalian Trade Finance"]
    customs = world.party(OrgType.CUSTOMS, "Dalian Customs", customs_code="0900")
    data(gql(client, parties[SELLER].token, SHARE, {"id": rid, "org": str(bank.id)}))
    declaration = declare_and_submit(client, forwarder, "IMP-1")
    points = {p["point"]: p for p in verify_when_anchored(client, bank, rid)["trade"]}
    assert points["CUSTOMS_RELEASED"]["ok"] is False and "SUBMITTED" in points["CUSTOMS_RELEASED"]["detail"]
    decided = data(
        gql(
            client,
            customs.token,
            """mutation($id: ID!) { decideDeclaration(input: {declarationId: $id,
        decision: RELEASE}) { errors { message } } }""",
            {"id": declaration},
        )
    )["decideDeclaration"]
    assert decided["errors"] == []
    check = verify_when_anchored(client, bank, rid)
    released = {p["point"]: p for p in check["trade"]}["CUSTOMS_RELEASED"]
    assert released["ok"] and released["evidence"] == [f"customs_declaration:{declaration}"]
    assert check["tradeHappened"]
