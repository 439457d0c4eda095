#!/usr/bin/env bash
# The single-machine path before and after issue #20's store seam
# (`replace_counts`: one more key removed per count flush, a shared lock
# around each count read): `skilltrack import` of generated postings into a
# fresh database, then `skilltrack export trends` of 60 daily series from it,
# run alternately with the BEFORE and AFTER binaries, RUNS times each.
# Prints each run and the medians.
#
#   BEFORE=/path/to/main/skilltrack AFTER=target/release/skilltrack \
#     POSTINGS=100000 RUNS=3 benches/store_seam.sh
set -euo pipefail
cd "$(dirname "$0")/.."

BEFORE=${BEFORE:?the binary built from main (cargo build --release in a checkout of main)}
AFTER=${AFTER:-target/release/skilltrack}
POSTINGS=${POSTINGS:-100000}
RUNS=${RUNS:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/skilltrack-seam.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Each generated posting's final state, as import lines.
python3 scaleout/gen_lake.py --out "$work/lake" --postings "$POSTINGS" --oracle "$work/postings.jsonl" >/dev/null
rm -rf "$work/lake"

seconds() { # seconds CMD…: wall time of CMD, output discarded
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  end=$(date +%s.%N)
  python3 -c "print(round($end - $start, 3))"
}

declare -A import_t trends_t
for run in $(seq 1 "$RUNS"); do
  for side in before after; do
    bin=$BEFORE
    [ "$side" = after ] && bin=$AFTER
    db="$work/db-$side-$run"
    i=$(seconds "$bin" --data-dir "$db" import "$work/postings.jsonl")
    t=$(seconds "$bin" --data-dir "$db" export trends \
      --skills python,docker,kubernetes,postgresql,linux,terraform,ansible,react,rust,java \
      --geo WORLD,FR,FR-IDF,FR-75,FR-33,REMOTE --from 2025-12-01 --to 2026-06-30 \
      --interval day --metric active)
    import_t[$side]+="$i "
    trends_t[$side]+="$t "
    echo "run $run $side: import $i s, export trends $t s"
    rm -rf "$db"
  done
done
python3 - "${import_t[before]}" "${import_t[after]}" "${trends_t[before]}" "${trends_t[after]}" "$POSTINGS" <<'EOF'
import statistics, sys
med = lambda s: statistics.median(float(x) for x in s.split())
ib, ia, tb, ta, n = med(sys.argv[1]), med(sys.argv[2]), med(sys.argv[3]), med(sys.argv[4]), sys.argv[5]
print("import of %s postings: before %.2f s, after %.2f s (%+.1f %%)" % (n, ib, ia, 100 * (ia - ib) / ib))
print("export trends (60 daily series): before %.3f s, after %.3f s (%+.1f %%)" % (tb, ta, 100 * (ta - tb) / tb))
EOF
