"""DCSA Track & Trace event JSON (2.2 and 3.0) to tracking commands, and tracking events back to DCSA 2.2."""

from adapters.dcsa.events import parse
from adapters.dcsa.render import render_v22

__all__ = ["parse", "render_v22"]
