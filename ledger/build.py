"""Compile the contracts with the npm ``solc`` and write their artifacts (ABI, bytecode, settings).

    python -m ledger.build            # rebuild ledger/contracts/build/*.json
    python -m ledger.build --check    # fail when the committed artifacts differ from a fresh build

Imports are resolved here from ``node_modules`` and handed to solc as sources, so the build depends on
nothing but the files and the pinned compiler.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = Path(__file__).resolve().parent / "contracts"
BUILD = CONTRACTS / "build"
NODE_MODULES = ROOT / "node_modules"
# Every node the hub talks to runs Cancun: Besu (QBFT), anvil and py-evm's Prague VM all execute it.
SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 200},
    "evmVersion": "cancun",
    "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}},
    "metadata": {"bytecodeHash": "none"},
}
CONTRACT_NAMES = [
    "AnchorRegistry",
    "TitleRegistry",
    "ReceivableRegistry",
    "DocumentStore",
    "TradeTrustTitles",
]
_COMPILE = (
    "const fs = require('fs'); const solc = require('solc');"
    " fs.writeFileSync(process.argv[1], solc.compile(fs.readFileSync(0, 'utf8')));"
)
_IMPORT = re.compile(r'^\s*import\s+(?:[^"\']*from\s+)?["\']([^"\']+)["\']', re.MULTILINE)


class BuildError(RuntimeError):
    """The contracts could not be compiled."""


def _source_file(unit: str) -> Path:
    local = CONTRACTS / unit
    return local if local.exists() else NODE_MODULES / unit


def collect_sources() -> dict[str, dict[str, str]]:
    """Every source the contracts need, keyed by import path."""
    sources: dict[str, dict[str, str]] = {}
    pending = [f"{name}.sol" for name in CONTRACT_NAMES]
    while pending:
        unit = pending.pop()
        if unit in sources:
            continue
        path = _source_file(unit)
        if not path.exists():
            raise BuildError(f"cannot find {unit}: run scripts/setup.sh (npm ci) first")
        text = path.read_text(encoding="utf-8")
        sources[unit] = {"content": text}
        for imported in _IMPORT.findall(text):
            if imported.startswith("."):
                imported = str(Path("/" + unit).parent.joinpath(imported).resolve())[1:]
            pending.append(imported)
    return dict(sorted(sources.items()))


def compiler_version() -> str:
    """The version string of the installed npm solc."""
    node = shutil.which("node")
    if node is None:
        raise BuildError("node is not installed")
    out = subprocess.run(
        [node, "-e", "process.stdout.write(require('solc').version())"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise BuildError(f"npm solc is not installed: {out.stderr.strip()}")
    return out.stdout.strip()


def compile_contracts() -> dict[str, dict[str, Any]]:
    """Compile and return one artifact per contract."""
    sources = collect_sources()
    if not (NODE_MODULES / "solc" / "package.json").exists():
        raise BuildError("node_modules/solc is missing: run scripts/setup.sh")
    node = shutil.which("node")
    if node is None:
        raise BuildError("node is missing: the contracts compile with the npm solc")
    request = {"language": "Solidity", "sources": sources, "settings": SETTINGS}
    # The npm solc's own compile(), its answer written to a file: `solcjs --standard-json` exits before a
    # piped stdout is flushed, which cut its answer short once the contracts grew past a pipe's buffer.
    with tempfile.TemporaryDirectory() as scratch:
        answer = Path(scratch) / "solc.json"
        out = subprocess.run(
            [node, "-e", _COMPILE, str(answer)],
            input=json.dumps(request),
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            raise BuildError(out.stderr.strip() or "solc failed")
        result = json.loads(answer.read_text(encoding="utf-8"))
    errors = [e for e in result.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise BuildError("\n".join(e.get("formattedMessage", e.get("message", "")) for e in errors))
    version = compiler_version()
    artifacts = {}
    for name in CONTRACT_NAMES:
        output = result["contracts"][f"{name}.sol"][name]
        artifacts[name] = {
            "contractName": name,
            "compiler": {"name": "solc", "version": version},
            "settings": SETTINGS,
            "sourceSha256": {
                unit: hashlib.sha256(body["content"].encode()).hexdigest() for unit, body in sources.items()
            },
            "abi": output["abi"],
            "bytecode": "0x" + output["evm"]["bytecode"]["object"],
            "deployedBytecode": "0x" + output["evm"]["deployedBytecode"]["object"],
        }
    return artifacts


def render(artifact: dict[str, Any]) -> str:
    """The committed text of an artifact."""
    return json.dumps(artifact, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Build, or check the committed build."""
    parser = argparse.ArgumentParser(description="Compile the hub's Solidity contracts.")
    parser.add_argument("--check", action="store_true", help="compare with the committed artifacts")
    args = parser.parse_args(argv)
    try:
        artifacts = compile_contracts()
    except BuildError as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        return 2
    stale = []
    for name, artifact in artifacts.items():
        path = BUILD / f"{name}.json"
        text = render(artifact)
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            BUILD.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)} ({len(artifact['bytecode']) // 2 - 1} bytes of bytecode)")
    if stale:
        print(f"stale artifacts: {', '.join(stale)}; run 'python -m ledger.build'", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
