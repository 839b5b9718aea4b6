"""The anchoring worker: claim outbox entries, seal a Merkle batch, anchor its root, record the anchor.

Exactly once, whatever fails:
- an outbox entry joins exactly one batch: the claim is a single UPDATE of rows whose ``batch_id`` is
  still empty (under SQLite's writer lock, or ``FOR UPDATE SKIP LOCKED`` on PostgreSQL);
- a batch's root, leaves and tree are committed before anything is sent, and the signed transaction's
  hash is committed before it is sent, so a crash at any point leaves a batch that the next worker picks
  up when its lease runs out;
- before (re)sending, the worker asks the registry whether the root is already anchored; and the registry
  refuses a root it already holds, so two workers racing on one batch anchor it once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from prometheus_client import Counter, Gauge
from sqlalchemy import func, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from hub.anchors import AnchorBatch, BatchState, ChainContract
from hub.canonical import leaf_hash
from hub.db import aware, utcnow
from hub.outbox import OutboxEntry
from ledger import merkle
from ledger.chain import ChainClient, ChainError, ChainRejected, ChainUnavailable

log = structlog.get_logger(__name__)

ANCHORED_RECORDS = Counter("hub_anchored_records_total", "Record versions anchored on chain")
ANCHORED_BATCHES = Counter("hub_anchored_batches_total", "Batches anchored on chain")
ANCHOR_FAILURES = Counter("hub_anchor_failures_total", "Anchoring attempts that failed", ["kind"])
PENDING = Gauge("hub_anchor_pending_records", "Record versions waiting for a batch (last seen)")

REGISTRY = "AnchorRegistry"

# One statement claims up to :n unclaimed entries for :batch; an entry can only ever join one batch.
_CLAIM = (
    "UPDATE outbox_entry SET batch_id = :batch WHERE batch_id IS NULL AND id IN ("
    "SELECT id FROM outbox_entry WHERE batch_id IS NULL ORDER BY id LIMIT :n)"
)
# PostgreSQL: concurrent workers skip each other's rows instead of waiting on them. The CTE is needed:
# as a plain IN (subquery) the planner may run the LIMITed subquery more than once and claim too many.
_CLAIM_PG = (
    "WITH claim AS (SELECT id FROM outbox_entry WHERE batch_id IS NULL ORDER BY id LIMIT :n FOR UPDATE SKIP LOCKED) "
    "UPDATE outbox_entry SET batch_id = :batch FROM claim WHERE outbox_entry.id = claim.id"
)


@dataclass(frozen=True)
class AnchorSettings:
    """How the worker batches and retries."""

    batch_size: int = 10_000
    max_wait_seconds: float = 1.0
    lease_seconds: float = 60.0
    receipt_timeout: float = 60.0
    idle_sleep_seconds: float = 0.2


def ensure_registry(
    engine: Engine,
    chain: ChainClient,
    *,
    address: str | None,
    allow_deploy: bool,
    name: str = "AnchorRegistry",
) -> str:
    """Point ``chain`` at contract ``name``: the configured address, the one remembered for this chain,
    or (outside production) a new deployment that is remembered from then on."""
    if address:
        chain.attach(name, address)
        return address
    with Session(engine) as session:
        known = session.exec(
            select(ChainContract).where(ChainContract.chain_id == chain.chain_id, ChainContract.name == name)
        ).first()
        if known is not None:
            try:
                chain.attach(name, known.address)
            except ChainRejected as exc:
                if name != "ReceivableRegistry":
                    raise
                raise ChainError(
                    f"{exc}: it is an older version; run 'hub chain upgrade-receivables' to move the "
                    "receivables to this one (the old registry stays on the chain)"
                ) from exc
            return known.address
        if not allow_deploy:
            raise ChainError(f"no {name} is known on chain {chain.chain_id}: run 'hub chain deploy'")
        deployed = chain.deploy(name)
        session.add(ChainContract(chain_id=chain.chain_id, name=name, address=deployed))
        try:
            session.commit()
        except IntegrityError:
            # Another process deployed one at the same moment and recorded it first: use that one.
            session.rollback()
            winner = session.exec(
                select(ChainContract).where(
                    ChainContract.chain_id == chain.chain_id, ChainContract.name == name
                )
            ).one()
            chain.attach(name, winner.address)
            return winner.address
        log.info("ledger.registry_deployed", chain_id=chain.chain_id, address=deployed)
        return deployed


class Anchorer:
    """One worker. Several may run at once against the same database and chain."""

    def __init__(
        self,
        engine: Engine,
        chain: ChainClient,
        settings: AnchorSettings | None = None,
        owner: str | None = None,
    ) -> None:
        self.engine = engine
        self.chain = chain
        self.settings = settings or AnchorSettings()
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._proven = False  # whether this worker's anchor transactions have been accepted once

    # -- public ---------------------------------------------------------------------------------------
    def run_once(self, *, force: bool = False) -> int:
        """Anchor at most one batch; return how many record versions it anchored (0 when idle or failing).

        ``force`` seals a batch of whatever is pending, without waiting for it to fill or to age.
        """
        batch_id = self._lease_unfinished() or self._seal(force=force)
        if batch_id is None:
            return 0
        return self._anchor(batch_id)

    def drain(self, *, max_seconds: float = 300.0) -> int:
        """Anchor everything pending now (for tests, benchmarks and `hub anchor --once`)."""
        total, deadline = 0, time.monotonic() + max_seconds
        while time.monotonic() < deadline:
            done = self.run_once(force=True)
            if done == 0 and not self._has_work():
                return total
            total += done
            if done == 0:
                time.sleep(0.05)
        return total

    def run_forever(self, stop: Any) -> None:
        """Loop until ``stop.is_set()``: anchor when there is work, sleep when there is none."""
        while not stop.is_set():
            try:
                done = self.run_once()
            except Exception:  # the loop must survive anything; the batch is retried after its lease
                log.exception("ledger.worker_error")
                ANCHOR_FAILURES.labels("unexpected").inc()
                done = 0
            if done == 0:
                stop.wait(self.settings.idle_sleep_seconds)

    async def run_async(self, stop: asyncio.Event) -> None:
        """The worker as an asyncio task (inside `hub demo` and `hub serve`); chain and database calls run in
        a thread so the event loop keeps serving requests."""
        while not stop.is_set():
            try:
                done = await asyncio.to_thread(self.run_once)
            except Exception:
                log.exception("ledger.worker_error")
                ANCHOR_FAILURES.labels("unexpected").inc()
                done = 0
            if done == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.settings.idle_sleep_seconds)

    # -- sealing --------------------------------------------------------------------------------------
    def _has_work(self) -> bool:
        with Session(self.engine) as session:
            pending = session.exec(
                select(OutboxEntry.id).where(col(OutboxEntry.batch_id).is_(None)).limit(1)
            ).first()
            unfinished = session.exec(
                select(AnchorBatch.id).where(AnchorBatch.state != BatchState.ANCHORED).limit(1)
            ).first()
        return pending is not None or unfinished is not None

    def _due(self, session: Session) -> bool:
        oldest = session.exec(
            select(OutboxEntry.created_at)
            .where(col(OutboxEntry.batch_id).is_(None))
            .order_by(col(OutboxEntry.id))
            .limit(1)
        ).first()
        if oldest is None:
            return False
        if utcnow() - aware(oldest) >= timedelta(seconds=self.settings.max_wait_seconds):
            return True
        # Count in the database, stopping at a full batch, rather than fetching up to a batch of ids each poll.
        pending = (
            select(OutboxEntry.id)
            .where(col(OutboxEntry.batch_id).is_(None))
            .limit(self.settings.batch_size)
            .subquery()
        )
        return int(session.exec(select(func.count()).select_from(pending)).one()) >= self.settings.batch_size

    def _seal(self, *, force: bool) -> int | None:
        with Session(self.engine) as session:
            if not force and not self._due(session):
                return None
            now = utcnow()
            batch = AnchorBatch(
                state=BatchState.SEALED,
                lease_owner=self.owner,
                lease_until=now + timedelta(seconds=self.settings.lease_seconds),
                chain_id=self.chain.chain_id,
                contract=self.chain.registry.address,
            )
            session.add(batch)
            session.flush()
            assert batch.id is not None
            claim = _CLAIM_PG if self.engine.dialect.name == "postgresql" else _CLAIM
            session.execute(
                text(claim),
                {"batch": batch.id, "n": self.settings.batch_size},
            )
            hashes = (
                session.execute(
                    text("SELECT record_hash FROM outbox_entry WHERE batch_id = :batch ORDER BY id"),
                    {"batch": batch.id},
                )
                .scalars()
                .all()
            )
            if not hashes:
                session.rollback()
                return None
            levels = merkle.build([leaf_hash(bytes.fromhex(h[2:])) for h in hashes])
            batch.root = "0x" + merkle.root(levels).hex()
            batch.record_count = len(hashes)
            batch.tree = merkle.pack(levels)
            session.add(batch)
            session.commit()
            PENDING.set(0)
            log.info("ledger.batch_sealed", batch=batch.id, records=len(hashes), root=batch.root)
            return batch.id

    def _lease_unfinished(self) -> int | None:
        now = utcnow()
        with Session(self.engine) as session:
            candidates = session.exec(
                select(AnchorBatch.id)
                .where(AnchorBatch.state != BatchState.ANCHORED)
                .where((col(AnchorBatch.lease_until).is_(None)) | (col(AnchorBatch.lease_until) < now))
                .order_by(col(AnchorBatch.id))
                .limit(5)
            ).all()
            for batch_id in candidates:
                claimed = session.execute(
                    update(AnchorBatch)
                    .where(col(AnchorBatch.id) == batch_id, col(AnchorBatch.state) != BatchState.ANCHORED)
                    .where((col(AnchorBatch.lease_until).is_(None)) | (col(AnchorBatch.lease_until) < now))
                    .values(
                        lease_owner=self.owner,
                        lease_until=now + timedelta(seconds=self.settings.lease_seconds),
                    )
                )
                session.commit()
                if claimed.rowcount == 1:  # type: ignore[attr-defined]
                    log.info("ledger.batch_resumed", batch=batch_id)
                    return batch_id
        return None

    # -- anchoring ------------------------------------------------------------------------------------
    def _anchor(self, batch_id: int) -> int:
        with Session(self.engine, expire_on_commit=False) as session:
            batch = session.get(AnchorBatch, batch_id)
            assert batch is not None and batch.root is not None
            root = bytes.fromhex(batch.root[2:])
            # No connection held across the chain's answers (a receipt can take seconds): the requests and
            # the other workers need the pool meanwhile. The lease keeps other workers off this batch.
            session.commit()
            try:
                # A batch never signed cannot be on chain (its root is new): the first attempt skips the
                # read; a batch sent before may have been anchored meanwhile, by this worker or another.
                fresh = batch.state == BatchState.SEALED and batch.attempts == 0 and not batch.tx_hash
                on_chain = None if fresh else self.chain.anchor_of(root)
                receipt = None
                if on_chain is None and batch.state == BatchState.SUBMITTED and batch.tx_hash:
                    # Sent before a crash or a timeout: it may still be mined.
                    receipt = self.chain.wait_receipt(batch.tx_hash, timeout=2.0)
                    if receipt is not None:
                        on_chain = self.chain.anchor_of(root)
                if on_chain is None:
                    with self.chain.sending():
                        # Simulated first until this worker has anchored once, and on every retry, so that
                        # a refusal says why; after that a refusal shows in the receipt and is retried so.
                        tx_hash, raw = self.chain.sign_anchor(
                            root, batch.record_count, simulate=not (fresh and self._proven)
                        )
                        batch.tx_hash, batch.state, batch.attempts = (
                            tx_hash,
                            BatchState.SUBMITTED,
                            batch.attempts + 1,
                        )
                        session.add(batch)
                        session.commit()  # the hash is on record before the transaction exists elsewhere
                        try:
                            self.chain.send_raw(raw)
                        except ChainRejected:
                            # Another worker may have anchored this root meanwhile; the registry knows.
                            if self.chain.anchor_of(root) is None:
                                raise
                    receipt = self.chain.wait_receipt(tx_hash, timeout=self.settings.receipt_timeout)
                    on_chain = self.chain.anchor_of(root)
                    if on_chain is None:
                        if receipt is None:
                            raise ChainUnavailable(f"no receipt for {tx_hash} yet")
                        raise ChainRejected(
                            f"transaction {tx_hash} did not anchor the root (status {receipt.status})"
                        )
                found: str | None = batch.tx_hash
                mined_at = receipt.block_number if receipt is not None and receipt.status == 1 else None
                if mined_at is None and found is not None:
                    mined_at = self._tx_block(found)
                if on_chain is not None and (found is None or mined_at != on_chain.block_number):
                    found = self._find_anchor_tx(root, on_chain.block_number) or found
                batch.state = BatchState.ANCHORED
                batch.tx_hash = found
                batch.block_number = on_chain.block_number
                batch.anchored_at = datetime.fromtimestamp(on_chain.anchored_at, UTC)
                batch.lease_owner, batch.lease_until, batch.last_error = None, None, None
                session.add(batch)
                session.commit()
                self._proven = True
            except ChainError as exc:
                kind = "unavailable" if isinstance(exc, ChainUnavailable) else "rejected"
                ANCHOR_FAILURES.labels(kind).inc()
                log.warning("ledger.anchor_failed", batch=batch_id, error=str(exc))
                session.rollback()
                backoff = min(2 ** min(batch.attempts, 6), 60)
                session.execute(
                    update(AnchorBatch)
                    .where(col(AnchorBatch.id) == batch_id)
                    .values(
                        last_error=str(exc)[:500],
                        lease_owner=None,
                        lease_until=utcnow() + timedelta(seconds=backoff),
                    )
                )
                session.commit()
                return 0
        ANCHORED_RECORDS.inc(batch.record_count)
        ANCHORED_BATCHES.inc()
        log.info(
            "ledger.batch_anchored", batch=batch_id, records=batch.record_count, block=batch.block_number
        )
        return batch.record_count

    def _tx_block(self, tx_hash: str) -> int | None:
        receipt = self.chain.wait_receipt(tx_hash, timeout=0)
        return None if receipt is None or receipt.status != 1 else receipt.block_number

    def _find_anchor_tx(self, root: bytes, block_number: int) -> str | None:
        """The transaction that anchored ``root``: one block's logs, never a scan of the chain."""
        with self.chain.errors("finding the anchoring transaction"):
            events = self.chain.registry.events.RootAnchored().get_logs(
                from_block=block_number, to_block=block_number, argument_filters={"root": root}
            )
        return events[0]["transactionHash"].to_0x_hex() if events else None
