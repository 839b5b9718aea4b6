"""What a running hub holds: settings, the database engine, the bus. Built once, at start-up."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from hub.anchors import LedgerPort
from hub.bus import Bus, make_bus
from hub.db import make_engine
from hub.fanout import SharedReads
from hub.governance import HOME_KEY
from hub.outbox import BUS_KEY
from hub.settings import Settings


@dataclass
class HubState:
    """The long-lived parts of one hub process."""

    settings: Settings
    engine: Engine
    bus: Bus
    ledger: LedgerPort | None = None  # wired by create_app (or a test) from ledger.runtime
    _ceb_signer: Any = field(default=None, repr=False)
    # What live subscriptions read when a message arrives, shared by those with the same reader.
    reads: SharedReads = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.reads = SharedReads(self.session)

    def session(self) -> Session:
        """A new session whose commits publish on this hub's bus."""
        session = Session(self.engine, expire_on_commit=False)
        session.info[BUS_KEY] = self.bus
        session.info[HOME_KEY] = self.settings.country
        return session

    def ceb_signer(self) -> Any:
        """The xmldsig signer for CEB621 inventory lists (``adapters.ceb.sign``), created on first use."""
        if self._ceb_signer is None:
            self._ceb_signer = ceb_signer(self.settings)
        return self._ceb_signer

    @property
    def pepper(self) -> str:
        """The secret that keys are hashed with."""
        return self.settings.key_pepper.get_secret_value()


def ceb_signer(settings: Settings) -> Any:
    """The configured CEB621 signer, or a development one kept under var/ (refused in production)."""
    from adapters.ceb.sign import DsigSigner

    path = settings.ceb_signing_key_file
    return (
        DsigSigner.from_file(path) if path else DsigSigner.development(Path(settings.chain_data_dir).parent)
    )


def build_state(settings: Settings) -> HubState:
    """Create the engine and the bus the settings describe (nothing is connected yet). On SQLite the
    running hub checkpoints in a thread of its own (``hub.checkpoint``), not in requests' commits."""
    return HubState(
        settings=settings,
        engine=make_engine(settings.database_url, checkpoints="thread"),
        bus=make_bus(settings.redis_url),
    )
