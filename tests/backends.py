"""Which real services this machine offers the tests: PostgreSQL and Redis when they answer."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass

PG_ADMIN_URL = os.environ.get("HUB_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("HUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def postgres_available() -> bool:
    """True when PostgreSQL answers and lets us create a database."""
    if not _answers("127.0.0.1", 5432):
        return False
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return True
    except Exception:
        return False


def redis_available() -> bool:
    """True when Redis answers a PING."""
    if not _answers("127.0.0.1", 6379):
        return False
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


@dataclass
class PgDatabase:
    """A throwaway PostgreSQL database for one test run."""

    name: str

    @property
    def url(self) -> str:
        base = PG_ADMIN_URL.rsplit("/", 1)[0]
        return f"{base}/{self.name}"

    @classmethod
    def create(cls) -> PgDatabase:
        import psycopg

        name = f"hub_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return cls(name)

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
