#!/usr/bin/env bash
# How long `skilltrack demo` takes to be ready: from the start of the process
# to its "Ctrl-C stops the demo." line (board started, 3,200 postings collected
# through the pipeline, API serving), measured from outside, RUNS times
# (default 5); prints each time and the median. The demo is then stopped with
# SIGTERM. Give several binaries to run them alternately, run by run.
#
#   benches/demo_ready.sh target/release/skilltrack [OTHER_BINARY…]
#   RUNS=7 benches/demo_ready.sh target/debug/skilltrack
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 BINARY [BINARY…]" >&2; exit 2; }
runs=${RUNS:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ready_seconds() {
  local bin=$1 log=$tmp/out start end pid
  : > "$log"
  start=$(date +%s.%N)
  "$bin" demo --bind 127.0.0.1:0 > "$log" 2> "$tmp/err" &
  pid=$!
  until grep -q '^Ctrl-C stops' "$log"; do
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/err" >&2; return 1; }
    sleep 0.05
  done
  end=$(date +%s.%N)
  kill -TERM "$pid"
  wait "$pid" || true
  python3 -c "print(f'{$end - $start:.2f}')"
}

declare -A times
for ((i = 1; i <= runs; i++)); do
  for bin in "$@"; do
    t=$(ready_seconds "$bin")
    echo "$bin run $i: ${t} s"
    times[$bin]="${times[$bin]:-} $t"
  done
done
for bin in "$@"; do
  python3 -c "import statistics,sys; v=[float(x) for x in sys.argv[2:]]; print(f'{sys.argv[1]}: median {statistics.median(v):.2f} s over {len(v)} runs (min {min(v):.2f}, max {max(v):.2f})')" "$bin" ${times[$bin]}
done
