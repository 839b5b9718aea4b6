"""What every reader of outside text refuses alike: the NUL character.

PostgreSQL's text types cannot hold NUL (0x00), so a value carrying one would be refused by the database
after everything else was checked, as an error that names no place (a 500 at the API). JSON can carry it
only as the escape ``\\u0000`` (or, in a UTF-16 or UTF-32 body, with zero bytes all through it), and
EDIFACT or CSV as a raw character; both are cheap to look for, and only a body that has one is searched
for the place to name.
"""

from __future__ import annotations

from typing import Any

from hub.errors import Invalid

_ESCAPED_NUL = b"\\u0000"
BOM = b"\xef\xbb\xbf"


def without_bom(data: bytes) -> bytes:
    """``data`` without the UTF-8 byte-order mark that Windows tools put before a text file; only a mark
    at the very start is one (anywhere else it is a character of the text, and refused as such)."""
    return data[3:] if data.startswith(BOM) else data


def nul_refused(place: str) -> Invalid:
    """The refusal of text holding NUL at ``place``, as every reader and the API word it."""
    return Invalid(f"{place}: the NUL character (\\u0000) is not accepted in text", field=place)


def refuse_nul_in_json(data: bytes, body: Any, root: str = "$", first: int = 0) -> None:
    """Refuse ``body`` (parsed from ``data``) when a string in it, or a key, holds NUL, naming its path
    from ``root``, with list positions counted from ``first`` (0 in JSONPath; a reader that names its
    own places from 1 says so, so that both kinds of refusal name a place the same way)."""
    if _ESCAPED_NUL not in data and b"\x00" not in data:
        return
    place = nul_place(body, root, first)
    if place is not None:
        raise nul_refused(place)


def refuse_nul_in_items(data: bytes, items: list[Any], base: str, offset: int) -> None:
    """As ``refuse_nul_in_json`` for one part of a longer array: item ``i`` is ``{base}[{offset + i}]``."""
    if _ESCAPED_NUL not in data and b"\x00" not in data:
        return
    for index, item in enumerate(items, start=offset):
        place = nul_place(item, f"{base}[{index}]")
        if place is not None:
            raise nul_refused(place)


def nul_place(node: Any, path: str, first: int = 0) -> str | None:
    """The path (from ``path``) of the first string or key in a JSON value that holds NUL, or None."""
    if isinstance(node, str):
        return path if "\x00" in node else None
    if isinstance(node, dict):
        for key, value in node.items():
            if "\x00" in key:
                return path
            found = nul_place(value, f"{path}.{key}", first)
            if found is not None:
                return found
    elif isinstance(node, list):
        for index, value in enumerate(node, start=first):
            found = nul_place(value, f"{path}[{index}]", first)
            if found is not None:
                return found
    return None


def refuse_nul_in_text(text: str, unit: str, separator: str) -> None:
    """Refuse ``text`` holding NUL, naming the ``unit`` it is in, counted from 1, each ending at
    ``separator``: the segment of an EDIFACT interchange, the row of a CSV file."""
    at = text.find("\x00")
    if at >= 0:
        raise nul_refused(f"{unit} {text.count(separator, 0, at) + 1}")
