#!/usr/bin/env bash
# Set up, then run the whole test suite. It uses PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379)
# when they answer, and says so at the top of the run when it falls back to SQLite and the in-process bus.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser
exec .venv/bin/python -m pytest "$@"
