"""Validate what the hub emits against DCSA's OpenAPI documents (the hub's own copies, hub/specs/dcsa)."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft4Validator

from adapters.dcsa.schema import document


def _spec_22() -> dict[str, Any]:
    return document("2.2")


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


def get_events_v3_validator() -> Draft4Validator:
    """A validator for the 200 body of ``GET /v3/events`` (DCSA 3.0: a GetEventsResponse)."""
    spec = document("3.0")
    body = spec["paths"]["/events"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    return Draft4Validator({**body, "components": spec["components"]})


def v3_error_validator(method: str) -> Draft4Validator:
    """A validator for a 3.0 error body (GetEventsError or PostEventsError)."""
    spec = document("3.0")
    body = spec["paths"]["/events"][method]["responses"]["default"]["content"]["application/json"]["schema"]
    return Draft4Validator({**body, "components": spec["components"]})


def post_events_v3_validator() -> Draft4Validator:
    """A validator for a DCSA 3.0 PostEventsRequest (what a 3.0 producer POSTs to its consumer)."""
    spec = document("3.0")
    body = spec["paths"]["/events"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return Draft4Validator({**body, "components": spec["components"]})
