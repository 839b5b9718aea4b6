"""Which of the hub's modules run compiled (mypyc, built by ``scripts/build_native.py``), and whether each
compiled module still matches its source.

Python imports a compiled module (``name.cpython-311-….so``) ahead of ``name.py`` beside it, so a build
left behind after an edit would quietly run the old code. The build records a digest of every source it
compiled; ``stale()`` names the modules whose source has changed since, and the test suite refuses to run
while any is stale.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Pure, typed code run once per tracking event, per cross-border order (the CEB reader and writer,
# platform orders, tax and the three-document match) or per wrapped document (OpenAttestation, and the
# Merkle tree it and the anchoring share). Each must keep true annotations (compiled code
# checks them when it runs), must not be monkeypatched by tests (compiled calls do not look names up),
# and must find its data through its package, not ``__file__``.
MODULES = (
    "adapters.edifact.syntax",
    "adapters.edifact.reader",
    "adapters.dcsa.events",
    "hub.canonical",
    "hub.tracking.rows",
    "adapters.ceb.spec",
    "adapters.ceb.xml",
    "adapters.platform.orders",
    "adapters.text",
    "hub.commerce.match",
    "hub.commerce.tax",
    "hub.commerce.values",
    "ledger.openattestation",
    "ledger.merkle",
)
GROUP = "hub._native"  # the shared library the compiled modules use together: in a package, so that
# it imports wherever hub does (a top-level one did not, outside the checkout)
# What the build compiled from what: inside the package, so that an installed hub carries it with its
# compiled modules (the Docker image) and can still say whether they match their sources.
MANIFEST = ROOT / "hub" / "native-manifest.json"


def source(module: str) -> Path:
    """The ``.py`` file of one of ``MODULES``."""
    return ROOT.joinpath(*module.split(".")).with_suffix(".py")


def digest(path: Path) -> str:
    """The SHA-256 of a source file, as the manifest records it."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def compiled_files() -> list[Path]:
    """The compiled modules and their shared library, as the build left them in the tree."""
    found = [
        path for module in MODULES for path in source(module).parent.glob(f"{module.rsplit('.', 1)[-1]}.*.so")
    ]
    package, name = GROUP.rsplit(".", 1)
    return found + sorted(ROOT.joinpath(*package.split(".")).glob(f"{name}__mypyc.*.so"))


def is_compiled(module: str) -> bool:
    """Whether importing ``module`` loads a compiled extension (without importing the module itself)."""
    spec = importlib.util.find_spec(module)
    return spec is not None and spec.origin is not None and not spec.origin.endswith(".py")


def stale() -> list[str]:
    """The modules that would load compiled code not built from their source as it is now."""
    try:
        built: dict[str, str] = json.loads(MANIFEST.read_text())
    except (OSError, ValueError):
        built = {}
    return [m for m in MODULES if is_compiled(m) and built.get(m) != digest(source(m))]


def needs_build() -> bool:
    """Whether ``scripts/build_native.py`` has something to do: a module runs its source, or a compiled
    one is stale."""
    return bool(stale()) or not all(is_compiled(m) for m in MODULES)


def describe() -> str:
    """One line for the benches and the test suite's header: how the per-event and per-order code runs."""
    compiled = [m for m in MODULES if is_compiled(m)]
    if not compiled:
        return "native modules: Python sources (scripts/build_native.py not run)"
    out_of_date = stale()
    line = f"native modules: {len(compiled)} of {len(MODULES)} compiled with mypyc"
    return line + (f", STALE: {', '.join(out_of_date)}" if out_of_date else "")
