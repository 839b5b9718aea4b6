"""China customs cross-border e-commerce import messages (CEB311/411/511/621 and receipts 312/412/512/622)."""

from adapters.ceb.spec import MESSAGES, NAMESPACE
from adapters.ceb.xml import CebMessage, CebRecord, detect, parse, render

__all__ = ["MESSAGES", "NAMESPACE", "CebMessage", "CebRecord", "detect", "parse", "render"]
