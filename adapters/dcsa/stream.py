"""A DCSA event body of any size, read event by event and handed on in parts of bounded size.

A part is at most ``size`` events, re-encoded as a JSON array, with the path its first event has in the
whole body, so that ``adapters.dcsa.parse(part.data, base=part.base, offset=part.offset)`` refuses a
bad event by its place in the file (``$[120345].eventDateTime``). Memory holds one part (and what the
reader buffers), whatever the size of the body.

The body is an array of events or ``{"events": [...]}`` with ``events`` as its first key; any other object
(a single event, or ``events`` after other keys) is read whole, up to ``whole_limit`` bytes, as the
non-streaming endpoint would. Text that stops being JSON part way raises ``Invalid`` naming the last
event read before it: the parts before it have already been handed on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import ijson
import orjson

from adapters.stream import Part, Readable
from hub.errors import Invalid

MAX_DEPTH = 128  # far beyond any DCSA event, and within what orjson re-encodes
_EVENTS_FIRST = re.compile(rb'^\{\s*"events"\s*:\s*\[')
_HEAD = 64 * 1024


class _Joined:
    """The bytes already read from the start of a stream, then the rest of it."""

    def __init__(self, head: bytes, rest: Readable) -> None:
        self._head, self._rest = head, rest

    def read(self, size: int = -1) -> bytes:
        if self._head:
            chunk = self._head if size < 0 else self._head[:size]
            self._head = self._head[len(chunk) :]
            return chunk
        return self._rest.read(size)


def parts(stream: Readable, *, size: int = 5000, whole_limit: int = 50_000_000) -> Iterator[Part]:
    """The events of the DCSA body in ``stream``, ``size`` at a time."""
    head = stream.read(_HEAD)
    while head and len(head.lstrip(b"\xef\xbb\xbf \t\r\n")) < 32:  # enough to see the shape
        more = stream.read(_HEAD)
        if not more:
            break
        head += more
    body = head.lstrip(b" \t\r\n")
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:].lstrip(b" \t\r\n")
    if body.startswith(b"["):
        base = "$"
    elif _EVENTS_FIRST.match(body):
        base = "$.events"
    elif body.startswith(b"{"):
        whole = head + stream.read(whole_limit + 1 - len(head))
        if len(whole) > whole_limit:
            raise Invalid(
                f'$: an object larger than {whole_limit} bytes is streamed only as {{"events": [...]}} '
                "with events as its first key",
                field="$",
            )
        yield Part("dcsa", whole, None, 0, 1)
        return
    else:
        raise Invalid('$: expected an array of events, or {"events": [...]}', field="$")
    batch: list[Any] = []
    offset = 0
    items = _items(_Joined(body, stream), base == "$.events")
    while True:
        try:
            item = next(items)
        except StopIteration:
            break
        except ijson.JSONError as exc:
            place = f"{base}[{offset + len(batch)}]"
            raise Invalid(f"{place}: not valid JSON from here on ({exc})", field=place) from exc
        except _TooDeep as exc:
            place = f"{base}[{offset + len(batch)}]"
            raise Invalid(
                f"{place}: arrays and objects nest deeper than {MAX_DEPTH} levels", field=place
            ) from exc
        batch.append(item)
        if len(batch) >= size:
            yield Part("dcsa", orjson.dumps(batch), base, offset, len(batch))
            offset += len(batch)
            batch = []
    if batch:
        yield Part("dcsa", orjson.dumps(batch), base, offset, len(batch))


class _TooDeep(Exception):
    pass


def _items(source: _Joined, wrapped: bool) -> Iterator[Any]:
    """The items of the top-level array (``wrapped``: of the first key's array), built from ijson's basic
    events. ijson's own ``items`` names each value by its path, which for a body nested 100,000 deep
    took over 20 GB; here a value deeper than MAX_DEPTH stops the reading."""
    events = ijson.basic_parse(source, use_float=True)
    opening = ("start_map", "map_key", "start_array") if wrapped else ("start_array",)
    for expected in opening:
        event, _ = next(events)
        if event != expected:  # the shape was checked on the first bytes: this is not JSON
            raise ijson.JSONError(f"expected {expected}, found {event}")
    stack: list[Any] = []  # the containers of the item being built
    keys: list[Any] = []  # the pending key of each, for objects
    for event, value in events:
        if event == "start_map" or event == "start_array":
            if len(stack) >= MAX_DEPTH:
                raise _TooDeep
            stack.append({} if event == "start_map" else [])
            keys.append(None)
            continue
        if event == "map_key":
            keys[-1] = value
            continue
        if event == "end_map" or event == "end_array":
            if not stack:  # the end of the array of events
                return
            value = stack.pop()
            keys.pop()
        if not stack:
            yield value
        elif type(stack[-1]) is list:
            stack[-1].append(value)
        else:
            stack[-1][keys[-1]] = value
