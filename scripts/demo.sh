#!/usr/bin/env bash
# Set up, then run the hub on embedded defaults (SQLite under ./var, in-process bus, embedded chain)
# with the demo scenario loaded. Extra arguments go to `hub demo` (for example --port 9000).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/hub demo "$@"
