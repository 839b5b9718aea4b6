"""One settings class for the whole hub, read from ``HUB_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_KEY_PEPPER = "dev-only-key-pepper-change-me"


def _default_database_url() -> str:
    return f"sqlite:///{Path.cwd() / 'var' / 'hub.db'}"


class Settings(BaseSettings):
    """Everything the hub reads from its environment; safe defaults for a laptop, refusals for production."""

    model_config = SettingsConfigDict(env_prefix="HUB_", env_file=None, extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str = Field(default_factory=_default_database_url)
    redis_url: str | None = None
    chain_url: str | None = None
    key_pepper: SecretStr = SecretStr(DEV_KEY_PEPPER)

    # GraphQL limits: hostile queries are refused before they run.
    graphql_max_depth: int = 10
    graphql_max_aliases: int = 30
    graphql_max_tokens: int = 2000
    graphql_max_page_size: int = 200
    graphql_default_page_size: int = 50
    graphql_graphiql: bool = True
    max_request_bytes: int = 2_000_000

    log_level: str = "INFO"
    log_json: bool = True

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.env == "production":
            problems = []
            if (
                self.key_pepper.get_secret_value() == DEV_KEY_PEPPER
                or len(self.key_pepper.get_secret_value()) < 32
            ):
                problems.append("HUB_KEY_PEPPER must be set to a secret of at least 32 characters")
            if not self.chain_url:
                problems.append(
                    "HUB_CHAIN_URL must point at a real node; the embedded chain is for development"
                )
            if self.database_url.startswith("sqlite"):
                problems.append("HUB_DATABASE_URL must be PostgreSQL in production")
            if problems:
                raise ValueError("refusing to start in production: " + "; ".join(problems))
        return self

    @property
    def is_sqlite(self) -> bool:
        """True when the database is a SQLite file or memory database."""
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
