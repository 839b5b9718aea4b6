"""How the hub's own processes set Python's cyclic garbage collector.

CPython runs its youngest collection every 700 net allocations of container objects, and each collection
walks every young object still alive. The hub's work is made of large short-lived batches: a message's
2,000 events, or 100 parcels, become tens of thousands of dicts, tuples and lists that live until their
transaction commits, so the collector walked them again and again while finding little to free. On top
of that, every full collection walks all of SQLAlchemy, the models and the compiled statements, which
are never garbage. Callgrind, 20,000 tracking events in one process: 1.32 G instructions in the collector
with the defaults, 0.38 G with these settings.

``tune`` moves what is loaded so far out of the collector's sight (``gc.freeze``) and runs the youngest
collection every 10,000 allocations instead. Cycles are still found and freed, a little later. The
commands that run long or in bulk call it once they have loaded what they need (``hub serve``, ``hub
demo``, ``hub anchor``, ``hub ingest`` and ``hub orders import``), the ingest pipeline's worker processes
call it when they start, and the benches call it as the process they stand in for would. The test suite
does not: it keeps the defaults.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000


def tune() -> None:
    """Freeze the objects loaded so far and collect the youngest generation less often (idempotent)."""
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
