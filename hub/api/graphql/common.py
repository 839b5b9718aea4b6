"""Types and helpers every GraphQL domain module shares: typed errors, pagination, id parsing."""

from __future__ import annotations

import base64
import binascii
import enum
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

import strawberry
import structlog
from graphql import GraphQLError

from hub import errors
from hub.db import busy_refusal
from hub.settings import Settings

log = structlog.get_logger(__name__)


@strawberry.enum(description="Stable error codes; clients branch on these, never on messages.")
class ErrorCode(enum.Enum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    INVALID = "INVALID"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"


@strawberry.type(description="Why a mutation did not do what was asked, and which input field to fix.")
class UserError:
    code: ErrorCode
    message: str
    field: str | None = None

    @staticmethod
    def from_hub(exc: errors.HubError) -> UserError:
        """The GraphQL form of a domain error."""
        return UserError(code=ErrorCode(exc.code), message=exc.message, field=exc.field)


P = TypeVar("P")


def run_mutation(
    payload: Callable[..., P], action: Callable[[], dict[str, Any]], session_commit: Callable[[], None]
) -> P:
    """Run ``action``, commit, and wrap its result or its domain error in ``payload``.

    Unauthenticated callers get a top-level error (they cannot act on a field), every other domain error
    becomes a typed ``UserError`` in the payload; anything else propagates and is masked.
    """
    try:
        result = action()
        session_commit()
    except errors.Unauthenticated:
        raise
    except errors.HubError as exc:
        return payload(errors=[UserError.from_hub(exc)])
    return payload(errors=[], **result)


@strawberry.type(description="Where a page ends, for cursor pagination.")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


class Keyed(Protocol):
    """A row that pages by (created_at, id)."""

    created_at: datetime
    id: uuid.UUID


K = TypeVar("K", bound=Keyed)


def page_of(rows: Sequence[K], limit: int) -> tuple[list[K], PageInfo]:
    """The first ``limit`` of ``rows`` (fetched as ``limit + 1``) and where the page ends."""
    page = list(rows[:limit])
    return page, PageInfo(
        has_next_page=len(rows) > limit,
        end_cursor=encode_cursor(page[-1].created_at, page[-1].id) if page else None,
    )


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    """An opaque cursor for keyset pagination."""
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{row_id}".encode()).decode()


def decode_cursor(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    """The keyset behind a cursor; Invalid for one this API did not hand out."""
    if cursor is None:
        return None
    try:
        created, _, row_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return datetime.fromisoformat(created), uuid.UUID(row_id)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise errors.Invalid("the cursor is not one this API handed out", field="after") from exc


def page_size(first: int | None, settings: Settings) -> int:
    """The page size asked for, refused past the configured maximum."""
    if first is None:
        return settings.graphql_default_page_size
    if first < 1:
        raise errors.Invalid("first must be at least 1", field="first")
    if first > settings.graphql_max_page_size:
        raise errors.LimitExceeded(
            f"first may be at most {settings.graphql_max_page_size}; page through with 'after'", field="first"
        )
    return first


def parse_id(value: str, field: str = "id") -> uuid.UUID:
    """A UUID from a GraphQL ID, or Invalid naming the argument."""
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise errors.Invalid(f"{value!r} is not a valid id", field=field) from exc


def format_error(error: GraphQLError) -> GraphQLError:
    """Give domain errors their stable code; mask everything unexpected, and log it."""
    original = error.original_error
    if isinstance(original, errors.HubError):
        error.extensions = {**(error.extensions or {}), "code": original.code}
        if original.field:
            error.extensions["field"] = original.field
        return error
    if original is None or isinstance(original, GraphQLError):
        # Parse, validation and limit errors, and variables that do not fit their type (graphql-core wraps
        # its own GraphQLError there, e.g. null for a String!): the request itself is wrong, say so plainly.
        extensions = dict(error.extensions or {})
        extensions.setdefault("code", "GRAPHQL_VALIDATION_FAILED")
        error.extensions = extensions
        return error
    busy = busy_refusal(original)
    if busy is not None:
        return GraphQLError(
            busy.message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": busy.code},
        )
    log.error("graphql.unexpected_error", path=error.path, error=repr(original), exc_info=original)
    return GraphQLError(
        "Unexpected error; it has been logged.",
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": "INTERNAL_SERVER_ERROR"},
    )
