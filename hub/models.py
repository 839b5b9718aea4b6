"""Import every table module, so that ``hub.db.metadata`` knows the whole schema (alembic, tests)."""

from __future__ import annotations

from hub import anchors, attestations, outbox
from hub.auth import models as auth_models
from hub.bills import models as bill_models
from hub.bills import service as _bill_service  # noqa: F401  (registers the record kind)
from hub.commerce import models as commerce_models
from hub.commerce import service as _commerce_service  # noqa: F401  (registers the record kinds)
from hub.documents import models as document_models
from hub.documents import service as _document_service  # noqa: F401  (registers the record kind)
from hub.finance import hooks as finance_hooks
from hub.finance import models as finance_models
from hub.finance import service as _finance_service  # noqa: F401  (registers the record kind)
from hub.governance import models as governance_models
from hub.governance import service as _governance_service  # noqa: F401  (registers the record kind)
from hub.port import models as port_models
from hub.port import service as _port_service  # noqa: F401  (registers the record kinds)
from hub.tracking import models as tracking_models
from hub.tracking import push as tracking_push
from hub.tracking import service as _tracking_service  # noqa: F401  (registers the record kind)

__all__ = [
    "anchors",
    "attestations",
    "auth_models",
    "bill_models",
    "commerce_models",
    "document_models",
    "finance_hooks",
    "finance_models",
    "governance_models",
    "outbox",
    "port_models",
    "tracking_models",
    "tracking_push",
]
