#!/usr/bin/env bash
# Time per million postings of the Spark count on a local standalone cluster:
# a generated lake (scaleout/gen_lake.py), then `spark-submit
# scaleout/spark/skilltrack_counts.py` RUNS times on a master and WORKERS
# workers on 127.0.0.1 (1 core each), and `skilltrack import-counts` of the
# snapshot. Prints each run and the median, and the median per million
# postings.
#
#   POSTINGS=1000000 RUNS=3 benches/spark_counts.sh
#
# Environment: POSTINGS (1000000), RUNS (3), WORKERS (2), WORKER_MEMORY (2g),
# BIN (target/release/skilltrack: build it with `cargo build --release`),
# SKILLTRACK_SPARK_VENV (the venv tests/spark/run.sh makes), LAKE (a lake to
# reuse; generated in a temporary directory when unset).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

POSTINGS=${POSTINGS:-1000000}
RUNS=${RUNS:-3}
WORKERS=${WORKERS:-2}
WORKER_MEMORY=${WORKER_MEMORY:-2g}
BIN=${BIN:-$root/target/release/skilltrack}
venv="${SKILLTRACK_SPARK_VENV:-${TMPDIR:-/tmp}/skilltrack-spark-venv}"
if [ ! -x "$venv/bin/spark-submit" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet pyspark==4.3.0
fi
SPARK_HOME=$("$venv/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
export SPARK_HOME PYSPARK_PYTHON="$venv/bin/python"
[ -x "$BIN" ] || { echo "no binary at $BIN: cargo build --release" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/skilltrack-spark-bench.XXXXXX")
# shellcheck source=scaleout/spark/local-cluster.sh
. scaleout/spark/local-cluster.sh
trap 'spark_cluster_stop; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

lake=${LAKE:-}
if [ -z "$lake" ]; then
  lake="$work/lake"
  start=$SECONDS
  python3 scaleout/gen_lake.py --out "$lake" --postings "$POSTINGS"
  echo "lake generated in $((SECONDS - start)) s"
fi
lines=$(find "$lake/raw" -name 'run=*.jsonl.gz' -exec zcat {} + | wc -l)
echo "lake: $POSTINGS postings, $lines raw lines, $(du -sh "$lake/raw" | cut -f1) gzip"

spark_cluster_start "$work" "$WORKERS" 1 "$WORKER_MEMORY"
echo "cluster: $SPARK_MASTER_URL, $WORKERS workers of 1 core"

times=()
for run in $(seq 1 "$RUNS"); do
  start=$(date +%s.%N)
  "$SPARK_HOME/bin/spark-submit" --master "$SPARK_MASTER_URL" \
    --conf spark.driver.host=127.0.0.1 --conf spark.driver.bindAddress=127.0.0.1 \
    --conf spark.driver.memory=1g --conf spark.executor.memory="$WORKER_MEMORY" \
    --conf spark.ui.enabled=false \
    --files "$BIN" scaleout/spark/skilltrack_counts.py --binary "$(basename "$BIN")" --lake "$lake" \
    >"$work/job$run.log" 2>&1 || { tail -n 30 "$work/job$run.log" >&2; exit 1; }
  end=$(date +%s.%N)
  t=$(python3 -c "print(round($end - $start, 1))")
  times+=("$t")
  echo "run $run: $t s  $(grep 'skilltrack_counts: snapshot' "$work/job$run.log")"
done
start=$(date +%s.%N)
"$BIN" --data-dir "$work/db" import-counts "$lake/counts/v1"
end=$(date +%s.%N)
echo "import-counts: $(python3 -c "print(round($end - $start, 2))") s"
python3 - "$POSTINGS" "${times[@]}" <<'EOF'
import statistics, sys
n, times = int(sys.argv[1]), [float(t) for t in sys.argv[2:]]
m = statistics.median(times)
print("spark-submit: median %.1f s over %d runs (%s) = %.1f s per million postings"
      % (m, len(times), ", ".join("%.1f" % t for t in times), m * 1e6 / n))
EOF
