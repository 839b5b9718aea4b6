"""The web console as people use it: Debian's chromium, headless, against a real `hub demo` process.

One test per user journey: sign in, do the job, see the result. Every page the tests open is saved as a
screenshot under ``var/screenshots/`` (``HUB_SCREENSHOTS`` moves it), which CI keeps; a test fails on any
error in the browser's console, any failed request and any HTTP error the page did not expect.

The console is the public API in a browser: every check here could be made with curl and the same key,
and the write controls a key lacks are absent from the page (the hub would refuse them anyway).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from seeds import journey, yard
from tests.servers import start_demo

ROOT = Path(__file__).resolve().parent.parent
SHOTS = Path(os.environ.get("HUB_SCREENSHOTS", ROOT / "var" / "screenshots"))
FIXTURES = ROOT / "tests" / "data" / "fixtures"

FORWARDER = "Bohai Multimodal Forwarding"
RAIL = "Shenyang Rail Container Co."
TERMINAL = "Dalian Container Terminal"
PORT = "Port of Dalian Operations"
SELLER = "Hanul Electronics Export"
PLATFORM = "Liaoning Cross-Border Mall"
BANK = "Bank of Dalian Trade Finance"
CUSTOMS = "Dalian Customs District"
REGULATOR = "Trade Facilitation Regulator"


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "Debian's chromium is missing: scripts/setup.sh --browser installs it (as root)"
    return found


@dataclass
class Demo:
    """The running demo: its address, a key per organisation, and its working directory."""

    base: str
    keys: dict[str, str]
    cwd: Path

    def gql(self, org: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = httpx.post(
            f"{self.base}/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {self.keys[org]}"},
            timeout=30,
        ).json()
        assert not answer.get("errors"), answer
        return dict(answer["data"])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    cwd = tmp_path_factory.mktemp("console-demo")
    process, keys, base, _ = start_demo(cwd)
    try:
        yield Demo(base, keys, cwd)
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        yield _launch(p)


def _launch(p: Playwright) -> Browser:
    # --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
    return p.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])


@dataclass
class Watch:
    """What went wrong in a page: console errors, failed requests, HTTP errors not expected."""

    expected: set[int] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("requestfailed", self._failed)
        page.on(
            "response",
            lambda r: (
                r.status >= 400
                and r.status not in self.expected
                and self.problems.append(f"HTTP {r.status}: {r.request.method} {r.url}")
            ),
        )

    def _console(self, message: Any) -> None:
        # Chromium also logs each HTTP error response; one the test expects is no problem.
        loaded = any(f"status of {status} " in message.text for status in self.expected)
        if message.type == "error" and not loaded:
            self.problems.append(f"console: {message.text}")

    def _failed(self, request: Any) -> None:
        # A download the test saves is aborted for the page, not failed for the user.
        if not request.url.startswith("blob:"):
            self.problems.append(f"failed: {request.method} {request.url} ({request.failure})")


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def page(browser: Browser, watch: Watch) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    watch.attach(page)
    yield page
    context.close()
    assert watch.problems == [], "\n".join(watch.problems)


def sign_in(page: Page, demo: Demo, org: str, key: str | None = None) -> None:
    """Sign in from the sign-in page: the one the page shows after signing out, or a fresh visit (a visit
    while the app is loading would abort its requests, which no user's click does)."""
    if not page.url.startswith(demo.base) or not page.get_by_label("API key").is_visible():
        page.goto(demo.base + "/")
    page.get_by_label("API key").fill(key or demo.keys[org])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("who")).to_contain_text(org)


def nav(page: Page, label: str) -> None:
    """Go to a page as a person does: its link in the header."""
    page.get_by_role("navigation", name="Pages").get_by_role("link", name=label, exact=True).click()


def open_page(page: Page, demo: Demo, path: str) -> None:
    page.goto(f"{demo.base}/#{path}")


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_sign_in_keeps_the_key_in_the_tab_and_a_refused_key_returns_with_the_reason(
    page: Page, demo: Demo, watch: Watch
) -> None:
    watch.expected.add(401)  # the refused key's answer, which the page turns into the reason
    page.goto(demo.base + "/")
    expect(page.get_by_role("heading", name="Port and trade hub")).to_be_visible()
    shot(page, "sign-in")
    sign_in(page, demo, FORWARDER)
    stored = page.evaluate("() => [sessionStorage.getItem('hub.apiKey'), localStorage.length]")
    assert stored == [demo.keys[FORWARDER], 0]
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("API key")).to_be_visible()
    assert page.evaluate("() => sessionStorage.getItem('hub.apiKey')") is None
    # A key that does not work (revoked, expired, mistyped) lands back on sign-in, saying why.
    page.get_by_label("API key").fill("hub_000000000000_not-a-key-at-all-000000000")
    page.keyboard.press("Enter")  # the form works from the keyboard
    expect(page.get_by_role("alert")).to_contain_text("The hub refused the key")
    expect(page.get_by_label("API key")).to_be_visible()
    shot(page, "sign-in-refused")


def test_forwarder_follows_the_journey_and_a_new_event_arrives_live(page: Page, demo: Demo) -> None:
    sign_in(page, demo, FORWARDER)
    nav(page, "Track")
    page.get_by_label("Container or bill number").fill(journey.CONTAINERS[0])
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("heading", name=f"Container {journey.CONTAINERS[0]}")).to_be_visible()
    rail = page.locator("li.leg", has_text="Leg 2: rail CNDLC → CNSHE")
    expect(rail).to_contain_text("current", ignore_case=True)  # the badge
    sea = page.locator("li.leg", has_text="Leg 1: sea KRPUS → CNDLC")
    expect(sea).to_contain_text("4 h late")  # planned arrival 08:00, discharged 12:00
    expect(page.get_by_test_id("live")).to_contain_text("Live")
    expect(rail).not_to_contain_text("Arrived")
    shot(page, "forwarder-journey")
    # The train reaches Shenyang: the railway's DCSA 3.0 events arrive over REST while the page is open.
    step = journey.shenyang_arrival()
    sent = httpx.post(
        f"{demo.base}/ingest/dcsa",
        content=step.body,
        headers={"Authorization": f"Bearer {demo.keys[RAIL]}", "Content-Type": "application/json"},
        timeout=30,
    )
    assert sent.status_code == 200, sent.text
    expect(rail.get_by_text("NEW", exact=True)).to_be_visible(timeout=15_000)
    expect(rail).to_contain_text("Discharged")
    expect(page.get_by_test_id("live")).to_contain_text("1 new event")
    shot(page, "forwarder-journey-live")


def test_the_holder_endorses_the_title_and_the_bill_shows_it(page: Page, demo: Demo) -> None:
    sign_in(page, demo, SELLER)
    open_page(page, demo, f"/bills/{journey.BILL_NUMBER}")
    expect(page.get_by_test_id("holder")).to_have_text(SELLER)
    expect(page.get_by_role("heading", name="Legs")).to_be_visible()
    page.get_by_label("To organisation").select_option(label=f"{PLATFORM} (platform)")
    page.get_by_label("Note (optional)").fill("sold on arrival")
    page.get_by_role("button", name="Endorse", exact=True).click()
    expect(page.get_by_test_id("holder")).to_have_text(PLATFORM, timeout=15_000)
    chain = page.locator("table", has_text="Endorsement chain")
    expect(chain).to_contain_text("sold on arrival")
    # The seller holds the title no more: its controls are gone.
    expect(page.get_by_role("heading", name="Move the title")).to_have_count(0)
    shot(page, "seller-bill-endorsed")
    held = demo.gql(
        PLATFORM, "query($n: String!) { bill(number: $n) { holder { name } } }", {"n": journey.BILL_NUMBER}
    )
    assert held["bill"]["holder"]["name"] == PLATFORM


def test_forwarder_drafts_a_declaration_from_the_bill_and_downloads_the_ebl(
    page: Page, demo: Demo, tmp_path: Path
) -> None:
    from tests.dcsa_spec import errors
    from tests.test_ebl import _validator

    sign_in(page, demo, FORWARDER)
    open_page(page, demo, f"/bills/{journey.BILL_NUMBER}")
    with page.expect_download() as download:
        page.get_by_role("button", name="DCSA eBL 3.0 file").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    document = json.loads(saved.read_text())
    assert errors(_validator("TransportDocument"), document) == []
    assert document["transportDocumentReference"] == journey.BILL_NUMBER
    nav(page, "Track")
    open_page(page, demo, "/declarations")
    draft = page.locator("section", has_text="Draft a declaration")
    draft.get_by_label("Your reference").fill("BMF-IMP-0003")
    draft.get_by_label("From bill (number)").fill(journey.BILL_NUMBER)
    draft.get_by_role("button", name="Draft").click()
    expect(page.get_by_role("heading", name="Declaration BMF-IMP-0003")).to_be_visible(timeout=15_000)
    sources = page.locator("table", has_text="Taken from")
    vessel = sources.locator("tr").filter(has=page.get_by_role("cell", name="Vessel", exact=True))
    expect(vessel).to_contain_text(journey.VESSEL)
    expect(vessel).to_contain_text(f"bill {journey.BILL_NUMBER} leg 1")
    expect(page.get_by_role("alert")).to_contain_text("originCountry")  # what is still missing
    shot(page, "forwarder-declaration-draft")


def test_terminal_drops_files_and_reads_each_report(
    page: Page, demo: Demo, watch: Watch, tmp_path: Path
) -> None:
    watch.expected.add(422)  # the broken file's refusal, shown beside it
    sign_in(page, demo, TERMINAL)
    nav(page, "Ingest")
    bad = tmp_path / "broken-codeco.edi"
    bad.write_bytes(
        b"UNB+UNOC:3+X+HUB+261112:1400+1'UNH+1+CODECO:D:95B:UN'BGM+34+X+9'"
        b"EQD+CN+ABCU1234567+45G1:102:5++2+5'UNT+3+1'UNZ+1+1'"
    )
    page.get_by_label("Files to send").set_input_files(
        [str(FIXTURES / "edifact" / "CODECO_D95B_huelva.edi"), str(bad)]
    )
    uploads = page.get_by_test_id("upload")
    good = uploads.filter(has_text="CODECO_D95B_huelva.edi")
    expect(good.get_by_test_id("report")).to_contain_text("stored", timeout=15_000)
    expect(good).to_contain_text("TESI1120274")  # stored, flagged: its check digit is wrong
    expect(good).to_contain_text("equipment check digit")
    refused = uploads.filter(has_text="broken-codeco.edi")
    expect(refused.get_by_role("alert")).to_contain_text("segment", timeout=15_000)
    expect(refused.get_by_role("alert")).to_contain_text("(at segment")
    # A file neither its name nor its start tells apart: the user says what it is, and it is sent as that.
    unknown = tmp_path / "batch.txt"
    unknown.write_bytes(
        FIXTURES.joinpath("edifact", "CODECO_D95B_huelva.edi").read_bytes().replace(b"UNB", b"XXX", 1)
    )
    page.get_by_label("Files to send").set_input_files(str(unknown))
    asked = uploads.filter(has_text="batch.txt")
    asked.get_by_label("What is this file?").select_option("edifact")
    expect(asked.get_by_role("alert")).to_contain_text("(at segment", timeout=15_000)
    shot(page, "terminal-ingest")


def test_seller_creates_a_document_shares_it_with_the_bank_and_revokes_the_share(
    page: Page, demo: Demo
) -> None:
    sign_in(page, demo, SELLER)
    nav(page, "Documents")
    new = page.locator("section", has_text="New document")
    new.get_by_label("Kind").select_option("PACKING_LIST")
    new.get_by_label("Reference").fill("HNE-PL-2026-0412")
    new.get_by_label("Title").fill("Packing list, LED monitors")
    new.get_by_role("button", name="Create").click()
    row = page.locator("tr", has_text="HNE-PL-2026-0412")
    expect(row).to_contain_text("Packing list")
    row.get_by_label("Share HNE-PL-2026-0412 with").select_option(label=BANK)
    row.get_by_role("button", name="Share").click()
    expect(row).to_contain_text(BANK, timeout=15_000)
    shot(page, "seller-documents")
    query = "{ documents { nodes { reference } } }"
    assert "HNE-PL-2026-0412" in [n["reference"] for n in demo.gql(BANK, query)["documents"]["nodes"]]
    page.once("dialog", lambda dialog: dialog.accept())  # "Stop sharing ...?": the user confirms
    row.get_by_role("button", name=f"Revoke {BANK}").click()
    expect(row.get_by_role("button", name=f"Revoke {BANK}")).to_have_count(0, timeout=15_000)
    assert "HNE-PL-2026-0412" not in [n["reference"] for n in demo.gql(BANK, query)["documents"]["nodes"]]


def test_port_operator_sees_the_week_the_yard_its_dwell_and_the_holds(page: Page, demo: Demo) -> None:
    sign_in(page, demo, PORT)
    open_page(page, demo, "/port")
    expect(page.get_by_role("heading", name="Vessel calls")).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text("PACIFIC LINK")
    expect(page.get_by_test_id("yard-count")).to_have_text(str(len(yard.yard_containers())))
    chart = page.get_by_role("img", name="Dwell times")
    expect(chart).to_be_visible()
    label = chart.get_attribute("aria-label") or ""
    assert "14 d + 1" in label and "0\u20131 d 5" in label, label  # the spread the demo's yard has
    holds = page.locator("section", has_text="Containers on hold")
    expect(holds).to_contain_text(yard.yard_containers()[1][0])
    expect(holds).to_contain_text("X-ray scan")
    shot(page, "port-operator")
    page.locator(".timeline a", has_text="PACIFIC LINK").click()
    expect(page.get_by_role("heading", name="Discharge list (0)")).to_be_visible()
    shot(page, "port-call")


def test_customs_reads_where_each_field_came_from_holds_a_box_and_releases(
    page: Page, demo: Demo, browser: Browser, watch: Watch
) -> None:
    sign_in(page, demo, CUSTOMS)
    nav(page, "Declarations")
    page.get_by_role("link", name="BMF-IMP-0001").click()
    sources = page.locator("table", has_text="Taken from")
    bill_row = sources.locator("tr").filter(has=page.get_by_role("cell", name="Bill", exact=True))
    expect(bill_row).to_contain_text(f"bill {journey.BILL_NUMBER}")
    expect(
        sources.locator("tr").filter(has=page.get_by_role("cell", name="Trader", exact=True))
    ).to_contain_text("entered")
    expect(page.get_by_text("Nothing is missing.")).to_be_visible()
    shot(page, "customs-declaration")
    # The forwarder, the declarant, watches the box in its own browser while customs decides.
    other = browser.new_context(viewport={"width": 1280, "height": 900})
    forwarder = other.new_page()
    watch.attach(forwarder)
    try:
        sign_in(forwarder, demo, FORWARDER)
        open_page(forwarder, demo, f"/track/{journey.CONTAINERS[0]}")
        expect(forwarder.get_by_test_id("live")).to_contain_text("Live")
        expect(forwarder.get_by_test_id("hold")).to_have_count(0)
        page.get_by_label("Decision").select_option("HOLD")
        page.get_by_label("Reason").fill("seal number differs from the bill")
        page.get_by_label(journey.CONTAINERS[0]).check()
        page.get_by_role("button", name="Record decision").click()
        expect(page.locator("p", has_text="version").get_by_text("inspection")).to_be_visible(timeout=15_000)
        held = forwarder.get_by_test_id("hold")
        expect(held).to_contain_text("seal number differs from the bill", timeout=15_000)
        expect(held).to_contain_text("BMF-IMP-0001")
        shot(forwarder, "forwarder-container-on-hold")
        page.get_by_label("Decision").select_option("RELEASE")
        page.get_by_role("button", name="Record decision").click()
        expect(page.locator("p", has_text="version").get_by_text("released")).to_be_visible(timeout=15_000)
        expect(forwarder.get_by_test_id("hold")).to_have_count(0, timeout=15_000)
    finally:
        other.close()
    answer = demo.gql(CUSTOMS, "{ declarations { nodes { reference state } } }")
    assert {"reference": "BMF-IMP-0001", "state": "RELEASED"} in answer["declarations"]["nodes"]


def test_platform_sees_the_match_and_the_tax_and_a_customs_receipt_arrives_live(
    page: Page, demo: Demo
) -> None:
    sign_in(page, demo, PLATFORM)
    open_page(page, demo, "/orders")
    orders = page.locator("section", has_text="Cross-border orders")
    mismatch = orders.locator("tr", has_text="MISMATCH")
    expect(mismatch.first).to_contain_text("the waybill says")
    lists = page.locator("section", has_text="Inventory lists and customs receipts")
    expect(lists.locator("tbody tr").first).to_be_visible()
    shot(page, "platform-orders")
    # Customs answers one of the platform's submitted lists while the page is open.
    listed = demo.gql(CUSTOMS, "{ inventoryLists(first: 200) { nodes { copNo status } } }")["inventoryLists"][
        "nodes"
    ]
    target = next(n for n in listed if n["status"] not in ("DRAFT", "RELEASED", "CLEARED", "REJECTED"))
    demo.gql(
        CUSTOMS,
        "mutation($i: InventoryReceiptInput!) { recordInventoryReceipt(input: $i) { errors { message } } }",
        {"i": {"copNo": target["copNo"], "returnStatus": "800", "returnInfo": "released at Dalian"}},
    )
    expect(page.get_by_test_id("receipt-live")).to_contain_text(
        f"{target['copNo']} is now released", timeout=15_000
    )
    expect(lists.locator("tr", has_text=target["copNo"])).to_contain_text("released at Dalian")
    shot(page, "platform-receipt-live")
    orders.locator("tr", has_text="MATCHED").first.get_by_role("link").click()
    expect(page.get_by_test_id("tax-total")).to_contain_text("CNY")
    expect(page.locator("section", has_text="Three-document match")).to_contain_text(
        "The order, payment and waybill agree."
    )
    shot(page, "platform-order-tax")


def test_bank_verifies_claim_by_claim_and_checks_the_record_itself(
    page: Page, demo: Demo, tmp_path: Path
) -> None:
    sign_in(page, demo, BANK)
    nav(page, "Finance")
    page.get_by_role("link", name="HNE-INV-2026-0412").click()
    expect(page.get_by_test_id("financeable")).to_be_visible()
    claims = page.get_by_test_id("claim")
    expect(claims).to_have_count(4)
    authentic = page.locator("section", has_text="Authentic: every record is what was anchored")
    expect(authentic.locator("details").first).to_contain_text("anchored", ignore_case=True)
    authentic.locator("details summary").first.click()
    detail = authentic.get_by_test_id("verification").first
    expect(detail).to_contain_text("Merkle root")
    expect(detail).to_contain_text("Block")
    shot(page, "bank-verification")
    with page.expect_download() as download:
        detail.get_by_role("button", name="Download to check it yourself").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    expect(detail).to_contain_text("python -m ledger.verify")
    # What the bank downloaded, checked by the stand-alone verifier against the demo's chain, no hub.
    checked = subprocess.run(
        [sys.executable, "-m", "ledger.verify", str(saved), "--chain-dir", str(demo.cwd / "var" / "chain")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # The verification page says the same of that file, and where a changed copy fails.
    open_page(page, demo, "/verify")
    page.get_by_label("Record file").set_input_files(str(saved))
    expect(page.get_by_test_id("check")).to_contain_text("verified", ignore_case=True, timeout=15_000)
    exported = json.loads(saved.read_text())
    exported["document"]["version"] += 1
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(exported))
    page.get_by_label("Record file").set_input_files(str(tampered))
    expect(page.get_by_test_id("check")).to_contain_text("failed", ignore_case=True, timeout=15_000)
    expect(page.locator("ol.steps li.failed")).to_contain_text("was changed")
    shot(page, "verify-tampered")


def test_seller_registers_a_receivable_on_its_evidence(page: Page, demo: Demo) -> None:
    sign_in(page, demo, SELLER)
    nav(page, "Finance")
    form = page.locator("section", has_text="Register a receivable")
    form.get_by_label("Debtor").fill("Liaoning Cross-Border Mall")
    form.get_by_label("Invoice number").fill("HNE-INV-2026-0499")
    form.get_by_label("Amount").fill("12000.00")
    form.get_by_label("Due").fill("2027-03-31")
    form.get_by_label(f"bill {journey.BILL_NUMBER}").check()
    form.get_by_role("button", name="Register").click()
    expect(form.get_by_role("status")).to_contain_text("Registered", timeout=15_000)
    row = page.locator("tr", has_text="HNE-INV-2026-0499")
    expect(row).to_contain_text("12,000.00 USD")
    expect(row).to_contain_text("registered", ignore_case=True)
    shot(page, "seller-receivable-registered")


def test_bank_does_not_find_a_bill_it_is_no_party_to(page: Page, demo: Demo) -> None:
    sign_in(page, demo, BANK)
    open_page(page, demo, f"/bills/{journey.BILL_NUMBER}")
    expect(page.get_by_role("alert")).to_contain_text("not found")
    expect(page.get_by_role("heading", name="Legs")).to_have_count(0)


# Buttons that only read: what a read-only key may still press.
READS = {
    "Verify",
    "Verify on chain",
    "OpenAttestation file",
    "DCSA eBL 3.0 file",
    "Find",
    "← Previous week",
    "Next week →",
}


def test_a_viewer_key_and_the_regulator_see_no_write_control(page: Page, demo: Demo) -> None:
    made = demo.gql(
        PLATFORM,
        'mutation { createApiKey(input: {name: "console viewer", role: VIEWER}) { token errors { message } } }',
    )
    viewer = made["createApiKey"]["token"]
    sign_in(page, demo, PLATFORM, key=viewer)
    expect(page.get_by_text("This key reads only")).to_be_visible()
    open_page(page, demo, f"/bills/{journey.BILL_NUMBER}")
    expect(page.get_by_role("heading", name="Title")).to_be_visible()
    expect(page.get_by_role("heading", name="Move the title")).to_have_count(0)
    open_page(page, demo, "/documents")
    expect(page.get_by_role("heading", name="Documents")).to_be_visible()
    expect(page.get_by_role("heading", name="New document")).to_have_count(0)
    expect(page.get_by_role("button", name="Share")).to_have_count(0)
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, demo, REGULATOR)
    for path, heading in (
        (f"/bills/{journey.BILL_NUMBER}", "Title"),
        ("/orders", "Cross-border orders"),
        ("/declarations", "Declarations"),
        ("/port", "Yard dwell"),
        ("/finance", "Receivables"),
        ("/documents", "Documents"),
    ):
        open_page(page, demo, path)
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        page.wait_for_load_state("networkidle")
        controls = {text.strip() for text in page.locator("main button").all_inner_texts()}
        assert controls <= READS, (path, controls - READS)
        assert page.locator("main select").count() == 0, path
    open_page(page, demo, "/exposure")
    expect(page.locator("section", has_text="By bank")).to_contain_text(BANK)
    shot(page, "regulator-exposure")


def test_pages_fit_a_phone(browser: Browser, demo: Demo, watch: Watch) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    watch.attach(page)
    try:
        sign_in(page, demo, FORWARDER)
        for path, name in (
            (f"/track/{journey.CONTAINERS[1]}", "phone-track"),
            (f"/bills/{journey.BILL_NUMBER}", "phone-bill"),
        ):
            open_page(page, demo, path)
            page.wait_for_load_state("networkidle")
            expect(page.locator("main h2").first).to_be_visible()
            # Wide tables scroll inside their own box; the page itself never scrolls sideways.
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 390, (path, width)
            shot(page, name)
    finally:
        context.close()
    assert watch.problems == [], "\n".join(watch.problems)
