"""Compile the hub's per-event code with mypyc, in place, and record what was compiled from what.

    .venv/bin/python scripts/build_native.py [--clean]

``scripts/setup.sh`` runs this. The modules in ``hub.native.MODULES`` are plain, typed Python that runs
once per tracking event (the EDIFACT and DCSA readers, the rows and documents made from each event) or
per cross-border order (the CEB reader and writer, platform orders, tax, the match); compiled, the
tracking ones take about half the instructions (bench/ingest prints which build it measured). Each
``.py`` stays the source and the fallback: without a C compiler, or with ``--clean``, Python imports it
as it is. A build that no longer matches its source is refused by the test suite and reported by
``hub.native.stale()``, so an edit is never tested or measured against yesterday's compiled code.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hub import native  # noqa: E402


def clean() -> None:
    """Remove every compiled module and the manifest: the hub then runs its sources as they are."""
    for path in native.compiled_files():
        path.unlink()
    native.MANIFEST.unlink(missing_ok=True)
    shutil.rmtree(ROOT / "build" / "native", ignore_errors=True)


def build() -> None:
    # Imported here: mypy is a development dependency, and --clean needs none of it.
    from mypyc.build import mypycify
    from setuptools import Distribution

    os.chdir(ROOT)  # mypyc names modules by their paths, and reads [tool.mypy] from pyproject.toml
    clean()
    sources = [native.source(module) for module in native.MODULES]
    paths = [str(path.relative_to(ROOT)) for path in sources]
    extensions = mypycify(paths, opt_level="3", group_name=native.GROUP)
    # A Distribution of its own, not setup(): setup() would read [project] from pyproject.toml, which
    # is for pip, and the setuptools in the virtual environment may not know all of it.
    dist = Distribution({"name": "hub-native", "ext_modules": extensions})
    command = dist.get_command_obj("build_ext")
    command.inplace = True  # type: ignore[attr-defined]
    command.build_temp = str(ROOT / "build" / "native")  # type: ignore[attr-defined]
    dist.run_command("build_ext")
    native.MANIFEST.parent.mkdir(parents=True, exist_ok=True)
    native.MANIFEST.write_text(
        json.dumps({module: native.digest(native.source(module)) for module in native.MODULES}, indent=1)
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clean", action="store_true", help="remove the compiled modules instead")
    args = parser.parse_args()
    if args.clean:
        clean()
        print("build_native: removed the compiled modules; the hub runs its Python sources")
        return
    build()
    print(f"build_native: compiled {len(native.MODULES)} modules with mypyc: {', '.join(native.MODULES)}")


if __name__ == "__main__":
    main()
