#!/usr/bin/env bash
# Load benchmark of the HTTP API: `skilltrack serve` on a store, `wrk` on
# loopback sharing the machine's cores with it. Prints, per route, requests
# per second and the latency percentiles wrk measured.
#
#   benches/api_load.sh DATA_DIR
#   SKILLTRACK=target/release/skilltrack DURATION=20s CONNECTIONS=32 THREADS=2 \
#       benches/api_load.sh /path/to/db
#
# DATA_DIR is a store, e.g. the one `skilltrack import` makes of the store
# bench's generated postings (a million postings over 2023–2025):
#
#   cargo bench --bench store_import -- --postings 1000000   # writes target/store-bench-1000000.jsonl
#   target/release/skilltrack import target/store-bench-1000000.jsonl --data-dir /tmp/bench-1m
#
# ONLY=REGEX keeps the routes whose name matches (e.g. ONLY=wide);
# VARY_CONNECTIONS="" skips the uncached rounds (default "4 $CONNECTIONS").
# A route may name a request header (the wide ones are also asked with
# `Accept-Encoding: gzip`, as browsers and `curl --compressed` do); "bytes"
# is the first answer's body size.
#
# wrk comes from Debian: `apt-get install wrk`.
set -euo pipefail
DATA_DIR="${1:?usage: benches/api_load.sh DATA_DIR}"
HERE="$(cd "$(dirname "$0")" && pwd)"
SKILLTRACK="${SKILLTRACK:-$(dirname "$HERE")/target/release/skilltrack}"
DURATION="${DURATION:-20s}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
PORT="${PORT:-18080}"
BASE="http://127.0.0.1:$PORT"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
[ -x "$SKILLTRACK" ] || { echo "no binary at $SKILLTRACK: cargo build --release" >&2; exit 2; }

EMPTY="$(mktemp -d)"
LOG="$(mktemp)"
"$SKILLTRACK" serve --no-schedule --bind "127.0.0.1:$PORT" --data-dir "$DATA_DIR" \
    --extractors "$EMPTY" >"$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$EMPTY" "$LOG"' EXIT
for _ in $(seq 600); do
    curl -fs "$BASE/healthz" >/dev/null 2>&1 && break
    kill -0 $SERVER 2>/dev/null || { cat "$LOG" >&2; exit 1; }
    sleep 0.1
done
# The posting index is built in the background at start (seconds for a
# million postings, on one core): measure after it, not during it.
for _ in $(seq "${INDEX_WAIT_S:-120}"); do
    grep -q "Posting index ready" "$LOG" && break
    sleep 1
done
grep -o "Posting index ready.*" "$LOG" | head -1 || echo "(no 'Posting index ready' line: an older binary?)"
echo "server: $SKILLTRACK, store $DATA_DIR ($(du -sh "$DATA_DIR" | cut -f1)), wrk -t$THREADS -c$CONNECTIONS -d$DURATION"

WIDE="skills=python,java,kubernetes,postgresql,linux&geo=FR&from=2023-01-01&to=2025-12-31&interval=day"
# name|path and query[|request header]
ROUTES=(
    "healthz|/healthz"
    "trends: python × FR, 3 years monthly|/api/v1/trends?skills=python&geo=FR&from=2023-01-01&to=2025-12-31&interval=month"
    "trends: kubernetes × FR-ARA, 3 years weekly|/api/v1/trends?skills=kubernetes&geo=FR-ARA&from=2023-01-01&to=2025-12-31&interval=week"
    "top: FR, 2025|/api/v1/top?geo=FR&from=2025-01-01&to=2025-12-31"
    "top: FR-IDF, 2025, sort=growth|/api/v1/top?geo=FR-IDF&from=2025-01-01&to=2025-12-31&sort=growth"
    "postings page: python × FR-IDF, March 2025, 50|/api/v1/postings?skill=python&geo=FR-IDF&from=2025-03-01&to=2025-03-31&limit=50"
    "postings page: rust × FR-35, 2025, 50|/api/v1/postings?skill=rust&geo=FR-35&from=2025-01-01&to=2025-12-31&limit=50"
    "postings page: active, postgresql × FR, 2025-06-30, 50|/api/v1/postings?skill=postgresql&geo=FR&metric=active&to=2025-06-30&limit=50"
    "trends wide: 5 skills × FR, 3 years daily, JSON|/api/v1/trends?$WIDE"
    "trends wide, JSON, Accept-Encoding: gzip|/api/v1/trends?$WIDE|Accept-Encoding: gzip"
    "trends wide: 5 skills × FR, 3 years daily, CSV|/api/v1/trends.csv?$WIDE"
    "trends wide, CSV, Accept-Encoding: gzip|/api/v1/trends.csv?$WIDE|Accept-Encoding: gzip"
)

printf '%-62s %8s %10s %8s %8s %8s %8s %9s\n' route status "req/s" p50 p90 p99 first bytes
for entry in "${ROUTES[@]}"; do
    IFS='|' read -r name path header <<<"$entry"
    [[ "$name" =~ ${ONLY:-.} ]] || continue
    header="${header:-X-Bench: plain}"
    # The first request: what a client gets before any cache holds the answer.
    first="$(curl -s -o /dev/null -H "$header" -w '%{http_code} %{time_total} %{size_download}' "$BASE$path")"
    read -r status seconds bytes <<<"$first"
    first_ms="$(awk -v t="$seconds" 'BEGIN { printf "%.1fms", t * 1000 }')"
    out="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "$header" "$BASE$path")"
    rps="$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")"
    pct() { awk -v p="$1" '$1 == p { print $2 }' <<<"$out"; }
    errors="$(awk '/Non-2xx|Socket errors/ { printf "%s ", $0 }' <<<"$out")"
    printf '%-62s %8s %10s %8s %8s %8s %8s %9s %s\n' "$name" "$status" "$rps" "$(pct 50%)" "$(pct 90%)" "$(pct 99%)" "$first_ms" "$bytes" "$errors"
done
# Uncached: every request different (benches/api_load_vary.lua), so each
# is computed from the store: the cost of a first question. Measured at a
# few connections (people clicking through a dashboard) and at
# $CONNECTIONS (every one of them a new question at once): on two cores the
# second is mostly queueing behind the first's service time.
VARIED=(
    "trends uncached: python × FR, monthly, from/to vary|/api/v1/trends?skills=python&geo=FR&from={from}&to={day}&interval=month"
    "top uncached: FR, a year to a varying day, varying limit|/api/v1/top?geo=FR&to={day}&limit={limit}"
    "postings uncached: python × FR-IDF, default page (50)|/api/v1/postings?skill=python&geo=FR-IDF&from={from}&to={day}"
    "postings uncached: python × FR-IDF, 2025, limit 1–200|/api/v1/postings?skill=python&geo=FR-IDF&to={day}&from=2025-01-01&limit={limit}"
)
for connections in ${VARY_CONNECTIONS-4 $CONNECTIONS}; do
    for entry in "${VARIED[@]}"; do
        name="${entry%%|*} (c=$connections)"
        path="${entry#*|}"
        out="$(VARY_PATH="$path" wrk -t"$THREADS" -c"$connections" -d"$DURATION" --latency -s "$HERE/api_load_vary.lua" "$BASE")"
        rps="$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")"
        pct() { awk -v p="$1" '$1 == p { print $2 }' <<<"$out"; }
        errors="$(awk '/Non-2xx|Socket errors/ { printf "%s ", $0 }' <<<"$out")"
        printf '%-62s %8s %10s %8s %8s %8s %8s %s\n' "$name" "-" "$rps" "$(pct 50%)" "$(pct 90%)" "$(pct 99%)" "-" "$errors"
    done
done
echo "server peak RSS: $(awk '/VmHWM/ { print $2, $3 }' /proc/$SERVER/status)"
