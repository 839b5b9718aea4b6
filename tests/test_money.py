"""Money reads back the same on every backend, and its canonical form survives the round trip.

Regression: PostgreSQL returned NUMERIC(20,4) as 100.5000 where the write had 100.50, so the anchored
hash no longer matched the stored record and verification reported TAMPERED.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import Session

from hub.canonical import decimal_text
from hub.db import make_engine
from hub.documents import service
from hub.documents.models import TradeDocument
from tests.ledger_fixtures import make_documents, seller


@pytest.mark.parametrize(
    "written, read, canonical",
    [
        ("100.50", "100.50", "100.5"),
        ("186000.00", "186000.00", "186000"),
        ("0.1234", "0.1234", "0.1234"),
        ("7", "7.00", "7"),
        ("0", "0.00", "0"),
    ],
)
def test_amounts_round_trip_identically(database_url: str, written: str, read: str, canonical: str) -> None:
    engine = make_engine(database_url)
    principal = seller(engine)
    [doc_id] = make_documents(engine, principal, 1)
    with Session(engine) as session:
        doc = session.get(TradeDocument, doc_id)
        assert doc is not None
        doc.amount, doc.currency = Decimal(written), "USD"
        session.add(doc)
        session.commit()
        before = service.canonical(doc)
    with Session(engine) as session:
        again = session.get(TradeDocument, doc_id)
        assert again is not None
        assert str(again.amount) == read
        assert service.canonical(again) == before
        assert before["amount"] == canonical == decimal_text(Decimal(written))
    engine.dispose()
