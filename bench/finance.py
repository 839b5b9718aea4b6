"""Verifications/s and pledges/s of receivables on anvil (a real JSON-RPC node on a free loopback port).

    .venv/bin/python bench/finance.py [--receivables 200] [--threads 4] [--samples 20]

Setup: a creditor with a commercial invoice, N receivables registered on the ReceivableRegistry, each
shared with a bank, and every record anchored. Then, timed:
- verifyReceivable in the service (every evidence record checked against its anchor and the chain, trade
  and amounts, one registry read), sequentially and from several threads;
- pledges: each one a transaction the bank waits for (simulate, sign, send, receipt), sequentially and
  from several threads (they queue on the hub's single signing account);
- the evidence guard's cost (issue 22): pledges through the service, which reads what others draw and
  records the draw on each evidence item in the pledge's transaction, against pledges through the same
  service of receivables whose evidence carries no value (nothing to draw), one at a time, same run;
- verification latency (p50, p99) of a receivable citing 1, 10 and 100 invoices, and the cost per
  evidence item, which must not grow with the count.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.loadgen import scratch  # noqa: E402

ANVIL_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--receivables", type=int, default=200)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--samples", type=int, default=20, help="verifications per evidence count")
    args = parser.parse_args()

    from hub import migrate
    from hub.auth import service as auth
    from hub.auth.models import KeyRole, OrgType
    from hub.auth.permissions import Principal
    from hub.db import make_engine, session_scope
    from hub.documents import service as documents
    from hub.documents.models import DocumentKind
    from hub.finance import service
    from hub.settings import Settings
    from ledger.anchorer import Anchorer, AnchorSettings
    from ledger.runtime import Ledger
    from tests.servers import Anvil

    workdir = scratch("bench-finance-")
    node = Anvil(workdir / "anvil").start()
    url = f"sqlite:///{workdir / 'hub.db'}"
    migrate.upgrade(url)
    settings = Settings(env="test", database_url=url, chain_url=node.url, chain_private_key=ANVIL_KEY)
    engine = make_engine(url)
    ledger = Ledger(settings, engine)
    ledger.connect()
    key = "bench-blinding-key-" + "x" * 20
    try:
        with session_scope(engine) as session:
            seller_org = auth.create_organisation(
                session, "Bench Creditor", OrgType.SELLER, customs_code="91210200MA0Y8K3Q14"
            )
            bank_org = auth.create_organisation(session, "Bench Bank", OrgType.BANK)
        seller = Principal(seller_org.id, seller_org.name, seller_org.type, KeyRole.OPERATOR, seller_org.id)
        bank = Principal(bank_org.id, bank_org.name, bank_org.type, KeyRole.OPERATOR, bank_org.id)
        invoices = iter(range(10**9))

        def receivable(count: int, valued: bool = True) -> object:
            """A receivable of ``count`` invoices of 1,000 USD each (or of no stated amount, which carry
            no value to draw on), shared with the bank."""
            with session_scope(engine) as session:
                docs = [
                    documents.create_document(
                        session,
                        seller,
                        documents.DocumentInput(
                            kind=DocumentKind.COMMERCIAL_INVOICE,
                            reference=f"BENCH-{next(invoices)}",
                            title="Invoice",
                            issued_on=date(2026, 11, 1),
                            amount=Decimal("1000") if valued else None,
                            currency="USD" if valued else None,
                        ),
                    )
                    for _ in range(count)
                ]
                row = service.register(
                    session,
                    seller,
                    service.ReceivableInput(
                        "Debtor Ltd",
                        f"BENCH-R-{docs[0].reference}",
                        Decimal(1000 * count),
                        "USD",
                        date(2026, 11, 1),
                        date(2027, 1, 1),
                        tuple(("document", d.id) for d in docs),
                    ),
                    ledger=ledger,
                    blinding_key=key,
                )
                auth.share_record(
                    session,
                    seller,
                    kind="receivable",
                    record_id=row.id,
                    owner_org_id=seller.org_id,
                    grantee_org_id=bank.org_id,
                )
                return row.id

        started = time.perf_counter()
        ids = [receivable(1) for _ in range(args.receivables)]
        registered = time.perf_counter() - started
        Anchorer(engine, ledger.chain, AnchorSettings(max_wait_seconds=0)).drain()
        print(f"bench/finance on anvil: {args.receivables} receivables, each with one invoice as evidence")
        print(f"registrations (one registry transaction each)      {args.receivables / registered:8,.1f} /s")

        def verify(receivable_id: object) -> bool:
            with session_scope(engine) as session:
                check = service.verify(session, bank, receivable_id, ledger=ledger, blinding_key=key)  # type: ignore[arg-type]
                # An invoice alone shows no trade (no bill, no orders): authentic and free is what is timed.
                return check.authentic and check.on_chain.status == "REGISTERED"

        started = time.perf_counter()
        assert all(verify(i) for i in ids)
        elapsed = time.perf_counter() - started
        print(f"verifications, one at a time                      {len(ids) / elapsed:8,.1f} /s")
        started = time.perf_counter()
        with ThreadPoolExecutor(args.threads) as pool:
            assert all(pool.map(verify, ids))
        elapsed = time.perf_counter() - started
        print(f"verifications, {args.threads} threads                        {len(ids) / elapsed:8,.1f} /s")

        lock = threading.Lock()
        done = [0]

        def pledge(receivable_id: object) -> None:
            with session_scope(engine) as session:
                service.pledge(session, bank, receivable_id, ledger=ledger, blinding_key=key)  # type: ignore[arg-type]
            with lock:
                done[0] += 1

        quarter = len(ids) // 4
        started = time.perf_counter()
        for i in ids[:quarter]:
            pledge(i)
        guarded = quarter / (time.perf_counter() - started)
        print(f"pledges, one at a time (each waits for its receipt) {guarded:8,.1f} /s")
        started = time.perf_counter()
        with ThreadPoolExecutor(args.threads) as pool:
            list(pool.map(pledge, ids[quarter : 2 * quarter]))
        elapsed = time.perf_counter() - started
        print(f"pledges, {args.threads} threads                              {quarter / elapsed:8,.1f} /s")
        assert done[0] == 2 * quarter

        # The guard's cost: the same pledges through the same service, of receivables whose invoices state
        # no amount, so there is nothing to draw on (no read of what others draw, no counters written).
        free = [receivable(1, valued=False) for _ in range(quarter)]
        started = time.perf_counter()
        for i in free:
            pledge(i)
        unguarded = quarter / (time.perf_counter() - started)
        print(f"pledges without the evidence guard, one at a time   {unguarded:8,.1f} /s")
        print(f"  the guard costs {100 * (1 - guarded / unguarded):5.1f}% of the pledge rate (one draw each)")

        print(f"verification latency by evidence count ({args.samples} verifications each):")
        base = None
        for count in (1, 10, 100):
            rid = receivable(count)
            Anchorer(engine, ledger.chain, AnchorSettings(max_wait_seconds=0)).drain()
            times = []
            for _ in range(args.samples):
                started = time.perf_counter()
                assert verify(rid)
                times.append(time.perf_counter() - started)
            times.sort()
            p50, p99 = times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))]
            base = base or p50
            print(
                f"  {count:3} invoices: p50 {p50 * 1000:8.1f} ms  p99 {p99 * 1000:8.1f} ms  "
                f"per item {p50 * 1000 / count:6.2f} ms  ({p50 / base:5.1f}x the single invoice)"
            )
    finally:
        ledger.chain.close()
        engine.dispose()
        node.stop()


if __name__ == "__main__":
    main()
