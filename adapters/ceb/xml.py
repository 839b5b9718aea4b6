"""Read and write CEB messages: hostile XML refused, every problem named by its place in the message.

Reading goes through defusedxml (no DTDs, no entities, no external references) on the standard library
parser; a UTF-8 byte-order mark is tolerated. Values come back typed (text, ``Decimal``, ``int``); an
element present but empty stays ``""`` so that a message written back out says the same thing.
Writing follows the XSD's element order (``adapters.ceb.spec``); messages that need an xmldsig
signature get one from the ``Signer`` passed in.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree import ElementTree
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape

import defusedxml.ElementTree as safe_et
from defusedxml import DefusedXmlException

from adapters.ceb.spec import (
    DSIG_NAMESPACE,
    MAX_LINES,
    MAX_RECORDS,
    MESSAGES,
    NAMESPACE,
    TRANSFER,
    FieldSpec,
    MessageSpec,
)
from hub.errors import Invalid

_NS = "{" + NAMESPACE + "}"
_DECIMAL = re.compile(r"^-?[0-9]{1,14}(\.[0-9]{1,5})?$")
_INT = re.compile(r"^-?[0-9]{1,9}$")
_MAX_PROBLEMS = 20
BOM = b"\xef\xbb\xbf"


@dataclass(init=False)
class CebRecord:
    """One business record: its head (or flat fields) and lines, and where it sat in the message.

    The constructor is written out: one made for each record by dataclasses would run as interpreted
    Python in this compiled module."""

    where: str
    head: dict[str, Any]
    lines: list[dict[str, Any]]

    def __init__(self, where: str, head: dict[str, Any], lines: list[dict[str, Any]] | None = None) -> None:
        self.where = where
        self.head = head
        self.lines = [] if lines is None else lines


@dataclass
class CebMessage:
    """A parsed (or to-be-written) CEB message."""

    code: str
    guid: str
    version: str
    records: list[CebRecord]
    transfer: dict[str, Any] | None = None
    signed: bool = False

    @property
    def spec(self) -> MessageSpec:
        return MESSAGES[self.code]


class _Problems:
    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, where: str, problem: str) -> None:
        if len(self.items) < _MAX_PROBLEMS:
            self.items.append((where, problem))

    def raise_if_any(self, code: str) -> None:
        if self.items:
            listed = "; ".join(f"{where}: {problem}" for where, problem in self.items)
            more = " (first 20 shown)" if len(self.items) >= _MAX_PROBLEMS else ""
            raise Invalid(f"{code} refused, nothing stored: {listed}{more}", field=self.items[0][0])


def detect(data: bytes) -> str | None:
    """The CEB message code of ``data`` ("CEB311" ...) when it looks like one, else None (no parsing)."""
    head = data[:600].decode("utf-8", errors="ignore")
    match = re.search(r"<(?:[A-Za-z_][\w.-]*:)?(CEB\d{3})Message[\s>]", head)
    return match.group(1) if match and match.group(1) in MESSAGES else None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _value(spec: FieldSpec, raw: str) -> tuple[Any, str | None]:
    """The field's value, typed, and what is wrong with it (None when nothing is)."""
    text = raw.strip()
    if spec.kind == "decimal":
        if not _DECIMAL.match(text):
            return None, f"{raw!r} is not a decimal (at most 14 digits before the point and 5 after)"
        try:
            return Decimal(text), None
        except InvalidOperation:  # pragma: no cover - the pattern already refused it
            return None, f"{raw!r} is not a decimal"
    if spec.kind == "int":
        if not _INT.match(text):
            return None, f"{raw!r} is not a whole number"
        return int(text), None
    if text == "" and spec.required and not spec.may_be_empty:
        return text, "is empty but required"
    if spec.exact_length is not None and text and len(text) != spec.exact_length:
        return text, f"{text!r} must be exactly {spec.exact_length} characters, not {len(text)}"
    if spec.max_length is not None and len(text) > spec.max_length:
        return text, f"is {len(text)} characters long, at most {spec.max_length} allowed"
    return text, None


def _named(fields: tuple[FieldSpec, ...]) -> dict[str, FieldSpec]:
    return {f.name: f for f in fields}


# Each element's fields by name, in their order, made once: what reading an element looks its children up in.
_HEADS = {code: _named(spec.head_fields) for code, spec in MESSAGES.items()}
_LINES = {code: _named(spec.line_fields) for code, spec in MESSAGES.items()}
_TRANSFER = _named(TRANSFER)


def _fields(element: Element, known: dict[str, FieldSpec], where: str, problems: _Problems) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for child in element:
        name = _local(child.tag)
        spec = known.get(name)
        if spec is None:
            problems.add(f"{where}/{name}", f"unexpected element in {_local(element.tag)}")
            continue
        if name in values:
            problems.add(f"{where}/{name}", "appears twice")
            continue
        value, problem = _value(spec, child.text or "")
        if problem is not None:
            problems.add(f"{where}/{name}", problem)
        values[name] = value
    for spec in known.values():
        if spec.name not in values:
            if spec.required:
                problems.add(f"{where}/{spec.name}", "is missing")
            values[spec.name] = None
    return values


def parse(data: bytes, expect: str | None = None) -> CebMessage:
    """Parse one CEB message; Invalid naming every place that is wrong (nothing is half-read)."""
    if data.startswith(BOM):
        data = data[len(BOM) :]
    data = _as_utf8(data)
    try:
        root = _tree(data)
    except DefusedXmlException as exc:
        raise Invalid(
            f"the XML uses a DTD, entities or external references, which the hub refuses ({type(exc).__name__})",
            field="xml",
        ) from exc
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise Invalid(
            f"line {line}, column {column}: the XML is not well-formed ({exc})", field=f"line {line}"
        ) from exc
    except LookupError as exc:  # the declaration names an encoding Python does not know
        raise Invalid(f"line 1: the XML declares an unknown encoding ({exc})", field="line 1") from exc
    tag = _local(root.tag)
    code = tag.removesuffix("Message")
    if not root.tag.startswith(_NS) or code not in MESSAGES:
        raise Invalid(
            f"the root element is {root.tag!r}, not a CEB message in {NAMESPACE} "
            f"({', '.join(sorted(MESSAGES))})",
            field=tag,
        )
    if expect is not None and code != expect:
        raise Invalid(f"expected a {expect} message, got {code}", field=tag)
    spec = MESSAGES[code]
    problems = _Problems()
    records: list[CebRecord] = []
    transfer: dict[str, Any] | None = None
    signed = False
    for child in root:
        name = _local(child.tag)
        if name == spec.record:
            where = f"{tag}/{name}[{len(records) + 1}]"
            records.append(_record(spec, child, where, problems))
        elif name == "BaseTransfer" and spec.transfer:
            transfer = _fields(child, _TRANSFER, f"{tag}/BaseTransfer", problems)
        elif name == "Signature" and child.tag.startswith("{" + DSIG_NAMESPACE + "}"):
            signed = True
        elif name in ("BaseSubscribe", "ExtendMessage") and spec.transfer:
            continue  # routing hints for the customs data exchange; nothing the hub acts on
        else:
            problems.add(f"{tag}/{name}", f"unexpected element in {tag}")
    if not records:
        problems.add(f"{tag}/{spec.record}", "the message holds no records")
    if len(records) > MAX_RECORDS:
        problems.add(f"{tag}/{spec.record}[{MAX_RECORDS + 1}]", f"at most {MAX_RECORDS} records per message")
    if spec.transfer and transfer is None:
        problems.add(f"{tag}/BaseTransfer", "is missing")
    problems.raise_if_any(code)
    return CebMessage(
        code=code,
        guid=root.get("guid", ""),
        version=root.get("version", "1.0"),
        records=records,
        transfer=transfer,
        signed=signed,
    )


def _tree(data: bytes) -> Element:
    """The element tree of ``data``, with no DTD, entity or external reference honoured.

    defusedxml refuses those, but it does so by subclassing the standard library's pure-Python parser,
    which costs most of the time of reading a message. Without a document type declaration a document
    can declare no entity and reference nothing external, so a UTF-8 document that holds no
    ``<!DOCTYPE`` goes to the C parser; anything else (another encoding, UTF-16 included, or a DOCTYPE
    anywhere) goes through defusedxml, which refuses what it must."""
    if _plain_utf8(data) and b"<!DOCTYPE" not in data:
        return ElementTree.fromstring(data)  # noqa: S314 - no DOCTYPE, UTF-8: see above
    result: Element = safe_et.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    return result


def _plain_utf8(data: bytes) -> bool:
    # Starts with "<" as one byte (not UTF-16 or UTF-32) and declares no encoding other than UTF-8.
    if not data.startswith(b"<") or data[1:2] == b"\x00":
        return False
    declared = _ENCODING.match(data)
    return declared is None or declared.group(1).lower() in (b"utf-8", b"utf8")


_ENCODING = re.compile(rb"<\?xml[^>]*?\bencoding\s*=\s*[\"']([^\"']*)[\"']")
# What expat reads itself; any other encoding a message declares is decoded here.
_EXPAT_ENCODINGS = frozenset(
    {"utf-8", "utf8", "utf-16", "utf16", "iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"}
)


def _as_utf8(data: bytes) -> bytes:
    """``data`` as UTF-8 when it declares another encoding than expat reads (GBK, GB18030, GB2312: what
    Chinese customs and platform systems often send), its declaration saying so; otherwise ``data``."""
    declared = _ENCODING.match(data)
    if declared is None:
        return data
    name = declared.group(1).decode("ascii", "replace")
    if name.lower() in _EXPAT_ENCODINGS:
        return data
    try:
        codec = codecs.lookup(name)
    except LookupError as exc:
        raise Invalid(f"line 1: the XML declares an unknown encoding ({name!r})", field="line 1") from exc
    try:
        text = data.decode(codec.name)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise Invalid(
            f"line {line}: byte {exc.start + 1} ({data[exc.start : exc.start + 1]!r}) is not {name} text, "
            "the encoding the XML declares",
            field=f"line {line}",
        ) from exc
    # The declaration is ASCII at the start, so its offsets in the bytes are its offsets in the text.
    return (text[: declared.start(1)] + "UTF-8" + text[declared.end(1) :]).encode("utf-8")


def _record(spec: MessageSpec, element: Element, where: str, problems: _Problems) -> CebRecord:
    if spec.head is None:
        return CebRecord(where, _fields(element, _HEADS[spec.code], where, problems))
    head: dict[str, Any] | None = None
    lines: list[dict[str, Any]] = []
    for child in element:
        name = _local(child.tag)
        if name == spec.head and head is None:
            head = _fields(child, _HEADS[spec.code], f"{where}/{name}", problems)
        elif name == spec.lines:
            lines.append(_fields(child, _LINES[spec.code], f"{where}/{name}[{len(lines) + 1}]", problems))
        else:
            problems.add(f"{where}/{name}", f"unexpected element in {spec.record}")
    if head is None:
        problems.add(f"{where}/{spec.head}", "is missing")
        head = {}
    if spec.lines is not None and not lines:
        problems.add(f"{where}/{spec.lines}", "the record has no lines")
    if len(lines) > MAX_LINES:
        problems.add(f"{where}/{spec.lines}[{MAX_LINES + 1}]", f"at most {MAX_LINES} lines per record")
    return CebRecord(where, head, lines)


# -- writing ------------------------------------------------------------------------------------------

# Takes the unsigned document (UTF-8, canonical XML, no declaration) and returns it signed: an enveloped
# ds:Signature appended to the root, with the XML declaration (``adapters.ceb.sign.DsigSigner`` or a
# signing service).
Signer = Callable[[bytes], bytes]


def new_guids(count: int) -> list[str]:
    """``count`` message or record guids: random (version 4) UUIDs in upper-case text, as CEB samples
    write them, from one read of the system's random source (``uuid.uuid4`` makes one read per guid)."""
    pool = os.urandom(16 * count)
    guids = []
    for start in range(0, 16 * count, 16):
        value = int.from_bytes(pool[start : start + 16], "big") & _CLEAR_VERSION | _VERSION_4
        text = f"{value:032X}"
        guids.append(f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}")
    return guids


# Version 4 in bits 76-79 and the RFC 9562 variant (10) in bits 62-63 (the rest is random).
_VERSION_4 = 0x4 << 76 | 0b10 << 62
_CLEAR_VERSION = ((1 << 128) - 1) ^ (0xF << 76 | 0b11 << 62)


def text_of(value: Any) -> str:
    """The XML text of a value: decimals in plain notation, without exponent or trailing noise."""
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text
    return str(value)


def _append(out: list[str], specs: Sequence[FieldSpec], values: dict[str, Any], where: str) -> None:
    """Write the elements of ``values`` in the order of ``specs``: each as its opening tag, its text and
    its closing tag, three items of ``out``."""
    get = values.get
    start = len(out)
    for spec in specs:
        value = get(spec.name)
        if value is None:
            if spec.required:
                raise Invalid(
                    f"{where}/{spec.name}: required, but the hub holds no value for it", field=spec.name
                )
            continue
        tags = _TAGS.get(spec.name)
        if tags is None:
            tags = _TAGS[spec.name] = (f"<ceb:{spec.name}>", f"</ceb:{spec.name}>")
        out.append(tags[0])
        out.append(value if type(value) is str else text_of(value))
        out.append(tags[1])
    # Most values hold nothing to escape: one search over all the texts just written decides, instead of
    # one search per value.
    if _SPECIAL.search("".join(out[start + 1 :: 3])) is None:
        return
    for index in range(start + 1, len(out), 3):
        text = out[index]
        if _SPECIAL.search(text) is not None:
            if _NOT_XML.search(text):
                name = out[index - 1][5:-1]
                raise Invalid(f"{where}/{name}: holds a character XML 1.0 cannot carry", field=name)
            out[index] = escape(text, _CARRIAGE_RETURN)


# The opening and closing tag of each element name, made once.
_TAGS: dict[str, tuple[str, str]] = {}


# Characters no XML 1.0 document may hold (control characters, lone surrogates, U+FFFE/U+FFFF), which
# lxml would refuse too; a carriage return is kept as a character reference, as canonical XML writes it.
_FORBIDDEN = r"\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
_NOT_XML = re.compile(f"[{_FORBIDDEN}]")
# What needs escaping, or refusing: the one search most values pass.
_SPECIAL = re.compile(f"[&<>\r{_FORBIDDEN}]")
_CARRIAGE_RETURN = {"\r": "&#xD;"}


def _attribute(value: str) -> str:
    """An attribute value as canonical XML (C14N 1.0) writes it: in double quotes, with ``&``, ``<``,
    ``"`` and the white-space characters that attribute normalisation would change as references."""
    for character, reference in _ATTRIBUTE_ESCAPES:
        value = value.replace(character, reference)
    return f'"{value}"'


_ATTRIBUTE_ESCAPES = (
    ("&", "&amp;"),
    ("<", "&lt;"),
    ('"', "&quot;"),
    ("\t", "&#x9;"),
    ("\n", "&#xA;"),
    ("\r", "&#xD;"),
)


def render(message: CebMessage, signer: Signer | None = None) -> bytes:
    """The message as UTF-8 XML in the XSD's order, signed when its type requires a signature.

    Written as text (a quarter of the time of building an element tree), and in canonical form (C14N
    1.0: no white space between elements, no empty-element tags, attributes in double quotes, the escapes
    canonical XML uses), so that the signer digests it as it stands instead of parsing it back to
    canonicalise it; ``tests/test_ceb.py`` holds that to lxml's C14N."""
    spec = message.spec
    guid = _attribute(message.guid or new_guids(1)[0])
    version = _attribute(message.version or "1.0")
    out = [f'<ceb:{spec.root} xmlns:ceb="{NAMESPACE}" guid={guid} version={version}>']
    for index, record in enumerate(message.records, start=1):
        where = f"{spec.root}/{spec.record}[{index}]"
        out.append(f"<ceb:{spec.record}>")
        if spec.head is None:
            _append(out, spec.head_fields, record.head, where)
        else:
            out.append(f"<ceb:{spec.head}>")
            _append(out, spec.head_fields, record.head, f"{where}/{spec.head}")
            out.append(f"</ceb:{spec.head}>")
            for number, line in enumerate(record.lines, start=1):
                assert spec.lines is not None
                out.append(f"<ceb:{spec.lines}>")
                _append(out, spec.line_fields, line, f"{where}/{spec.lines}[{number}]")
                out.append(f"</ceb:{spec.lines}>")
        out.append(f"</ceb:{spec.record}>")
    if spec.transfer:
        if message.transfer is None:
            raise Invalid(f"{spec.root}/BaseTransfer: required, but none was given", field="BaseTransfer")
        out.append("<ceb:BaseTransfer>")
        _append(out, TRANSFER, message.transfer, f"{spec.root}/BaseTransfer")
        out.append("</ceb:BaseTransfer>")
    out.append(f"</ceb:{spec.root}>")
    body = "".join(out).encode()
    if spec.signature != "required":
        return DECLARATION + body
    if signer is None:
        raise Invalid(f"{spec.code} must be signed, but no signer was given", field="Signature")
    return signer(body)


# What every message the hub writes starts with, signed (``adapters.ceb.sign``) or not.
DECLARATION = b"<?xml version='1.0' encoding='UTF-8'?>\n"
