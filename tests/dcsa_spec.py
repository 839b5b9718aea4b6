"""Validate what the hub emits against the DCSA OpenAPI documents in ../shared/specs."""

from __future__ import annotations

from functools import cache
from typing import Any

import yaml
from jsonschema import Draft4Validator

from tests.fixtures import SPECS


@cache
def _spec_22() -> dict[str, Any]:
    return yaml.safe_load((SPECS / "dcsa" / "TNT_v2.2.0-resolved.yaml").read_text())  # type: ignore[no-any-return]


def events_response_validator() -> Draft4Validator:
    """A validator for the 200 body of ``GET /v2/events`` (DCSA 2.2)."""
    spec = _spec_22()
    body = spec["paths"]["/v2/events"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    return Draft4Validator({**body, "components": spec["components"]})


def event_validator() -> Draft4Validator:
    """A validator for the body of ``GET /v2/events/{eventID}``."""
    spec = _spec_22()
    items = spec["paths"]["/v2/events"]["get"]["responses"]["200"]["content"]["application/json"]["schema"][
        "items"
    ]
    return Draft4Validator({**items, "components": spec["components"]})


def errors(validator: Draft4Validator, body: Any) -> list[str]:
    """Every schema violation, with its JSON path."""
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]
