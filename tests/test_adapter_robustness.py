"""Every reader of outside data answers a damaged body with ``Invalid`` naming the place, never with another
exception: the API would turn that into a 500 with no place named, and ``hub ingest`` into a traceback.

The damage is generated: any JSON value put anywhere in a real payload, and edits to the bytes of real
EDIFACT and CEB messages. The cases named below are ones this found.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters import dcsa, edifact
from adapters.ceb import xml as ceb
from adapters.customs import decisions
from adapters.dcsa import schedules
from adapters.platform import orders
from hub.errors import Invalid
from seeds import commerce as demo
from tests.fixtures import CEB, DCSA, EDIFACT, jit_payload, read

Reader = Callable[[bytes], Any]

_JIT = {
    "port-call": ("jit-200-port-call-request.json", {"PORT_CALL_ID": "pc-1", "IS_FYI": False}),
    "terminal-call": (
        "jit-200-terminal-call-request.json",
        {"PORT_CALL_ID": "pc-1", "TERMINAL_CALL_ID": "tc-1", "IS_FYI": False},
    ),
    "port-call-service": (
        "jit-200-port-call-service-request.json",
        {
            "TERMINAL_CALL_ID": "tc-1",
            "PORT_CALL_SERVICE_ID": "s-1",
            "PORT_CALL_SERVICE_TYPE_CODE": "BERTH",
            "PORT_CALL_SERVICE_EVENT_TYPE_CODE": "ARRI",
            "PORT_CALL_PHASE_TYPE_CODE": "INBD",
            "IS_FYI": False,
        },
    ),
    "vessel-status": ("jit-200-vessel-status-request.json", {"PORT_CALL_SERVICE_ID": "s-1", "IS_FYI": False}),
}


def _jit_reader(kind: str) -> Reader:
    return lambda data: schedules.parse_jit(kind, data)


def _json_cases() -> dict[str, tuple[Reader, Any]]:
    cases: dict[str, tuple[Reader, Any]] = {}
    for path in sorted(DCSA.glob("tnt-*.json")):
        cases[path.name] = (lambda data: dcsa.parse(data, scope="s"), json.loads(read(path)))
    cases["ovs-300-response.json"] = (schedules.parse_ovs, json.loads(read(DCSA / "ovs-300-response.json")))
    for kind, (name, values) in _JIT.items():
        cases[name] = (_jit_reader(kind), json.loads(jit_payload(name, **values)))
    parcels = [demo.parcel(n, prefix="R") for n in range(2)]
    cases["platform orders"] = (orders.parse_json, demo.orders_json(parcels))
    decided = {"reference": "BMF-1", "decision": "RELEASE", "decidedAt": "2026-11-13T06:00:00Z"}
    cases["customs decisions"] = (decisions.parse_json, {"decisions": [decided]})
    return cases


JSON_CASES = _json_cases()

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=5,
)


def _places(node: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*at, key)
            yield from _places(value, (*at, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*at, index)
            yield from _places(value, (*at, index))


def _read_or_refuse(reader: Reader, data: bytes) -> None:
    try:
        reader(data)
    except Invalid as refused:
        assert refused.field, refused.message  # it names the place


@pytest.mark.parametrize("name", sorted(JSON_CASES))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_json_value_anywhere_in_a_real_payload_is_read_or_refused(name: str, data: st.DataObject) -> None:
    reader, body = JSON_CASES[name]
    place = data.draw(st.sampled_from(list(_places(body))))
    damaged = copy.deepcopy(body)
    node = damaged
    for key in place[:-1]:
        node = node[key]
    if data.draw(st.booleans()):
        node[place[-1]] = data.draw(_json_values)
    else:
        del node[place[-1]]
    _read_or_refuse(reader, json.dumps(damaged).encode())


TEXT_CASES: dict[str, tuple[Reader, bytes]] = {
    **{path.name: (edifact.parse, read(path)) for path in sorted(EDIFACT.glob("*.edi"))},
    **{path.name: (ceb.parse, read(path)) for path in sorted(CEB.glob("*.xml"))},
}
_pieces = st.sampled_from(["'", "+", ":", "?", "<", ">", "&", "</x>", "&#0;", "\n", "", "9" * 20, "Z"])


@pytest.mark.parametrize("name", sorted(TEXT_CASES))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 12), _pieces | st.text(max_size=4)), max_size=3)
)
def test_edited_edifact_and_ceb_messages_are_read_or_refused(
    name: str, edits: list[tuple[float, int, str]]
) -> None:
    reader, original = TEXT_CASES[name]
    text = original.decode("latin-1")
    for where, cut, piece in edits:
        at = int(where * len(text))
        text = text[:at] + piece + text[at + cut :]
    _read_or_refuse(reader, text.encode("latin-1", errors="replace"))


@pytest.mark.parametrize(
    ("reader", "body", "field"),
    [
        (schedules.parse_ovs, b'[{"vesselSchedules": ["MSC"]}]', "$[0].vesselSchedules[0]"),
        (schedules.parse_ovs, b'[{"vesselSchedules": 3}]', "$[0].vesselSchedules"),
        (
            schedules.parse_ovs,
            b'[{"vesselSchedules": [{"vesselIMONumber": "9321483", "transportCalls": [null]}]}]',
            "$[0].vesselSchedules[0].transportCalls[0]",
        ),
        (_jit_reader("port-call"), b'{"vessel": true}', "$.vessel"),
        (
            _jit_reader("port-call"),
            b'{"UNLocationCode": "NLRTM", "portVisitReference": "V1", "portCallID": "p", '
            b'"vessel": {"vesselIMONumber": "9321483", "lengthOverall": "long"}}',
            "$.vessel.lengthOverall",
        ),
        (
            _jit_reader("port-call-service"),
            b'{"portCallServiceLocation": "quay 3"}',
            "$.portCallServiceLocation",
        ),
        (_jit_reader("vessel-status"), b'{"portCallServiceID": "s", "draft": "deep"}', "$.draft"),
        (orders.parse_json, b'{"orders": [{"orderNo": "A", "items": [7]}]}', "orders[1].items[1]"),
        (orders.parse_json, b'{"orders": [{"orderNo": ["A"], "items": [{}]}]}', "orders[1].orderNo"),
        (orders.parse_csv, b"orderNo,itemName\nA,\xff\n", "body"),
        (ceb.parse, b'<?xml version="1.0" encoding="F-8"?><a/>', "line 1"),
        (
            orders.parse_json,
            b'{"orders": [{"orderNo": "A\\u0000", "items": [{}]}]}',
            "orders[1].orderNo",
        ),
        (
            orders.parse_json,
            b'{"orders": [{"orderNo": "A", "items": [{}, {"itemName": "x\\u0000"}]}]}',
            "orders[1].items[2].itemName",
        ),
        (
            orders.parse_json,
            b'{"note\\u0000": 1, "orders": [{"orderNo": "A", "items": [{}]}]}',
            "body",
        ),
        (orders.parse_csv, b"orderNo,itemName\nA,x\nB,\x00\n", "row 3"),
        (decisions.parse_json, b'{"decisions": [{"reference": "\\u0000"}]}', "$.decisions[0].reference"),
        (_jit_reader("terminal-call"), b'{"portCallID": "p\\u0000"}', "$.portCallID"),
        (edifact.parse, b"UNB+UNOA:2+A+B+261121:1200+1'UNH+1+CODECO:D:95B:UN'BGM+34+\x00+9'", "segment 3"),
        (
            decisions.parse_cusres,
            b"UNB+UNOC:3+C+HUB+261112:1600+1'UNH+1+CUSRES:D:96B:UN'BGM+962+\x00'",
            "segment 3",
        ),
    ],
)
def test_what_crashed_the_readers_is_refused_at_its_place(reader: Reader, body: bytes, field: str) -> None:
    with pytest.raises(Invalid) as refused:
        reader(body)
    assert refused.value.field == field, refused.value.message
