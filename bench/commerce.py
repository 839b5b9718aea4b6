"""Orders/s through cross-border ingest, three-document match, tax and inventory list, into SQLite and
PostgreSQL (target: at least 2,000 orders/s into SQLite).

    .venv/bin/python bench/commerce.py [--orders 20000] [--batch 100] [--skip-postgres]

Per batch (100 parcels, the most one CEB message holds): the platform's orders as JSON, the payment
enterprise's CEB411 and the logistics enterprise's CEB511 as XML, each parsed and stored in its own
transaction with its anchoring outbox rows (the match runs on each arrival); then the seller drafts the
inventory lists (tax and quota checked) and submits them as one signed CEB621 message. Every stage is
timed; the figure is orders through the whole chain per second of wall time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.calibrate import machine_line  # noqa: E402
from bench.loadgen import databases, scratch  # noqa: E402


def run(url: str, total: int, batch: int, workdir: Path) -> tuple[float, dict[str, float]]:
    """Orders/s for ``total`` parcels, and the seconds spent per stage."""
    from adapters import ceb
    from adapters.ceb.sign import DsigSigner
    from adapters.platform import orders as platform
    from hub import collector
    from hub.auth import service as auth
    from hub.auth.models import KeyRole, OrgType
    from hub.auth.permissions import Principal
    from hub.checkpoint import Checkpointer
    from hub.commerce import service
    from hub.db import make_engine, session_scope
    from seeds import commerce as demo

    collector.tune()  # as `hub serve`, whose requests this stands in for, does
    # As `hub serve` does too: on SQLite, the write-ahead log is copied back by a thread of its own.
    engine = make_engine(url, checkpoints="thread")
    checkpointer = Checkpointer.for_engine(engine)
    if checkpointer is not None:
        checkpointer.start()
    suffix = uuid.uuid4().hex[:4]
    parties = {}
    with session_scope(engine) as session:
        for name, kind, code in (
            ("seller", OrgType.SELLER, demo.SELLER_CODE),
            ("bank", OrgType.BANK, demo.PAYMENT_CODE),
            ("forwarder", OrgType.FORWARDER, demo.LOGISTICS_CODE),
        ):
            org = auth.create_organisation(session, f"Bench {name} {suffix}", kind, customs_code=code)
            parties[name] = Principal(org.id, org.name, org.type, KeyRole.OPERATOR, org.id)
    signer = DsigSigner.development(workdir)
    prefix = f"B{suffix.upper()}"
    bodies = []
    for start in range(0, total, batch):
        parcels = [demo.parcel(n, prefix=prefix) for n in range(start, min(total, start + batch))]
        bodies.append(
            (
                json.dumps(demo.orders_json(parcels)).encode(),
                demo.payments_xml(parcels),
                demo.waybills_xml(parcels),
            )
        )
    stages: dict[str, float] = defaultdict(float)
    declared = 0
    started = time.perf_counter()
    for orders_body, payments_body, waybills_body in bodies:
        t0 = time.perf_counter()
        records = platform.parse_json(orders_body)
        with session_scope(engine) as session:
            service.ingest_orders(session, parties["seller"], records, source="JSON")
        t1 = time.perf_counter()
        with session_scope(engine) as session:
            service.ingest_message(session, parties["bank"], ceb.parse(payments_body))
        t2 = time.perf_counter()
        with session_scope(engine) as session:
            report = service.ingest_message(session, parties["forwarder"], ceb.parse(waybills_body))
        assert report.match == {"MATCHED": len(records)}, report.match
        t3 = time.perf_counter()
        numbers = [str(r.head["orderNo"]) for r in records]
        with session_scope(engine) as session:
            ids = service.order_ids(session, parties["seller"], numbers)
            lists = service.generate_inventory_lists(
                session,
                parties["seller"],
                ids,
                service.Declaration(
                    customs_code=demo.CUSTOMS_DISTRICT, port_code=demo.PORT_CODE, traf_mode="5"
                ),
            )
            service.submit_inventory_lists(session, parties["seller"], [i.id for i in lists], signer)
            declared += len(lists)
        t4 = time.perf_counter()
        stages["orders (JSON parse, tax, match, store)"] += t1 - t0
        stages["payments (CEB411 parse, store, rematch)"] += t2 - t1
        stages["waybills (CEB511 parse, store, rematch)"] += t3 - t2
        stages["inventory lists (draft, quota, sign, submit)"] += t4 - t3
    elapsed = time.perf_counter() - started
    if checkpointer is not None:
        checkpointer.stop()
    engine.dispose()
    assert declared == total, declared
    return total / elapsed, stages


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    from hub import migrate, native

    workdir = scratch("bench-commerce-")
    print(
        f"bench/commerce: {args.orders} parcels in batches of {args.batch} (order + payment + waybill + list)"
    )
    print(native.describe())
    with databases(workdir, postgres=not args.skip_postgres) as targets:
        for name, url in targets:
            migrate.upgrade(url)
            print(machine_line(workdir))
            rate, stages = run(url, args.orders, args.batch, workdir)
            target = "  (target: 2,000)" if name == "sqlite" else ""
            print(f"{name:<10} {rate:10,.0f} orders/s end to end{target}")
            for stage, seconds in stages.items():
                print(f"    {stage:<48} {args.orders / seconds:10,.0f} orders/s  ({seconds:.2f} s)")

    print(machine_line(workdir) + "  (after)")


if __name__ == "__main__":
    main()
