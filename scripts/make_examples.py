"""Write examples/: messages a user can post as they are to a hub that runs the demo (``hub demo``).

The real messages in tests/data/fixtures name parties that are not demo organisations (the CEB samples'
enterprise codes) or are the conformance gateway's templates (the JIT payloads' placeholders). These are
made for the demo instead: a matching CEB311/411/511 set with the demo organisations' customs codes, built
by the demo's own generator (seeds/commerce.py), and the four JIT payloads filled in for a call at Dalian.
Run it again after the generator changes; tests/test_first_hour.py posts every file
as the demo organisations and checks that the committed files are what this writes.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

from seeds import commerce

OUT = Path(__file__).resolve().parent.parent / "examples"
FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "data" / "fixtures" / "dcsa"


def _jit(name: str, **values: object) -> str:
    """A gateway JIT template with its placeholders filled in and its call moved to Dalian."""
    # As tests.fixtures.jit_payload fills them (run from the checkout, this script cannot import tests).
    text = (FIXTURES / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f'"{key}_PLACEHOLDER"', json.dumps(value)).replace(
            f"{key}_PLACEHOLDER", json.dumps(value)
        )
    body = json.loads(text)
    if "UNLocationCode" in body:
        body["UNLocationCode"] = "CNDLC"
        body["portVisitReference"] = "CNDLC2026EX01"
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def _fixed(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"hub-example:{name}")).upper()


def main() -> None:
    """Write the files (the same bytes on every run)."""
    parcels = [commerce.parcel(n, prefix="EXM") for n in (9001, 9002)]  # numbers the demo leaves free
    ceb = OUT / "ceb"
    ceb.mkdir(parents=True, exist_ok=True)
    for name, xml in (
        ("CEB311-orders.xml", commerce.orders_xml(parcels)),
        ("CEB411-payments.xml", commerce.payments_xml(parcels)),
        ("CEB511-waybills.xml", commerce.waybills_xml(parcels)),
    ):
        # The record guids are fixed (uuid5 of the order number); the message's own is random in the
        # generator, and fixed here so that the file reads the same on every run.
        text = re.sub(r'guid="[^"]+"', f'guid="{_fixed(name)}"', xml.decode("utf-8"), count=1)
        (ceb / name).write_text(text, encoding="utf-8")
    jit = OUT / "jit"
    jit.mkdir(parents=True, exist_ok=True)
    ids = {n: _fixed(n).lower() for n in ("call", "terminal", "service")}
    files = {
        "port-call.json": _jit("jit-200-port-call-request.json", PORT_CALL_ID=ids["call"], IS_FYI=False),
        "terminal-call.json": _jit(
            "jit-200-terminal-call-request.json",
            PORT_CALL_ID=ids["call"],
            TERMINAL_CALL_ID=ids["terminal"],
            IS_FYI=False,
        ),
        "port-call-service.json": _jit(
            "jit-200-port-call-service-request.json",
            TERMINAL_CALL_ID=ids["terminal"],
            PORT_CALL_SERVICE_ID=ids["service"],
            PORT_CALL_SERVICE_TYPE_CODE="BERTH",
            PORT_CALL_SERVICE_EVENT_TYPE_CODE="ARRI",
            PORT_CALL_PHASE_TYPE_CODE="INBD",
            IS_FYI=False,
        ),
        "vessel-status.json": _jit(
            "jit-200-vessel-status-request.json", PORT_CALL_SERVICE_ID=ids["service"], IS_FYI=False
        ),
    }
    for name, text in files.items():
        (jit / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
