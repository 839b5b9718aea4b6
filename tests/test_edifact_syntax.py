"""The fast EDIFACT splitter gives exactly what pydifact's parser gives, or steps aside for it."""

from __future__ import annotations

import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydifact.exceptions import EDISyntaxError
from pydifact.parser import Parser

from adapters.edifact import syntax
from adapters.edifact.reader import _decode
from tests.fixtures import EDIFACT, read


def _pydifact(text: str) -> list[tuple[str, list[syntax.Element]]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [(s.tag, list(s.elements)) for s in Parser().parse(text) if s.tag != "UNA"]


@pytest.mark.parametrize("path", sorted(EDIFACT.glob("*.edi")), ids=lambda p: p.name)
def test_every_fixture_splits_fast_and_as_pydifact_does(path):
    text = _decode(read(path))
    fast = syntax.split(text)
    assert fast is not None, "a real terminal's interchange should take the fast path"
    assert fast == _pydifact(text)


def test_released_service_characters_are_data():
    text = "UNB+UNOA:2+A?+B+C?:D'FTX+AAI+++it?'s 50?? off?:today'UNZ+1+X'"
    fast = syntax.split(text)
    assert fast == _pydifact(text)
    assert fast is not None
    assert fast[1] == ("FTX", ["AAI", "", "", "it's 50? off:today"])
    assert fast[0][1][1] == "A+B"


def test_una_sets_the_service_characters():
    text = "UNA|*.# !UNB*UNOA|2*X!FTX*A|B||C*D#!E! \r\nUNZ*1!"
    assert (
        syntax.split(text)
        == _pydifact(text)
        == [
            ("UNB", [["UNOA", "2"], "X"]),
            ("FTX", [["A", "B", "", "C"], "D!E"]),
            ("UNZ", ["1"]),
        ]
    )


def test_pydifact_crashes_become_a_refusal_that_names_the_place():
    # pydifact 0.2.3 raises IndexError on a UNB whose first element is empty (the slow path's input).
    from adapters.edifact import parse
    from hub.errors import Invalid

    with pytest.raises(Invalid, match="segment"):
        parse(b"UNB+'UNZ+0+X'?")


@pytest.mark.parametrize(
    "text",
    [
        "UNB+A'UNH+1",  # the last segment is not terminated
        "UNB+A''UNZ+1'",  # an empty segment
        "UNB+A'UN:H+1'",  # a tag with a component
        "UNB+A?",  # a release character at the end
        "UNB+A?\n'",  # a release character before a line break
        "junk'UNA:+.? 'UNB+A'",  # a UNA later in the text
        "UNB+A'UNA:+.? 'UNZ'",  # a second UNA
        "UNB+A'X1+B'",  # a tag that is not three characters
        "UNB+A'eqd+B'",  # a tag in lower case
    ],
)
def test_what_is_not_plain_is_left_to_pydifact(text):
    assert syntax.split(text) is None


_CONTENT = st.text(alphabet="AB1 ?':+\r\n.", min_size=0, max_size=6)
_ELEMENT = st.lists(_CONTENT, min_size=0, max_size=4).map(":".join)
_SEGMENT = st.tuples(st.sampled_from(["EQD", "LOC", "FTX", "X1", "eqd"]), st.lists(_ELEMENT, max_size=5)).map(
    lambda t: "+".join([t[0], *t[1]])
)
_TEXT = st.lists(_SEGMENT, min_size=1, max_size=6).map(lambda segs: "'".join(segs) + "'")


@settings(max_examples=600, deadline=None)
@given(_TEXT)
def test_generated_interchanges_split_as_pydifact_splits_them(text):
    fast = syntax.split(text)
    if fast is None:
        return  # pydifact decides; nothing to compare
    try:
        expected = _pydifact(text)
    except (EDISyntaxError, ValueError) as exc:
        pytest.fail(f"the fast path accepted what pydifact refuses ({exc}): {text!r}")
    assert fast == expected
