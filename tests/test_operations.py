"""Health, readiness, metrics, request ids and settings that refuse unsafe production."""

from __future__ import annotations

import time

import pytest
from pydantic import ValidationError
from starlette.testclient import TestClient

from hub.settings import Settings


def test_health_answers_while_the_process_lives(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}


def test_ready_checks_the_database_and_reports_the_bus(client: TestClient) -> None:
    deadline = time.monotonic() + 10
    while (body := client.get("/ready").json())["status"] != "ok" and time.monotonic() < deadline:
        time.sleep(0.05)  # the ledger connects to its chain in the background after start-up
    assert body["status"] == "ok", body
    assert body["checks"]["chain"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("not configured")


def test_ready_fails_when_the_database_is_gone(client: TestClient, state) -> None:  # type: ignore[no-untyped-def]
    from hub.db import make_engine

    state.engine = make_engine("postgresql://nobody@127.0.0.1:1/none")
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("error")


def test_metrics_count_requests_by_route(client: TestClient) -> None:
    client.get("/health")
    client.post("/graphql", json={"query": "{ __typename }"})
    text = client.get("/metrics").text
    assert 'hub_http_requests_total{method="POST",route="/graphql",status="200"}' in text
    assert "hub_http_request_seconds_bucket" in text
    # Unknown paths share one label, so hostile URLs cannot blow up the metric.
    client.get("/no/such/path/12345")
    assert "/no/such/path" not in client.get("/metrics").text


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    mine = client.get("/health", headers={"X-Request-ID": "trace-abc-123"})
    assert mine.headers["x-request-id"] == "trace-abc-123"
    fresh = client.get("/health")
    assert len(fresh.headers["x-request-id"]) == 32


def test_graphiql_is_served_on_get(client: TestClient) -> None:
    page = client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


def test_production_refuses_development_secrets_and_the_embedded_chain() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(env="production", database_url="postgresql://hub@db/hub")
    message = str(refused.value)
    assert "HUB_KEY_PEPPER" in message and "HUB_CHAIN_URL" in message
    assert "HUB_CEB_SIGNING_KEY_FILE" in message and "HUB_FINANCE_BLINDING_KEY" in message
    assert "HUB_PINT_SIGNING_KEY_FILE" in message
    with pytest.raises(ValidationError, match="PostgreSQL"):
        Settings(
            env="production", database_url="sqlite:///x.db", key_pepper="p" * 40, chain_url="http://besu:8545"
        )
    ok = Settings(
        env="production",
        database_url="postgresql://hub@db/hub",
        key_pepper="p" * 40,
        chain_url="http://besu:8545",
        chain_private_key="0x" + "42" * 32,
        ceb_signing_key_file="/run/secrets/ceb-signing.pem",
        pint_signing_key_file="/run/secrets/pint-signing.pem",
        finance_blinding_key="b" * 40,
    )
    assert ok.key_pepper.get_secret_value() not in repr(ok)
    assert ok.chain_private_key.get_secret_value() not in repr(ok)


def test_settings_come_from_hub_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_DATABASE_URL", "sqlite:////tmp/elsewhere.db")
    monkeypatch.setenv("HUB_GRAPHQL_MAX_PAGE_SIZE", "75")
    settings = Settings()
    assert settings.database_url == "sqlite:////tmp/elsewhere.db" and settings.graphql_max_page_size == 75
