"""Issue 24: a bill's title moves between two real hub processes over DCSA PINT 3.0.0, and comes back to be
surrendered to its carrier. Dalian (``DLHB``) issues the bill; Busan (``BUSN``) is another platform with
its own database, its own chain and its own signing key. Each hub knows the other from its peers file
and calls it with a key of the other's ``ebl_platform`` organisation, as two operators would set it up.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jws
from joserfc.jwk import KeySet, RSAKey

from hub import migrate
from hub.auth import service as auth
from hub.auth.models import OrgType
from hub.bus import InProcessBus
from hub.db import make_engine
from hub.settings import Settings
from hub.state import HubState
from seeds import journey
from tests.conftest import JOURNEY_CAST, PEPPER
from tests.servers import HUB, ROOT, free_port
from tests.test_ebl import GOOD as PROFILE_INPUT


@dataclass
class Hub:
    code: str
    folder: Path
    port: int = field(default_factory=free_port)
    keys: dict[str, str] = field(default_factory=dict)  # organisation name -> API key
    ids: dict[str, str] = field(default_factory=dict)
    signing: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, private=True))
    process: subprocess.Popen[bytes] | None = None

    @property
    def country(self) -> str:
        return "CN" if self.code == "DLHB" else "KR"

    @property
    def peer_country(self) -> str:
        return "KR" if self.code == "DLHB" else "CN"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database(self) -> Path:
        return self.folder / "hub.db"

    def organisations(self, orgs: dict[str, OrgType]) -> None:
        url = f"sqlite:///{self.database}"
        migrate.upgrade(url)
        state = HubState(
            settings=Settings(database_url=url, key_pepper=PEPPER),
            engine=make_engine(url),
            bus=InProcessBus(),
        )
        with state.session() as session:
            for name, kind in orgs.items():
                # The peer platform's stand-in is in the peer's country: a title sent there leaves this one.
                here = kind is not OrgType.EBL_PLATFORM
                org = auth.create_organisation(
                    session, name, kind, self.country if here else self.peer_country
                )
                self.keys[name] = auth.issue_key(session, org, pepper=PEPPER).token
                self.ids[name] = str(org.id)
            session.commit()
        state.engine.dispose()

    def start(self, peer: Hub) -> None:
        key = self.folder / "pint.pem"
        key.write_bytes(self.signing.as_pem(private=True))
        peers = self.folder / "peers.json"
        stand_in = f"{peer.code} hub"
        peers.write_text(
            json.dumps(
                {
                    "platforms": [
                        {
                            "code": peer.code,
                            "url": peer.url,
                            "organisation": stand_in,
                            "apiKey": peer.keys[f"{self.code} hub"],
                            "keys": [peer.signing.as_dict(private=False)],
                        }
                    ]
                }
            )
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
        env.update(
            {
                "PYTHONPATH": str(Path.cwd()),
                "HUB_ENV": "test",
                "HUB_DATABASE_URL": f"sqlite:///{self.database}",
                "HUB_KEY_PEPPER": PEPPER,
                "HUB_CHAIN_DATA_DIR": str(self.folder / "chain"),
                "HUB_ANCHOR_MAX_WAIT_SECONDS": "0.05",
                "HUB_PINT_PLATFORM": self.code,
                "HUB_COUNTRY": self.country,
                "HUB_PINT_SIGNING_KEY_FILE": str(key),
                "HUB_PINT_PEERS_FILE": str(peers),
                "HUB_LOG_JSON": "false",
                "HUB_LOG_LEVEL": "WARNING",
            }
        )
        self.process = subprocess.Popen(
            [*HUB, "serve", "--port", str(self.port)],
            env=env,
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
            stderr=(self.folder / "hub.log").open("w"),
        )

    def wait(self) -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/ready").json()["checks"].get("chain") == "ok":
                    return
            except (httpx.TransportError, ValueError, KeyError):
                pass
            assert self.process is not None and self.process.poll() is None, (
                self.folder / "hub.log"
            ).read_text()
            assert time.monotonic() < deadline, f"hub {self.code} never became ready"
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)

    def gql(self, who: str, query: str, **variables: Any) -> dict[str, Any]:
        answer = httpx.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {self.keys[who]}"},
            timeout=60,
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert not body.get("errors"), body["errors"]
        return body["data"]  # type: ignore[no-any-return]


@pytest.fixture
def hubs(tmp_path: Path) -> Iterator[tuple[Hub, Hub]]:
    dalian, busan = Hub("DLHB", tmp_path / "dalian"), Hub("BUSN", tmp_path / "busan")
    for hub in (dalian, busan):
        hub.folder.mkdir()
    dalian.organisations(
        {**JOURNEY_CAST, "BUSN hub": OrgType.EBL_PLATFORM, "Dalian Data Regulator": OrgType.REGULATOR}
    )
    busan.organisations(
        {
            "Busan Importer": OrgType.FORWARDER,
            "DLHB hub": OrgType.EBL_PLATFORM,
            "Busan Data Regulator": OrgType.REGULATOR,
        }
    )
    try:
        dalian.start(busan)
        busan.start(dalian)
        dalian.wait()
        busan.wait()
        yield dalian, busan
    finally:
        dalian.stop()
        busan.stop()


BILL = """query($n: String!) { bill(number: $n) { id state version surrenderPending originPlatform titlePlatform
  holder { name } endorsementChain { action }
  platformTransfers { direction platform state responseCode } } }"""
SEND = """mutation($id: ID!, $code: String!) { sendTitleToPlatform(id: $id, platform: "BUSN", partyCode: $code) {
  transfer { state responseCode reason } bill { titlePlatform holder { name } } errors { code message } } }"""
SURRENDER = """mutation($id: ID!) { surrenderToPlatform(id: $id, note: "for delivery in Busan") {
  transfer { state responseCode reason } bill { surrenderPending titlePlatform } errors { code message } } }"""
VERIFY = """query($id: ID!) { verifyRecord(kind: "bill", id: $id) { status version } }"""


def _readme_lines(hub: Hub, env: dict[str, str]) -> list[Any]:
    """The README's DCSA PINT curl lines, run as written in ``hub``'s folder (its port swapped in)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("# DCSA PINT 3.0 (", 1)[1].split("```", 1)[0].split("\n", 1)[1]
    lines = [line.strip() for line in block.strip().splitlines()]
    assert len(lines) == 4 and all(line.startswith("curl ") for line in lines)
    out = []
    for line in lines:
        done = subprocess.run(
            ["bash", "-c", line.replace("http://127.0.0.1:8000", hub.url)],
            cwd=hub.folder,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert done.returncode == 0, (line, done.stdout, done.stderr)
        out.append(json.loads(done.stdout))
    return out


def _anchored(hub: Hub, who: str, bill_id: str, version: int) -> None:
    deadline = time.monotonic() + 30
    while True:
        found = hub.gql(who, VERIFY, id=bill_id)["verifyRecord"]
        if found["status"] == "ANCHORED" and found["version"] == version:
            return
        assert found["status"] in ("ANCHORED", "PENDING"), found
        assert time.monotonic() < deadline, found
        time.sleep(0.2)


def _rule(hub: Hub, regulator: str, country: str) -> None:
    approved = hub.gql(
        regulator,
        """mutation($i: TransferRuleInput!) { approveTransferRule(input: $i) { errors { message } } }""",
        i={
            "destinationCountry": country,
            "recordKinds": ["bill"],
            "maxClass": "IMPORTANT",
            "purpose": "negotiable titles to and from the peer platform",
            "validUntil": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
        },
    )
    assert approved["approveTransferRule"]["errors"] == []


def test_a_title_goes_to_another_hub_and_comes_back_to_be_surrendered(hubs: tuple[Hub, Hub]) -> None:
    dalian, busan = hubs
    forwarder, seller = "Bohai Multimodal Forwarding", "Hanul Electronics Export"
    number = journey.BILL_NUMBER
    # Dalian issues a negotiable bill; the shipper holds its title.
    dalian.gql(
        forwarder,
        "mutation($i: IssuerProfileInput!) { setIssuerProfile(input: $i) { errors { message } } }",
        i=PROFILE_INPUT,
    )
    created = dalian.gql(
        forwarder,
        "mutation($i: BillInput!) { createBill(input: $i) { bill { id } errors { message } } }",
        i=journey.bill_input(dalian.ids),
    )
    bill_id = created["createBill"]["bill"]["id"]
    assert not dalian.gql(
        forwarder, "mutation($id: ID!) { issueBill(id: $id) { errors { message } } }", id=bill_id
    )["issueBill"]["errors"]

    # The shipper sends it to the importer, an account on Busan's platform: a bill (cargo, values) leaving
    # for Korea needs a transfer rule of Dalian's regulator; refused, nothing is stored or sent.
    refused = dalian.gql(seller, SEND, id=bill_id, code=busan.ids["Busan Importer"])["sendTitleToPlatform"]
    assert refused["transfer"] is None and refused["errors"][0]["code"] == "FORBIDDEN"
    assert "transfer rule" in refused["errors"][0]["message"] and "KR" in refused["errors"][0]["message"]
    _rule(dalian, "Dalian Data Regulator", "KR")
    sent = dalian.gql(seller, SEND, id=bill_id, code=busan.ids["Busan Importer"])["sendTitleToPlatform"]
    assert sent["errors"] == [] and sent["transfer"] == {
        "state": "ACCEPTED",
        "responseCode": "RECE",
        "reason": None,
    }
    assert sent["bill"] == {"titlePlatform": "BUSN", "holder": {"name": "BUSN hub"}}
    # On Dalian the title is away: its holder there cannot move it.
    endorse = dalian.gql(
        seller,
        "mutation($id: ID!, $to: ID!) { endorseTitle(id: $id, toOrgId: $to) { errors { message } } }",
        id=bill_id,
        to=dalian.ids["Liaoning Cross-Border Mall"],
    )["endorseTitle"]["errors"]
    assert "eBL platform BUSN" in endorse[0]["message"]
    # On Busan the importer holds it, of the bill Dalian issued.
    there = busan.gql("Busan Importer", BILL, n=number)["bill"]
    assert there["holder"] == {"name": "Busan Importer"} and there["originPlatform"] == "DLHB"
    assert there["endorsementChain"] == [{"action": "PLATFORM_RECEIVED"}]
    assert there["platformTransfers"] == [
        {"direction": "in", "platform": "DLHB", "state": "ACCEPTED", "responseCode": "RECE"}
    ]
    # Both platforms serve the same transport document, and both anchored the step.
    documents = [
        httpx.get(
            f"{h.url}/v3/transport-documents/{number}", headers={"Authorization": f"Bearer {h.keys[who]}"}
        ).json()
        for h, who in ((dalian, forwarder), (busan, "Busan Importer"))
    ]
    assert documents[0] == documents[1] and documents[0]["transportDocumentReference"] == number
    here = dalian.gql(forwarder, BILL, n=number)["bill"]
    _anchored(dalian, forwarder, bill_id, here["version"])
    _anchored(busan, "Busan Importer", there["id"], there["version"])

    # The README's PINT lines, as written, against Busan with Dalian's key there: Busan's keys, receiver
    # validation, Dalian's envelope sent again (a replay: DUPE, nothing changes) and its finish again.
    with sqlite3.connect(dalian.database) as db:
        (envelope,) = db.execute("select envelope from pint_transfer where direction = 'out'").fetchone()
    with sqlite3.connect(busan.database) as db:
        (reference,) = db.execute("select envelope_reference from pint_transfer").fetchone()
    (busan.folder / "envelope.json").write_text(envelope)
    answers = _readme_lines(
        busan, {"KEY": busan.keys["DLHB hub"], "PARTY": busan.ids["Busan Importer"], "REF": reference}
    )
    assert [k["kty"] for k in answers[0]["keys"]] == ["RSA"]
    assert answers[1] == {"partyName": "Busan Importer"}
    keys = KeySet.import_key_set(answers[0])
    said = [json.loads(jws.deserialize_compact(a, keys, algorithms=["RS256"]).payload) for a in answers[2:]]
    assert [s["responseCode"] for s in said] == ["DUPE", "RECE"]
    assert busan.gql("Busan Importer", BILL, n=number)["bill"]["version"] == there["version"]

    # The importer surrenders it to the carrier, whose platform is Dalian's: out of Korea, under Busan's rule.
    _rule(busan, "Busan Data Regulator", "CN")
    surrendered = busan.gql("Busan Importer", SURRENDER, id=there["id"])["surrenderToPlatform"]
    assert surrendered["errors"] == [] and surrendered["transfer"]["responseCode"] == "RECE"
    assert surrendered["bill"] == {"surrenderPending": True, "titlePlatform": "DLHB"}
    home = dalian.gql(forwarder, BILL, n=number)["bill"]
    assert home["surrenderPending"] is True and home["titlePlatform"] is None
    assert [s["action"] for s in home["endorsementChain"]] == [
        "ISSUE",
        "PLATFORM_SENT",
        "SURRENDER_REQUESTED",
    ]
    # The issuer accepts: the title is spent on Dalian, and Busan hears it (SACC) and closes its copy.
    accepted = dalian.gql(
        forwarder,
        "mutation($id: ID!) { acceptSurrender(id: $id) { bill { state } errors { message } } }",
        id=bill_id,
    )
    assert accepted["acceptSurrender"] == {"bill": {"state": "SURRENDERED"}, "errors": []}
    closed = busan.gql("Busan Importer", BILL, n=number)["bill"]
    assert closed["state"] == "SURRENDERED" and closed["holder"] is None and closed["titlePlatform"] is None
    assert [s["action"] for s in closed["endorsementChain"]] == [
        "PLATFORM_RECEIVED",
        "SURRENDER_REQUESTED",
        "SURRENDER_ACCEPTED",
    ]
    final = dalian.gql(forwarder, BILL, n=number)["bill"]
    assert [(t["direction"], t["responseCode"]) for t in final["platformTransfers"]] == [
        ("out", "RECE"),
        ("in", "RECE"),
        ("out", "RECE"),
    ]
    _anchored(dalian, forwarder, bill_id, final["version"])
    _anchored(busan, "Busan Importer", there["id"], closed["version"])
