"""The hub's side of ``ReceivableRegistry``: synchronous calls whose outcome the caller waits for.

Unlike anchors and titles (queued, retried by the worker), a pledge must be decided while the bank waits:
the call is sent at once, and its revert reason, when the registry refuses, becomes a domain error.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.errors import Conflict, NotFound, Unavailable
from ledger.chain import ChainClient, ChainRejected, ChainUnavailable

NAME = "ReceivableRegistry"
STATUS = {0: "NONE", 1: "REGISTERED", 2: "PLEDGED", 3: "SETTLED"}
_MEANING = {
    "AlreadyRegistered": "this invoice is already registered on the receivable registry",
    "AlreadyPledged": "the receivable is already pledged to a lender",
    "NotRegistered": "the receivable is not on the registry",
    "NotPledged": "the receivable is not pledged",
    "NotTheLender": "the receivable is pledged to another lender",
    "ReceivableSettledAlready": "the receivable is settled",
    "EvidenceExhausted": "the evidence is already drawn on by other pledges up to its value",
    "DrawsMismatch": "the pledge's evidence, amounts and values do not line up",
}


@dataclass(frozen=True)
class OnChainReceivable:
    """What the registry holds for one blinded receivable id."""

    receivable_id: str
    status: str
    lender: bytes
    registered_at: int
    changed_at: int
    pledges: int
    contract: str
    chain_id: int
    block_number: int


def call(chain: ChainClient, function: str, *args: object, gas: int = 200_000) -> tuple[str, int]:
    """Send ``function`` and wait for it: (transaction hash, block number)."""
    try:
        receipt = chain.call_and_wait(NAME, function, *args, gas=gas)
    except ChainRejected as exc:
        reason = (exc.reason or "").split("(")[0]
        raise Conflict(_MEANING.get(reason, f"the receivable registry refused: {exc}")) from exc
    except ChainUnavailable as exc:
        raise Unavailable(f"cannot reach the chain: {exc}") from exc
    return receipt.tx_hash, receipt.block_number


def drawn_on(chain: ChainClient, evidence_ids: list[bytes]) -> list[int]:
    """What live pledges draw on each blinded evidence id, in ten-thousandths of its currency."""
    if not evidence_ids:
        return []
    try:
        return [int(v) for v in chain.read(NAME, "drawnOn", evidence_ids)]
    except ChainUnavailable as exc:
        raise Unavailable(f"cannot reach the chain: {exc}") from exc


def draws_of(chain: ChainClient, receivable_id: bytes) -> dict[bytes, int]:
    """What a pledged receivable draws on each evidence id (empty when it is not pledged)."""
    try:
        ids, amounts = chain.read(NAME, "drawsOf", receivable_id)
    except ChainUnavailable as exc:
        raise Unavailable(f"cannot reach the chain: {exc}") from exc
    draws: dict[bytes, int] = {}
    for evidence_id, amount in zip(ids, amounts, strict=True):
        draws[bytes(evidence_id)] = draws.get(bytes(evidence_id), 0) + int(amount)
    return draws


def read(chain: ChainClient, receivable_id: bytes) -> OnChainReceivable:
    """The registry's entry (status NONE when it has none)."""
    try:
        status, lender, registered, changed, pledges = chain.read(NAME, "receivableOf", receivable_id)
        block = chain.ping()
    except ChainUnavailable as exc:
        raise Unavailable(f"cannot reach the chain: {exc}") from exc
    except ChainRejected as exc:  # pragma: no cover - a view call does not revert
        raise NotFound(str(exc)) from exc
    return OnChainReceivable(
        receivable_id="0x" + receivable_id.hex(),
        status=STATUS.get(int(status), str(status)),
        lender=bytes(lender),
        registered_at=int(registered),
        changed_at=int(changed),
        pledges=int(pledges),
        contract=chain.contracts[NAME].address,
        chain_id=chain.chain_id,
        block_number=block,
    )
