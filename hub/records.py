"""Which tables hold which kinds of shareable, anchorable record.

Domain packages register their record kinds here, so that cross-cutting code (shares, verification,
export) can find a record by kind and id without importing every domain.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from hub.errors import Invalid

_MODELS: dict[str, type[Any]] = {}
_CANONICAL: dict[str, Callable[[Any], dict[str, Any]]] = {}
_READERS: dict[str, Callable[[Session, Any, Any], bool]] = {}


def register(
    kind: str,
    model: type[Any],
    canonical: Callable[[Any], dict[str, Any]],
    readers: Callable[[Session, Any, Any], bool] | None = None,
) -> None:
    """Declare that records of ``kind`` live in ``model`` (which has ``id``, ``owner_org_id`` and
    ``version``) and that ``canonical(row)`` gives the content that is anchored. ``readers(session,
    principal, row)``, when given, says who besides the owner, shares and auditors may read a row (a
    bill's parties and holders)."""
    existing = _MODELS.get(kind)
    if existing is not None and existing is not model:
        raise ValueError(f"record kind {kind!r} is already registered for {existing.__name__}")
    _MODELS[kind] = model
    _CANONICAL[kind] = canonical
    if readers is not None:
        _READERS[kind] = readers


def also_reads(session: Session, principal: Any, kind: str, row: Any) -> bool:
    """True when the kind's own rule lets ``principal`` read ``row`` (see ``register``)."""
    rule = _READERS.get(kind)
    return rule is not None and rule(session, principal, row)


def canonical(kind: str, row: Any) -> dict[str, Any]:
    """The anchored content of a row of ``kind``, computed from the row as it is now."""
    return _CANONICAL[kind](row)


def kinds() -> list[str]:
    """Every registered record kind."""
    return sorted(_MODELS)


def load(session: Session, kind: str, record_id: uuid.UUID) -> Any | None:
    """The record of ``kind`` with ``record_id``, or None; Invalid for an unknown kind."""
    model = _MODELS.get(kind)
    if model is None:
        raise Invalid(f"unknown record kind {kind!r}; known kinds: {', '.join(kinds())}", field="kind")
    return session.get(model, record_id)
