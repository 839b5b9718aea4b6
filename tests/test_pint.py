"""Issue 24: the hub as the receiving platform of DCSA PINT 3.0.0 envelopes, against a peer platform whose
key the test holds. Each answer is held to the PINT schema and each signed answer to the hub's published
key; every refusal changes nothing. The two-process transfer between two hubs is tests/test_pint_hubs.py.

The transport document is DCSA's own example from the PINT specification (hub/specs/dcsa)."""

from __future__ import annotations

import base64
import copy
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from joserfc import jws
from joserfc.jwk import KeySet, RSAKey
from jsonschema import Draft4Validator
from sqlmodel import func, select
from starlette.testclient import TestClient

from adapters.dcsa import pint as rules
from adapters.dcsa.schema import document
from hub.auth.models import OrgType
from hub.bills.models import Bill, PintTransfer
from hub.settings import Settings
from hub.state import HubState
from tests.conftest import Party, World, data, gql
from tests.dcsa_spec import errors

HERE = "DLHB"
PEER = "TSTP"
ENVELOPES = "/v3/envelopes"


def _spec_validator(name: str) -> Draft4Validator:
    spec = document("pint-3.0.0")
    return Draft4Validator({"$ref": f"#/components/schemas/{name}", "components": spec["components"]})


def example_document() -> dict[str, Any]:
    """DCSA's example transport document (PINT 3.0.0, POST /v3/envelopes)."""
    spec = document("pint-3.0.0")
    body = spec["paths"]["/v3/envelopes"]["post"]["requestBody"]["content"]["application/json"]
    return copy.deepcopy(body["examples"]["regularSTDExample"]["value"]["transportDocument"])


class PeerPlatform:
    """A peer eBL platform in the test: it issues, signs and sends envelopes as a real one would."""

    def __init__(self, code: str = PEER) -> None:
        self.code = code
        self.key = RSAKey.generate_key(2048, private=True)

    def jwk(self) -> dict[str, Any]:
        return dict(self.key.as_dict(private=False))

    def sign(self, payload: dict[str, Any], key: RSAKey | None = None) -> str:
        use = key or self.key
        body = json.dumps(payload).encode()
        return str(jws.serialize_compact({"alg": "RS256", "kid": use.thumbprint()}, body, use))

    def party(self, name: str, account: str) -> dict[str, Any]:
        return {
            "partyName": name,
            "eblPlatform": self.code,
            "identifyingCodes": [{"codeListProvider": self.code, "partyCode": account}],
        }

    def envelope(
        self,
        td: dict[str, Any],
        recipient: dict[str, Any],
        documents: list[bytes] = (),  # type: ignore[assignment]
        *,
        chain: list[str] | None = None,
        actions: tuple[str, ...] = ("ENDORSE_TO_ORDER", "TRANSFER"),
    ) -> dict[str, Any]:
        """An envelope sending ``td``'s title to ``recipient``: issued here first (unless ``chain`` is the
        chain so far), then the ``actions``."""
        checksum = rules.checksum(td)
        carrier = self.party("Test Carrier", "carrier-1")
        shipper = self.party("Test Shipper", "shipper-1")
        at = "2026-12-07T10:00:00.000Z"
        transactions: list[dict[str, Any]] = []
        entry: dict[str, Any] = {"eblPlatform": self.code, "transportDocumentChecksum": checksum}
        if chain:
            entry["previousEnvelopeTransferChainEntrySignedContentChecksum"] = rules.signed_checksum(
                chain[-1]
            )
        else:
            transactions.append(
                {"actionCode": "ISSUE", "actor": carrier, "recipient": shipper, "actionDateTime": at}
            )
            entry["issuanceManifestSignedContent"] = self.sign(
                {"documentChecksum": checksum, "issueToChecksum": rules.checksum(shipper)}
            )
        transactions += [
            {"actionCode": a, "actor": shipper, "recipient": recipient, "actionDateTime": at} for a in actions
        ]
        entry["transactions"] = transactions
        signed = [*(chain or []), self.sign(entry)]
        manifest: dict[str, Any] = {
            "transportDocumentChecksum": checksum,
            "lastEnvelopeTransferChainEntrySignedContentChecksum": rules.signed_checksum(signed[-1]),
        }
        if documents:
            manifest["supportingDocuments"] = [
                {
                    "name": f"doc-{i}.pdf",
                    "size": len(d),
                    "mediaType": "application/pdf",
                    "documentChecksum": rules.document_checksum(d),
                }
                for i, d in enumerate(documents)
            ]
        return {
            "transportDocument": td,
            "envelopeManifestSignedContent": self.sign(manifest),
            "envelopeTransferChain": signed,
        }


@pytest.fixture
def peer() -> PeerPlatform:
    return PeerPlatform()


@pytest.fixture
def settings(settings: Settings, tmp_path: Path, peer: PeerPlatform) -> Settings:
    peers = tmp_path / "peers.json"
    peers.write_text(
        json.dumps(
            {
                "platforms": [
                    {
                        "code": PEER,
                        "name": "Test platform",
                        "url": "http://127.0.0.1:9",
                        "organisation": "Test eBL platform",
                        "apiKey": "unused",
                        "keys": [peer.jwk()],
                    }
                ]
            }
        )
    )
    return settings.model_copy(update={"pint_platform": HERE, "pint_peers_file": str(peers)})


@pytest.fixture
def cast(world: World) -> dict[str, Party]:
    return {
        "platform": world.party(OrgType.EBL_PLATFORM, "Test eBL platform"),
        "importer": world.party(OrgType.FORWARDER, "Dalian Importer"),
        "stranger": world.party(OrgType.EBL_PLATFORM, "Unknown platform"),
    }


def here(org: Party) -> dict[str, Any]:
    return {
        "partyName": org.org.name,
        "eblPlatform": HERE,
        "identifyingCodes": [{"codeListProvider": HERE, "partyCode": str(org.id)}],
    }


def _hub_keys(client: TestClient) -> KeySet:
    jwks = client.get("/.well-known/jwks.json").json()
    return KeySet.import_key_set(jwks)


def answer_of(client: TestClient, response: Any) -> dict[str, Any]:
    """The hub's signed answer, checked against its published key and the PINT schema."""
    signed = response.json()
    assert isinstance(signed, str), response.text
    payload: dict[str, Any] = json.loads(
        jws.deserialize_compact(signed, _hub_keys(client), algorithms=["RS256"]).payload
    )
    assert errors(_spec_validator("EnvelopeTransferFinishedResponse"), payload) == []
    assert response.headers["API-Version"] == "3.0.0"
    assert response.status_code == rules.HTTP_STATUS[payload["responseCode"]]
    return payload


def _counts(state: HubState) -> tuple[int, int]:
    with state.session() as session:
        return (
            session.exec(select(func.count()).select_from(Bill)).one(),
            session.exec(select(func.count()).select_from(PintTransfer)).one(),
        )


BILL = """query($n: String!) { bill(number: $n) { number state originPlatform titlePlatform version
  holder { name } endorsementChain { action } containers { number } legs { mode fromLocode toLocode }
  platformTransfers { direction platform state responseCode } } }"""


def test_an_envelope_with_a_document_is_received_once_and_its_title_held_here(
    client: TestClient, state: HubState, cast: dict[str, Party], peer: PeerPlatform
) -> None:
    platform, importer = cast["platform"], cast["importer"]
    td = example_document()
    pdf = b"%PDF-1.7 the carrier's visualisation of the bill"
    envelope = peer.envelope(td, here(importer), [pdf])
    started = client.post(ENVELOPES, json=envelope, headers=platform.headers)
    assert started.status_code == 201, started.text
    body = started.json()
    assert errors(_spec_validator("EnvelopeTransferStartedResponse"), body) == []
    checksum = rules.document_checksum(pdf)
    assert body["missingAdditionalDocumentChecksums"] == [checksum]
    ref = body["envelopeReference"]
    # Finishing before the document arrived: MDOC, naming it; nothing moves.
    early = answer_of(client, client.put(f"{ENVELOPES}/{ref}/finish-transfer", headers=platform.headers))
    assert early["responseCode"] == "MDOC" and early["missingAdditionalDocumentChecksums"] == [checksum]
    # Wrong bytes under the declared checksum, and a checksum the manifest never declared: INCD.
    wrong = client.put(
        f"{ENVELOPES}/{ref}/additional-documents/{checksum}",
        json=base64.b64encode(b"another file").decode(),
        headers=platform.headers,
    )
    assert answer_of(client, wrong)["responseCode"] == "INCD"
    undeclared = client.put(
        f"{ENVELOPES}/{ref}/additional-documents/{'0' * 64}",
        json=base64.b64encode(b"x").decode(),
        headers=platform.headers,
    )
    assert answer_of(client, undeclared)["responseCode"] == "INCD"
    assert _counts(state)[0] == 0
    put = client.put(
        f"{ENVELOPES}/{ref}/additional-documents/{checksum}",
        json=base64.b64encode(pdf).decode(),
        headers=platform.headers,
    )
    assert put.status_code == 204, put.text
    done = answer_of(client, client.put(f"{ENVELOPES}/{ref}/finish-transfer", headers=platform.headers))
    assert done["responseCode"] == "RECE" and done["receivedAdditionalDocumentChecksums"] == [checksum]
    assert done["lastEnvelopeTransferChainEntrySignedContentChecksum"] == rules.signed_checksum(
        envelope["envelopeTransferChain"][-1]
    )
    # The addressed party holds the title, of a bill made from DCSA's document.
    bill = data(gql(client, importer.token, BILL, {"n": td["transportDocumentReference"]}))["bill"]
    assert bill["holder"]["name"] == importer.org.name and bill["originPlatform"] == PEER
    assert bill["titlePlatform"] is None
    assert [s["action"] for s in bill["endorsementChain"]] == ["PLATFORM_RECEIVED"]
    assert bill["containers"] == [{"number": "NARU3472484"}]
    assert bill["legs"] == [{"mode": "SEA", "fromLocode": "DKAAR", "toLocode": "DEBRV"}]
    assert bill["platformTransfers"] == [
        {"direction": "in", "platform": PEER, "state": "ACCEPTED", "responseCode": "RECE"}
    ]
    # The hub serves the transport document as it arrived, unchanged.
    served = client.get(
        f"/v3/transport-documents/{td['transportDocumentReference']}", headers=importer.headers
    )
    assert rules.checksum(served.json()) == rules.checksum(td)
    # Finishing again answers the same; the same envelope again is a duplicate: DUPE, nothing changes.
    again = answer_of(client, client.put(f"{ENVELOPES}/{ref}/finish-transfer", headers=platform.headers))
    assert again["responseCode"] == "RECE"
    before = _counts(state)
    replay = answer_of(client, client.post(ENVELOPES, json=envelope, headers=platform.headers))
    assert replay["responseCode"] == "DUPE"
    assert (
        replay["duplicateOfAcceptedEnvelopeTransferChainEntrySignedContent"]
        == envelope["envelopeTransferChain"][-1]
    )
    assert _counts(state) == before
    again_bill = data(gql(client, importer.token, BILL, {"n": td["transportDocumentReference"]}))["bill"]
    assert again_bill["version"] == bill["version"]
    # Another envelope for the same document, from a chain that forked before this one: DISE (this hub
    # holds the title; the sender would spend it twice).
    fork = peer.envelope(td, here(importer), actions=("TRANSFER",))
    assert (
        answer_of(client, client.post(ENVELOPES, json=fork, headers=platform.headers))["responseCode"]
        == "DISE"
    )
    assert _counts(state) == before


def test_bad_signatures_and_bad_chains_are_refused_and_change_nothing(
    client: TestClient, state: HubState, cast: dict[str, Party], peer: PeerPlatform
) -> None:
    platform, importer = cast["platform"], cast["importer"]
    td = example_document()
    good = peer.envelope(td, here(importer))

    def refused(envelope: Any) -> dict[str, Any]:
        return answer_of(client, client.post(ENVELOPES, json=envelope, headers=platform.headers))

    # Signed by a key the hub does not know for this platform.
    impostor = PeerPlatform()
    forged = impostor.envelope(td, here(importer))
    said = refused(forged)
    assert said["responseCode"] == "BSIG" and "signature" in said["reason"]
    # An entry whose content was changed after signing (another recipient), its signature kept.
    tampered = copy.deepcopy(good)
    head, payload, signature = tampered["envelopeTransferChain"][0].split(".")
    entry = json.loads(base64.urlsafe_b64decode(payload + "=="))
    entry["transactions"][-1]["recipient"]["partyName"] = "Somebody Else"
    changed = base64.urlsafe_b64encode(json.dumps(entry).encode()).decode().rstrip("=")
    tampered["envelopeTransferChain"][0] = ".".join((head, changed, signature))
    assert refused(tampered)["responseCode"] == "BSIG"
    # A transport document changed under the manifest: BENV.
    edited = copy.deepcopy(good)
    edited["transportDocument"]["shippedOnBoardDate"] = "2023-12-21"
    assert refused(edited)["responseCode"] == "BENV"
    # A chain whose entries do not follow each other: the second entry from another envelope.
    second = peer.envelope(td, here(importer), chain=good["envelopeTransferChain"], actions=("TRANSFER",))
    other_first = peer.envelope(td, here(importer), actions=("TRANSFER",))["envelopeTransferChain"][0]
    broken = copy.deepcopy(second)
    broken["envelopeTransferChain"][0] = other_first
    said = refused(broken)
    assert said["responseCode"] == "BENV" and "does not follow" in said["reason"]
    # The first entry dropped: the chain no longer starts with the issuance.
    dropped = copy.deepcopy(second)
    dropped["envelopeTransferChain"] = dropped["envelopeTransferChain"][1:]
    assert refused(dropped)["responseCode"] == "BENV"
    # Addressed to a party this platform does not know, and not to this platform at all.
    unknown = peer.envelope(
        td,
        {**here(importer), "identifyingCodes": [{"codeListProvider": HERE, "partyCode": str(uuid.uuid4())}]},
    )
    assert refused(unknown)["responseCode"] == "BENV"
    elsewhere = peer.envelope(td, peer.party("Someone", "x"))
    assert refused(elsewhere)["responseCode"] == "BENV"
    # Not PINT at all.
    said = refused({"transportDocument": td})
    assert said["responseCode"] == "BENV" and "envelopeManifestSignedContent" in said["reason"]
    assert _counts(state) == (0, 0)
    # The good envelope still goes through afterwards.
    assert refused(good)["responseCode"] == "RECE"


def test_only_peer_platforms_call_pint_and_receiver_validation_names_parties(
    client: TestClient, cast: dict[str, Party], peer: PeerPlatform
) -> None:
    platform, importer, stranger = cast["platform"], cast["importer"], cast["stranger"]
    envelope = peer.envelope(example_document(), here(importer))
    # A forwarder's key, and an ebl_platform this hub has no agreement with: refused in PINT's error form.
    for party, status in ((importer, 403), (stranger, 403)):
        answer = client.post(ENVELOPES, json=envelope, headers=party.headers)
        assert answer.status_code == status, answer.text
        assert errors(_spec_validator("ErrorResponse"), answer.json()) == []
        assert answer.headers["API-Version"] == "3.0.0"
    assert client.post(ENVELOPES, json=envelope).status_code == 401
    # The major version only, and only 3.
    wrong = client.post(ENVELOPES, json=envelope, headers={**platform.headers, "API-Version": "2"})
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["property"] == "API-Version"
    found = client.post(
        "/v3/receiver-validation",
        json={"codeListProvider": HERE, "partyCode": str(importer.id)},
        headers={**platform.headers, "API-Version": "3"},
    )
    assert found.status_code == 200 and found.json() == {"partyName": importer.org.name}
    assert errors(_spec_validator("ReceiverValidationResponse"), found.json()) == []
    for code in (
        {"codeListProvider": HERE, "partyCode": str(uuid.uuid4())},
        {"codeListProvider": HERE, "partyCode": str(platform.id)},  # a platform holds no eBLs itself
        {"codeListProvider": "GLEIF", "partyCode": str(importer.id)},
    ):
        missing = client.post("/v3/receiver-validation", json=code, headers=platform.headers)
        assert missing.status_code == 404 and errors(_spec_validator("ErrorResponse"), missing.json()) == []
    keys = client.get("/.well-known/jwks.json").json()["keys"]
    assert [k["kty"] for k in keys] == ["RSA"] and "d" not in keys[0]
