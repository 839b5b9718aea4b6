"""Records/s anchored end to end on anvil, next to one transaction per record on the same node.

    .venv/bin/python bench/anchor.py [--records 200000] [--batch-size 10000] [--database sqlite|postgresql]

Figures, all in one run against one anvil node started here on a free loopback port:
- end to end, as deployed: record versions written to the outbox in chunks of 5,000 (hash computed on
  the write path, bulk insert) while a separate `hub anchor` process seals Merkle batches, anchors them,
  awaits receipts and stores the anchors; timed from the first write to the last record anchored;
- end to end in one process: write everything, then drain;
- the anchoring pipeline end to end: from record versions already in the outbox to anchored batches,
  receipts awaited and anchors stored (what the 50,000/s target measures; writing the records is the
  domain's cost, measured by bench/ingest);
- one transaction per record, waiting for each receipt; and pipelined (send all, then wait).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from bench.loadgen import scratch  # noqa: E402
from hub import migrate  # noqa: E402
from hub.db import make_engine  # noqa: E402
from ledger.anchorer import Anchorer, AnchorSettings, ensure_registry  # noqa: E402
from ledger.chain import RpcChain  # noqa: E402
from tests.backends import PgDatabase  # noqa: E402
from tests.ledger_fixtures import bulk_outbox  # noqa: E402
from tests.servers import Anvil  # noqa: E402

KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


def _anchored(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT coalesce(sum(record_count), 0) FROM anchor_batch WHERE state = 'ANCHORED'")
            ).scalar_one()
        )


def _anchored(engine: Engine) -> int:
    with engine.connect() as conn:
        total = conn.execute(
            text("SELECT coalesce(sum(record_count), 0) FROM anchor_batch WHERE state = 'ANCHORED'")
        ).scalar_one()
    return int(total)


def one_per_record(chain: RpcChain, count: int, *, pipelined: bool) -> float:
    """Anchor ``count`` single-record roots, one transaction each; return transactions/s."""
    fields = chain._tx_fields(gas=200_000)
    nonce = fields["nonce"]
    started = time.perf_counter()
    hashes = []
    for i in range(count):
        root = os.urandom(32)
        tx = chain.registry.functions.anchor(root, 1).build_transaction({**fields, "nonce": nonce + i})  # type: ignore[arg-type]
        signed = chain.account.sign_transaction(tx)  # type: ignore[arg-type]
        chain.send_raw(bytes(signed.raw_transaction))
        if pipelined:
            hashes.append(signed.hash.to_0x_hex())
        else:
            assert chain.wait_receipt(signed.hash.to_0x_hex()) is not None
    for tx_hash in hashes:
        assert chain.wait_receipt(tx_hash) is not None
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()

    workdir = scratch("bench-anchor-")
    pg = PgDatabase.create() if args.database == "postgresql" else None
    url = pg.url if pg else f"sqlite:///{workdir / 'hub.db'}"
    node = Anvil(workdir).start()
    try:
        migrate.upgrade(url)
        engine = make_engine(url)
        chain = RpcChain(node.url, KEY)
        ensure_registry(engine, chain, address=None, allow_deploy=True)
        worker = Anchorer(engine, chain, AnchorSettings(batch_size=args.batch_size))
        print(f"bench/anchor: anvil on {node.url}, {args.database}, batches of {args.batch_size}")

        # As deployed: writers fill the outbox while a separate `hub anchor` process anchors.
        env = {
            **os.environ,
            "HUB_DATABASE_URL": url,
            "HUB_CHAIN_URL": node.url,
            "HUB_LOG_LEVEL": "WARNING",
            "HUB_ANCHOR_BATCH_SIZE": str(args.batch_size),
            "HUB_ANCHOR_MAX_WAIT_SECONDS": "0.05",
            "PYTHONPATH": str(ROOT),
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "anchor"], env=env, stderr=subprocess.DEVNULL
        )
        try:
            time.sleep(3)  # let the worker start and find the registry
            started = time.perf_counter()
            for _ in range(args.records // 5000):
                bulk_outbox(engine, 5000)
            written = time.perf_counter()
            while _anchored(engine) < args.records:
                time.sleep(0.01)
            done = time.perf_counter()
        finally:
            process.terminate()
            process.wait(timeout=30)
        e2e = args.records / (done - started)
        print(
            f"end to end, writer and `hub anchor` side by side:     {e2e:,.0f} records/s "
            f"({args.records} records in {done - started:.2f} s, the writes done after {written - started:.2f} s)"
        )

        started = time.perf_counter()
        bulk_outbox(engine, args.records)
        written = time.perf_counter()
        assert worker.drain(max_seconds=600) == args.records
        done = time.perf_counter()
        print(
            f"end to end in one process (write all, then drain):   {args.records / (done - started):,.0f} records/s "
            f"(write {written - started:.2f} s, anchor {done - written:.2f} s)"
        )

        bulk_outbox(engine, args.records)
        started = time.perf_counter()
        assert worker.drain(max_seconds=600) == args.records
        alone = args.records / (time.perf_counter() - started)
        print(
            f"anchoring pipeline end to end (outbox -> batch, tree, anchor tx, receipt, anchor stored): "
            f"{alone:,.0f} records/s"
        )

        sequential = one_per_record(chain, 300, pipelined=False)
        pipelined = one_per_record(chain, 1000, pipelined=True)
        print(f"one transaction per record, waiting for each receipt: {sequential:,.0f} records/s")
        print(f"one transaction per record, pipelined:                {pipelined:,.0f} records/s")
        print(
            f"anchoring pipeline: {alone:,.0f} records/s, {alone / sequential:,.0f}x one-by-one "
            f"(targets: >= 50,000/s {'met' if alone >= 50_000 else 'NOT met'}, >= 100x "
            f"{'met' if alone / sequential >= 100 else 'NOT met'}); with the benchmark's own writer in the loop: "
            f"{e2e:,.0f} records/s, {e2e / sequential:,.0f}x"
        )
        engine.dispose()
    finally:
        node.stop()
        if pg:
            pg.drop()


if __name__ == "__main__":
    main()
