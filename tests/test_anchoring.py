"""Anchoring, end to end on the embedded chain and on a real anvil node: proofs, tampering, crashes,
a node that goes away, and two workers at once -- with nothing lost and nothing anchored twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from hub import anchors
from hub.anchors import AnchorBatch, BatchState, VerificationStatus
from hub.db import make_engine
from hub.errors import Unavailable
from hub.outbox import OutboxEntry
from hub.settings import Settings
from ledger import merkle
from ledger.anchorer import Anchorer, AnchorSettings, ensure_registry
from ledger.chain import ChainClient, ChainRejected, EmbeddedChain, RpcChain
from ledger.verify import Verifier, export_record
from tests.ledger_fixtures import bulk_outbox, make_documents, seller
from tests.servers import Anvil

ANVIL_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


@pytest.fixture(scope="session")
def anvil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Anvil]:
    node = Anvil(tmp_path_factory.mktemp("anvil")).start()
    yield node
    node.stop()


@pytest.fixture(params=["embedded", "anvil"])
def chain(request: pytest.FixtureRequest, embedded_chain: EmbeddedChain) -> ChainClient:
    if request.param == "embedded":
        return embedded_chain
    node: Anvil = request.getfixturevalue("anvil")
    return RpcChain(node.url, ANVIL_KEY, receipt_timeout=10)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


def _worker(engine: Engine, chain: ChainClient, **settings: float) -> Anchorer:
    ensure_registry(engine, chain, address=None, allow_deploy=True)
    return Anchorer(engine, chain, AnchorSettings(**settings))  # type: ignore[arg-type]


def _verify(
    engine: Engine, chain: ChainClient, record_id: uuid.UUID, kind: str = "document"
) -> anchors.Verification:
    with Session(engine) as session:
        return Verifier(chain).verify(session, kind, record_id)


def _batches(engine: Engine) -> list[AnchorBatch]:
    with Session(engine) as session:
        return list(session.exec(select(AnchorBatch).order_by(col(AnchorBatch.id))))


def _assert_exactly_once(engine: Engine, chain: ChainClient, expected_records: int) -> None:
    """Every outbox entry is in exactly one anchored batch, each root is on chain once."""
    with Session(engine) as session:
        unanchored = session.exec(
            select(func.count())
            .select_from(OutboxEntry)
            .join(AnchorBatch, isouter=True)
            .where((col(OutboxEntry.batch_id).is_(None)) | (AnchorBatch.state != BatchState.ANCHORED))
        ).one()
        total = session.exec(select(func.count()).select_from(OutboxEntry)).one()
    batches = _batches(engine)
    assert unanchored == 0
    assert total == expected_records == sum(b.record_count for b in batches)
    assert len({b.root for b in batches}) == len(batches)
    assert chain.registry.functions.anchorCount().call() == len(batches)
    for batch in batches:
        on_chain = chain.anchor_of(bytes.fromhex(batch.root[2:]))  # type: ignore[index]
        assert on_chain is not None and on_chain.record_count == batch.record_count
        assert on_chain.block_number == batch.block_number


def test_records_are_anchored_with_proofs_the_contract_accepts(engine: Engine, chain: ChainClient) -> None:
    worker = _worker(engine, chain, batch_size=10)
    principal = seller(engine)
    ids = make_documents(engine, principal, 25)
    assert _verify(engine, chain, ids[0]).status == VerificationStatus.PENDING
    assert worker.drain() == 25
    assert len(_batches(engine)) == 3  # 10 + 10 + 5
    for record_id in ids:
        result = _verify(engine, chain, record_id)
        assert result.status == VerificationStatus.ANCHORED, result.detail
        assert result.tx_hash and result.block_number and result.anchored_at
        proof = [bytes.fromhex(p[2:]) for p in result.proof]
        root, leaf = bytes.fromhex(result.root[2:]), bytes.fromhex(result.leaf[2:])  # type: ignore[index]
        assert merkle.verify(leaf, proof, root)
        assert chain.verify_on_chain(root, leaf, proof)
    _assert_exactly_once(engine, chain, 25)


def test_a_changed_record_is_anchored_again_as_a_new_version(engine: Engine, chain: ChainClient) -> None:
    from hub.db import session_scope
    from hub.documents import service as documents

    worker = _worker(engine, chain)
    principal = seller(engine)
    [doc_id] = make_documents(engine, principal, 1)
    worker.drain()
    with session_scope(engine) as session:
        documents.update_document(
            session, principal, doc_id, documents.DocumentInput(title="Corrected invoice")
        )
    assert _verify(engine, chain, doc_id).status == VerificationStatus.PENDING
    worker.drain()
    result = _verify(engine, chain, doc_id)
    assert result.status == VerificationStatus.ANCHORED and result.version == 2
    with Session(engine) as session:
        history = anchors.history(session, "document", doc_id)
    assert [(v.version, v.anchored) for v in history] == [(1, True), (2, True)]
    assert history[0].root != history[1].root and history[0].record_hash != history[1].record_hash


def test_a_record_changed_behind_the_hubs_back_is_tampered(engine: Engine, chain: ChainClient) -> None:
    worker = _worker(engine, chain)
    ids = make_documents(engine, seller(engine), 3)
    worker.drain()
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE trade_document SET title = 'Invoice for 2,000 monitors' WHERE id = :id"),
            {"id": ids[0].hex if engine.dialect.name == "sqlite" else ids[0]},
        )
        conn.execute(
            text("UPDATE trade_document SET version = 7 WHERE id = :id"),
            {"id": ids[1].hex if engine.dialect.name == "sqlite" else ids[1]},
        )
    first = _verify(engine, chain, ids[0])
    assert first.status == VerificationStatus.TAMPERED and "content differs" in first.detail
    second = _verify(engine, chain, ids[1])
    assert second.status == VerificationStatus.TAMPERED and "never recorded" in second.detail
    assert _verify(engine, chain, ids[2]).status == VerificationStatus.ANCHORED
    # Forging the hub's own anchor data does not help either: the chain holds the real root.
    with engine.begin() as conn:
        conn.execute(text("UPDATE anchor_batch SET root = :r"), {"r": "0x" + "ab" * 32})
    assert _verify(engine, chain, ids[2]).status == VerificationStatus.TAMPERED


def test_the_contract_refuses_a_root_twice_with_the_same_error_on_every_backend(
    chain: ChainClient, engine: Engine
) -> None:
    ensure_registry(engine, chain, address=None, allow_deploy=True)
    root = uuid.uuid4().bytes * 2
    tx_hash, raw = chain.sign_anchor(root, 1)
    chain.send_raw(raw)
    # Mined before the second try: on a busy machine anvil may not have mined it when the estimate runs.
    assert chain.wait_receipt(tx_hash) is not None
    with pytest.raises(ChainRejected) as refused:
        chain.sign_anchor(root, 1)  # gas estimation runs the call and meets the revert
    assert refused.value.reason == "RootAlreadyAnchored"


class Crash(BaseException):
    """A process dying at this exact point (not an error any code handles)."""


@pytest.mark.parametrize("where", ["after_seal", "after_send"])
def test_a_worker_that_dies_mid_batch_loses_nothing_and_anchors_once(
    engine: Engine, chain: ChainClient, where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    doomed = _worker(engine, chain, batch_size=50, lease_seconds=0.2)
    ids = make_documents(engine, seller(engine), 20)
    original_send = type(chain).send_raw

    def crash_after_send(self: ChainClient, raw: bytes) -> None:
        original_send(self, raw)
        raise Crash

    def crash_before_sign(self: ChainClient, root: bytes, count: int, **_: Any) -> tuple[str, bytes]:
        raise Crash

    if where == "after_send":
        monkeypatch.setattr(type(chain), "send_raw", crash_after_send)
    else:
        monkeypatch.setattr(type(chain), "sign_anchor", crash_before_sign)
    with pytest.raises(Crash):
        doomed.run_once(force=True)
    monkeypatch.undo()
    [batch] = _batches(engine)
    assert batch.state == (BatchState.SUBMITTED if where == "after_send" else BatchState.SEALED)
    time.sleep(0.3)  # the dead worker's lease runs out
    survivor = Anchorer(engine, chain, AnchorSettings(batch_size=50))
    assert survivor.drain() == 20
    _assert_exactly_once(engine, chain, 20)
    assert all(_verify(engine, chain, i).status == VerificationStatus.ANCHORED for i in ids)


def test_two_workers_at_once_anchor_everything_exactly_once(engine: Engine, chain: ChainClient) -> None:
    ensure_registry(engine, chain, address=None, allow_deploy=True)
    bulk_outbox(engine, 3000)
    workers = [Anchorer(engine, chain, AnchorSettings(batch_size=200, lease_seconds=30)) for _ in range(2)]
    done = [0, 0]

    def run(i: int) -> None:
        done[i] = workers[i].drain(max_seconds=120)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(done) == 3000
    assert all(done), f"both workers should have taken part: {done}"
    _assert_exactly_once(engine, chain, 3000)


def test_a_node_stopped_mid_batch_and_restarted_loses_nothing(engine: Engine, tmp_path: Path) -> None:
    node = Anvil(tmp_path, keep_state=True).start()
    try:
        chain = RpcChain(node.url, ANVIL_KEY, request_timeout=2, receipt_timeout=5)
        worker = _worker(engine, chain, batch_size=100)
        principal = seller(engine)
        before = make_documents(engine, principal, 5)
        worker.drain()
        node.stop()
        after = make_documents(engine, principal, 5)
        assert worker.run_once(force=True) == 0  # sealed, but the node is gone
        [_, stuck] = _batches(engine)
        assert stuck.state == BatchState.SEALED and stuck.last_error and "did not answer" in stuck.last_error
        with pytest.raises(Unavailable):
            _verify(engine, chain, before[0])
        node.start()  # same port, same state file
        time.sleep(0.1)
        with engine.begin() as conn:  # skip the back-off for the test
            conn.execute(text("UPDATE anchor_batch SET lease_until = NULL"))
        assert worker.drain() == 5
        _assert_exactly_once(engine, chain, 10)
        for record_id in before + after:
            assert _verify(engine, chain, record_id).status == VerificationStatus.ANCHORED
    finally:
        node.stop()


def test_a_killed_worker_process_is_taken_over(
    database_url: str, engine: Engine, anvil: Anvil, tmp_path: Path
) -> None:
    chain = RpcChain(anvil.url, ANVIL_KEY)
    ensure_registry(engine, chain, address=None, allow_deploy=True)
    bulk_outbox(engine, 20_000)
    env = {
        **os.environ,
        "HUB_DATABASE_URL": database_url,
        "HUB_CHAIN_URL": anvil.url,
        "HUB_ANCHOR_BATCH_SIZE": "200",
        "HUB_ANCHOR_MAX_WAIT_SECONDS": "0",
        "HUB_ANCHOR_LEASE_SECONDS": "1",
        "HUB_LOG_JSON": "false",
        "PYTHONPATH": str(Path.cwd()),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "anchor"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not any(b.state == BatchState.ANCHORED for b in _batches(engine)):
            assert time.monotonic() < deadline and process.poll() is None, "the worker never anchored"
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    # Killed mid-run: 100 batches of 200 take the worker well over a second, the kill came after the first.
    assert any(b.state != BatchState.ANCHORED for b in _batches(engine)) or len(_batches(engine)) < 100
    time.sleep(1.1)  # its lease runs out
    Anchorer(engine, chain, AnchorSettings(batch_size=1000)).drain(max_seconds=120)
    _assert_exactly_once(engine, chain, 20_000)


def test_embedded_anchors_stay_verifiable_after_a_restart(engine: Engine, tmp_path: Path) -> None:
    chain = EmbeddedChain(tmp_path / "chain")
    worker = _worker(engine, chain)
    ids = make_documents(engine, seller(engine), 4)
    worker.drain()
    first = _verify(engine, chain, ids[0])
    chain.close()
    again = EmbeddedChain(tmp_path / "chain")
    ensure_registry(engine, again, address=None, allow_deploy=False)
    second = _verify(engine, again, ids[0])
    assert second.status == VerificationStatus.ANCHORED
    assert (second.root, second.block_number, second.anchored_at, second.tx_hash) == (
        first.root,
        first.block_number,
        first.anchored_at,
        first.tx_hash,
    )
    with pytest.raises(Exception, match="in use by another process"):
        EmbeddedChain(tmp_path / "chain")
    again.close()


def test_an_exported_record_verifies_with_nothing_but_the_node(
    engine: Engine, anvil: Anvil, tmp_path: Path
) -> None:
    chain = RpcChain(anvil.url, ANVIL_KEY)
    worker = _worker(engine, chain)
    [doc_id] = make_documents(engine, seller(engine), 1)
    worker.drain()
    with Session(engine) as session:
        exported = export_record(session, Verifier(chain), "document", doc_id)
    path = tmp_path / "record.json"
    path.write_text(json.dumps(exported))
    run = [sys.executable, "-m", "ledger.verify", str(path), "--rpc", anvil.url]
    ok = subprocess.run(run, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and "VERIFIED" in ok.stdout, ok.stdout + ok.stderr
    exported["document"]["record"]["title"] = "Invoice 0 (edited)"
    path.write_text(json.dumps(exported))
    bad = subprocess.run(run, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "NOT VERIFIED" in bad.stdout and "changed" in bad.stdout


def test_settings_refuse_the_development_chain_key_in_production() -> None:
    with pytest.raises(ValueError, match="HUB_CHAIN_PRIVATE_KEY"):
        Settings(
            env="production",
            database_url="postgresql://x@y/z",
            key_pepper="p" * 40,
            chain_url="http://besu:8545",
        )
