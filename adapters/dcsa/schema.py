"""The official DCSA Track & Trace schemas, to which every DCSA event the hub takes is held.

The OpenAPI documents are DCSA's own, unchanged (``hub/specs/dcsa``, provenance in its README). An
OpenAPI 3.0 schema object is JSON Schema draft 4 with a few keywords more (``nullable``, ``example``,
``discriminator``), which a draft-4 validator passes over. Formats are checked as the documents declare
them: ``date-time`` (RFC 3339, with its offset), ``date`` and ``uuid``.

fastjsonschema turns each schema into Python code once per process (about 0.4 s, on first use): the
general validators walked the document for every event and took 3.5 to 5 ms an event, the compiled
code about 0.1 ms for 2.2 and 0.03 ms for 3.0. A 2.2 event is checked against the schema of its own
``eventType`` rather than the ``anyOf`` of all three, which both saves the failed tries and names the
field that is wrong instead of "not valid under any of the given schemas".
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from importlib.resources import files
from typing import Any

import fastjsonschema
import yaml

from hub.errors import Invalid

DOCUMENTS = {
    "2.2": "TNT_v2.2.0-resolved.yaml",
    "3.0": "TNT_v3.0.0.yaml",
    "ebl-3.0.4": "EBL_v3.0.4.yaml",
    "pint-3.0.0": "EBL_PINT_v3.0.0.yaml",
}
_TITLES = {"2.2": "Track & Trace 2.2", "3.0": "Track & Trace 3.0", "pint-3.0.0": "eBL PINT 3.0.0"}
# The schema of one event: 2.2 by its eventType (the anyOf branches of GET /v2/events), 3.0 the one Event.
_SCHEMAS = {
    ("2.2", "TRANSPORT"): "transportEvent",
    ("2.2", "SHIPMENT"): "shipmentEvent",
    ("2.2", "EQUIPMENT"): "equipmentEvent",
    ("3.0", None): "Event",
}
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def _date_time(value: str) -> bool:
    if not _RFC3339.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _date(value: str) -> bool:
    try:
        return date.fromisoformat(value).isoformat() == value
    except ValueError:
        return False


def _uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


FORMATS = {"date-time": _date_time, "date": _date, "uuid": _uuid}


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML's safe loader, keeping timestamps as the text they are: the documents' examples and defaults
    hold unquoted date-times, which a schema compiled to code must see as JSON sees them."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


@cache
def document(version: str) -> dict[str, Any]:
    """DCSA's OpenAPI document: Track & Trace ``version`` ("2.2" or "3.0"), eBL ("ebl-3.0.4") or PINT
    ("pint-3.0.0")."""
    text = (files("hub") / "specs" / "dcsa" / DOCUMENTS[version]).read_text(encoding="utf-8")
    loaded: dict[str, Any] = yaml.load(text, Loader=_Loader)  # noqa: S506  (a safe loader)
    return loaded


def event_schema(version: str, event_type: str | None = None) -> dict[str, Any]:
    """The JSON schema of one event of ``version`` (of ``event_type``, for 2.2), with its components."""
    name = _SCHEMAS[(version, event_type if version == "2.2" else None)]
    return {"$ref": f"#/components/schemas/{name}", "components": document(version)["components"]}


@cache
def _compiled(version: str, name: str) -> Callable[[Any], Any]:
    schema = {"$ref": f"#/components/schemas/{name}", "components": document(version)["components"]}
    validate: Callable[[Any], Any] = fastjsonschema.compile(schema, formats=FORMATS)
    return validate


def check_schema(value: Any, path: str, version: str, name: str) -> None:
    """Refuse ``value`` (at JSON path ``path``) unless it is valid under schema ``name`` of DCSA's
    ``version`` document, naming the place that is wrong and what the schema asks there."""
    try:
        _compiled(version, name)(value)
    except fastjsonschema.JsonSchemaValueException as exc:
        where = path + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in exc.path[1:])
        said = exc.message
        if exc.name and said.startswith(exc.name):
            said = said[len(exc.name) :].strip()
        if len(said) > 300:
            said = said[:300] + "..."
        raise Invalid(f"{where} {said} (DCSA {_TITLES.get(version, version)} schema)", field=where) from None


def check_event(event: dict[str, Any], path: str, version: str) -> None:
    """Refuse ``event`` (at JSON path ``path``) unless it is valid under the DCSA ``version`` schema,
    naming the place that is wrong and what the schema asks there."""
    event_type = event.get("eventType") if version == "2.2" else None
    if version == "2.2" and (version, event_type) not in _SCHEMAS:
        where = f"{path}.eventType"
        raise Invalid(f"{where}: {event_type!r} is not one of EQUIPMENT, SHIPMENT, TRANSPORT", field=where)
    check_schema(event, path, version, _SCHEMAS[(version, event_type)])
