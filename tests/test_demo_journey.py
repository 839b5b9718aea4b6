"""The demo journey end to end: one negotiable bill, Busan -> Dalian by sea, Dalian -> Shenyang by rail,
the last miles by truck; every step a message in a real format; what the forwarder asks, answered."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from seeds import journey
from tests.conftest import Party, World, data, gql, journey_cast

WHERE = """query($n: String!) { container(number: $n) { number status {
  location modeOfTransport emptyIndicator eta billNumber currentLeg { sequence mode fromLocode toLocode }
  lastActualEvent { typeCode unLocationCode reportedBy { name } } } } }"""
WHO_HOLDS = """query($n: String!) { bill(number: $n) { state version holder { name } blankEndorsed surrenderPending
  endorsementChain { sequence action by { name } to { name } } legs { sequence mode fromLocode toLocode } } }"""
BILL_OP = """mutation($id: ID!) { %s(id: $id) { bill { state version } errors { code message } } }"""


def _where(client: TestClient, party: Party, number: str) -> dict[str, Any]:
    return data(gql(client, party.token, WHERE, {"n": number}))["container"]["status"]  # type: ignore[no-any-return]


def test_the_demo_journey_through_all_three_legs(client: TestClient, world: World) -> None:
    parties = journey_cast(world)
    ids = {name: str(p.id) for name, p in parties.items()}
    forwarder, seller, buyer = (
        parties["Bohai Multimodal Forwarding"],
        parties["Hanul Electronics Export"],
        parties["Liaoning Cross-Border Mall"],
    )

    made = data(
        gql(
            client,
            forwarder.token,
            """mutation($i: BillInput!) { createBill(input: $i) {
        bill { id number state } errors { code field message } } }""",
            {"i": journey.bill_input(ids)},
        )
    )["createBill"]
    assert made["errors"] == [], made["errors"]
    bill_id = made["bill"]["id"]
    issued = data(gql(client, forwarder.token, BILL_OP % "issueBill", {"id": bill_id}))["issueBill"]
    assert issued["bill"]["state"] == "ISSUED"
    box = journey.CONTAINERS[0]

    def send(step: journey.Step) -> None:
        answer = client.post(f"/ingest/{step.kind}", content=step.body, headers=parties[step.sender].headers)
        assert answer.status_code == 200, (step.what, answer.text)
        assert answer.json()["stored"] > 0, step.what

    # Leg 1, by sea: loaded at Busan, on its way to Dalian.
    send(journey.sea_loading())
    status = _where(client, forwarder, box)
    assert status["billNumber"] == journey.BILL_NUMBER
    assert (status["location"], status["modeOfTransport"]) == ("KRPUS", "VESSEL")
    assert status["currentLeg"] == {"sequence": 1, "mode": "SEA", "fromLocode": "KRPUS", "toLocode": "CNDLC"}
    assert status["eta"].startswith("2026-11-12T11:00")  # the carrier's estimated discharge at Dalian
    data(gql(client, forwarder.token, BILL_OP % "startTransit", {"id": bill_id}))

    # Dalian: discharged (COARRI), then out of the gate onto the train (CODECO).
    send(journey.dalian_discharge())
    status = _where(client, forwarder, box)
    assert (status["location"], status["currentLeg"]["sequence"]) == ("CNDLC", 1)
    assert status["lastActualEvent"]["reportedBy"]["name"] == "Dalian Container Terminal"
    send(journey.dalian_gate_out_rail())

    # Leg 2, by rail: the railway's own events.
    send(journey.rail_leg())
    status = _where(client, forwarder, box)
    assert status["currentLeg"] == {"sequence": 2, "mode": "RAIL", "fromLocode": "CNDLC", "toLocode": "CNSHE"}
    assert status["modeOfTransport"] == "RAIL" and status["eta"].startswith("2026-11-13T19:00")
    send(journey.shenyang_arrival())

    # Meanwhile the title moves: the seller endorses it to the buyer, who surrenders it to take delivery.
    holder = data(gql(client, forwarder.token, WHO_HOLDS, {"n": journey.BILL_NUMBER}))["bill"]
    assert holder["holder"]["name"] == "Hanul Electronics Export"
    endorse = """mutation($id: ID!, $to: ID!) { endorseTitle(id: $id, toOrgId: $to) { bill { version } errors { code message } } }"""
    assert (
        data(
            gql(client, forwarder.token, endorse, {"id": bill_id, "to": ids["Bank of Dalian Trade Finance"]})
        )["endorseTitle"]["errors"][0]["code"]
        == "FORBIDDEN"
    )
    assert (
        data(gql(client, seller.token, endorse, {"id": bill_id, "to": str(buyer.id)}))["endorseTitle"][
            "errors"
        ]
        == []
    )
    assert (
        data(gql(client, buyer.token, BILL_OP % "requestSurrender", {"id": bill_id}))["requestSurrender"][
            "errors"
        ]
        == []
    )

    # Leg 3, by road: picked up and delivered in Shenyang.
    send(journey.road_delivery())
    status = _where(client, forwarder, box)
    assert status["currentLeg"] == {"sequence": 3, "mode": "ROAD", "fromLocode": "CNSHE", "toLocode": "CNSHE"}
    assert status["lastActualEvent"]["typeCode"] == "DROP" and status["eta"] is None
    assert (
        data(gql(client, forwarder.token, BILL_OP % "confirmDelivery", {"id": bill_id}))["confirmDelivery"][
            "errors"
        ]
        == []
    )
    accepted = data(gql(client, forwarder.token, BILL_OP % "acceptSurrender", {"id": bill_id}))[
        "acceptSurrender"
    ]
    assert accepted["errors"] == [] and accepted["bill"]["state"] == "SURRENDERED"

    final = data(gql(client, buyer.token, WHO_HOLDS, {"n": journey.BILL_NUMBER}))["bill"]
    assert final["holder"] is None and final["state"] == "SURRENDERED"
    assert [
        (e["action"], e["by"]["name"], e["to"]["name"] if e["to"] else None)
        for e in final["endorsementChain"]
    ] == [
        ("ISSUE", "Bohai Multimodal Forwarding", "Hanul Electronics Export"),
        ("ENDORSE", "Hanul Electronics Export", "Liaoning Cross-Border Mall"),
        ("SURRENDER_REQUESTED", "Liaoning Cross-Border Mall", "Bohai Multimodal Forwarding"),
        ("SURRENDER_ACCEPTED", "Bohai Multimodal Forwarding", None),
    ]
    # The buyer (a past holder) follows the container; the bank, never named, sees neither.
    assert _where(client, buyer, box)["lastActualEvent"]["typeCode"] == "DROP"
    bank = parties["Bank of Dalian Trade Finance"]
    assert gql(client, bank.token, WHERE, {"n": box})["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert (
        gql(client, bank.token, WHO_HOLDS, {"n": journey.BILL_NUMBER})["errors"][0]["extensions"]["code"]
        == "NOT_FOUND"
    )
