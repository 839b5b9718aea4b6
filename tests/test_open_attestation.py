"""Issue 23, first part: the hub's documents as OpenAttestation v2 wrapped documents, checked by
TradeTrust's own code (the npm packages ``@govtechsg/open-attestation`` and ``@govtechsg/oa-verify``,
installed by the project's setup), not by the hub's."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient

from hub.auth.models import OrgType
from ledger.openattestation import target_hash, unsalt, verify_signature, wrap
from tests.conftest import World, create_doc, data, gql

ROOT = Path(__file__).resolve().parent.parent
EXPORT = "query($id: ID!) { exportDocument(id: $id) }"


def tradetrust(
    documents: list[dict[str, Any]], obfuscate: tuple[str, ...] = (), rpc_url: str | None = None
) -> list[dict[str, Any]]:
    """What TradeTrust's libraries say of each document (and, given a node, of its status there)."""
    node = shutil.which("node")
    assert node is not None, "Node.js runs the contract build and anvil already; it runs this too"
    done = subprocess.run(
        [node, str(ROOT / "tests" / "oa" / "verify.cjs")],
        input=json.dumps({"documents": documents, "obfuscate": list(obfuscate), "rpcUrl": rpc_url}),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    verdicts: list[dict[str, Any]] = json.loads(done.stdout)
    return verdicts


def test_a_batch_the_hub_wraps_is_accepted_by_tradetrusts_code_and_a_changed_value_is_not() -> None:
    issuer = {
        "name": "Hub",
        "documentStore": "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
        "identityProof": {"type": "DNS-TXT", "location": "hub.example"},
    }
    datas = [
        {
            "issuers": [issuer],
            "reference": f"INV-{n}",
            "amount": "186000.50",
            "lines": [{"sku": "A", "qty": n}],
        }
        for n in range(5)
    ]
    datas.append(
        {
            "issuers": [issuer],
            "consignee": '辽宁跨境商城 Ünïcode "quoted" \\ tab\t',
            "paid": True,
            "note": None,
        }
    )
    wrapped = wrap(datas)
    assert len({w["signature"]["merkleRoot"] for w in wrapped}) == 1  # one root for the batch
    assert all(verify_signature(w) for w in wrapped)
    verdicts = tradetrust(wrapped)
    assert [(v["schema"], v["signature"], v["integrity"]) for v in verdicts] == [(True, True, True)] * 6
    assert [v["data"] for v in verdicts] == [unsalt(w["data"]) for w in wrapped]
    # OpenAttestation trims a value when it reads it back (the hash covers the text as wrapped).
    assert (
        verdicts[5]["data"]["consignee"] == datas[5]["consignee"].strip()
        and verdicts[:5]
        and all(v["data"] == d for v, d in zip(verdicts[:5], datas[:5], strict=True))
    )

    changed = json.loads(json.dumps(wrapped[0]))
    salt_of = changed["data"]["amount"].rsplit(":", 2)[0]
    changed["data"]["amount"] = f"{salt_of}:string:999999.00"
    (verdict,) = tradetrust([changed])
    assert (verdict["signature"], verdict["integrity"]) == (False, False) and not verify_signature(changed)


def test_a_holder_hides_fields_and_the_document_still_verifies_in_both() -> None:
    issuer = {
        "name": "Hub",
        "documentStore": "0x" + "ab" * 20,
        "identityProof": {"type": "DNS-TXT", "location": "x"},
    }
    buyer = {"name": "A", "idNumber": "110101199001011234"}
    (document,) = wrap([{"issuers": [issuer], "reference": "INV-9", "amount": "12.50", "buyer": buyer}])
    (verdict,) = tradetrust([document], obfuscate=("amount", "buyer.idNumber"))
    hidden = verdict["obfuscated"]
    assert "amount" not in hidden["data"] and "idNumber" not in hidden["data"]["buyer"]
    assert len(hidden["privacy"]["obfuscatedData"]) == 2
    assert verdict["obfuscatedSignature"] and verify_signature(hidden)
    assert target_hash(hidden) == document["signature"]["targetHash"]
    # Hiding every field of an object leaves an empty one behind, which OpenAttestation then hashes: its
    # own check fails, and the hub's agrees with it.
    (emptied,) = tradetrust([document], obfuscate=("buyer.name", "buyer.idNumber"))
    assert emptied["obfuscated"]["data"]["buyer"] == {}
    assert emptied["obfuscatedSignature"] is False and not verify_signature(emptied["obfuscated"])


@pytest.mark.parametrize("value", [1.5, float("nan"), {}, []])
def test_values_whose_text_javascript_would_write_differently_are_refused(value: Any) -> None:
    from hub.errors import Invalid

    with pytest.raises(Invalid) as refused:
        wrap([{"issuers": [{"name": "Hub"}], "amount": value}])
    assert refused.value.field == "data.amount"


def test_export_document_gives_what_may_be_read_wrapped_for_tradetrust(
    client: TestClient, world: World
) -> None:
    seller = world.party(OrgType.SELLER)
    outsider = world.party(OrgType.BANK)
    doc = create_doc(client, seller, "HNE-INV-2026-0412", amount="186000.00", currency="USD")
    exported = json.loads(data(gql(client, seller.token, EXPORT, {"id": doc}))["exportDocument"])
    (verdict,) = tradetrust([exported])
    assert (verdict["schema"], verdict["signature"], verdict["integrity"]) == (True, True, True)
    shown = verdict["data"]
    assert shown["reference"] == "HNE-INV-2026-0412" and shown["amount"] == "186000"
    assert (
        shown["recordId"] == doc
        and shown["recordKind"] == "document"
        and shown["currency"] == "USD"
        and shown["owner"] == seller.org.name
    )
    (issuer,) = shown["issuers"]
    assert issuer["identityProof"] == {"type": "DNS-TXT", "location": "hub.localhost"}
    assert issuer["documentStore"].startswith("0x") and len(issuer["documentStore"]) == 42
    refused = gql(client, outsider.token, EXPORT, {"id": doc})
    assert refused["errors"][0]["extensions"]["code"] == "NOT_FOUND"


REVOKE = """mutation($id: ID!) { revokeDocument(id: $id) { revoked errors { code message } } }"""
CHECK = "query($file: String!) { checkExportedRecord(file: $file) { verified kind recordId version steps } }"


def _hub_check(client: TestClient, token: str, document: dict[str, Any]) -> dict[str, Any]:
    body = data(gql(client, token, CHECK, {"file": json.dumps(document)}))
    return dict(body["checkExportedRecord"])


def test_the_hub_checks_an_openattestation_file_whole_or_with_fields_hidden(
    client: TestClient, world: World
) -> None:
    seller, bank = world.party(OrgType.SELLER), world.party(OrgType.BANK)
    doc = create_doc(client, seller, "HNE-INV-2026-0414", amount="186000.00", currency="USD")
    exported = json.loads(data(gql(client, seller.token, EXPORT, {"id": doc}))["exportDocument"])
    whole = _hub_check(client, bank.token, exported)  # the bank was never shared it: it holds the file
    assert whole["verified"] is True and whole["recordId"] == doc and whole["kind"] == "document", whole
    assert [s.split(" ")[0] for s in whole["steps"]] == ["targetHash", "proof", "the", "the"]
    # The holder hides the amount with TradeTrust's own obfuscateDocument: still the hub's, still issued.
    (verdict,) = tradetrust([exported], obfuscate=("amount", "currency"))
    hidden = _hub_check(client, bank.token, verdict["obfuscated"])
    assert hidden["verified"] is True and "(2 hidden by the holder)" in hidden["steps"][0], hidden
    changed = json.loads(json.dumps(exported))
    changed["data"]["reference"] = changed["data"]["reference"].replace("0414", "0415")
    refused = _hub_check(client, bank.token, changed)
    assert refused["verified"] is False and "it was changed" in refused["steps"][-1]
    issuer = {
        "name": "Other",
        "documentStore": "0x" + "12" * 20,
        "identityProof": {"type": "DNS-TXT", "location": "x"},
    }
    (elsewhere,) = wrap([{"issuers": [issuer], "reference": "X-1"}])  # well signed, by another store
    assert "not this hub's" in _hub_check(client, bank.token, elsewhere)["steps"][-1]
    # Its owner revokes it: the hub's check says so, as TradeTrust's does (on anvil, below).
    assert data(gql(client, seller.token, REVOKE, {"id": doc}))["revokeDocument"]["revoked"] == 1
    gone = _hub_check(client, bank.token, exported)
    assert gone["verified"] is False and gone["steps"][-1] == "the document store has revoked it"
    # Not a wrapped document at all: the place is named, nothing is asked of the chain.
    stub = _hub_check(client, bank.token, {"data": {}, "signature": {}})
    assert stub["verified"] is False and stub["steps"][0].startswith(
        "not an OpenAttestation v2 wrapped document"
    )


@pytest.fixture
def on_anvil(tmp_path: Path, settings: Any) -> Iterator[Any]:
    """The hub on a real JSON-RPC node, so that TradeTrust's status check can ask the document store."""
    from hub.bus import InProcessBus
    from hub.db import make_engine
    from hub.state import HubState
    from ledger.runtime import Ledger
    from tests.conftest import running
    from tests.servers import Anvil

    node = Anvil(tmp_path / "anvil").start()
    chained = settings.model_copy(update={"chain_url": node.url, "chain_private_key": SecretStr(ANVIL_KEY)})
    engine = make_engine(chained.database_url)
    state = HubState(settings=chained, engine=engine, bus=InProcessBus(), ledger=Ledger(chained, engine))
    try:
        with running(state) as client:
            yield client, state, node.url
    finally:
        engine.dispose()
        node.stop()


ANVIL_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


def test_tradetrust_finds_the_export_issued_on_chain_and_then_revoked(on_anvil: Any) -> None:
    client, state, url = on_anvil
    world = World(state)
    seller, other = world.party(OrgType.SELLER), world.party(OrgType.SELLER)
    doc = create_doc(client, seller, "HNE-INV-2026-0413", amount="93000.00", currency="USD")
    first = data(gql(client, seller.token, EXPORT, {"id": doc}))["exportDocument"]
    again = data(gql(client, seller.token, EXPORT, {"id": doc}))["exportDocument"]
    assert first == again  # one export, issued once, per document version
    exported = json.loads(first)
    (verdict,) = tradetrust([exported], rpc_url=url)
    assert (verdict["integrity"], verdict["status"]) == (True, True), verdict["fragments"]
    # Another organisation may not revoke it; its owner does, and TradeTrust sees it revoked.
    refused = data(gql(client, other.token, REVOKE, {"id": doc}))["revokeDocument"]
    assert refused["errors"][0]["code"] in ("NOT_FOUND", "FORBIDDEN")
    revoked = data(gql(client, seller.token, REVOKE, {"id": doc}))["revokeDocument"]
    assert revoked == {"revoked": 1, "errors": []}
    (verdict,) = tradetrust([exported], rpc_url=url)
    assert verdict["integrity"] and verdict["status"] is False
    status = next(f for f in verdict["fragments"] if f["type"] == "DOCUMENT_STATUS")
    assert "revoked" in json.dumps(status["reason"]).lower(), status
    twice = data(gql(client, seller.token, REVOKE, {"id": doc}))["revokeDocument"]
    assert twice["errors"][0]["code"] == "CONFLICT"
    # A root nobody issued is refused by the status check too.
    forged = json.loads(first)
    forged["signature"]["merkleRoot"] = forged["signature"]["targetHash"] = "ab" * 32
    (verdict,) = tradetrust([forged], rpc_url=url)
    assert verdict["status"] is False and verdict["integrity"] is False


EXPORTS = "query($kind: String!, $ids: [ID!]!) { exportAttestations(kind: $kind, ids: $ids) }"


@pytest.fixture
def demo(client: TestClient, state: Any) -> dict[str, Any]:
    """The demo scenario: its bill, inventory lists and financed receivable, and a key per organisation."""
    from hub.db import session_scope
    from hub.state import ceb_signer
    from seeds import loader

    with session_scope(state.engine) as session:
        orgs = loader.load(session)
        loader.commerce(session, orgs, ceb_signer(state.settings))
    with session_scope(state.engine) as session:
        loader.finance(session, orgs, state.ledger, state.settings.finance_blinding_key.get_secret_value())
    with session_scope(state.engine) as session:
        keys = loader.issue_demo_keys(session, orgs, state.settings.key_pepper.get_secret_value())
    return {k.organisation: k.token for k in keys}


def test_bills_inventory_lists_and_evidence_bundles_export_in_one_batch_that_tradetrust_accepts(
    client: TestClient, demo: dict[str, str]
) -> None:
    forwarder, platform = demo["Bohai Multimodal Forwarding"], demo["Liaoning Cross-Border Mall"]
    bank, seller = demo["Bank of Dalian Trade Finance"], demo["Hanul Electronics Export"]
    bill = data(gql(client, forwarder, '{ bill(number: "BMF-DLC-26-0001") { id } }'))["bill"]["id"]
    (bill_file,) = data(gql(client, forwarder, EXPORTS, {"kind": "bill", "ids": [bill]}))[
        "exportAttestations"
    ]
    lists = data(gql(client, platform, "{ inventoryLists(first: 3) { nodes { id copNo } } }"))[
        "inventoryLists"
    ]["nodes"]
    files = data(gql(client, platform, EXPORTS, {"kind": "ceb_inventory", "ids": [n["id"] for n in lists]}))
    wrapped = [json.loads(f) for f in files["exportAttestations"]]
    assert len({w["signature"]["merkleRoot"] for w in wrapped}) == 1  # one batch, one root
    assert [unsalt(w["data"])["inventoryList"]["copNo"] for w in wrapped] == [n["copNo"] for n in lists]
    receivable = data(gql(client, bank, "{ receivables { nodes { id } } }"))["receivables"]["nodes"][0]["id"]
    (bundle,) = data(gql(client, bank, EXPORTS, {"kind": "receivable", "ids": [receivable]}))[
        "exportAttestations"
    ]
    verdicts = tradetrust([json.loads(bill_file), *wrapped, json.loads(bundle)])
    assert all((v["schema"], v["signature"], v["integrity"]) == (True, True, True) for v in verdicts), (
        verdicts
    )
    shown = verdicts[0]["data"]
    assert shown["recordKind"] == "bill" and shown["bill"]["number"] == "BMF-DLC-26-0001"
    # The bank reads the receivable and the invoice shared with it, not the seller's bill: the bundle
    # carries what the bank may read and names the rest as withheld.
    evidence = verdicts[-1]["data"]["evidence"]
    assert {e["kind"] for e in evidence} >= {"document", "bill"}
    assert all(("content" in e) != bool(e.get("withheld")) for e in evidence)
    assert next(e for e in evidence if e["kind"] == "document")["content"]["reference"] == "HNE-INV-2026-0412"
    assert next(e for e in evidence if e["kind"] == "bill") == {
        "kind": "bill",
        "id": bill,
        "withheld": True,
    }
    seller_bundle = json.loads(
        data(gql(client, seller, EXPORTS, {"kind": "receivable", "ids": [receivable]}))["exportAttestations"][
            0
        ]
    )
    assert seller_bundle == json.loads(bundle)  # one export per version, whoever asks
    # Not a kind the hub exports, and a record the caller may not read: refused, nothing wrapped.
    wrong = gql(client, bank, EXPORTS, {"kind": "tracking_event", "ids": [bill]})
    assert wrong["errors"][0]["extensions"]["field"] == "kind"
    hidden = gql(client, bank, EXPORTS, {"kind": "bill", "ids": [bill]})
    assert hidden["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_a_batch_whose_root_did_not_reach_the_chain_is_issued_once_by_the_next_export(
    client: TestClient, world: World, state: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hub.errors import Unavailable

    seller = world.party(OrgType.SELLER)
    docs = [create_doc(client, seller, f"HNE-PL-{n}") for n in range(3)]
    sent: list[str] = []
    real = state.ledger.issue_attestation_root

    def down(root: str) -> None:
        sent.append(root)
        raise Unavailable("cannot reach the chain: connection refused")

    monkeypatch.setattr(state.ledger, "issue_attestation_root", down)
    failed = gql(client, seller.token, EXPORTS, {"kind": "document", "ids": docs})
    assert failed["errors"][0]["extensions"]["code"] == "UNAVAILABLE"  # no file handed out
    monkeypatch.setattr(
        state.ledger, "issue_attestation_root", lambda root: (sent.append(root), real(root))[1]
    )
    files = data(gql(client, seller.token, EXPORTS, {"kind": "document", "ids": docs[1:]}))[
        "exportAttestations"
    ]
    roots = {json.loads(f)["signature"]["merkleRoot"] for f in files}
    assert roots == {sent[0]} and sent == [sent[0], sent[0]]  # the stored batch's root, sent again
    first = data(gql(client, seller.token, EXPORTS, {"kind": "document", "ids": docs[:1]}))[
        "exportAttestations"
    ]
    assert json.loads(first[0])["signature"]["merkleRoot"] == sent[0] and len(sent) == 2  # issued: not sent
    # One file per id asked, in the order asked, a repeated id answered twice.
    asked = [docs[2], docs[0], docs[2]]
    files = data(gql(client, seller.token, EXPORTS, {"kind": "document", "ids": asked}))["exportAttestations"]
    assert [unsalt(json.loads(f)["data"])["recordId"] for f in files] == asked
