"""Read an EDIFACT interchange into tracking commands, or refuse it with the segment that is wrong.

The mapping follows ``shared/DOMAIN.md`` §1.4 (derived from the DCSA information model):
CODECO 34/109 gate-in and 36/111 gate-out, COARRI 44/119 discharge and 46/122 load, IFTSTA status codes
1/24 (arrive/depart) and 28/29/48/93 (strip/discharge/load/stuff), BAPLIE for the containers on board;
header DTM 132/133 (ETA/ETD) and 178/186/136 (ATA/ATD) give transport events.

EDIFACT times carry no zone; they are read as UTC and the ingest report says so.
"""

from __future__ import annotations

import re
import uuid
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import stdnum.imo
import stdnum.iso6346
from pydifact.control.characters import Characters
from pydifact.exceptions import EDISyntaxError
from pydifact.parser import Parser
from pydifact.segments import Segment

from adapters.edifact import syntax
from adapters.text import refuse_nul_in_text, without_bom
from hub.errors import Invalid
from hub.tracking.commands import Classifier, EventCommand, EventType, Flag, MessageInfo, ParsedBatch, Seal

_NAMESPACE = uuid.UUID("5b0d2a8e-3c77-4f55-9a51-2f1c6f0d7e11")
# The shape is checked strictly; the category letter (U, J, Z, R) and the check digit are ISO 6346's
# business, and real data breaks them: such numbers are kept and flagged, never dropped.
_CONTAINER = re.compile(r"^[A-Z]{4}[0-9]{7}$")
# The same containers recur in every message: validate each number once.
_iso6346_valid = lru_cache(maxsize=100_000)(stdnum.iso6346.is_valid)
_LOCODE = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")
_MODES = {"1": "VESSEL", "2": "RAIL", "3": "TRUCK", "8": "BARGE"}
_EMPTY = {"4": "EMPTY", "5": "LADEN", "7": "LADEN", "8": "LADEN"}
_MOVEMENT = {"2": "EXPORT", "3": "IMPORT", "6": "TRANSSHIPMENT"}
_SEAL_SOURCE = {"CA": "CAR", "SH": "SHI", "CU": "CUS", "TO": "TER"}
_CODECO = {"34": "GTIN", "109": "GTIN", "36": "GTOT", "111": "GTOT"}
_COARRI = {"44": "DISC", "119": "DISC", "46": "LOAD", "122": "LOAD"}
_IFTSTA_EQUIPMENT = {"28": "STRP", "29": "DISC", "48": "LOAD", "93": "STUF"}
_IFTSTA_TRANSPORT = {"1": "ARRI", "24": "DEPA"}
# Header DTM qualifiers that are transport events: (event code, classifier).
_HEADER_TIMES = {
    "132": ("ARRI", Classifier.EST),
    "133": ("DEPA", Classifier.EST),
    "178": ("ARRI", Classifier.ACT),
    "186": ("DEPA", Classifier.ACT),
    "136": ("DEPA", Classifier.ACT),
}
_TIME_FORMATS = {"203": "%Y%m%d%H%M", "204": "%Y%m%d%H%M%S", "102": "%Y%m%d", "201": "%y%m%d%H%M"}
_TIME_LENGTHS = {"203": 12, "204": 14, "102": 8, "201": 10}  # strptime alone accepts single-digit fields
SUPPORTED = ("CODECO", "COARRI", "IFTSTA", "BAPLIE")


class _Seg:
    """A segment with its 1-based position in the interchange (a plain slotted class: an interchange
    holds hundreds of thousands of them, and a frozen dataclass takes three times as long to build)."""

    __slots__ = ("elements", "position", "tag")

    def __init__(self, position: int, tag: str, elements: list[Any]) -> None:
        self.position, self.tag, self.elements = position, tag, elements

    def where(self) -> str:
        return f"segment {self.position} ({self.tag})"

    def el(self, index: int, component: int | None = None) -> str:
        """Element ``index`` (0-based after the tag), or one of its components; '' when absent."""
        elements = self.elements
        if index >= len(elements):
            return ""
        value = elements[index]
        if type(value) is list:
            if component is None:
                component = 0
            return str(value[component]) if component < len(value) else ""
        if component:
            return ""
        return str(value) if value else ""


def _fail(seg: _Seg, problem: str) -> Invalid:
    return Invalid(f"{seg.where()}: {problem}", field=seg.where())


def _decode(data: bytes) -> str:
    """The text of an interchange, refused when it holds NUL (its segment named)."""
    # UNOA/UNOB are ASCII subsets, UNOC is Latin-1; UTF-8 (UNOW) decodes first when it is valid.
    data = without_bom(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    head = text.lstrip()
    if head.startswith("UNA"):
        _service_characters(head)
        refuse_nul_in_text(head[9:], "segment", head[8])
    else:
        refuse_nul_in_text(head, "segment", "'")
    return text


def _service_characters(text: str) -> Characters:
    """The service characters of ``text``: its UNA's (refused naming it when it is not six of them, or
    when the four that separate and release are not four different characters), else ISO 9735's."""
    if not text.startswith("UNA"):
        return Characters.from_str("UNA:+.? '")  # ISO 9735's defaults
    chars = text[3:9]
    if len(chars) < 6:
        raise Invalid(
            f"UNA: the service string advice holds {len(chars)} characters after 'UNA', not 6 (component "
            "separator, data separator, decimal mark, release character, reserved, segment terminator)",
            field="UNA",
        )
    if len({chars[0], chars[1], chars[3], chars[5]}) != 4 or any(c.isalnum() for c in chars):
        raise Invalid(
            f"UNA: {chars!r} does not give four different separators, release character and terminator",
            field="UNA",
        )
    return Characters.from_str("UNA" + chars)


def _segments(text: str) -> list[_Seg]:
    plain = syntax.split(text)
    if plain is not None:
        return [_Seg(i + 1, tag, elements) for i, (tag, elements) in enumerate(plain)]
    # pydifact reads a second UNA as the start of the interchange, dropping what came before it.
    fault = _fault(text) if text.find("UNA", 3) >= 0 else None
    if fault is not None:
        raise fault
    try:
        with warnings.catch_warnings():
            # pydifact warns that it has no service-segment definitions; we check UNB/UNH/UNT/UNZ ourselves.
            warnings.simplefilter("ignore")
            parsed: list[Segment] = list(Parser().parse(text))
    except (EDISyntaxError, ValueError, IndexError, TypeError) as exc:  # pydifact raises all four
        raise _fault(text) or Invalid(
            f"the interchange is not well-formed EDIFACT ({exc})", field="segment 1"
        ) from exc
    # Numbered as split() numbers them: the UNA, which only sets the characters, is not counted.
    return [_Seg(i + 1, s.tag, list(s.elements)) for i, s in enumerate(s for s in parsed if s.tag != "UNA")]


def _fault(text: str) -> Invalid | None:
    """The refusal of an interchange that is not well-formed, naming the first segment at fault (counted
    from 1 after any UNA, with its tag) and what is wrong with it; None when no segment is found at fault.
    Only a refused interchange is scanned so."""
    chars = _service_characters(text)
    body = text[9:] if text.startswith("UNA") else text
    release, terminator = re.escape(chars.escape_character), re.escape(chars.segment_terminator)
    data, component = chars.data_separator, chars.component_separator
    segment = re.compile(f"(?:[^{release}{terminator}]|{release}.)*{terminator}", re.S)
    position, at = 0, 0
    # Each segment is matched where the last one ended: finditer would search on from every later
    # character after a failed match, which is quadratic in an unterminated body (200 KB took minutes).
    while (match := segment.match(body, at)) is not None:
        at = match.end()
        position += 1
        raw = match.group(0)[:-1].lstrip(_LINE_TERMINATORS)
        tag = _unreleased_split(raw, data, chars.escape_character)[0]
        tag = "UNA" if tag.startswith("UNA") else tag
        problem = None
        if not tag:
            problem = "the segment has no tag (it starts with a separator or is empty)"
        elif tag.startswith("UNA"):
            problem = "a second UNA: only the first segment may set the service characters"
        elif component in tag or not tag.isalnum():
            problem = f"{tag[:20]!r} is not a segment tag (three letters or digits)"
        elif chars.escape_character + "\n" in raw:
            problem = "a release character before a line break"
        elif tag == "UNB" and component not in raw:
            problem = "the first element is the syntax identifier and its version (as UNOA:2)"
        if problem is not None:
            where = f"segment {position} ({tag[:20] or 'no tag'})"
            return Invalid(f"{where}: {problem}", field=where)
    tail = body[at:].strip(_LINE_TERMINATORS)
    if tail:
        tag = _unreleased_split(tail, data, chars.escape_character)[0][:20] or "no tag"
        where = f"segment {position + 1} ({tag})"
        return Invalid(
            f"{where}: the segment is not ended by the segment terminator {chars.segment_terminator!r} "
            "(or it ends with a release character)",
            field=where,
        )
    return None


_LINE_TERMINATORS = " \r\n"


def _unreleased_split(raw: str, separator: str, release: str) -> list[str]:
    parts = re.split(f"(?<!{re.escape(release)}){re.escape(separator)}", raw, maxsplit=1)
    return parts


def _time(seg: _Seg, required: bool = True) -> datetime | None:
    value, fmt = seg.el(0, 1), seg.el(0, 2) or "203"
    if not value:
        if required:
            raise _fail(seg, "the date/time is empty")
        return None
    pattern = _TIME_FORMATS.get(fmt)
    if pattern is None:
        raise _fail(seg, f"date/time format {fmt!r} is not one of {', '.join(sorted(_TIME_FORMATS))}")
    if len(value) != _TIME_LENGTHS[fmt] or not value.isdigit():
        raise _fail(seg, f"{value!r} is not a date/time in format {fmt} ({_TIME_LENGTHS[fmt]} digits)")
    # Fixed-width digits: slicing is five times faster than strptime and reads the same (%y as strptime
    # does: 69-99 are 19xx, 00-68 are 20xx).
    if fmt == "201":
        year = int(value[:2])
        year += 1900 if year >= 69 else 2000
        rest = value[2:]
    else:
        year, rest = int(value[:4]), value[4:]
    try:
        return datetime(
            year,
            int(rest[0:2]),
            int(rest[2:4]),
            int(rest[4:6] or 0),
            int(rest[6:8] or 0),
            int(rest[8:10] or 0),
            tzinfo=UTC,
        )
    except ValueError as exc:
        raise _fail(seg, f"{value!r} is not a date/time in format {fmt} ({pattern})") from exc


def _container(seg: _Seg) -> tuple[str, list[Flag]]:
    raw = seg.el(1).strip().upper().replace(" ", "")
    if not _CONTAINER.match(raw):
        letters = len(re.match(r"^[A-Z]*", raw).group(0))  # type: ignore[union-attr]
        digits = len(raw) - letters
        raise _fail(
            seg,
            f"container number {raw!r} has {letters} letters and {digits} digits, "
            "expected 4 letters (owner code and category) and 6 digits + check digit",
        )
    flags = [] if _iso6346_valid(raw) else [Flag.EQUIPMENT_CHECK_DIGIT]
    return raw, flags


def _locode(seg: _Seg, element: int = 1) -> str | None:
    code = seg.el(element, 0).strip().upper()
    if not code:
        return None
    if not _LOCODE.match(code):
        raise _fail(seg, f"{code!r} is not a UN/LOCODE (2 letters of country + 3 of place)")
    return code


@dataclass
class _Transport:
    """What a TDT segment says about the means of transport."""

    mode: str | None = None
    voyage: str | None = None
    carrier: str | None = None
    vessel_name: str | None = None
    vessel_imo: str | None = None
    call_sign: str | None = None
    vehicle: str | None = None
    flags: tuple[Flag, ...] = ()


def _transport(seg: _Seg) -> _Transport:
    mode = _MODES.get(seg.el(2))
    ident, qualifier, name = seg.el(7, 0), seg.el(7, 1), seg.el(7, 3)
    t = _Transport(
        mode=mode, voyage=seg.el(1) or None, carrier=seg.el(4, 0) or None, vessel_name=name or None
    )
    if qualifier == "103":
        t.call_sign = ident or None
    elif qualifier == "146" and ident:
        if mode in (None, "VESSEL") and ident.isdigit() and len(ident) == 7:
            t.vessel_imo = ident
            if not stdnum.imo.is_valid(ident):
                t.flags = (Flag.VESSEL_IMO_CHECK_DIGIT,)
        else:
            t.vehicle = ident
    return t


def _transport_call_id(*parts: str | None) -> str:
    # A stable identifier for one call of one means of transport at one place, as DCSA 2.2 requires.
    return str(uuid.uuid5(_NAMESPACE, "|".join(p or "" for p in parts)))


@dataclass
class _Message:
    kind: str
    reference: str
    segments: list[_Seg]


def _messages(segs: list[_Seg]) -> tuple[str, list[_Message]]:
    if not segs or segs[0].tag != "UNB":
        first = segs[0] if segs else _Seg(1, "?", [])
        raise _fail(first, "an interchange starts with UNB")
    unb = segs[0]
    sender, control = unb.el(1, 0), unb.el(4)
    if not control:
        raise _fail(unb, "the interchange control reference (0020) is missing")
    messages: list[_Message] = []
    current: _Message | None = None
    unh: _Seg | None = None
    for seg in segs[1:]:
        if seg.tag == "UNH":
            if current is not None:
                raise _fail(seg, f"message {current.reference} has no UNT before the next UNH")
            kind = seg.el(1, 0)
            if kind not in SUPPORTED:
                raise _fail(seg, f"message type {kind!r} is not one of {', '.join(SUPPORTED)}")
            current, unh = _Message(kind, seg.el(0), []), seg
        elif seg.tag == "UNT":
            if current is None or unh is None:
                raise _fail(seg, "UNT without a UNH")
            declared = seg.el(0).lstrip("0") or "0"
            actual = len(current.segments) + 2
            if not declared.isdigit() or int(declared) != actual:
                raise _fail(seg, f"the message says it has {declared} segments, it has {actual} (UNH to UNT)")
            if seg.el(1) != current.reference:
                raise _fail(seg, f"UNT closes message {seg.el(1)!r} but UNH opened {current.reference!r}")
            messages.append(current)
            current = None
        elif seg.tag == "UNZ":
            if current is not None:
                raise _fail(seg, f"message {current.reference} has no UNT")
            if seg.el(0).isdigit() and int(seg.el(0)) != len(messages):
                raise _fail(
                    seg, f"the interchange says it holds {seg.el(0)} messages, it holds {len(messages)}"
                )
            if seg.el(1) != control:
                raise _fail(seg, f"UNZ reference {seg.el(1)!r} does not match UNB's {control!r}")
            break
        elif current is None:
            raise _fail(seg, "a segment outside any message (between UNT and UNH)")
        else:
            current.segments.append(seg)
    else:
        last = segs[-1]
        raise _fail(last, "the interchange ends without UNZ")
    if not messages:
        raise _fail(unb, "the interchange holds no message")
    return f"{sender}:{control}", messages


def _groups(segments: Sequence[_Seg], opener: str) -> tuple[list[_Seg], list[list[_Seg]]]:
    """Split a message body into its header and the groups that each start with ``opener``."""
    header: list[_Seg] = []
    groups: list[list[_Seg]] = []
    for seg in segments:
        if seg.tag == opener:
            groups.append([seg])
        elif seg.tag in ("CNT",):
            continue
        elif groups:
            groups[-1].append(seg)
        else:
            header.append(seg)
    return header, groups


class _Reader:
    def __init__(self, interchange: str, message: _Message) -> None:
        self.key = f"edifact:{interchange}:{message.reference}"
        self.message = message
        self.events: list[EventCommand] = []
        self.containers: list[tuple[str, str | None]] = []

    def _event(self, n: int, **fields: Any) -> None:
        self.events.append(EventCommand(source_key=f"{self.key}:{n}", **fields))

    def header_transport(
        self, header: list[_Seg], port_qualifiers: tuple[str, ...]
    ) -> tuple[_Transport, str | None, str | None]:
        transport, port, facility = _Transport(), None, None
        for seg in header:
            if seg.tag == "TDT" and seg.el(0) == "20":
                transport = _transport(seg)
            elif seg.tag == "LOC" and seg.el(0) in port_qualifiers and port is None:
                port, facility = _locode(seg), seg.el(2, 0) or None
        for i, seg in enumerate(header):
            if seg.tag == "DTM" and seg.el(0, 0) in _HEADER_TIMES and port is not None:
                when = _time(seg, required=False)
                if when is None:
                    continue
                code, classifier = _HEADER_TIMES[seg.el(0, 0)]
                self._event(
                    -1 - i,
                    event_type=EventType.TRANSPORT,
                    classifier=classifier,
                    type_code=code,
                    event_datetime=when,
                    where=seg.where(),
                    un_location_code=port,
                    facility_code=facility,
                    facility_provider="SMDG" if facility else None,
                    mode_of_transport=transport.mode or "VESSEL",
                    transport_call_id=_transport_call_id(
                        transport.call_sign or transport.vessel_imo, transport.voyage, port
                    ),
                    vessel_name=transport.vessel_name,
                    vessel_imo=transport.vessel_imo,
                    vessel_call_sign=transport.call_sign,
                    carrier_code=transport.carrier,
                    export_voyage=transport.voyage,
                    import_voyage=transport.voyage,
                    flags=transport.flags,
                )
        return transport, port, facility

    def equipment_group(
        self,
        n: int,
        group: list[_Seg],
        code: str,
        header: _Transport,
        port: str | None,
        facility: str | None,
        time_qualifiers: tuple[str, ...],
        location_qualifier: str | None,
    ) -> None:
        eqd = group[0]
        number, flags = _container(eqd)
        when: datetime | None = None
        seals: list[Seal] = []
        booking = bill = None
        location, loc_facility = port, facility
        inland = _Transport()
        for seg in group[1:]:
            if seg.tag == "DTM" and seg.el(0, 0) in time_qualifiers and when is None:
                when = _time(seg)
            elif seg.tag == "RFF":
                qualifier, value = seg.el(0, 0), seg.el(0, 1)
                if qualifier == "BN":
                    booking = value or None
                elif qualifier in ("BM", "MB"):
                    bill = value or None
            elif seg.tag == "SEL" and seg.el(0):
                seals.append(Seal(number=seg.el(0), source=_SEAL_SOURCE.get(seg.el(1, 0))))
            elif seg.tag == "LOC" and location_qualifier and seg.el(0) == location_qualifier:
                location, loc_facility = _locode(seg), seg.el(2, 0) or loc_facility
            elif seg.tag == "TDT" and seg.el(0) in ("1", "10", "30"):
                inland = _transport(seg)
        if when is None:
            raise _fail(eqd, f"no event time (DTM+{' or DTM+'.join(time_qualifiers)}) for container {number}")
        if location is None:
            raise _fail(eqd, f"no location for the event of container {number}")
        on_vessel = code in ("LOAD", "DISC")
        mode = header.mode if on_vessel else (inland.mode or header.mode)
        self._event(
            n,
            event_type=EventType.EQUIPMENT,
            classifier=Classifier.ACT,
            type_code=code,
            event_datetime=when,
            where=eqd.where(),
            equipment_reference=number,
            iso_equipment_code=eqd.el(2, 0) or None,
            empty_indicator=_EMPTY.get(eqd.el(5)),
            movement_type=_MOVEMENT.get(eqd.el(4)),
            un_location_code=location,
            facility_code=loc_facility,
            facility_provider="SMDG" if loc_facility else None,
            mode_of_transport=mode,
            transport_call_id=_transport_call_id(
                header.call_sign or header.vessel_imo, header.voyage, location
            )
            if on_vessel
            else None,
            vessel_name=header.vessel_name if on_vessel else None,
            vessel_imo=header.vessel_imo if on_vessel else None,
            vessel_call_sign=header.call_sign if on_vessel else None,
            carrier_code=header.carrier,
            export_voyage=header.voyage if on_vessel else None,
            import_voyage=header.voyage if on_vessel else None,
            vehicle_reference=None if on_vessel else inland.vehicle,
            booking_reference=booking,
            transport_document_reference=bill,
            seals=tuple(seals),
            flags=tuple(flags) + (header.flags if on_vessel else ()),
        )

    def read(self) -> None:
        body = self.message.segments
        bgm = next((s for s in body if s.tag == "BGM"), None)
        kind = self.message.kind
        if bgm is None:
            raise Invalid(f"message {self.message.reference} ({kind}) has no BGM", field="BGM")
        function = bgm.el(0)
        if kind == "CODECO":
            code = _CODECO.get(function)
            if code is None:
                raise _fail(
                    bgm,
                    f"CODECO document code {function!r} is neither gate-in (34, 109) nor gate-out (36, 111)",
                )
            header, groups = _groups(body, "EQD")
            transport, port, facility = self.header_transport(header, ("165",))
            for n, group in enumerate(groups):
                self.equipment_group(n, group, code, transport, port, facility, ("7", "ACT"), "165")
        elif kind == "COARRI":
            code = _COARRI.get(function)
            if code is None:
                raise _fail(
                    bgm,
                    f"COARRI document code {function!r} is neither discharge (44, 119) nor load (46, 122)",
                )
            header, groups = _groups(body, "EQD")
            transport, port, facility = self.header_transport(header, ("11",) if code == "DISC" else ("9",))
            if port is None:
                raise _fail(
                    bgm,
                    f"no port of {'discharge (LOC+11)' if code == 'DISC' else 'loading (LOC+9)'} in the header",
                )
            for n, group in enumerate(groups):
                self.equipment_group(n, group, code, transport, port, facility, ("203", "7"), None)
        elif kind == "BAPLIE":
            header = [
                s
                for s in body
                if s.tag in ("TDT", "LOC", "DTM")
                and s.position
                < next((g.position for g in body if g.tag == "LOC" and g.el(0) == "147"), 10**9)
            ]
            self.header_transport(header, ("5",))
            for seg in body:
                if seg.tag == "EQD" and seg.el(0) == "CN":
                    number, _ = _container(seg)
                    self.containers.append((number, seg.el(2, 0) or None))
        else:  # IFTSTA
            self.read_iftsta(body)

    def read_iftsta(self, body: list[_Seg]) -> None:
        statuses = [i for i, s in enumerate(body) if s.tag == "STS"]
        for n, start in enumerate(statuses):
            end = next((i for i in range(start + 1, len(body)) if body[i].tag in ("STS", "CNI")), len(body))
            sts, group = body[start], body[start + 1 : end]
            code = sts.el(1, 0)
            when = next((_time(s) for s in group if s.tag == "DTM"), None)
            location = next((_locode(s) for s in group if s.tag == "LOC"), None)
            transport = next((_transport(s) for s in group if s.tag == "TDT"), _Transport())
            containers = [_container(s) for s in group if s.tag == "EQD" and s.el(0) == "CN"]
            if code not in _IFTSTA_EQUIPMENT and code not in _IFTSTA_TRANSPORT:
                continue  # a status with no DCSA counterpart (cleared, delivered, ...): nothing to track
            if when is None or location is None:
                raise _fail(sts, f"status {code} needs a date/time (DTM) and a place (LOC) in its group")
            common = dict(
                classifier=Classifier.ACT,
                event_datetime=when,
                where=sts.where(),
                un_location_code=location,
                mode_of_transport=transport.mode,
                vessel_name=transport.vessel_name,
                vessel_imo=transport.vessel_imo,
                vessel_call_sign=transport.call_sign,
                carrier_code=transport.carrier,
                vehicle_reference=transport.vehicle,
            )
            if code in _IFTSTA_TRANSPORT:
                self._event(
                    n * 1000,
                    event_type=EventType.TRANSPORT,
                    type_code=_IFTSTA_TRANSPORT[code],
                    transport_call_id=_transport_call_id(
                        transport.call_sign or transport.vessel_imo or transport.vehicle,
                        transport.voyage,
                        location,
                    ),
                    export_voyage=transport.voyage,
                    import_voyage=transport.voyage,
                    flags=transport.flags,
                    **common,
                )
                continue
            if not containers:
                raise _fail(sts, f"status {code} concerns a container, but its group has no EQD")
            for m, (number, flags) in enumerate(containers):
                self._event(
                    n * 1000 + m,
                    event_type=EventType.EQUIPMENT,
                    type_code=_IFTSTA_EQUIPMENT[code],
                    equipment_reference=number,
                    flags=tuple(flags),
                    **common,
                )


def parse(data: bytes, *, max_segments: int = 200_000, shift: int = 0) -> ParsedBatch:
    """Translate one interchange; raise Invalid naming the segment when any part of it is wrong.

    ``shift``: ``data`` is one part of a larger interchange (``adapters.edifact.stream``), whose segments
    after UNB sit ``shift`` positions further on there; refusals name those positions."""
    text = _decode(data).strip()
    if not text:
        raise Invalid("the body is empty; send one EDIFACT interchange", field="segment 1")
    segs = _segments(text)
    if len(segs) > max_segments:
        raise Invalid(
            f"the interchange has {len(segs)} segments; at most {max_segments} are accepted (stream "
            "larger interchanges: hub ingest, or POST /ingest/stream/edifact)",
            field="segment 1",
        )
    if shift:
        for seg in segs[1:]:
            seg.position += shift
    interchange, messages = _messages(segs)
    infos: list[MessageInfo] = []
    events: list[EventCommand] = []
    containers: list[tuple[str, str | None]] = []
    for message in messages:
        reader = _Reader(interchange, message)
        reader.read()
        events.extend(reader.events)
        containers.extend(reader.containers)
        notes = ("EDIFACT times carry no zone: read as UTC",)
        infos.append(MessageInfo("EDIFACT", message.kind, f"{interchange}:{message.reference}", notes))
    return ParsedBatch(messages=tuple(infos), events=tuple(events), containers=tuple(containers))
