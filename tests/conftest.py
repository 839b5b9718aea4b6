"""Fixtures: a migrated database per backend (SQLite always, PostgreSQL when it answers), the app, keys."""

from __future__ import annotations

import contextlib
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from hub import migrate, native
from hub.app import create_app
from hub.auth import service as auth
from hub.auth.models import KeyRole, Organisation, OrgType
from hub.bus import InProcessBus
from hub.db import make_engine, metadata
from hub.settings import Settings
from hub.state import HubState
from ledger.chain import EmbeddedChain
from ledger.runtime import Ledger
from tests.backends import PgDatabase, postgres_available, redis_available

PG = postgres_available()
REDIS = redis_available()
PEPPER = "test-pepper-" + "x" * 32


def pytest_configure(config: pytest.Config) -> None:
    out_of_date = native.stale()
    if out_of_date:
        raise pytest.UsageError(
            f"compiled modules older than their source: {', '.join(out_of_date)}; "
            "run scripts/build_native.py (or scripts/setup.sh) to rebuild them, or --clean to run the sources"
        )


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = [native.describe()]
    lines.append(
        "database backends: sqlite + postgresql (127.0.0.1:5432)"
        if PG
        else "database backends: sqlite only -- PostgreSQL did not answer at 127.0.0.1:5432, FALLING BACK to SQLite"
    )
    lines.append(
        "bus: redis (127.0.0.1:6379) + in-process"
        if REDIS
        else "bus: in-process only -- Redis did not answer at 127.0.0.1:6379, FALLING BACK to the in-process bus"
    )
    return lines


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not PG or not REDIS:
        terminalreporter.write_line(
            f"NOTE: ran without {'PostgreSQL ' if not PG else ''}{'Redis' if not REDIS else ''}: "
            "those backends were not tested in this run",
            yellow=True,
        )


BACKENDS = ["sqlite", "postgresql"] if PG else ["sqlite"]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is much faster)."""
    path = tmp_path_factory.mktemp("template") / "hub.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[PgDatabase | None]:
    """One migrated PostgreSQL database for the run, emptied before each test."""
    if not PG:
        yield None
        return
    db = PgDatabase.create()
    try:
        migrate.upgrade(db.url)
        yield db
    finally:
        db.drop()


def _truncate(engine: Engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, pg_database: PgDatabase | None
) -> str:
    """A migrated, empty database on each backend this machine has."""
    if request.param == "sqlite":
        path = tmp_path / "hub.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    assert pg_database is not None
    engine = make_engine(pg_database.url)
    _truncate(engine)
    engine.dispose()
    return pg_database.url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        env="test",
        database_url=database_url,
        key_pepper=PEPPER,
        log_json=False,
        log_level="WARNING",
        chain_data_dir=str(tmp_path / "chain"),
        anchor_max_wait_seconds=0.05,
    )


@pytest.fixture(scope="session")
def embedded_chain() -> EmbeddedChain:
    """One in-memory chain for the run; each test's database deploys its own registry on it."""
    return EmbeddedChain(None)


@pytest.fixture
def state(settings: Settings, embedded_chain: EmbeddedChain) -> Iterator[HubState]:
    engine = make_engine(settings.database_url)
    hub_state = HubState(
        settings=settings,
        engine=engine,
        bus=InProcessBus(),
        ledger=Ledger(settings, engine, chain=embedded_chain),
    )
    yield hub_state
    hub_state.engine.dispose()


@contextlib.contextmanager
def running(state: HubState) -> Iterator[TestClient]:
    """The hub on ``state``, once its ledger has connected."""
    with TestClient(create_app(state.settings, state)) as test_client:
        # The ledger connects in the background (deploying its registries on a fresh database); tests
        # start once it has, as clients of a running hub would.
        deadline = time.monotonic() + 30
        while test_client.get("/ready").json()["checks"].get("chain") != "ok":
            assert time.monotonic() < deadline, "the hub's ledger never connected"
            time.sleep(0.02)
        yield test_client


@pytest.fixture
def client(state: HubState) -> Iterator[TestClient]:
    with running(state) as test_client:
        yield test_client


@dataclass
class Party:
    """An organisation in a test, with an admin key."""

    org: Organisation
    token: str

    @property
    def id(self) -> uuid.UUID:
        return self.org.id

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class World:
    """Creates organisations and keys straight through the services."""

    def __init__(self, state: HubState) -> None:
        self.state = state

    def party(
        self,
        org_type: OrgType,
        name: str | None = None,
        role: KeyRole = KeyRole.ADMIN,
        customs_code: str | None = None,
        port_locode: str | None = None,
        country: str | None = None,
    ) -> Party:
        with self.state.session() as session:
            org = auth.create_organisation(
                session,
                name or f"{org_type.value} {uuid.uuid4().hex[:6]}",
                org_type,
                country,
                customs_code=customs_code,
                port_locode=port_locode,
            )
            issued = auth.issue_key(session, org, pepper=PEPPER, role=role)
            session.commit()
        return Party(org=org, token=issued.token)

    def key(self, party: Party, role: KeyRole, **kwargs: Any) -> str:
        with self.state.session() as session:
            issued = auth.issue_key(session, party.org, pepper=PEPPER, role=role, **kwargs)
            session.commit()
        return issued.token


@pytest.fixture
def world(state: HubState) -> World:
    return World(state)


# The organisations of the demo journey (seeds/journey.py), by name.
JOURNEY_CAST = {
    "Bohai Multimodal Forwarding": OrgType.FORWARDER,
    "Korea Strait Shipping": OrgType.CARRIER,
    "Shenyang Rail Container Co.": OrgType.CARRIER,
    "Dalian Container Terminal": OrgType.TERMINAL,
    "Hanul Electronics Export": OrgType.SELLER,
    "Liaoning Cross-Border Mall": OrgType.PLATFORM,
    "Bank of Dalian Trade Finance": OrgType.BANK,
}


def journey_cast(world: World) -> dict[str, Party]:
    """Every organisation of the demo journey, each with an admin key."""
    return {name: world.party(kind, name) for name, kind in JOURNEY_CAST.items()}


def gql(
    client: TestClient, token: str | None, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """POST a GraphQL operation and return the decoded body (asserting HTTP 200)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def data(body: dict[str, Any]) -> dict[str, Any]:
    """The data of a response that must have no errors."""
    assert not body.get("errors"), body.get("errors")
    return body["data"]  # type: ignore[no-any-return]


CREATE_DOC = """
mutation($input: CreateDocumentInput!) {
  createDocument(input: $input) { document { id reference version } errors { code field message } }
}"""


def create_doc(client: TestClient, party: Party, reference: str | None = None, **extra: Any) -> str:
    """Create a document as ``party`` and return its id."""
    payload = {
        "kind": "COMMERCIAL_INVOICE",
        "reference": reference or f"INV-{uuid.uuid4().hex[:8]}",
        "title": "Invoice",
        "issuedOn": "2026-11-01",
        "amount": "100.50",
        "currency": "USD",
        **extra,
    }
    result = data(gql(client, party.token, CREATE_DOC, {"input": payload}))["createDocument"]
    assert result["errors"] == [], result["errors"]
    return result["document"]["id"]  # type: ignore[no-any-return]


__all__ = ["REDIS", "World", "create_doc", "data", "gql"]
