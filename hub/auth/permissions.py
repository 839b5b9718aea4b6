"""Who may do what: the principal behind a request, the actions, and the matrix of organisation types.

Two checks guard every operation:
1. the action: may this kind of organisation, with this key role, do this at all (``Principal.require``);
2. the record: is this record the caller's own, shared with it, or is the caller a regulator reading
   (``hub.auth.access``).
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass

from hub.auth.models import KeyRole, OrgType
from hub.errors import Forbidden


class Action(enum.StrEnum):
    """Every operation the hub guards. Adding one means adding it to the matrix and to its test."""

    READ_DIRECTORY = "directory:read"
    MANAGE_ORGANISATIONS = "organisations:manage"
    MANAGE_KEYS = "keys:manage"
    READ_RECORDS = "records:read"
    WRITE_RECORDS = "records:write"
    SHARE_RECORDS = "records:share"
    AUDIT_ALL = "records:audit"
    INGEST_EVENTS = "events:ingest"  # terminal, rail, road and carrier messages about equipment and transport
    ISSUE_BILLS = "bills:issue"  # issue and amend through bills (forwarders and carriers)
    TRADE_ECOMMERCE = (
        "commerce:trade"  # send cross-border orders, payments, waybills; declare inventory lists
    )
    DECIDE_CUSTOMS = "customs:decide"  # answer declarations: receipts, holds, releases (customs offices)
    REGISTER_RECEIVABLES = "receivables:register"  # creditors put receivables up for financing
    FINANCE_RECEIVABLES = "receivables:finance"  # banks pledge, release, settle and transfer them
    TRANSFER_ENVELOPES = "envelopes:transfer"  # peer eBL platforms send title envelopes (DCSA PINT)
    APPROVE_TRANSFERS = "transfers:approve"  # regulators approve and revoke cross-border transfer rules


_READ_ONLY = frozenset({Action.READ_DIRECTORY, Action.READ_RECORDS})
_TRADER = frozenset(
    {
        Action.READ_DIRECTORY,
        Action.MANAGE_KEYS,
        Action.READ_RECORDS,
        Action.WRITE_RECORDS,
        Action.SHARE_RECORDS,
    }
)

_OPERATOR = _TRADER | {Action.INGEST_EVENTS}
_ISSUER = _OPERATOR | {Action.ISSUE_BILLS}
_ECOMMERCE = _TRADER | {Action.TRADE_ECOMMERCE}
_CREDITOR = _ECOMMERCE | {Action.REGISTER_RECEIVABLES}

# What each kind of organisation may do at all; the key role narrows it further.
ORG_CAPABILITIES: dict[OrgType, frozenset[Action]] = {
    # Forwarders and carriers are also the logistics enterprises of cross-border parcels (CEB511).
    OrgType.FORWARDER: _ISSUER | {Action.TRADE_ECOMMERCE},
    OrgType.CARRIER: _ISSUER | {Action.TRADE_ECOMMERCE},
    OrgType.TERMINAL: _OPERATOR,
    OrgType.PORT_OPERATOR: _OPERATOR,
    OrgType.SELLER: _CREDITOR,
    OrgType.PLATFORM: _ECOMMERCE,
    # Banks and payment institutions send the payment records (CEB411).
    OrgType.BANK: _ECOMMERCE | {Action.FINANCE_RECEIVABLES},
    OrgType.CUSTOMS: _TRADER | {Action.DECIDE_CUSTOMS},
    # Regulators read everything and write no trade records; their keys are issued by the hub's operator.
    # They approve the rules under which important and personal data may cross the border.
    OrgType.REGULATOR: _READ_ONLY | {Action.AUDIT_ALL, Action.APPROVE_TRANSFERS},
    # The hub's own operator runs the directory and keys; it sees no trade data it does not own.
    OrgType.ADMIN: frozenset({Action.READ_DIRECTORY, Action.MANAGE_ORGANISATIONS, Action.MANAGE_KEYS}),
    # A peer eBL platform sends envelopes and looks up receivers; it reads no records through the API.
    OrgType.EBL_PLATFORM: frozenset({Action.TRANSFER_ENVELOPES}),
}

# What each key role may use of its organisation's capabilities.
ROLE_CAPABILITIES: dict[KeyRole, frozenset[Action]] = {
    KeyRole.ADMIN: frozenset(Action),
    KeyRole.OPERATOR: frozenset(Action) - {Action.MANAGE_KEYS, Action.MANAGE_ORGANISATIONS},
    KeyRole.VIEWER: frozenset({Action.READ_DIRECTORY, Action.READ_RECORDS, Action.AUDIT_ALL}),
}


def allowed(org_type: OrgType, role: KeyRole, action: Action) -> bool:
    """True when a key of ``role`` in an organisation of ``org_type`` may perform ``action``."""
    return action in ORG_CAPABILITIES[org_type] and action in ROLE_CAPABILITIES[role]


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller: a key of one organisation."""

    org_id: uuid.UUID
    org_name: str
    org_type: OrgType
    role: KeyRole
    key_id: uuid.UUID
    # The organisation's country as it was at authentication: "" when it was registered without one (the
    # hub's own country), None when the principal was made without looking (a worker's): look it up.
    country: str | None = None

    def can(self, action: Action) -> bool:
        """True when this caller may perform ``action`` at all."""
        return allowed(self.org_type, self.role, action)

    def require(self, action: Action) -> None:
        """Raise Forbidden unless this caller may perform ``action``."""
        if not self.can(action):
            raise Forbidden(
                f"a {self.role.value} key of a {self.org_type.value} organisation may not {action.value}"
            )

    @property
    def audits_all(self) -> bool:
        """True for regulators: they read every organisation's records."""
        return self.can(Action.AUDIT_ALL)
