"""What the web console stands on: the files the hub serves at ``/``, the API fields it added for every
client (a record's export and the check of an exported file), and the console's own type check and unit
tests (TypeScript, run by Vitest). Its pages in a real browser: tests/test_console_browser.py."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from hub.api import console
from hub.auth.models import OrgType
from tests.conftest import World, create_doc, data, gql

ROOT = Path(__file__).resolve().parent.parent
EXPORT = "query($kind: String!, $id: ID!) { exportRecord(kind: $kind, id: $id) }"
CHECK = "query($file: String!) { checkExportedRecord(file: $file) { verified kind recordId version steps } }"
STATUS = 'query($id: ID!) { verifyRecord(kind: "document", id: $id) { status } }'


def _npm(*args: str) -> subprocess.CompletedProcess[str]:
    npx = shutil.which("npx")
    assert npx is not None, "Node.js and npm build the console (scripts/setup.sh)"
    return subprocess.run([npx, *args], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


def test_the_console_type_checks_and_its_unit_tests_pass() -> None:
    typed = _npm("tsc", "-p", "console")
    assert typed.returncode == 0, typed.stdout + typed.stderr
    tested = _npm("vitest", "run", "--config", "console/vite.config.mts", "--reporter=dot")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert " passed" in tested.stdout and "failed" not in tested.stdout, tested.stdout


def test_the_hub_serves_the_built_console_with_a_strict_policy(client: TestClient) -> None:
    assert console.built(), "scripts/setup.sh builds the console into hub/api/console/dist"
    page = client.get("/")
    assert page.status_code == 200 and '<div id="app">' in page.text
    policy = page.headers["content-security-policy"]
    assert (
        "default-src 'self'" in policy
        and "script-src 'self'" in policy
        and "frame-ancestors 'none'" in policy
    )
    assert page.headers["cache-control"] == "no-cache"
    # Every script and style the page loads is the hub's own, under /assets, cached for good.
    names = [part.split('"')[0] for part in page.text.split('="/assets/')[1:]]
    assert names and all(name.endswith((".js", ".css")) for name in names), page.text
    for name in names:
        asset = client.get(f"/assets/{name}")
        assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"]
    assert "http://" not in page.text and "https://" not in page.text  # nothing from another host


@pytest.mark.parametrize("name", ["..%2Fpyproject.toml", ".hidden.js", "index.html", "nothing-here.js"])
def test_only_built_assets_are_served(client: TestClient, name: str) -> None:
    refused = client.get(f"/assets/{name}")
    assert refused.status_code == 404, (name, refused.text)


def test_an_unbuilt_console_says_how_to_build_it(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(console, "dist", lambda: tmp_path)
    page = client.get("/")
    assert page.status_code == 503 and "scripts/setup.sh" in page.text


def _anchored(client: TestClient, token: str, doc: str) -> None:
    deadline = time.monotonic() + 30
    while data(gql(client, token, STATUS, {"id": doc}))["verifyRecord"]["status"] != "ANCHORED":
        assert time.monotonic() < deadline, "the document was never anchored"
        time.sleep(0.05)


def _check(client: TestClient, token: str, exported: dict[str, Any]) -> dict[str, Any]:
    return data(gql(client, token, CHECK, {"file": json.dumps(exported)}))["checkExportedRecord"]


def test_an_exported_record_checks_against_the_chain_and_a_changed_copy_fails_where_it_changed(
    client: TestClient, world: World
) -> None:
    seller = world.party(OrgType.SELLER)
    bank = world.party(OrgType.BANK)
    doc = create_doc(client, seller)
    pending = gql(client, seller.token, EXPORT, {"kind": "document", "id": doc})
    if not pending.get("errors"):  # anchored already: the worker was quick
        assert json.loads(pending["data"]["exportRecord"])["document"]["id"] == doc
    else:  # not yet anchored: the export says so instead of a file that would not verify
        assert pending["errors"][0]["extensions"]["code"] == "INVALID", pending
    _anchored(client, seller.token, doc)
    exported = json.loads(
        data(gql(client, seller.token, EXPORT, {"kind": "document", "id": doc}))["exportRecord"]
    )
    assert exported["format"] == "hub-anchored-record/1" and exported["document"]["kind"] == "document"
    # Anyone with a key may check a file: the bank was never shared the document, and need not be.
    good = _check(client, bank.token, exported)
    assert good["verified"] is True and good["recordId"] == doc and good["kind"] == "document"
    assert [step.split(" ")[0] for step in good["steps"]] == ["record", "proof", "the", "the"]
    changed = copy.deepcopy(exported)
    changed["document"]["record"]["title"] = "A different title"
    bad = _check(client, bank.token, changed)
    assert bad["verified"] is False and "was changed" in bad["steps"][-1]
    rerooted = copy.deepcopy(exported)
    rerooted["root"] = "0x" + "ab" * 32
    assert "does not lead to the root" in _check(client, bank.token, rerooted)["steps"][-1]
    # The export itself follows the record's visibility; the check reads a file, not the database.
    hidden = gql(client, bank.token, EXPORT, {"kind": "document", "id": doc})
    assert hidden["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    for file, place in (("{not json", "file"), ("[1, 2]", "file"), ("x" * 1_000_001, "file")):
        refused = gql(client, bank.token, CHECK, {"file": file})
        assert refused["errors"][0]["extensions"]["field"] == place, refused
    anonymous = client.post("/graphql", json={"query": CHECK, "variables": {"file": "{}"}})
    assert (
        anonymous.status_code == 401
        or anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    )
