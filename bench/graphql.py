"""Requests/s and latency of a representative GraphQL list query, next to a plain FastAPI endpoint,
and the cost of applying the data classes (hub.governance) to it.

Both serve the same payload (100 trade documents x 8 fields, authenticated by API key, filtered by the
caller's visibility) from the same SQLite database, on one uvicorn worker in a separate process.

The classes: the same list read by its owner and by a bank it is shared with at GENERAL (each document's
amount masked, its read logged nowhere: nothing sensitive is shown), on a hub that applies the classes and
on a second hub process in the same run with them switched off (its context's ``governed`` replaced by one
that passes rows through: the bench's own patch, no setting does this).

    .venv/bin/python bench/graphql.py [--seconds 8] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# This file is named graphql.py: its own folder leaves the path, or it would stand in for graphql-core.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

from bench.loadgen import build_request, run, scratch, start_hub  # noqa: E402

QUERY = "query List { documents(first: 100) { nodes { id kind reference title issuedOn amount currency version } } }"
FIELDS = ["id", "kind", "reference", "title", "issued_on", "amount", "currency", "version"]


def prepare(database_url: str) -> tuple[str, str]:
    """Migrate, create a seller with 300 priced invoices shared at GENERAL with a bank; return an API key
    of the seller and one of the bank."""
    from hub import migrate
    from hub.auth import service as auth
    from hub.auth.models import Organisation, OrgType
    from hub.db import make_engine, session_scope
    from hub.settings import Settings
    from tests.ledger_fixtures import make_documents, seller

    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    principal = seller(engine)
    ids = make_documents(engine, principal, 300, priced=True)
    pepper = Settings().key_pepper.get_secret_value()
    with session_scope(engine) as session:
        org = session.get(Organisation, principal.org_id)
        assert org is not None
        issued = auth.issue_key(session, org, pepper=pepper)
        bank = auth.create_organisation(session, "Reading Bank", OrgType.BANK, "CN")
        for record_id in ids:
            auth.share_record(
                session,
                principal,
                kind="document",
                record_id=record_id,
                owner_org_id=principal.org_id,
                grantee_org_id=bank.id,
                data_class="GENERAL",
            )
        reader = auth.issue_key(session, bank, pepper=pepper)
    return issued.token, reader.token


SERVER = r"""
import sys, uvicorn
sys.path.insert(0, sys.argv[2])
from pydantic import BaseModel
from fastapi import Header
from datetime import date
from decimal import Decimal
from hub.app import create_app
from hub.api.graphql.context import principal_for
from hub.documents import service
from hub.settings import Settings

import os
settings = Settings(log_level=os.environ.get("BENCH_LOG_LEVEL", "WARNING"))
if sys.argv[3] == "classes-off":
    from hub.api.graphql.context import Context
    from hub.governance.service import OWNER

    Context.governed = lambda self, kind, rows: [(row, [], OWNER) for row in rows]
app = create_app(settings)

class DocumentOut(BaseModel):
    id: str
    kind: str
    reference: str
    title: str
    issuedOn: date
    amount: Decimal | None
    currency: str | None
    version: int

class ListOut(BaseModel):
    nodes: list[DocumentOut]

@app.get("/plain/documents", response_model=ListOut)
def plain(authorization: str = Header()) -> ListOut:
    state = app.state.hub
    principal = principal_for(state, authorization)
    with state.session() as session:
        rows = service.list_documents(session, principal, limit=100)
        return ListOut(nodes=[DocumentOut(id=str(r.id), kind=r.kind.value, reference=r.reference, title=r.title,
                                          issuedOn=r.issued_on, amount=r.amount, currency=r.currency, version=r.version)
                              for r in rows])

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    workdir = scratch("bench-graphql-")
    database_url = f"sqlite:///{workdir / 'hub.db'}"
    token, reader = prepare(database_url)
    env = {
        **os.environ,
        "HUB_DATABASE_URL": database_url,
        "HUB_LOG_LEVEL": "WARNING",
        "HUB_CHAIN_DATA_DIR": str(workdir / "chain"),
    }
    server, port = start_hub(SERVER, str(ROOT), env, extra=("classes-on",))
    try:
        import httpx

        auth = {"Authorization": f"Bearer {token}"}
        host = f"127.0.0.1:{port}"
        body = json.dumps({"query": QUERY}).encode()
        gql = build_request("POST", "/graphql", host, {**auth, "Content-Type": "application/json"}, body)
        plain = build_request("GET", "/plain/documents", host, auth)
        # Same payload check: both return 100 documents.
        g = httpx.post(f"http://{host}/graphql", json={"query": QUERY}, headers=auth).json()["data"][
            "documents"
        ]["nodes"]
        p = httpx.get(f"http://{host}/plain/documents", headers=auth).json()["nodes"]
        assert len(g) == len(p) == 100 and g[0]["reference"] == p[0]["reference"], (
            "the two endpoints disagree"
        )

        print(
            f"bench/graphql: 100 documents x 8 fields, one uvicorn worker, SQLite, {args.concurrency} connections, "
            f"{args.seconds:.0f} s each, after a 2 s warm-up"
        )
        for label, request in (("plain FastAPI + response_model", plain), ("GraphQL (strawberry)", gql)):
            asyncio.run(run("127.0.0.1", port, request, seconds=2, concurrency=args.concurrency))
            result = asyncio.run(
                run(
                    "127.0.0.1",
                    port,
                    request,
                    seconds=args.seconds,
                    concurrency=args.concurrency,
                    check=b'"reference"',
                )
            )
            print(result.line(label))
            if label.startswith("plain"):
                plain_rps = result.rps
            else:
                print(f"GraphQL / plain = {result.rps / plain_rps:.2f} (target >= 0.33)")
    finally:
        server.terminate()
        server.wait(timeout=10)
    classes(args, env, token, reader)
    in_process(database_url, workdir, token, reader)


def classes(args: argparse.Namespace, env: dict[str, str], token: str, reader: str) -> None:
    """The same list on two hub processes that differ only in the classes (applied, or passed through),
    owner and reader, measured in turns (off, on, off, on) so that drift falls on both."""
    import httpx

    def hub(mode: str) -> tuple[Any, int]:
        # Its own chain (the embedded chain admits one process) and no anchoring worker: it serves reads.
        alone = {
            **env,
            "HUB_CHAIN_DATA_DIR": env["HUB_CHAIN_DATA_DIR"] + f"-{mode}",
            "HUB_ANCHOR_IN_PROCESS": "false",
            "BENCH_LOG_LEVEL": "CRITICAL",  # its ledger finds no registry on its own chain, and says so
        }
        return start_hub(SERVER, str(ROOT), alone, extra=(mode,))

    servers = {"classes off": hub("classes-off"), "classes on": hub("classes-on")}
    try:
        port = servers["classes on"][1]
        masked = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": QUERY},
            headers={"Authorization": f"Bearer {reader}"},
        ).json()["data"]["documents"]["nodes"]
        assert len(masked) == 100 and all(n["amount"] is None for n in masked), "the reader sees amounts"
        print(
            "the data classes on the same list: two hub processes in this run, one applying them and one "
            "not; its owner, and a bank it is shared with at GENERAL (amounts masked); two turns each"
        )
        for who, key in (("owner", token), ("shared at GENERAL", reader)):
            rates: dict[str, list[float]] = {"classes off": [], "classes on": []}
            for _ in range(2):
                for label, (_, where) in servers.items():
                    body = json.dumps({"query": QUERY}).encode()
                    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
                    request = build_request("POST", "/graphql", f"127.0.0.1:{where}", headers, body)
                    asyncio.run(run("127.0.0.1", where, request, seconds=1, concurrency=args.concurrency))
                    result = asyncio.run(
                        run(
                            "127.0.0.1",
                            where,
                            request,
                            seconds=args.seconds / 2,
                            concurrency=args.concurrency,
                            check=b'"reference"',
                        )
                    )
                    rates[label].append(result.rps)
                    print(result.line(f"{who}, {label}"))
            on, off = sum(rates["classes on"]), sum(rates["classes off"])
            print(f"{who}: the classes cost {(1 - on / off) * 100:.1f}% of requests/s (target <= 10%)")
    finally:
        for server, _ in servers.values():
            server.terminate()
            server.wait(timeout=10)


def in_process(database_url: str, workdir: Path, token: str, reader: str) -> None:
    """The same query executed in this process, without HTTP or another process's noise: the classes
    applied and passed through in alternating rounds, the median time per query of each."""
    import statistics
    import time

    from hub.api.graphql.context import Context, principal_for
    from hub.api.graphql.schema import build_schema
    from hub.bus import InProcessBus
    from hub.db import make_engine
    from hub.governance.service import OWNER
    from hub.settings import Settings
    from hub.state import HubState

    settings = Settings(database_url=database_url, chain_data_dir=str(workdir / "chain-in-process"))
    state = HubState(settings=settings, engine=make_engine(database_url), bus=InProcessBus(), ledger=None)
    schema = build_schema()
    applied = Context.governed

    def passed(self: Context, kind: str, rows: Any) -> Any:
        return [(row, [], OWNER) for row in rows]

    print("the same list executed in this process (no HTTP), 20 alternating rounds of 25 queries, median ms")
    for who, key in (("owner", token), ("shared at GENERAL", reader)):
        principal = principal_for(state, f"Bearer {key}")
        times: dict[str, list[float]] = {"classes off": [], "classes on": []}
        for round_ in range(21):
            for label, governed in (("classes off", passed), ("classes on", applied)):
                Context.governed = governed  # type: ignore[method-assign]
                started = time.perf_counter()
                for _ in range(25):
                    context = Context(state, principal)
                    result = schema.execute_sync(QUERY, context_value=context)
                    context.close()
                    assert not result.errors, result.errors
                if round_:  # the first round warms up
                    times[label].append((time.perf_counter() - started) / 25 * 1000)
        Context.governed = applied  # type: ignore[method-assign]
        off, on = statistics.median(times["classes off"]), statistics.median(times["classes on"])
        print(
            f"{who:<20} classes off {off:6.2f} ms   classes on {on:6.2f} ms   "
            f"cost {(on / off - 1) * 100:5.1f}% (target <= 10%)"
        )


if __name__ == "__main__":
    main()
