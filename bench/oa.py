"""OpenAttestation wrapping: the hub's ``ledger.openattestation.wrap`` against OpenAttestation's own
``wrapDocuments`` (npm ``@govtechsg/open-attestation``), on the same documents, same machine, same run.

    .venv/bin/python bench/oa.py [--counts 10000,50000] [--verify 1000]

For each batch size it prints documents/s for both, the ratio, and the hub's rate per document as the
batch grows (OpenAttestation finds each document's proof by searching the batch, so its rate falls as the
batch grows). It then checks that both computed a proof each document's own ``verifySignature`` accepts,
and times the hub's signature check per document (what ``checkExportedRecord`` does before asking the
chain). The issue's targets: the hub at least 20x OpenAttestation's wrap rate, and no slowdown with size.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hub import collector  # noqa: E402
from ledger.openattestation import verify_signature, wrap  # noqa: E402


def documents(count: int) -> list[dict[str, Any]]:
    """The documents bench/oa_docs.cjs makes, the same fields in the same order."""
    issuer = {
        "name": "Port and trade single-window hub",
        "documentStore": "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
        "identityProof": {"type": "DNS-TXT", "location": "hub.example"},
    }
    return [
        {
            "issuers": [issuer],
            "id": f"01a25047-65fb-7e6a-ae0e-{n:012d}",
            "version": 1,
            "kind": "COMMERCIAL_INVOICE",
            "reference": f"HNE-INV-2026-{n}",
            "title": "Commercial invoice, LED monitors",
            "issuedOn": "2026-11-02",
            "amount": "186000.00",
            "currency": "USD",
            "owner": "Hanul Electronics Export",
        }
        for n in range(count)
    ]


def openattestation(count: int) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        raise SystemExit("bench/oa.py needs Node.js (scripts/setup.sh installs the npm packages)")
    done = subprocess.run(
        [node, str(ROOT / "bench" / "oa_wrap.cjs")],
        input=json.dumps({"count": count}),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        timeout=3600,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--counts", default="10000,50000", help="batch sizes, comma separated")
    parser.add_argument("--verify", type=int, default=1000, help="documents whose signature the hub checks")
    args = parser.parse_args()
    collector.tune()
    print(f"{'documents':>10} {'hub docs/s':>12} {'OA docs/s':>11} {'hub/OA':>8}")
    for count in (int(c) for c in args.counts.split(",")):
        batch = documents(count)
        start = time.perf_counter()
        wrapped = wrap(batch)
        hub_seconds = time.perf_counter() - start
        assert verify_signature(wrapped[-1]), "the hub's last document does not verify"
        theirs = openattestation(count)
        assert theirs["ok"], "OpenAttestation's last document does not verify"
        hub_rate, oa_rate = count / hub_seconds, count / theirs["seconds"]
        print(f"{count:>10,} {hub_rate:>12,.0f} {oa_rate:>11,.0f} {hub_rate / oa_rate:>7.1f}x")
        checked = wrapped[: args.verify]
        start = time.perf_counter()
        assert all(verify_signature(d) for d in checked)
        per = (time.perf_counter() - start) / len(checked) * 1e6
        print(f"{'':>10} the hub checks a document's signature in {per:,.0f} us ({len(checked)} checked)")


if __name__ == "__main__":
    main()
