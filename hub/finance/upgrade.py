"""Moving the receivables to a new version of the ReceivableRegistry.

A registry already deployed is never changed in place: a hub whose code brings a new version (issue 22
added the draws on evidence) finds the old bytecode at the remembered address and refuses to start the
receivables with it. ``hub chain upgrade-receivables`` then deploys the new version and replays, from
the hub's own records (the hub is the registry's only writer), what the old one holds: every receivable
registered, the live pledges with their lenders and their draws on evidence, settled receivables closed.
The old registry stays on the chain, and its address in the database under a retired name, for audit:
the transaction hashes in the receivables' histories point into it. The replay is resumable: an entry
the new registry already holds is passed over.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from hub.anchors import ChainContract
from hub.canonical import org_ref
from hub.finance.models import Receivable, ReceivableStatus
from ledger.chain import ChainClient, ChainRejected
from ledger.receivables import NAME, call, read


@dataclass
class Upgrade:
    old: str | None
    new: str
    registered: int = 0
    pledged: int = 0
    settled: int = 0
    already: int = 0


def _retired_name(session: Session, chain_id: int) -> str:
    taken = {c.name for c in session.exec(select(ChainContract).where(ChainContract.chain_id == chain_id))}
    n = 1
    while f"{NAME}-retired-{n}" in taken:
        n += 1
    return f"{NAME}-retired-{n}"


def current_is_old(engine: Engine, chain: ChainClient) -> str | None:
    """The remembered registry's address when its code is not this version (None when it is, or none)."""
    with Session(engine) as session:
        known = session.exec(
            select(ChainContract).where(ChainContract.chain_id == chain.chain_id, ChainContract.name == NAME)
        ).first()
    if known is None:
        return None
    try:
        chain.attach(NAME, known.address)
    except ChainRejected:
        return known.address
    return None


def upgrade(engine: Engine, chain: ChainClient, blinding_key: str) -> Upgrade:
    """Deploy this version of the registry (unless the remembered one is already it) and replay."""
    from hub.finance.service import _gas, _pledged_draws, _units, _valued, evidence_id

    old = current_is_old(engine, chain)
    with Session(engine) as session:
        if old is not None:
            retired = session.exec(
                select(ChainContract).where(
                    ChainContract.chain_id == chain.chain_id, ChainContract.name == NAME
                )
            ).one()
            retired.name = _retired_name(session, chain.chain_id)
            session.add(retired)
            session.commit()
        known = session.exec(
            select(ChainContract).where(ChainContract.chain_id == chain.chain_id, ChainContract.name == NAME)
        ).first()
        if known is None:
            address = chain.deploy(NAME)
            session.add(ChainContract(chain_id=chain.chain_id, name=NAME, address=address))
            session.commit()
        else:
            address = known.address
            chain.attach(NAME, address)
        done = Upgrade(old=old, new=address)
        rows = list(session.exec(select(Receivable).order_by(col(Receivable.created_at), col(Receivable.id))))
        for row in rows:
            blinded = bytes.fromhex(row.blinded_id[2:])
            if read(chain, blinded).status != "NONE":
                done.already += 1
                continue
            call(chain, "register", blinded)
            done.registered += 1
            if (
                row.status not in (ReceivableStatus.PLEDGED, ReceivableStatus.SETTLED)
                or row.lender_org_id is None
            ):
                continue
            lender = org_ref(row.lender_org_id)
            draws = _pledged_draws(row) if row.status == ReceivableStatus.PLEDGED else {}
            values = {ref: value for ref, _s, _l, _i, value in _valued(session, row)}
            refs = sorted(draws)
            call(
                chain,
                "pledge",
                blinded,
                lender,
                [evidence_id(blinding_key, ref, row.currency) for ref in refs],
                [_units(draws[ref]) for ref in refs],
                # A value that fell after the pledge (a flagged receivable) is replayed at what was drawn.
                [_units(max(values.get(ref, Decimal(0)), draws[ref])) for ref in refs],
                gas=_gas(len(refs)),
            )
            if row.status == ReceivableStatus.SETTLED:
                call(chain, "settle", blinded, lender)
                done.settled += 1
            else:
                done.pledged += 1
    return done
