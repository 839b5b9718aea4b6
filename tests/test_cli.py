"""The `hub` command as a user runs it: a real process, configured by HUB_* variables."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.servers import HUB, start_demo

ROOT = Path(__file__).resolve().parent.parent


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HUB, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def _env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "HUB_DATABASE_URL": database_url,
        "HUB_LOG_JSON": "false",
        "PYTHONPATH": str(Path.cwd()),
    }


def test_org_and_key_commands_honour_the_database_url(database_url: str, tmp_path: Path) -> None:
    env = _env(database_url)
    assert _run(["db", "upgrade"], env, tmp_path).returncode == 0
    made = _run(["org", "create", "Dalian Bank", "--type", "bank", "--country", "CN"], env, tmp_path)
    assert made.returncode == 0, made.stderr
    listed = _run(["org", "list"], env, tmp_path)
    assert "Dalian Bank" in listed.stdout and "bank" in listed.stdout
    dup = _run(["org", "create", "dalian bank", "--type", "bank"], env, tmp_path)
    assert dup.returncode == 1 and "CONFLICT" in dup.stderr
    bad = _run(["org", "create", "X", "--type", "pirate"], env, tmp_path)
    assert bad.returncode == 2
    key = _run(["key", "create", "--org", "Dalian Bank", "--role", "viewer"], env, tmp_path)
    assert key.returncode == 0, key.stderr
    token = key.stdout.strip().splitlines()[-1]
    assert token.startswith("hub_") and len(token) > 40
    missing = _run(["key", "create", "--org", "Nobody"], env, tmp_path)
    assert missing.returncode == 1 and "NOT_FOUND" in missing.stderr
    # Nothing was written to the default ./var database of the working directory.
    assert not (tmp_path / "var").exists()


def test_hub_demo_on_a_fresh_directory_serves_the_scenario(tmp_path: Path) -> None:
    process, keys, base, _ = start_demo(tmp_path)
    try:
        query = "{ me { organisation { name } } documents { nodes { reference owner { name } } } }"
        bank = httpx.post(
            f"{base}/graphql",
            json={"query": query},
            headers={"Authorization": f"Bearer {keys['Bank of Dalian Trade Finance']}"},
        ).json()["data"]
        assert bank["me"]["organisation"]["name"] == "Bank of Dalian Trade Finance"
        refs = {n["reference"] for n in bank["documents"]["nodes"]}
        assert refs == {
            "HNE-INV-2026-0412",
            "BDTF-CREDIT-2026-031",
        }  # its own, and the invoice the seller shared
        forwarder = keys["Bohai Multimodal Forwarding"]
        where = httpx.post(
            f"{base}/graphql",
            headers={"Authorization": f"Bearer {forwarder}"},
            json={
                "query": '{ container(number: "MSCU6639870") { status { billNumber currentLeg { sequence mode } } } }'
            },
        ).json()
        assert where["data"]["container"]["status"] == {
            "billNumber": "BMF-DLC-26-0001",
            "currentLeg": {"sequence": 2, "mode": "RAIL"},
        }
        financed = httpx.post(
            f"{base}/graphql",
            headers={"Authorization": f"Bearer {keys['Bank of Dalian Trade Finance']}"},
            json={
                "query": "{ receivables { nodes { invoiceNumber status lender { name } disbursedAt "
                "repayDaysAfterDelivery repaymentDue conditions { kind met detail } } } }"
            },
        ).json()["data"]["receivables"]["nodes"]
        (loan,) = financed
        # Financed on terms: the journey's load at Busan met the condition; repayment waits for delivery.
        (condition,) = loan.pop("conditions")
        assert condition["kind"] == "LOADED" and condition["met"] and "at KRPUS" in condition["detail"]
        assert loan.pop("disbursedAt") is not None
        assert loan == {
            "invoiceNumber": "HNE-INV-2026-0412",
            "status": "PLEDGED",
            "lender": {"name": "Bank of Dalian Trade Finance"},
            "repayDaysAfterDelivery": 60,
            "repaymentDue": None,
        }
        shop = httpx.post(
            f"{base}/graphql",
            headers={"Authorization": f"Bearer {keys['Hanul Electronics Export']}"},
            json={
                "query": "{ commerceOrders { nodes { matchStatus } } inventoryLists { nodes { status } } }"
            },
        ).json()["data"]
        statuses = [o["matchStatus"] for o in shop["commerceOrders"]["nodes"]]
        assert sorted(statuses) == ["MATCHED"] * 5 + ["MISMATCH"]
        assert sorted(i["status"] for i in shop["inventoryLists"]["nodes"]) == [
            "RELEASED",
            "SUBMITTED",
            "SUBMITTED",
        ]
        calls = httpx.post(
            f"{base}/graphql",
            headers={"Authorization": f"Bearer {keys['Port of Dalian Operations']}"},
            json={
                "query": '{ vesselCalls(start: "2026-11-11T00:00:00Z", end: "2026-11-14T00:00:00Z") '
                "{ nodes { vesselName ata moves { discharge { containerNumber } } } } }"
            },
        ).json()["data"]["vesselCalls"]["nodes"]
        assert [c["vesselName"] for c in calls] == ["KOREA STAR"]
        assert sorted(m["containerNumber"] for m in calls[0]["moves"]["discharge"]) == [
            "MSCU6639870",
            "TGHU8841201",
        ]
        assert (tmp_path / "var" / "hub.db").exists()
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_hub_ingest_detects_formats_and_reports_refusals(database_url: str, tmp_path: Path) -> None:
    from tests.fixtures import DCSA, EDIFACT

    env = _env(database_url)
    assert _run(["db", "upgrade"], env, tmp_path).returncode == 0
    assert _run(["org", "create", "Dalian Terminal", "--type", "terminal"], env, tmp_path).returncode == 0
    broken = tmp_path / "broken.edi"
    broken.write_bytes(
        (EDIFACT / "CODECO_D95B_huelva.edi").read_bytes().replace(b"UNT+000022", b"UNT+000005")
    )
    files = [str(EDIFACT / "COARRI_D95B_genoa_cosco.edi"), str(DCSA / "tnt-220-response.json"), str(broken)]
    result = _run(["ingest", *files, "--org", "Dalian Terminal"], env, tmp_path)
    assert result.returncode == 1
    assert "COARRI_D95B_genoa_cosco.edi: edifact, 25 stored" in result.stderr
    assert "tnt-220-response.json: dcsa, 7 stored" in result.stderr
    assert "broken.edi: refused" in result.stderr and "(UNT)" in result.stderr
    assert "32 records stored, 0 duplicates" in result.stdout
    again = _run(["ingest", files[0], "--org", "Dalian Terminal"], env, tmp_path)
    assert again.returncode == 0 and "0 records stored, 25 duplicates" in again.stdout


def test_a_user_verifies_and_exports_a_demo_record_beside_the_running_hub_and_after(tmp_path: Path) -> None:
    """The README's verification section on the default install: the embedded chain, `hub demo` running."""
    process, keys, base, env = start_demo(tmp_path)
    try:
        regulator = {"Authorization": f"Bearer {keys['Trade Facilitation Regulator']}"}
        query = "{ documents(first: 1) { nodes { id } } }"
        record = httpx.post(f"{base}/graphql", json={"query": query}, headers=regulator).json()
        record_id = record["data"]["documents"]["nodes"][0]["id"]
        check = {
            "query": 'query ($id: ID!) { verifyRecord(kind: "document", id: $id) { status } }',
            "variables": {"id": record_id},
        }
        deadline = time.monotonic() + 60
        while (
            httpx.post(f"{base}/graphql", json=check, headers=regulator).json()["data"]["verifyRecord"][
                "status"
            ]
            != "ANCHORED"
        ):
            assert time.monotonic() < deadline, "the demo never anchored its records"
            time.sleep(0.2)
        verified = _run(["verify", "document", record_id], env, tmp_path)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "ANCHORED" in verified.stdout
        exported = _run(["export", "document", record_id, "-o", "record.json"], env, tmp_path)
        assert exported.returncode == 0, exported.stderr
        alone = subprocess.run(
            [sys.executable, "-m", "ledger.verify", "record.json", "--chain-dir", "var/chain"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert alone.returncode == 0 and alone.stdout.strip().endswith("VERIFIED"), (
            alone.stdout + alone.stderr
        )
        # The server still holds its chain and still anchors: the commands only read a copy.
        assert httpx.get(f"{base}/ready").json()["checks"]["chain"] == "ok"
    finally:
        process.terminate()
        process.wait(timeout=20)
    again = _run(["verify", "document", record_id], env, tmp_path)
    assert again.returncode == 0 and "ANCHORED" in again.stdout, again.stdout + again.stderr
    tampered = tmp_path / "tampered.json"
    text = (tmp_path / "record.json").read_text()
    body = json.loads(text)
    body["document"]["record"]["reference"] = "FORGED-1"
    tampered.write_text(json.dumps(body))
    refused = subprocess.run(
        [sys.executable, "-m", "ledger.verify", str(tampered), "--chain-dir", "var/chain"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 1 and "NOT VERIFIED" in refused.stdout, refused.stdout


def test_hub_export_writes_a_document_as_an_openattestation_file(tmp_path: Path) -> None:
    """`hub export document ID --format oa`: the file the API gave, beside the running hub; a document never
    exported is issued by the command once the hub has stopped (the embedded chain has one writer)."""
    from tests.test_open_attestation import tradetrust

    process, keys, base, env = start_demo(tmp_path)
    try:
        regulator = {"Authorization": f"Bearer {keys['Trade Facilitation Regulator']}"}
        listed = httpx.post(
            f"{base}/graphql", json={"query": "{ documents { nodes { id } } }"}, headers=regulator
        )
        first, second = (n["id"] for n in listed.json()["data"]["documents"]["nodes"][:2])
        query = {"query": "query($id: ID!) { exportDocument(id: $id) }", "variables": {"id": first}}
        api = json.loads(
            httpx.post(f"{base}/graphql", json=query, headers=regulator).json()["data"]["exportDocument"]
        )
        written = _run(["export", "document", first, "--format", "oa", "-o", "first.tt"], env, tmp_path)
        assert written.returncode == 0, written.stderr
        assert json.loads((tmp_path / "first.tt").read_text()) == api
        busy = _run(["export", "document", second, "--format", "oa"], env, tmp_path)
        assert busy.returncode == 1 and "chain" in busy.stderr, busy.stderr
    finally:
        process.terminate()
        process.wait(timeout=20)
    issued = _run(["export", "document", second, "--format", "oa", "-o", "second.tt"], env, tmp_path)
    assert issued.returncode == 0, issued.stderr
    again = _run(["export", "document", second, "--format", "oa"], env, tmp_path)
    assert json.loads(again.stdout) == json.loads((tmp_path / "second.tt").read_text())  # issued once
    verdicts = tradetrust([api, json.loads(again.stdout)])
    assert [(v["schema"], v["signature"], v["integrity"]) for v in verdicts] == [(True, True, True)] * 2
    wrong = _run(["export", "tracking_event", first, "--format", "oa"], env, tmp_path)
    assert wrong.returncode == 2 and "receivable, not tracking_event" in " ".join(wrong.stderr.split())


def test_the_readme_dcsa_3_examples_run(tmp_path: Path) -> None:
    """The README's curl lines for /v3/events and /v3/transport-documents, run as written against `hub demo`
    (its port swapped in)."""
    import re

    from tests.dcsa_spec import errors, get_events_v3_validator

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("# DCSA Track & Trace 3.0 (", 1)[1].split("```", 1)[0]
    commands = [c.strip() for c in re.split(r"\n(?=curl )", block.split("\n", 1)[1].replace("\\\n", " "))]
    assert len(commands) == 2 and all(c.startswith("curl ") for c in commands)
    ebl = text.split("# DCSA eBL 3.0 (", 1)[1].split("```", 1)[0].split("\n", 1)[1].strip()
    assert ebl.startswith("curl ") and "\n" not in ebl
    process, keys, base, _ = start_demo(tmp_path)
    try:
        answers = []
        for command, org in (
            *((c, "Dalian Container Terminal") for c in commands),
            (ebl, "Bohai Multimodal Forwarding"),
        ):
            done = subprocess.run(
                ["bash", "-c", command.replace("http://127.0.0.1:8000", base)],
                cwd=ROOT,
                env={**os.environ, "KEY": keys[org]},
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            assert done.returncode == 0, (command, done.stdout, done.stderr)
            answers.append(json.loads(done.stdout))
    finally:
        process.terminate()
        process.wait(timeout=30)
    found, published, document = answers
    from tests.test_ebl import _validator

    assert errors(_validator("TransportDocument"), document) == [] and document["transportDocumentReference"]
    assert errors(get_events_v3_validator(), found) == [] and found["events"]
    assert {e["equipmentDetails"]["equipmentReference"] for e in found["events"]} == {"MSCU6639870"}
    assert published["stored"] >= 1


def test_chain_deploy_deploys_each_contract_once(database_url: str, tmp_path: Path) -> None:
    """`hub chain deploy` on a node: every contract the hub uses, remembered; run again, the same ones."""
    from tests.servers import Anvil

    node = Anvil(tmp_path / "anvil").start()
    try:
        env = {
            **_env(database_url),
            "HUB_CHAIN_URL": node.url,
            "HUB_CHAIN_PRIVATE_KEY": "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
        }
        assert _run(["db", "upgrade"], env, tmp_path).returncode == 0
        first = _run(["chain", "deploy"], env, tmp_path)
        assert first.returncode == 0, first.stderr
        import re

        def printed(out: str) -> list[str]:  # the address lines (the log writes to stdout too)
            return re.findall(r"^0x[0-9a-fA-F]{40}$", out, re.MULTILINE)

        from ledger.build import CONTRACT_NAMES

        addresses = printed(first.stdout)
        assert len(addresses) == len(set(addresses)) == len(CONTRACT_NAMES) == 5
        for name in (
            "AnchorRegistry",
            "TitleRegistry",
            "ReceivableRegistry",
            "DocumentStore",
            "TradeTrustTitles",
        ):
            assert name in first.stderr
        # The identity record TradeTrust's DNS-TXT check reads, for the document store just deployed.
        assert f"openatts net=ethereum netId=31337 addr={addresses[3]}" in " ".join(first.stderr.split())
        again = _run(["chain", "deploy"], env, tmp_path)
        assert again.returncode == 0 and printed(again.stdout) == addresses
    finally:
        node.stop()
