"""The bill's lifecycle and the title's moves, as pure rules (no database)."""

from __future__ import annotations

import enum

from hub.errors import Conflict


class BillState(enum.StrEnum):
    """Where a bill is in its life."""

    DRAFT = "DRAFT"
    ISSUED = "ISSUED"
    IN_TRANSIT = "IN_TRANSIT"
    DELIVERED = "DELIVERED"
    SURRENDERED = "SURRENDERED"
    VOID = "VOID"


ALLOWED: dict[BillState, frozenset[BillState]] = {
    BillState.DRAFT: frozenset({BillState.ISSUED, BillState.VOID}),
    BillState.ISSUED: frozenset({BillState.IN_TRANSIT, BillState.SURRENDERED, BillState.VOID}),
    BillState.IN_TRANSIT: frozenset({BillState.DELIVERED, BillState.SURRENDERED}),
    BillState.DELIVERED: frozenset({BillState.SURRENDERED}),
    BillState.SURRENDERED: frozenset(),
    BillState.VOID: frozenset(),
}
# A bill may be amended (as a new version) until the goods have been delivered.
AMENDABLE = frozenset({BillState.DRAFT, BillState.ISSUED, BillState.IN_TRANSIT})
# The title moves while the bill is live.
TITLE_LIVE = frozenset({BillState.ISSUED, BillState.IN_TRANSIT, BillState.DELIVERED})


def check_transition(current: BillState, target: BillState) -> None:
    """Raise Conflict unless ``current`` may become ``target``."""
    if target not in ALLOWED[current]:
        allowed = ", ".join(sorted(ALLOWED[current])) or "nothing (it is final)"
        raise Conflict(
            f"a {current.value} bill cannot become {target.value}; from {current.value} it can become {allowed}",
            field="state",
        )


class TitleAction(enum.StrEnum):
    """What happens to a negotiable title; each is one entry of the endorsement chain."""

    ISSUE = "ISSUE"  # the issuer hands the title to the first holder (the shipper)
    ENDORSE = "ENDORSE"  # the holder endorses to a named endorsee, who becomes holder
    BLANK_ENDORSE = "BLANK_ENDORSE"  # the holder endorses in blank: from then on, possession is title
    TRANSFER = "TRANSFER"  # a blank-endorsed title passes by delivery
    SURRENDER_REQUESTED = "SURRENDER_REQUESTED"  # the holder surrenders it to the issuer for delivery
    SURRENDER_ACCEPTED = "SURRENDER_ACCEPTED"  # the issuer accepts: the title is spent
    SURRENDER_REJECTED = "SURRENDER_REJECTED"  # the issuer refuses: the title returns to the holder
    VOID = "VOID"  # the issuer voids the bill: the title is dead
    # DCSA PINT: the title left for another eBL platform (held there, by the party named in the transfer),
    # or arrived from one (the holder is the party on this hub the envelope was addressed to).
    PLATFORM_SENT = "PLATFORM_SENT"
    PLATFORM_RECEIVED = "PLATFORM_RECEIVED"


# The state of a title after each step, as the on-chain TitleRegistry records it (its Status enum).
TITLE_STATUS: dict[TitleAction, int] = {
    TitleAction.ISSUE: 1,
    TitleAction.ENDORSE: 1,
    TitleAction.BLANK_ENDORSE: 1,
    TitleAction.TRANSFER: 1,
    TitleAction.SURRENDER_REJECTED: 1,
    TitleAction.SURRENDER_REQUESTED: 2,
    TitleAction.SURRENDER_ACCEPTED: 3,
    TitleAction.VOID: 4,
    TitleAction.PLATFORM_SENT: 1,  # on this hub's registry the title is then held by the peer platform
    TitleAction.PLATFORM_RECEIVED: 1,
}
