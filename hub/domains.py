"""Every domain's service, imported for what importing it declares: the record kinds each registers in
``hub.records``. The API imports them through its schema; a command that finds records by kind without
the API (``hub verify``, ``hub export``) imports this module instead."""

from __future__ import annotations

from hub.bills import service as bills
from hub.commerce import service as commerce
from hub.documents import service as documents
from hub.finance import service as finance
from hub.governance import service as governance
from hub.port import service as port
from hub.tracking import service as tracking

SERVICES = (bills, commerce, documents, finance, governance, port, tracking)
