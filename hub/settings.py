"""One settings class for the whole hub, read from ``HUB_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Known development values, refused in production.
DEV_KEY_PEPPER = "dev-only-key-pepper-change-me"
DEV_CHAIN_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
DEV_BLINDING_KEY = "dev-only-receivable-blinding-key"


def _default_database_url() -> str:
    return f"sqlite:///{Path.cwd() / 'var' / 'hub.db'}"


def _default_chain_dir() -> str:
    return str(Path.cwd() / "var" / "chain")


class Settings(BaseSettings):
    """Everything the hub reads from its environment; safe defaults for a laptop, refusals for production."""

    model_config = SettingsConfigDict(env_prefix="HUB_", env_file=None, extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str = Field(default_factory=_default_database_url)
    redis_url: str | None = None
    chain_url: str | None = None
    key_pepper: SecretStr = SecretStr(DEV_KEY_PEPPER)

    # The chain: unset HUB_CHAIN_URL means the embedded chain, journaled under chain_data_dir.
    chain_private_key: SecretStr = SecretStr(DEV_CHAIN_KEY)
    chain_data_dir: str = Field(default_factory=_default_chain_dir)
    chain_request_timeout: float = 10.0
    anchor_contract: str | None = None
    anchor_batch_size: int = Field(default=10_000, ge=1, le=1_000_000)
    anchor_max_wait_seconds: float = Field(default=1.0, ge=0)
    anchor_receipt_timeout: float = Field(default=60.0, gt=0)
    anchor_lease_seconds: float = Field(default=120.0, gt=0)  # a crashed worker's batch is retried after this
    anchor_in_process: bool = (
        True  # run the anchoring worker inside `hub serve`; production runs `hub anchor`
    )

    # OpenAttestation exports: the DNS name where the issuer publishes its TXT record
    # (openatts net=ethereum netId=<chain id> addr=<registry>), which TradeTrust checks for identity.
    oa_identity_location: str = "hub.localhost"

    # GraphQL limits: hostile queries are refused before they run.
    graphql_max_depth: int = 10
    graphql_max_aliases: int = 30
    graphql_max_tokens: int = 2000
    graphql_max_page_size: int = 200
    graphql_default_page_size: int = 50
    graphql_graphiql: bool = True
    max_request_bytes: int = 2_000_000
    max_ingest_bytes: int = 50_000_000  # one EDIFACT interchange or DCSA body on /ingest/*
    max_stream_bytes: int = 20_000_000_000  # a body on /ingest/stream/*, read in parts (bounded memory)

    # DCSA event subscriptions (push).
    push_in_process: bool = True
    push_max_attempts: int = Field(default=8, ge=1, le=50)
    push_backoff_seconds: float = Field(default=1.0, gt=0)
    callback_allow_private_networks: bool = False  # the hub refuses to call into its own network (SSRF)

    # Cross-border e-commerce (CEB): the PEM file (private key + certificate) that signs CEB621 inventory
    # lists, and the e-port data exchange id written in BaseTransfer. Unset: a development key under var/.
    ceb_signing_key_file: str | None = None
    ceb_dxp_id: str = ""

    # Supply-chain finance: the secret that blinds invoice identities before they go on chain. Changing it
    # changes every blinded id, so keep it for the life of the registry.
    finance_blinding_key: SecretStr = SecretStr(DEV_BLINDING_KEY)

    # DCSA PINT: this hub as an eBL platform (hub.bills.platforms). The code names it in envelope transfer
    # chains (DCSA assigns platform codes; 1 to 4 characters); the key signs what it sends; the peers file
    # lists the platforms it exchanges titles with. Unset key: a development key under var/.
    pint_platform: str = Field(default="HUB", min_length=1, max_length=4, pattern=r"^\S+$")
    pint_platform_name: str = "Port and trade hub"
    pint_signing_key_file: str | None = None
    pint_peers_file: str | None = None
    pint_request_timeout: float = Field(default=30.0, gt=0)

    # The hub's own country (ISO 3166 alpha-2): organisations registered without a country are here, and
    # sending important or personal data to one in another country needs a transfer rule (hub.governance).
    country: str = Field(default="CN", pattern=r"^[A-Z]{2}$")

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
            if self.chain_private_key.get_secret_value().lower() == DEV_CHAIN_KEY:
                problems.append(
                    "HUB_CHAIN_PRIVATE_KEY must be the anchoring account's own key, not the development key"
                )
            if (
                self.finance_blinding_key.get_secret_value() == DEV_BLINDING_KEY
                or len(self.finance_blinding_key.get_secret_value()) < 32
            ):
                problems.append("HUB_FINANCE_BLINDING_KEY must be set to a secret of at least 32 characters")
            if not self.ceb_signing_key_file:
                problems.append(
                    "HUB_CEB_SIGNING_KEY_FILE must name the declarant's signing key and certificate (PEM)"
                )
            if not self.pint_signing_key_file:
                problems.append("HUB_PINT_SIGNING_KEY_FILE must name the platform's PINT signing key (PEM)")
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
