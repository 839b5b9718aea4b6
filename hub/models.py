"""Import every table module, so that ``hub.db.metadata`` knows the whole schema (alembic, tests)."""

from __future__ import annotations

from hub import outbox
from hub.auth import models as auth_models
from hub.documents import models as document_models

__all__ = ["auth_models", "document_models", "outbox"]
