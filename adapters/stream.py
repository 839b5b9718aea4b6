"""What the streaming readers (``adapters.dcsa.stream``, ``adapters.edifact.stream``) hand on: parts of a
message of any size, each small enough to parse, store or refuse whole."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Readable(Protocol):
    """A file opened for binary reading, a request body read in a worker thread, ..."""

    def read(self, size: int = -1, /) -> bytes:
        """At most ``size`` bytes (all, when negative); b"" at the end."""
        ...


@dataclass(frozen=True)
class Part:
    """One part of a streamed message, to be parsed and stored whole or refused whole on its own.

    ``dcsa``: a JSON array of ``count`` events, the first of which is ``{base}[{offset}]`` in the body
    (``base`` None: ``data`` is the whole body). ``edifact``: an interchange of its own made of the original
    UNB, ``count`` whole messages and a UNZ that counts them, whose segments after UNB sit ``offset``
    positions further on in the original (``base`` "whole": ``data`` is the whole interchange)."""

    kind: str
    data: bytes
    base: str | None
    offset: int
    count: int
    last: int = 0  # edifact: the original position of the part's last segment

    @property
    def where(self) -> str:
        """The events (DCSA) or segments (EDIFACT) this part holds, as places in the original."""
        if self.kind == "edifact":
            return "the interchange" if self.base == "whole" else f"segments {self.offset + 2}-{self.last}"
        if self.base is None:
            return "$"
        return f"{self.base}[{self.offset}..{self.offset + self.count - 1}]"
