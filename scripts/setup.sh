#!/usr/bin/env bash
# Install what the hub needs into ./.venv (Python) and ./node_modules (solc, OpenZeppelin, anvil, the
# console's build tools), and build the web console. With --browser (scripts/test.sh passes it) also
# Debian's chromium and chromium-driver for the console's browser tests, where they are missing.
# Safe to run again: it only installs and builds what is missing or changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)'; then
  echo "setup: the hub needs Python 3.11; set PYTHON=/path/to/python3.11" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "setup: installing the hub's Python packages into .venv (a few minutes the first time)"
  # -qq: errors only. A machine's pip configuration can name package folders that do not exist, and
  # pip then warns once per package (about 140 lines) though nothing is wrong.
  .venv/bin/python -m pip install -qq --upgrade pip
  .venv/bin/python -m pip install -qq -e ".[dev]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
if command -v npm >/dev/null 2>&1; then
  lockstamp=node_modules/.installed-$(sha256sum package-lock.json | cut -c1-16)
  if [ ! -f "$lockstamp" ]; then
    echo "setup: installing the Node tools into node_modules (solc, OpenZeppelin, anvil, GraphiQL)"
    npm ci --no-audit --no-fund --loglevel=error
    touch "$lockstamp"
  fi
  # GraphiQL's files, served by the hub itself (hub/api/graphiql): no page of the hub loads a public CDN.
  assets=hub/api/graphiql/assets
  mkdir -p "$assets"
  cp -p node_modules/graphiql/graphiql.min.js node_modules/graphiql/graphiql.min.css \
        node_modules/react/umd/react.production.min.js node_modules/react-dom/umd/react-dom.production.min.js \
        "$assets/"
  # The web console (console/ -> hub/api/console/dist), rebuilt when its sources or the lock file change.
  console_hash=$(cat package-lock.json $(find console -type f -not -path '*/node_modules/*' | LC_ALL=C sort) | sha256sum | cut -c1-16)
  if [ ! -f "hub/api/console/dist/.built-$console_hash" ]; then
    echo "setup: building the web console (console/ -> hub/api/console/dist)"
    npm run -s console:build >/tmp/hub-console-build.$$ 2>&1 || { cat /tmp/hub-console-build.$$ >&2; rm -f /tmp/hub-console-build.$$; echo "setup: the console build failed (above)" >&2; exit 1; }
    rm -f /tmp/hub-console-build.$$
    touch "hub/api/console/dist/.built-$console_hash"
  fi
else
  echo "setup: npm not found; contract rebuilds and anvil tests need Node.js 20+ and npm" >&2
fi
if [ "${1:-}" = "--browser" ] && ! command -v chromium >/dev/null 2>&1; then
  # Debian's packages, as the machine's package manager installs them; Playwright's downloads are not used.
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian's chromium and chromium-driver for the console's browser tests"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }
  else
    echo "setup: the console's browser tests need chromium: apt-get install chromium chromium-driver (as root)" >&2
  fi
fi
# The per-event modules compiled with mypyc (hub/native.py): rebuilt when a source changed, skipped with
# a note where there is no C compiler (the hub then runs them as Python).
if .venv/bin/python -c 'from hub import native; raise SystemExit(0 if native.needs_build() else 1)'; then
  if command -v "${CC:-cc}" >/dev/null 2>&1; then
    # Quiet when it works; when mypyc refuses a module, its message is what the reader needs.
    if ! log=$(.venv/bin/python scripts/build_native.py 2>&1); then
      echo "$log" >&2
      echo "setup: compiling the per-event modules with mypyc failed (above)" >&2
      exit 1
    fi
  else
    echo "setup: no C compiler; the per-event modules run as Python (slower ingest)" >&2
  fi
fi
