"""Where the real messages and the specifications live (``../shared`` next to the project)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
FIXTURES = SHARED / "fixtures"
SPECS = SHARED / "specs"
EDIFACT = FIXTURES / "edifact"
DCSA = FIXTURES / "dcsa"


def read(path: Path) -> bytes:
    """The bytes of a fixture, failing clearly when ../shared is missing."""
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: the tests read ../shared/fixtures next to the project")
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
