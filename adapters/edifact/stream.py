"""An EDIFACT interchange of any size, read segment by segment and handed on in parts of whole messages.

A part is an interchange of its own: the original UNA and UNB, whole messages (UNH to UNT) of at least
``size`` segments in all (fewer in the last part), and a UNZ that counts them. ``adapters.edifact.parse``
reads it with ``shift`` so that every refusal names the segment's position in the original interchange,
and the events keep the keys they have when the interchange is posted whole (interchange, message and
event within it). Memory holds one part, whatever the size of the interchange.

The service characters come from the UNA (ISO 9735's defaults without one); a segment ends at a
terminator that is not released. The original UNZ is checked against the messages read (their count and
the control reference) when it comes: a mismatch, or an interchange that ends without UNZ, raises
``Invalid`` naming the place after the parts before it have been handed on. What is not an interchange
this reader can follow (no UNB first, a UNB without its control reference) is read whole, up to
``whole_limit`` bytes, for ``parse`` to refuse it as it would a posted body.
"""

from __future__ import annotations

from collections.abc import Iterator

from adapters.stream import Part, Readable
from hub.errors import Invalid

_CHUNK = 1 << 20
_SPACE = b" \t\r\n"


def _whole(head: bytes, stream: Readable, whole_limit: int) -> Part:
    data = head + stream.read(max(0, whole_limit + 1 - len(head)))
    if len(data) > whole_limit:
        raise Invalid(
            f"segment 1: an interchange that does not start with UNA or a UNB carrying its control "
            f"reference is read whole, and this one is larger than {whole_limit} bytes",
            field="segment 1",
        )
    return Part("edifact", data, "whole", 0, 0)


def parts(stream: Readable, *, size: int = 50_000, whole_limit: int = 50_000_000) -> Iterator[Part]:
    """The messages of the interchange in ``stream``, at least ``size`` segments at a time."""
    buffer = stream.read(_CHUNK)
    start = len(buffer) - len(buffer.lstrip(b"\xef\xbb\xbf" + _SPACE))
    if buffer[start : start + 3] == b"UNA":
        chars = buffer[start + 3 : start + 9]
        if len(chars) < 6:
            yield _whole(buffer, stream, whole_limit)
            return
        header = buffer[start : start + 9]
        data_sep, release, terminator = chars[1:2], chars[3:4], chars[5:6]
        at = start + 9
    else:
        header, data_sep, release, terminator = b"", b"+", b"?", b"'"
        at = start
    position = 0  # of the last segment read, counted from 1 at UNB as the reader counts
    control: bytes | None = None
    pending: list[bytes] = []  # the current part's segments
    pending_first = 2  # the original position of its first segment
    complete = 0  # how many of ``pending`` belong to whole messages
    messages_in_part = messages = 0
    in_message = False
    eof = False

    def cut(upto: int) -> Part:
        nonlocal pending, pending_first, complete, messages_in_part
        body = b"".join(pending[:upto])
        unz = b"UNZ" + data_sep + str(messages_in_part).encode() + data_sep + (control or b"") + terminator
        part = Part(
            "edifact",
            header + unb + body + unz,
            None,
            pending_first - 2,
            messages_in_part,
            last=pending_first + upto - 1,
        )
        pending_first += upto
        pending, complete, messages_in_part = pending[upto:], 0, 0
        return part

    unb = b""
    while True:
        end = buffer.find(terminator, at)
        while end >= 0:
            released = 0
            while end - released - 1 >= at and buffer[end - released - 1 : end - released] == release:
                released += 1
            if released % 2 == 0:
                break
            end = buffer.find(terminator, end + 1)
        if end < 0:
            if eof:
                break
            more = stream.read(_CHUNK)
            if not more:
                eof = True
            if position == 0:  # keep the start whole until UNB: it may have to be read whole
                buffer += more
            else:
                buffer, at = buffer[at:] + more, 0
            continue
        raw = buffer[at : end + 1]
        at = end + 1
        tag = raw.lstrip(_SPACE)[:3]
        position += 1
        if position == 1:
            elements = raw.rstrip(terminator).split(data_sep)
            if tag != b"UNB" or len(elements) < 6 or not elements[5].strip():
                yield _whole(buffer, stream, whole_limit)  # all read so far: nothing was cut before UNB
                return
            unb, control = raw, elements[5].split(data_sep)[0].strip()
            continue
        if tag == b"UNZ" and not in_message:
            if pending:
                yield cut(len(pending))
            elements = raw.lstrip(_SPACE).rstrip(terminator).split(data_sep)
            declared = elements[1].strip() if len(elements) > 1 else b""
            reference = elements[2].strip() if len(elements) > 2 else b""
            where = f"segment {position} (UNZ)"
            if declared.isdigit() and int(declared) != messages:
                raise Invalid(
                    f"{where}: the interchange says it holds {int(declared)} messages, it holds {messages} "
                    "(the parts before it are stored)",
                    field=where,
                )
            if reference != control:
                raise Invalid(f"{where}: UNZ reference does not match UNB's", field=where)
            return
        pending.append(raw)
        if tag == b"UNH":
            in_message = True
        elif tag == b"UNT":
            in_message = False
            messages += 1
            messages_in_part += 1
            complete = len(pending)
            if complete >= size:
                yield cut(complete)
    if position == 0:  # not one terminated segment: for the reader to refuse as it would a body
        yield _whole(buffer, stream, whole_limit)
        return
    if complete:
        yield cut(complete)
    where = f"segment {position}"
    raise Invalid(
        f"{where}: the interchange ends without UNZ (the whole messages before it are stored)", field=where
    )
