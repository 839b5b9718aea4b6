"""Where the real messages and the specifications the tests read live: in the project (``tests/data``,
provenance in its README; the DCSA schemas the hub itself reads, in ``hub/specs``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
FIXTURES = DATA / "fixtures"
SPECS = DATA / "specs"
EDIFACT = FIXTURES / "edifact"
DCSA = FIXTURES / "dcsa"


def read(path: Path) -> bytes:
    """The bytes of a fixture."""
    return path.read_bytes()


CEB = FIXTURES / "ceb"
CEB_XSD = SPECS / "ceb" / "ceb_import_202205.xsd"


def jit_payload(name: str, **values: Any) -> bytes:
    """A DCSA JIT fixture with its ``<KEY>_PLACEHOLDER`` values filled in."""
    text = read(DCSA / name).decode()
    for key, value in values.items():
        text = text.replace(f'"{key}_PLACEHOLDER"', json.dumps(value)).replace(
            f"{key}_PLACEHOLDER", json.dumps(value)
        )
    return text.encode()
