"""Requests/s and latency of a representative GraphQL list query, next to a plain FastAPI endpoint.

Both serve the same payload (100 trade documents x 8 fields, authenticated by API key, filtered by the
caller's visibility) from the same SQLite database, on one uvicorn worker in a separate process.

    .venv/bin/python bench/graphql.py [--seconds 8] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.loadgen import build_request, run, scratch, start_hub  # noqa: E402

QUERY = "query List { documents(first: 100) { nodes { id kind reference title issuedOn amount currency version } } }"
FIELDS = ["id", "kind", "reference", "title", "issued_on", "amount", "currency", "version"]


def prepare(database_url: str) -> str:
    """Migrate, create a seller with 300 priced invoices, return an API key of the seller."""
    from hub import migrate
    from hub.auth import service as auth
    from hub.auth.models import Organisation
    from hub.db import make_engine, session_scope
    from hub.settings import Settings
    from tests.ledger_fixtures import make_documents, seller

    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    principal = seller(engine)
    make_documents(engine, principal, 300, priced=True)
    with session_scope(engine) as session:
        org = session.get(Organisation, principal.org_id)
        assert org is not None
        issued = auth.issue_key(session, org, pepper=Settings().key_pepper.get_secret_value())
    return issued.token


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

settings = Settings(log_level="WARNING")
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
    token = prepare(database_url)
    env = {
        **os.environ,
        "HUB_DATABASE_URL": database_url,
        "HUB_LOG_LEVEL": "WARNING",
        "HUB_CHAIN_DATA_DIR": str(workdir / "chain"),
    }
    server, port = start_hub(SERVER, str(ROOT), env)
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


if __name__ == "__main__":
    main()
