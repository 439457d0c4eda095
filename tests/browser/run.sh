#!/usr/bin/env bash
# The dashboard in a real browser: Debian's chromium (installed here if
# missing, when run as root) driven by playwright-core (pinned in
# package-lock.json; it downloads no browser), against the debug binary that
# `cargo test` built. Screenshots: target/dashboard-test/.
set -euo pipefail
cd "$(dirname "$0")"

export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "== apt-get install chromium"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium not found at $CHROMIUM: apt-get install chromium (or set CHROMIUM)" >&2
    exit 1
  fi
fi
if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "== apt-get install nodejs npm"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "npm not found: install Node.js 20 or later (apt-get install nodejs npm)" >&2
    exit 1
  fi
fi

export SKILLTRACK_BIN="${SKILLTRACK_BIN:-../../target/debug/skilltrack}"
if [ ! -x "$SKILLTRACK_BIN" ]; then
  (cd ../.. && cargo build --bin skilltrack)
fi

echo "== npm ci (tests/browser)"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
echo "== browser test (chromium)"
node --test dashboard.test.mjs
