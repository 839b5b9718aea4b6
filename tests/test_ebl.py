"""Issue 24: the hub's through bill served as a DCSA eBL 3.0 transport document, held to the official
schema (hub/specs/dcsa/EBL_v3.0.4.yaml) in each state of its title."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft4Validator
from starlette.testclient import TestClient

from adapters.dcsa.schema import document
from hub.auth.models import OrgType
from seeds import journey
from tests.conftest import JOURNEY_CAST, Party, World, data, gql
from tests.dcsa_spec import errors

CREATE = """mutation($i: BillInput!) { createBill(input: $i) { bill { id } errors { message } } }"""
OP = """mutation($id: ID!) { %s(id: $id) { errors { code message } } }"""
PROFILE = """mutation($i: IssuerProfileInput!) { setIssuerProfile(input: $i) { profile { carrierCode }
  errors { code field message } } }"""
GOOD = {
    "street": "Gangwan Street 1",
    "city": "Dalian",
    "postCode": "116001",
    "email": "documentation@bohai.example",
    "carrierCode": "BMFD",
    "carrierCodeListProvider": "SMDG",
    "termsAndConditions": "Carriage subject to the multimodal terms of the issuer.",
}


def _validator(name: str) -> Draft4Validator:
    spec = document("ebl-3.0.4")
    return Draft4Validator({"$ref": f"#/components/schemas/{name}", "components": spec["components"]})


@pytest.fixture
def cast(world: World) -> dict[str, Party]:
    # The issuer's country is in the hub's directory; its address and terms in its own profile.
    return {
        name: world.party(kind, name, country="CN" if kind == OrgType.FORWARDER else None)
        for name, kind in JOURNEY_CAST.items()
    }


def _get(client: TestClient, party: Party, number: str) -> Any:
    return client.get(f"/v3/transport-documents/{number}", headers={"Authorization": f"Bearer {party.token}"})


def test_the_bill_is_an_ebl_3_transport_document_in_each_state_of_its_title(
    client: TestClient, cast: dict[str, Party]
) -> None:
    forwarder, seller, buyer = (
        cast["Bohai Multimodal Forwarding"],
        cast["Hanul Electronics Export"],
        cast["Liaoning Cross-Border Mall"],
    )
    validator = _validator("TransportDocument")
    bill = data(
        gql(
            client,
            forwarder.token,
            CREATE,
            {"i": journey.bill_input({n: str(p.id) for n, p in cast.items()})},
        )
    )
    bill_id = bill["createBill"]["bill"]["id"]
    # Without the issuer's profile the hub does not make up an address or terms.
    missing = _get(client, forwarder, journey.BILL_NUMBER)
    assert missing.status_code == 409 and "setIssuerProfile" in missing.json()["message"]
    assert errors(_validator("ErrorResponse"), missing.json()) == []
    assert data(gql(client, forwarder.token, PROFILE, {"i": GOOD}))["setIssuerProfile"]["errors"] == []
    seen = []
    for party, mutation in (
        (forwarder, None),
        (forwarder, OP % "issueBill"),
        (forwarder, OP % "startTransit"),
        (
            seller,
            f'mutation($id: ID!) {{ endorseTitle(id: $id, toOrgId: "{buyer.id}") {{ errors {{ code }} }} }}',
        ),
        (buyer, OP % "requestSurrender"),
    ):
        if mutation:
            assert not next(iter(data(gql(client, party.token, mutation, {"id": bill_id})).values()))[
                "errors"
            ]
        answer = _get(client, forwarder, journey.BILL_NUMBER)
        assert answer.status_code == 200 and answer.headers["API-Version"] == "3.0.4", answer.text
        td = answer.json()
        assert errors(validator, td) == [], errors(validator, td)
        seen.append(
            (td["transportDocumentStatus"], td["isShippedOnBoardType"], "endorsee" in td["documentParties"])
        )
    assert seen == [
        ("DRAFT", False, False),
        ("ISSUED", False, False),
        ("ISSUED", True, False),
        ("ISSUED", True, True),
        ("PENDING_SURRENDER_FOR_DELIVERY", True, True),
    ]
    # What the document says of the journey: the sea leg, the rail and road after it, the cargo and boxes.
    assert td["transportDocumentReference"] == journey.BILL_NUMBER and td["isToOrder"] is True
    transports = td["transports"]
    assert transports["portOfLoading"] == {"UNLocationCode": "KRPUS"}
    assert transports["portOfDischarge"] == {"UNLocationCode": "CNDLC"}
    assert transports["vesselVoyages"] == [
        {"vesselName": journey.VESSEL, "carrierExportVoyageNumber": journey.VOYAGE}
    ]
    assert (
        transports["onCarriageBy"] == "MULTIMODAL"
        and transports["placeOfDelivery"]["location"]["UNLocationCode"] == "CNSHE"
    )
    assert td["deliveryTypeAtDestination"] == "SD"  # the last leg is the truck to the consignee's door
    assert sorted(u["equipment"]["equipmentReference"] for u in td["utilizedTransportEquipments"]) == sorted(
        journey.CONTAINERS
    )
    assert [c["HSCodes"] for c in td["consignmentItems"]] == [["852852"], ["852852"]]
    assert td["documentParties"]["endorsee"]["partyName"] == buyer.org.name
    assert td["documentParties"]["issuingParty"]["address"]["city"] == "Dalian"
    assert td["carrierCode"] == "BMFD" and td["termsAndConditions"] == GOOD["termsAndConditions"]
    # The issuer replaces its profile; the next document carries the new one.
    changed = data(gql(client, forwarder.token, PROFILE, {"i": {**GOOD, "carrierCode": "BMF2"}}))
    assert changed["setIssuerProfile"]["profile"] == {"carrierCode": "BMF2"}
    assert _get(client, forwarder, journey.BILL_NUMBER).json()["carrierCode"] == "BMF2"


def test_a_straight_bill_names_its_consignee_and_refusals_take_ebls_error_form(
    client: TestClient, cast: dict[str, Party], world: World
) -> None:
    forwarder = cast["Bohai Multimodal Forwarding"]
    spec = journey.bill_input({n: str(p.id) for n, p in cast.items()})
    spec = {
        **spec,
        "number": "BMF-STRAIGHT-1",
        "negotiable": False,
        "consignee": {
            "name": "Liaoning Cross-Border Mall",
            "orgId": str(cast["Liaoning Cross-Border Mall"].id),
        },
    }
    data(gql(client, forwarder.token, CREATE, {"i": spec}))
    data(gql(client, forwarder.token, PROFILE, {"i": GOOD}))
    td = _get(client, forwarder, "BMF-STRAIGHT-1").json()
    assert errors(_validator("TransportDocument"), td) == []
    assert (
        td["isToOrder"] is False
        and td["documentParties"]["consignee"]["partyName"] == "Liaoning Cross-Border Mall"
    )
    # A straight bill to a consignee the hub does not know cannot name it by a code: refused, with the place.
    unknown = {**spec, "number": "BMF-STRAIGHT-2", "consignee": {"name": "Somebody Elsewhere"}}
    data(gql(client, forwarder.token, CREATE, {"i": unknown}))
    refused = _get(client, forwarder, "BMF-STRAIGHT-2")
    assert refused.status_code == 409 and refused.json()["field"] == "consignee", refused.text
    # A bank that is no party to the bill finds no such document; the refusal is eBL 3.0's ErrorResponse.
    outsider = world.party(OrgType.BANK)
    hidden = _get(client, outsider, "BMF-STRAIGHT-1")
    assert hidden.status_code == 404 and errors(_validator("ErrorResponse"), hidden.json()) == []
    assert hidden.json()["errors"][0]["errorCodeText"] == "NOT_FOUND"
    # A profile with a bad carrier code is refused with the field named; a seller keeps no profile.
    bad = data(gql(client, forwarder.token, PROFILE, {"i": {**GOOD, "carrierCode": "toolong"}}))[
        "setIssuerProfile"
    ]
    assert bad["errors"][0]["field"] == "carrierCode"
    seller = data(gql(client, cast["Hanul Electronics Export"].token, PROFILE, {"i": GOOD}))[
        "setIssuerProfile"
    ]
    assert seller["errors"][0]["code"] == "FORBIDDEN"
