"""Wiring: the chain the settings describe, its registry, the worker and the verifier, for one process."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy.engine import Engine
from sqlmodel import Session

from hub.anchors import Verification
from hub.errors import Invalid, Unavailable
from hub.settings import Settings
from ledger import receivables
from ledger.anchorer import Anchorer, AnchorSettings, ensure_registry
from ledger.chain import ChainClient, ChainError, ChainRejected, ChainUnavailable, EmbeddedChain, RpcChain
from ledger.titles import TRADETRUST, OnChainTitle, TitleSyncer, read_title
from ledger.verify import Verifier, export_record, verify_exported

DOCUMENT_STORE = "DocumentStore"
log = structlog.get_logger(__name__)


def open_chain(settings: Settings, *, read_only: bool = False) -> ChainClient:
    """The JSON-RPC node at HUB_CHAIN_URL, or the embedded chain journaled under HUB_CHAIN_DATA_DIR
    (``read_only``: a copy of it for reading, which another process may be serving meanwhile)."""
    if settings.chain_url:
        return RpcChain(
            settings.chain_url,
            settings.chain_private_key.get_secret_value(),
            request_timeout=settings.chain_request_timeout,
            receipt_timeout=settings.anchor_receipt_timeout,
        )
    return EmbeddedChain(Path(settings.chain_data_dir), read_only=read_only)


def anchor_settings(settings: Settings) -> AnchorSettings:
    """The worker's part of the settings."""
    return AnchorSettings(
        batch_size=settings.anchor_batch_size,
        max_wait_seconds=settings.anchor_max_wait_seconds,
        receipt_timeout=settings.anchor_receipt_timeout,
        lease_seconds=settings.anchor_lease_seconds,
    )


class Ledger:
    """The chain-side parts of one hub process; it implements the hub's ``RecordVerifier``."""

    def __init__(
        self, settings: Settings, engine: Engine, chain: ChainClient | None = None, *, read_only: bool = False
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.read_only = read_only
        self.chain = chain or open_chain(settings, read_only=read_only)
        self.verifier = Verifier(self.chain)
        self.anchorer = Anchorer(engine, self.chain, anchor_settings(settings))
        self.titles = TitleSyncer(engine, self.chain)
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.ready = False
        self.document_store: str | None = None
        self.problem: str | None = None  # why the last attempt to connect failed, for /ready

    def connect(self) -> None:
        """Find (or, outside production, deploy) the anchor and title registries."""
        allow = self.settings.env != "production" and not self.read_only
        ensure_registry(self.engine, self.chain, address=self.settings.anchor_contract, allow_deploy=allow)
        ensure_registry(self.engine, self.chain, address=None, allow_deploy=allow, name="TitleRegistry")
        ensure_registry(self.engine, self.chain, address=None, allow_deploy=allow, name="ReceivableRegistry")
        try:
            # TradeTrust's document store: optional, so that a production hub upgraded before its operator
            # deployed one keeps anchoring; OpenAttestation exports are refused until it is there.
            ensure_registry(self.engine, self.chain, address=None, allow_deploy=allow, name=DOCUMENT_STORE)
            self.document_store = self.chain.contracts[DOCUMENT_STORE].address
        except ChainError as exc:
            log.warning("ledger.no_document_store", error=str(exc))
        try:
            # The titles as a TradeTrust token registry: optional in the same way; title steps wait in
            # the database until it is there, then go to it in order.
            ensure_registry(self.engine, self.chain, address=None, allow_deploy=allow, name=TRADETRUST)
            self.titles.tradetrust = True
        except ChainError as exc:
            log.warning("ledger.no_tradetrust_titles", error=str(exc))
            self.document_store = None
        self.ready = True

    def open_attestation(self, datas: list[dict[str, Any]], identity_location: str) -> list[dict[str, Any]]:
        """Wrap documents as OpenAttestation v2 in one batch under this hub's document store (issuing its
        root is ``issue_attestation_root``, once the caller has stored the files)."""
        from ledger.openattestation import wrap

        if not self.ready:
            raise Unavailable("the hub is not connected to its chain yet")
        if self.document_store is None:
            raise Unavailable("no document store on this chain: run 'hub chain deploy' for one")
        issuer = {
            "name": "Port and trade single-window hub",
            "documentStore": self.document_store,
            "identityProof": {"type": "DNS-TXT", "location": identity_location},
        }
        return wrap([{"issuers": [issuer], **data} for data in datas])

    def issue_attestation_root(self, root: str) -> None:
        """Issue a batch's Merkle root on the document store, which TradeTrust's status check asks
        (``isIssued``); a root issued before counts as done."""
        if not self.ready:
            raise Unavailable("the hub is not connected to its chain yet")
        if self.document_store is None:
            raise Unavailable("no document store on this chain: run 'hub chain deploy' for one")
        self._document_store("issue", root)

    def check_attestation(self, document: dict[str, Any]) -> tuple[bool, list[str]]:
        """An OpenAttestation v2 wrapped document, whole or with fields hidden (``obfuscateDocument``),
        checked as TradeTrust's integrity and status checks do, against this hub's document store."""
        from ledger.openattestation import check_signature, unsalt

        if not self.ready:
            raise Unavailable("the hub is not connected to its chain yet")
        intact, steps = check_signature(document)
        if not intact:
            return False, steps
        signature = document["signature"]
        digest, root = signature["targetHash"], signature["merkleRoot"]
        try:
            issuers = unsalt(document["data"]["issuers"])
        except (KeyError, TypeError) as exc:
            return False, [*steps, f"not an OpenAttestation v2 wrapped document: {exc!r} is missing"]
        stores = {str(i.get("documentStore", "")).lower() for i in issuers if isinstance(i, dict)}
        if self.document_store is None or stores != {self.document_store.lower()}:
            return False, [*steps, f"issued on document store {', '.join(sorted(stores))}, not this hub's"]
        try:
            issued = self.chain.read(DOCUMENT_STORE, "isIssued", bytes.fromhex(root))
            revoked = [
                h for h in (digest, root) if self.chain.read(DOCUMENT_STORE, "isRevoked", bytes.fromhex(h))
            ]
        except ChainError as exc:
            raise Unavailable(f"cannot ask the document store: {exc}") from exc
        if not issued:
            return False, [*steps, "the document store has not issued that merkleRoot"]
        steps.append(f"the document store {self.document_store} has issued the merkleRoot")
        if revoked:
            return False, [
                *steps,
                "the document store has revoked " + ("it" if digest in revoked else "its batch"),
            ]
        steps.append("the document store has not revoked it")
        return True, steps

    def revoke_attestation(self, target_hash: str) -> None:
        """Revoke one wrapped document on the document store, by its target hash."""
        if self.document_store is None:
            raise Unavailable("no document store on this chain")
        self._document_store("revoke", target_hash)

    def _document_store(self, function: str, digest: str) -> None:
        try:
            self.chain.call_and_wait(DOCUMENT_STORE, function, bytes.fromhex(digest))
        except ChainRejected as exc:
            if (exc.reason or "").startswith(("AlreadyIssued", "AlreadyRevoked")):
                return  # done before: the same root or hash once is what the store promises
            raise Unavailable(f"the document store refused: {exc}") from exc
        except ChainUnavailable as exc:
            raise Unavailable(f"cannot reach the chain: {exc}") from exc

    def verify(self, session: Session, kind: str, record_id: uuid.UUID) -> Verification:
        """Check a live record against its anchor and the chain."""
        if not self.ready:
            raise Unavailable("the hub is not connected to its chain yet")
        return self.verifier.verify(session, kind, record_id)

    def export(self, session: Session, kind: str, record_id: uuid.UUID) -> dict[str, Any]:
        """The anchored record and its proof, in the stand-alone verifier's file format."""
        if not self.ready:
            raise Unavailable("the hub is not connected to its chain yet")
        try:
            return export_record(session, self.verifier, kind, record_id)
        except ValueError as exc:
            raise Invalid(str(exc), field="id") from exc

    def check_export(self, exported: dict[str, Any]) -> tuple[bool, list[str]]:
        """An exported record checked against this hub's chain, with nothing from its database."""
        if not self.ready:
            raise Unavailable("the hub is not connected to its chain yet")
        try:
            return verify_exported(exported, self.chain)
        except ChainUnavailable as exc:
            raise Unavailable(f"cannot reach the chain: {exc}") from exc

    async def start(self, *, worker: bool) -> None:
        """Connect to the chain in the background (retrying while the node is away), then run the worker."""
        self._stop.clear()
        self._task = asyncio.create_task(self._run(worker), name="ledger")

    async def _run(self, worker: bool) -> None:
        delay = 0.5
        while not self._stop.is_set():
            try:
                await asyncio.to_thread(self.connect)
                break
            except Exception as exc:  # whatever it is, keep serving and try again
                # The API keeps serving; /ready says the chain is not there yet.
                log.error("ledger.not_connected", error=str(exc), retry_in=delay)
                self.problem = str(exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)
                delay = min(delay * 2, 30)
        while worker and not self._stop.is_set():
            try:
                done = await asyncio.to_thread(self.anchorer.run_once)
                done += await asyncio.to_thread(self.titles.run_once)
            except Exception:  # the loop must survive anything; work is retried from the database
                log.exception("ledger.worker_error")
                done = 0
            if done == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), self.anchorer.settings.idle_sleep_seconds)

    def title_on_chain(self, bill_id: uuid.UUID) -> OnChainTitle | None:
        """What the TitleRegistry says of a bill's title (None when it holds nothing yet)."""
        if not self.ready:
            raise Unavailable("the hub is not connected to its chain yet")
        try:
            return read_title(self.chain, bill_id)
        except ChainError as exc:
            raise Unavailable(f"cannot reach the chain: {exc}") from exc

    def receivable(self, function: str, *args: object, gas: int = 200_000) -> tuple[str, int]:
        """Call the ReceivableRegistry and wait: (transaction hash, block). Refusals become Conflict."""
        if not self.ready:
            raise Unavailable("the hub is not connected to its chain yet")
        return receivables.call(self.chain, function, *args, gas=gas)

    def receivable_of(self, receivable_id: bytes) -> receivables.OnChainReceivable:
        """What the ReceivableRegistry holds for a blinded receivable id."""
        if not self.ready:
            raise Unavailable("the hub is not connected to its chain yet")
        return receivables.read(self.chain, receivable_id)

    def evidence_drawn(self, evidence_ids: list[bytes]) -> list[int]:
        """What live pledges draw on each blinded evidence id (ten-thousandths)."""
        if not self.ready:
            raise Unavailable("the hub is not connected to its chain yet")
        return receivables.drawn_on(self.chain, evidence_ids)

    def receivable_draws(self, receivable_id: bytes) -> dict[bytes, int]:
        """What a pledged receivable draws on each evidence id."""
        if not self.ready:
            raise Unavailable("the hub is not connected to its chain yet")
        return receivables.draws_of(self.chain, receivable_id)

    async def stop(self) -> None:
        """Stop the in-process worker after its current batch."""
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.chain.close()

    def health(self) -> str:
        """For /ready: 'ok', or what is wrong."""
        if not self.ready:
            return f"error: {self.problem or 'no anchor registry connected'}"
        try:
            self.chain.ping()
        except ChainError as exc:
            return f"error: {exc}"
        return "ok"
