"""Split an interchange into segments and elements, as pydifact's parser does, in a fraction of its time.

pydifact reads one character at a time (about 6 µs per character here: a 2,000-container CODECO takes
half a second), which alone keeps ingest below its target. Almost every interchange real systems send
is plain: it starts with UNA or UNB, every segment is terminated, tags are letters and digits. Such text
splits with ``str.split`` on the service characters (release sequences are swapped out first and back in
after), giving exactly the elements pydifact gives: an element with one component is a string, one with
several a list, empty components inside a composite are kept and trailing ones dropped.

Anything else (no terminator at the end, an empty or odd tag, a release character before a line break or
at the end, a second UNA) is not split here: ``split`` answers ``None`` and the caller asks pydifact,
whose answer or error stands. ``tests/test_edifact_syntax.py`` holds the two to the same output on every
fixture and on generated interchanges.
"""

from __future__ import annotations

from pydifact.control.characters import Characters

Element = str | list[str]
# Stand-ins for released service characters while splitting: private-use code points that no
# interchange here carries (an interchange that does carry one goes to pydifact).
_HELD = ("\ue000", "\ue001", "\ue002", "\ue003")
_AFTER_TERMINATOR = " \r\n"  # pydifact's line terminators, skipped after a segment terminator


def split(text: str) -> list[tuple[str, list[Element]]] | None:
    """The segments (tag, elements) of ``text``, UNA left out; ``None`` when the text is not plain."""
    if text.startswith("UNA"):
        if len(text) < 9:
            return None
        chars = Characters.from_str(text[:9])
        text = text[9:].lstrip("\r\n")
    elif "'UNA" in text:
        return None  # pydifact takes a UNA found later as the start of the interchange
    else:
        chars = Characters.from_str(":+,? '")  # pydifact's defaults, those of ISO 9735
    if any(c in text for c in _HELD):
        return None
    component, data, release, terminator = (
        chars.component_separator,
        chars.data_separator,
        chars.escape_character,
        chars.segment_terminator,
    )
    if len({component, data, release, terminator}) != 4:
        return None
    released = release in text
    if released:
        text, ok = _hold(text, release, (terminator, data, component, release))
        if not ok:
            return None
    pieces = text.split(terminator)
    if pieces[-1].strip(_AFTER_TERMINATOR) or len(pieces) < 2:
        return None  # the last segment is not terminated (or there is none)
    segments: list[tuple[str, list[Element]]] = []
    for index, piece in enumerate(pieces[:-1]):
        if index:
            piece = piece.lstrip(_AFTER_TERMINATOR)
        tag, *rest = piece.split(data)
        if len(tag) != 3 or not (tag.isalnum() and tag.isascii() and tag.isupper()) or tag == "UNA":
            return None  # pydifact's rule for a tag: three upper-case letters or digits
        elements: list[Element] = []
        for raw in rest:
            if component not in raw:
                elements.append(_restore(raw, release, chars) if released else raw)
                continue
            parts = raw.split(component)
            while parts and not parts[-1]:
                parts.pop()
            if released:
                parts = [_restore(p, release, chars) for p in parts]
            elements.append("" if not parts else parts[0] if len(parts) == 1 else parts)
        segments.append((tag, elements))
    return segments


def _hold(text: str, release: str, specials: tuple[str, str, str, str]) -> tuple[str, bool]:
    """``text`` with each released service character swapped for its stand-in, and any other released
    character left as itself; ``False`` when a release character ends the text or precedes a line break."""
    out: list[str] = []
    start = 0
    while True:
        at = text.find(release, start)
        if at < 0:
            out.append(text[start:])
            return "".join(out), True
        if at + 1 >= len(text) or text[at + 1] == "\n":
            return text, False
        out.append(text[start:at])
        char = text[at + 1]
        out.append(_HELD[specials.index(char)] if char in specials else char)
        start = at + 2


def _restore(value: str, release: str, chars: Characters) -> str:
    if max(value, default="\x00") >= "\ue000":
        for held, char in zip(
            _HELD,
            (chars.segment_terminator, chars.data_separator, chars.component_separator, release),
            strict=True,
        ):
            value = value.replace(held, char)
    return value
