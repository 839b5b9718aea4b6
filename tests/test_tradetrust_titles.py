"""Issue 23: the hub's negotiable titles as TradeTrust's token registry shows them, read on a real node
through the ABIs of TradeTrust's own npm package (``@tradetrust-tt/token-registry``), not the hub's.

The mapping (ledger/contracts/TradeTrustTitles.sol): one ERC-721 token per bill, its id the bill's title
reference; the token is owned by the bill's title escrow (``ITitleEscrow``, imported from TradeTrust's
package) while the title is live, by the registry while a surrender is pending, and burnt to 0x...dEaD
once the surrender is accepted. Beneficiary and holder are both the hub's holder (its title has one
party), shown as the address of the low 20 bytes of the organisation's hub reference.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

from web3 import Web3

from hub.auth.models import OrgType
from hub.canonical import org_ref, title_ref
from seeds import journey
from tests.conftest import JOURNEY_CAST, World, data, gql
from tests.test_open_attestation import on_anvil  # noqa: F401  (the fixture)

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "node_modules" / "@tradetrust-tt" / "token-registry" / "dist" / "artifacts"
BURN = "0x000000000000000000000000000000000000dEaD"
CUSTODIED = Web3.keccak(text="HubCustodied()")[:4].hex()  # the revert's selector, as web3 reports it
CREATE = """mutation($i: BillInput!) { createBill(input: $i) { bill { id } errors { message } } }"""
OP = """mutation($id: ID!) { %s(id: $id) { errors { code message } } }"""
TO = """mutation($id: ID!, $to: ID!) { %s(id: $id, toOrgId: $to) { errors { code message } } }"""


def _abi(path: str) -> list[dict[str, Any]]:
    abi: list[dict[str, Any]] = json.loads((ARTIFACTS / path).read_text())["abi"]
    return abi


def _address(org_id: Any) -> str:
    return Web3.to_checksum_address(org_ref(org_id)[-20:])


def test_tradetrusts_abi_reads_each_step_of_a_title_and_its_events(on_anvil: Any) -> None:  # noqa: F811
    client, state, url = on_anvil
    world = World(state)
    cast = {name: world.party(kind, name) for name, kind in JOURNEY_CAST.items()}
    forwarder, seller, buyer = (
        cast["Bohai Multimodal Forwarding"],
        cast["Hanul Electronics Export"],
        cast["Liaoning Cross-Border Mall"],
    )
    bank = world.party(OrgType.BANK, "Second Bank")
    w3 = Web3(Web3.HTTPProvider(url))
    registry_address = state.ledger.chain.contracts["TradeTrustTitles"].address
    token = w3.eth.contract(address=registry_address, abi=_abi("TradeTrustToken.sol/TradeTrustToken.json"))
    escrow_abi = _abi("interfaces/ITitleEscrow.sol/ITitleEscrow.json")
    bill = data(
        gql(
            client,
            forwarder.token,
            CREATE,
            {"i": journey.bill_input({n: str(p.id) for n, p in cast.items()})},
        )
    )
    bill_id = bill["createBill"]["bill"]["id"]
    token_id = int.from_bytes(title_ref(uuid.UUID(bill_id)), "big")

    def step(party: Any, mutation: str, version: int, **extra: Any) -> None:
        done = data(gql(client, party.token, mutation, {"id": bill_id, **extra}))
        assert not next(iter(done.values()))["errors"], done
        deadline = time.monotonic() + 30
        while _version(w3, registry_address, token_id) < version:
            assert time.monotonic() < deadline, f"step {version} never reached TradeTrustTitles"
            time.sleep(0.05)

    step(forwarder, OP % "issueBill", 1)
    escrow_address = token.functions.ownerOf(token_id).call()
    escrow = w3.eth.contract(address=escrow_address, abi=escrow_abi)
    factory = w3.eth.contract(
        address=token.functions.titleEscrowFactory().call(),
        abi=_abi("interfaces/ITitleEscrowFactory.sol/ITitleEscrowFactory.json"),
    )
    assert factory.functions.getEscrowAddress(registry_address, token_id).call() == escrow_address
    supports = w3.eth.contract(address=escrow_address, abi=_abi("TitleEscrow.sol/TitleEscrow.json"))
    assert supports.functions.supportsInterface(_interface_id(escrow_abi)).call()  # TradeTrust's own test
    assert (escrow.functions.registry().call(), escrow.functions.tokenId().call()) == (
        registry_address,
        token_id,
    )
    assert escrow.functions.beneficiary().call() == escrow.functions.holder().call() == _address(seller.id)
    assert escrow.functions.active().call() and escrow.functions.isHoldingToken().call()
    minted = escrow.events.TokenReceived().get_logs(from_block=0)
    assert [(e.args.isMinting, e.args.holder) for e in minted] == [(True, _address(seller.id))]

    step(seller, TO % "endorseTitle", 2, to=str(buyer.id))
    assert escrow.functions.holder().call() == escrow.functions.beneficiary().call() == _address(buyer.id)
    assert escrow.functions.prevHolder().call() == _address(seller.id)
    moved = escrow.events.HolderTransfer().get_logs(from_block=0)
    assert [(e.args.fromHolder, e.args.toHolder) for e in moved] == [
        (_address(seller.id), _address(buyer.id))
    ]
    assert len(escrow.events.BeneficiaryTransfer().get_logs(from_block=0)) == 1

    step(buyer, OP % "blankEndorseTitle", 3)  # TradeTrust has no blank endorsement: nothing moves
    assert escrow.functions.holder().call() == _address(buyer.id)
    step(buyer, TO % "transferTitle", 4, to=str(bank.id))
    assert escrow.functions.holder().call() == _address(bank.id)

    step(bank, OP % "requestSurrender", 5)
    assert token.functions.ownerOf(token_id).call() == registry_address  # returned to the issuer
    assert not escrow.functions.isHoldingToken().call()
    assert [e.args.caller for e in escrow.events.ReturnToIssuer().get_logs(from_block=0)] == [
        _address(bank.id)
    ]
    rejected = data(
        gql(
            client,
            forwarder.token,
            'mutation($id: ID!) { rejectSurrender(id: $id, note: "wrong consignee") { errors { code } } }',
            {"id": bill_id},
        )
    )
    assert not rejected["rejectSurrender"]["errors"]
    deadline = time.monotonic() + 30
    while _version(w3, registry_address, token_id) < 6:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert token.functions.ownerOf(token_id).call() == escrow_address  # restored
    assert [e.args.isMinting for e in escrow.events.TokenReceived().get_logs(from_block=0)] == [True, False]

    step(bank, OP % "requestSurrender", 7)
    step(forwarder, OP % "acceptSurrender", 8)
    assert token.functions.ownerOf(token_id).call() == BURN
    assert not escrow.functions.active().call() and escrow.functions.holder().call() == "0x" + "0" * 40
    assert len(escrow.events.Shred().get_logs(from_block=0)) == 1
    # The hub's own registry says the same: surrendered, at the same step.
    title = data(
        gql(
            client,
            forwarder.token,
            "query($n: String!) { bill(number: $n) { titleOnChain { version status } } }",
            {"n": journey.BILL_NUMBER},
        )
    )
    assert title["bill"]["titleOnChain"] == {"version": 8, "status": "SURRENDERED"}
    # TradeTrust's own write functions are there, and refuse: the hub keeps the titles of its members.
    account = w3.eth.accounts[1]
    for call in (
        escrow.functions.transferHolder(account, b""),
        escrow.functions.nominate(account, b""),
        token.functions.mint(account, account, 1, b""),
    ):
        try:
            call.call({"from": account})
        except Exception as exc:  # web3 raises a contract error carrying the revert data
            assert CUSTODIED in str(exc), exc
        else:
            raise AssertionError("a TradeTrust write call went through")


def _version(w3: Web3, address: str, token_id: int) -> int:
    versions = w3.eth.contract(
        address=address,
        abi=[
            {
                "name": "versionOf",
                "type": "function",
                "stateMutability": "view",
                "inputs": [{"name": "", "type": "uint256"}],
                "outputs": [{"name": "", "type": "uint64"}],
            }
        ],
    )
    return int(versions.functions.versionOf(token_id).call())


def _interface_id(abi: list[dict[str, Any]]) -> bytes:
    """``type(ITitleEscrow).interfaceId``: the XOR of the selectors of the functions it declares itself
    (not IERC721Receiver's, which it extends)."""
    value = 0
    for item in abi:
        if item["type"] == "function" and item["name"] != "onERC721Received":
            signature = f"{item['name']}({','.join(i['type'] for i in item['inputs'])})"
            value ^= int.from_bytes(Web3.keccak(text=signature)[:4], "big")
    return value.to_bytes(4, "big")
