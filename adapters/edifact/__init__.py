"""UN/EDIFACT terminal messages (CODECO, COARRI, IFTSTA, BAPLIE) to tracking commands."""

from adapters.edifact.reader import parse

__all__ = ["parse"]
