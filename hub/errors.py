"""The hub's one error tree.

    HubError                      code             HTTP
     ├── Unauthenticated          UNAUTHENTICATED  401
     ├── Forbidden                FORBIDDEN        403
     ├── NotFound                 NOT_FOUND        404
     ├── Conflict                 CONFLICT         409
     ├── Invalid                  INVALID          422   (carries the field or place that is wrong)
     ├── LimitExceeded            LIMIT_EXCEEDED   413
     └── Unavailable              UNAVAILABLE      503   (a dependency such as the chain node is down)

GraphQL maps them to typed mutation errors and to ``extensions.code``; REST maps them to a JSON body
with the same code. Anything else that escapes is masked and logged.
"""

from __future__ import annotations


class HubError(Exception):
    """A failure the caller can act on: a stable code, a message for a person, where it happened."""

    code = "ERROR"
    http_status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Unauthenticated(HubError):
    """No credentials, or credentials we do not accept (unknown, revoked, expired)."""

    code = "UNAUTHENTICATED"
    http_status = 401


class Forbidden(HubError):
    """The caller is known but may not do this."""

    code = "FORBIDDEN"
    http_status = 403


class NotFound(HubError):
    """No such record, or none that the caller may see (we do not tell the two apart)."""

    code = "NOT_FOUND"
    http_status = 404


class Conflict(HubError):
    """The request clashes with the current state (a duplicate, a stale version, a wrong transition)."""

    code = "CONFLICT"
    http_status = 409


class Invalid(HubError):
    """The input is wrong; ``field`` names where."""

    code = "INVALID"
    http_status = 422


class LimitExceeded(HubError):
    """The request is larger or deeper than the hub accepts."""

    code = "LIMIT_EXCEEDED"
    http_status = 413


class Unavailable(HubError):
    """A dependency the request needs (the chain node, for instance) did not answer; try again later."""

    code = "UNAVAILABLE"
    http_status = 503
