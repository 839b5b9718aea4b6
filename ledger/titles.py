"""Keep the on-chain TitleRegistry, and TradeTrustTitles after it, in step with the hub's endorsement chains.

Each title step is written (``bill_title_sync``) in the transaction that makes it. This worker sends the
steps in order; the registry accepts step n only after step n-1 and only once, so a retry, a crash or a
second worker can neither skip nor repeat a step: a step the registry already holds is simply marked
done. Once TitleRegistry holds a step, the worker records the same step in TradeTrustTitles (the titles
as a TradeTrust token registry, ledger/contracts/TradeTrustTitles.sol), under the same rule.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import structlog
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from hub.bills.models import TitleSync
from hub.canonical import org_ref, title_ref
from hub.db import utcnow
from ledger.chain import ChainClient, ChainError, ChainRejected

log = structlog.get_logger(__name__)
NAME = "TitleRegistry"
TRADETRUST = "TradeTrustTitles"


@dataclass(frozen=True)
class OnChainTitle:
    """What the registry holds for a title."""

    issuer: bytes
    holder: bytes
    version: int
    status: int
    blank_endorsed: bool
    updated_at: int


def read_title(chain: ChainClient, bill_id: uuid.UUID | str) -> OnChainTitle | None:
    """The registry's record of a bill's title, or None when it holds none."""
    issuer, holder, version, status, blank, updated = chain.read(NAME, "titleOf", title_ref(bill_id))
    if version == 0:
        return None
    return OnChainTitle(bytes(issuer), bytes(holder), int(version), int(status), bool(blank), int(updated))


class TitleSyncer:
    """Sends owed title steps to the registry, oldest first."""

    def __init__(self, engine: Engine, chain: ChainClient, batch: int = 50) -> None:
        self.engine, self.chain, self.batch = engine, chain, batch
        self.tradetrust = False  # set once the ledger has found or deployed TradeTrustTitles

    def run_once(self) -> int:
        """Send what is due to TitleRegistry, then on to TradeTrustTitles; how many steps were recorded."""
        done = self._registry_pass()
        if self.tradetrust:
            done += self._tradetrust_pass()
        return done

    def _send(self, contract: str, *args: object) -> str | None:
        """Record one step; None when the contract already held it (another worker, an earlier try)."""
        try:
            with self.chain.sending():
                tx_hash, raw = self.chain.sign_call(contract, "record", *args, gas=600_000)
                self.chain.send_raw(raw)
            receipt = self.chain.wait_receipt(tx_hash)
            if receipt is None or receipt.status != 1:
                raise ChainRejected(f"{contract} did not record the step")
        except ChainRejected as exc:
            if exc.reason != "StaleVersion":  # someone else recorded it first: that is fine
                raise
            return None
        return tx_hash

    def _tradetrust_pass(self) -> int:
        with Session(self.engine) as session:
            rows = list(
                session.exec(
                    select(TitleSync)
                    .where(
                        col(TitleSync.synced_at).is_not(None), col(TitleSync.tradetrust_synced_at).is_(None)
                    )
                    .order_by(col(TitleSync.id))
                    .limit(self.batch)
                )
            )
        done = 0
        blocked: set[uuid.UUID] = set()
        for row in rows:
            if row.bill_id in blocked:
                continue
            try:
                ref = title_ref(row.bill_id)
                have = int(self.chain.read(TRADETRUST, "versionOf", int.from_bytes(ref, "big")))
                if have < row.version - 1:
                    blocked.add(row.bill_id)  # an earlier step is not there yet
                    continue
                if have == row.version - 1:
                    holder = org_ref(row.holder_org_id)
                    self._send(TRADETRUST, ref, holder, row.version, row.status, row.blank_endorsed)
                    done += 1
                self._mark(row.id, tradetrust_synced_at=utcnow())
            except ChainError as exc:
                blocked.add(row.bill_id)
                log.warning(
                    "titles.tradetrust_failed", bill=str(row.bill_id), version=row.version, error=str(exc)
                )
        return done

    def _registry_pass(self) -> int:
        """Send what is due; return how many steps the registry now holds that it did not before."""
        now = utcnow()
        with Session(self.engine) as session:
            rows = list(
                session.exec(
                    select(TitleSync)
                    .where(col(TitleSync.synced_at).is_(None), col(TitleSync.next_attempt_at) <= now)
                    .order_by(col(TitleSync.id))
                    .limit(self.batch)
                )
            )
        done = 0
        blocked: set[uuid.UUID] = set()
        for row in rows:
            if row.bill_id in blocked:
                continue  # an earlier step of this title is still owed
            try:
                current = read_title(self.chain, row.bill_id)
                have = 0 if current is None else current.version
                tx_hash: str | None = None
                if have < row.version - 1:
                    blocked.add(row.bill_id)
                    continue
                if have == row.version - 1:
                    tx_hash = self._send(
                        NAME,
                        title_ref(row.bill_id),
                        org_ref(row.issuer_org_id),
                        org_ref(row.holder_org_id),
                        row.version,
                        row.status,
                        row.blank_endorsed,
                    )
                    done += 1
                self._mark(row.id, synced_at=utcnow(), tx_hash=tx_hash, last_error=None)
            except ChainError as exc:
                blocked.add(row.bill_id)
                log.warning("titles.sync_failed", bill=str(row.bill_id), version=row.version, error=str(exc))
                delay = min(2 ** min(row.attempts, 6), 60)
                self._mark(
                    row.id,
                    attempts=row.attempts + 1,
                    last_error=str(exc)[:500],
                    next_attempt_at=utcnow() + timedelta(seconds=delay),
                )
        return done

    def _mark(self, row_id: int | None, **values: object) -> None:
        with Session(self.engine) as session:
            session.execute(update(TitleSync).where(col(TitleSync.id) == row_id).values(**values))
            session.commit()
