"""Reading JSON that came from outside: a bounded depth, checked before any parser recurses.

Every body the hub reads as JSON (GraphQL requests and WebSocket messages, DCSA events, schedules,
customs decisions, platform orders, event subscriptions) goes through :func:`loads`. What it guarantees:

- **Depth**: nothing nested deeper than :data:`MAX_DEPTH` reaches a parser that recurses. orjson reads
  first and refuses deeper input itself, without recursing into it; the standard library, which recurses
  once per level, reads only what orjson refused for another reason (a UTF-16 or UTF-32 body, NaN, an
  integer beyond 64 bits), and only after :func:`depth_exceeds` has counted the levels outside strings.
  The standard library's own guard is not enough: the chain libraries raise Python's recursion limit to
  100,000 when they are imported (py_ecc, py-evm), and at that limit a 100,000-deep array overflows the C
  stack before Python can raise ``RecursionError``: the process dies (``ledger.chain.RECURSION_LIMIT`` sets it back).
- **Text**: a body that is not UTF-8 (nor UTF-16/32, which RFC 8259 no longer allows but older systems
  send) is refused naming the byte; so is a lone UTF-16 surrogate escape (``"\\ud800"``), which the
  standard library turns into a string that no database or hash can encode.

Every refusal is an :class:`~hub.errors.Invalid` (or :class:`~hub.errors.LimitExceeded` for depth) whose
``field`` is ``root``, the name the caller gives the body.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from hub.errors import Invalid, LimitExceeded

#: Levels of arrays and objects, one inside another, that a body may have: orjson's own limit, far above
#: what any message the hub reads needs (a DCSA event nests six levels, a GraphQL request ten or so).
MAX_DEPTH = 1024

_BOM = b"\xef\xbb\xbf"
# Inside a string, an escaped backslash or quote; then the strings themselves (JSON strings span no line).
_ESCAPES = re.compile(r"\\[\\\"]")
_STRING = re.compile(r'"[^"]*"')
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_BRACKETS = str.maketrans("{}", "[]")
# A surrogate escape with an odd number of backslashes before it (so an escape, not an escaped backslash),
# high without a low after it, or low without a high before it.
_LONE_SURROGATE = re.compile(
    r"(?<!\\)(?:\\\\)*(\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2})"
)


def loads(data: bytes | str, *, root: str = "$") -> Any:
    """The value of the JSON text ``data``, or a refusal that names ``root`` and the place in the text."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if raw.startswith(_BOM):
        raw = raw[3:]
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if str(exc).startswith("depth limit exceeded"):
            raise _too_deep(root) from exc
    # What orjson refused: read it with the standard library, once it is known to be shallow enough.
    encoding = json.detect_encoding(raw)
    text = _text(raw, encoding, root)
    if depth_exceeds(text, MAX_DEPTH):
        raise _too_deep(root)
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        read_as = "" if encoding == "utf-8" else f"read as {encoding.upper()}, from its first bytes: "
        raise Invalid(f"{root}: the body is not JSON ({read_as}{exc})", field=root) from exc
    except RecursionError as exc:  # a process whose recursion limit is below MAX_DEPTH
        raise _too_deep(root) from exc
    lone = _LONE_SURROGATE.search(text)
    if lone is not None:
        line = text.count("\n", 0, lone.start(1)) + 1
        column = lone.start(1) - (text.rfind("\n", 0, lone.start(1)) + 1) + 1
        raise Invalid(
            f"{root}: {lone.group(1)} at line {line} column {column} is half of a UTF-16 surrogate pair, "
            "not a character",
            field=root,
        )
    return body


def depth_exceeds(text: str, limit: int) -> bool:
    """Whether the arrays and objects of the JSON text ``text`` nest deeper than ``limit``; brackets inside
    strings do not count. Linear in the text, and recursion-free: each pass removes the innermost level."""
    if text.count("[") + text.count("{") <= limit:
        return False
    outside = _STRING.sub("", _ESCAPES.sub("", text))
    brackets = _NOT_BRACKETS.sub("", outside).translate(_BRACKETS)
    for _ in range(limit):
        inner = brackets.replace("[]", "")
        if not inner or len(inner) == len(brackets):  # empty, or not nested as JSON: the parser says why
            return False
        brackets = inner
    return "[]" in brackets


def _text(raw: bytes, encoding: str, root: str) -> str:
    # ``encoding``: UTF-8, or the UTF-16/32 that the first bytes of a JSON text show (json.detect_encoding).
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise Invalid(
            f"{root}: the body is not {encoding.upper()} text (byte {exc.start + 1}: {raw[exc.start : exc.start + 1]!r})",
            field=root,
        ) from exc


def _too_deep(root: str) -> LimitExceeded:
    return LimitExceeded(f"{root}: arrays and objects nest deeper than {MAX_DEPTH} levels", field=root)
