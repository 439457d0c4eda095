#!/usr/bin/env bash
# The Spark test of issue 20: a standalone Spark cluster on 127.0.0.1 (a
# master and two workers started with spark-class; the PyPI wheel has no
# sbin/start-*.sh), the job scaleout/spark/skilltrack_counts.py over a
# generated lake (cross-source duplicates, changed postings, re-sightings,
# shards, duplicated lines, a repeated run file, a few bad lines), the
# snapshot loaded with `import-counts`, and the API's trends of that database
# compared with those of a single-machine database of the same postings
# (`skilltrack import` of each posting's final state). Then the same job with
# one executor SIGKILLed mid-job: identical counts. Then a lake with too many
# bad lines: the job fails with a summary and writes nothing.
#
# Needs java (17 or later: installed with apt-get when missing and run as
# root; skipped with a message, status 0, only when it cannot be had) and
# python3. pyspark comes from PyPI, pinned, in a cached venv
# ($SKILLTRACK_SPARK_VENV, default $TMPDIR/skilltrack-spark-venv). Uses the
# debug binary `cargo test` built (built here when missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

PYSPARK_VERSION=4.3.0
POSTINGS=${SKILLTRACK_SPARK_POSTINGS:-4000}

if ! command -v java >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== apt-get install openjdk-17-jre-headless"
    apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null || true
  fi
  if ! command -v java >/dev/null 2>&1; then
    echo "SKIPPED tests/spark/run.sh: java is missing and could not be installed (apt-get install openjdk-17-jre-headless)"
    exit 0
  fi
fi

venv="${SKILLTRACK_SPARK_VENV:-${TMPDIR:-/tmp}/skilltrack-spark-venv}"
if ! "$venv/bin/python" -c "import pyspark, sys; sys.exit(pyspark.__version__ != '$PYSPARK_VERSION')" 2>/dev/null; then
  echo "== pip install pyspark==$PYSPARK_VERSION into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "pyspark==$PYSPARK_VERSION"
fi
SPARK_HOME=$("$venv/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
export SPARK_HOME
export PYSPARK_PYTHON="$venv/bin/python" PYSPARK_DRIVER_PYTHON="$venv/bin/python"
export SPARK_LOCAL_IP=127.0.0.1 SPARK_LOCAL_HOSTNAME=localhost

bin="$root/target/debug/skilltrack"
if [ ! -x "$bin" ]; then
  cargo build --quiet
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/skilltrack-spark.XXXXXX")
pids=()
# shellcheck source=scaleout/spark/local-cluster.sh
. scaleout/spark/local-cluster.sh
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  spark_cluster_stop
  if [ "$status" != 0 ]; then
    echo "-- logs in $work (kept)" >&2
    tail -n 30 "$work"/*.log >&2 || true
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap "exit 130" INT TERM

# -- the cluster
if ! spark_cluster_start "$work" 2; then
  echo "FAIL: the Spark cluster did not start" >&2
  exit 1
fi
master=$SPARK_MASTER_URL
echo "== cluster: $master, 2 workers"

# The job; `exec`, so that run in the background ($!) its pid is the driver's.
# Called as `submit … &` or in a subshell: `(submit …)`.
submit() {
  exec "$SPARK_HOME/bin/spark-submit" --master "$master" \
    --conf spark.driver.host=127.0.0.1 --conf spark.driver.bindAddress=127.0.0.1 \
    --conf spark.driver.memory=768m --conf spark.executor.memory=768m \
    --conf spark.sql.shuffle.partitions=4 --conf spark.ui.enabled=false \
    --files "$bin" \
    "$root/scaleout/spark/skilltrack_counts.py" "$@"
}

# -- the lake and the single-machine reference
python3 scaleout/gen_lake.py --out "$work/lake" --postings "$POSTINGS" --bad-lines 6 \
  --oracle "$work/final.jsonl"
"$bin" --data-dir "$work/reference" import "$work/final.jsonl" >/dev/null

served_url=""
serve() { # serve DB LOG: starts `skilltrack serve`, sets served_url
  "$bin" --data-dir "$1" serve --bind 127.0.0.1:0 --no-schedule >"$2" 2>&1 &
  pids+=($!)
  served_url=""
  for _ in $(seq 1 300); do
    served_url=$(sed -n 's/.*serving on \(http:[^ ]*\).*/\1/p' "$2" | head -n 1)
    [ -n "$served_url" ] && return 0
    sleep 0.1
  done
  echo "FAIL: skilltrack serve did not start ($2)" >&2
  exit 1
}
stop_last() {
  local last=${pids[-1]}
  kill "$last"
  wait "$last" 2>/dev/null || true
  unset 'pids[-1]'
}
counts_dir="$work/lake/counts/v1"
table() { # the current snapshot's count table, sorted
  local id
  id=$(cat "$counts_dir/_CURRENT")
  cat "$counts_dir/snapshot=$id"/tsv/part-* | LC_ALL=C sort
}

serve "$work/reference" "$work/serve-reference.log"
reference_url=$served_url

# -- 1. the job, import-counts, the API
echo "== spark-submit skilltrack_counts.py (2 executors)"
(submit --lake "$work/lake") >"$work/job1.log" 2>&1 || { echo "FAIL: the job failed" >&2; tail -n 40 "$work/job1.log" >&2; exit 1; }
grep "skilltrack_counts: snapshot" "$work/job1.log"
first=$(cat "$counts_dir/_CURRENT")
python3 - "$counts_dir/snapshot=$first/manifest.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
assert m["error_rows"] == 6, m
assert m["rows"] > 0 and m["postings"] > 0 and m["parts"], m
assert len(m["taxonomy_fingerprint"]) == 16 and m["count_rules"]["dedup_window_days"] == 60, m
EOF
test -n "$(ls "$counts_dir/snapshot=$first/csv/"part-*)"
table >"$work/table1.tsv"
"$bin" --data-dir "$work/cluster" import-counts "$counts_dir"
"$bin" --data-dir "$work/cluster" import-counts "$counts_dir" | grep -q "nothing to do"
serve "$work/cluster" "$work/serve-cluster.log"
"$venv/bin/python" tests/spark/compare_api.py "$reference_url" "$served_url"
stop_last

# -- 2. the same with an executor SIGKILLed mid-job
echo "== spark-submit again, one executor SIGKILLed during reduce-postings"
submit --lake "$work/lake" --stage-delay 3 >"$work/job2.log" 2>&1 &
job=$!
pids+=("$job")
victim=""
deadline=$((SECONDS + 300))
while [ "$SECONDS" -lt "$deadline" ]; do
  stage=$(pgrep -f "skilltrack batch reduce-postings" | head -n 1 || true)
  if [ -n "$stage" ]; then
    pid=$stage
    while [ -n "$pid" ] && [ "$pid" != 1 ]; do
      if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q CoarseGrainedExecutorBackend; then
        victim=$pid
        break
      fi
      pid=$(awk '{print $4}' "/proc/$pid/stat" 2>/dev/null || true)
    done
    [ -n "$victim" ] && break
  fi
  sleep 0.2
done
if [ -z "$victim" ]; then
  echo "FAIL: no executor running reduce-postings was found" >&2
  exit 1
fi
kill -KILL "$victim"
echo "   killed executor pid $victim"
if ! wait "$job"; then
  echo "FAIL: the job did not survive the lost executor" >&2
  tail -n 40 "$work/job2.log" >&2
  exit 1
fi
unset 'pids[-1]'
grep -q -i "lost executor\|executor.*exited\|ExecutorLost\|Removing executor" "$work/job2.log" \
  || { echo "FAIL: the job log does not show the lost executor" >&2; exit 1; }
second=$(cat "$counts_dir/_CURRENT")
[ "$second" != "$first" ] || { echo "FAIL: _CURRENT was not flipped" >&2; exit 1; }
table >"$work/table2.tsv"
cmp "$work/table1.tsv" "$work/table2.tsv" || { echo "FAIL: counts differ after the lost executor" >&2; exit 1; }
"$bin" --data-dir "$work/cluster" import-counts "$counts_dir"
serve "$work/cluster" "$work/serve-cluster2.log"
"$venv/bin/python" tests/spark/compare_api.py "$reference_url" "$served_url"
stop_last

# -- 3. too many bad lines: a summary, no snapshot
echo "== spark-submit on a lake with 2 % bad lines"
cp -r "$work/lake/raw" "$work/bad-lake-raw"
mkdir -p "$work/bad-lake" && mv "$work/bad-lake-raw" "$work/bad-lake/raw"
lines=$(find "$work/lake/raw" -name 'run=*.jsonl.gz' -exec zcat {} + | wc -l)
python3 scaleout/gen_lake.py --out "$work/bad-lake-extra" --postings 1 --bad-lines $((lines / 50)) >/dev/null
cp "$work/bad-lake-extra/raw/v1/day=2026-01-01/source=board-a/"run=*badbad00.jsonl.gz \
  "$work/bad-lake/raw/v1/day=2026-01-01/source=board-a/run=20260101T235959Z-s0of1-badbad01.jsonl.gz"
if (submit --lake "$work/bad-lake") >"$work/job3.log" 2>&1; then
  echo "FAIL: the job succeeded over 2 % of bad lines" >&2
  exit 1
fi
grep -q "Error rows by message:" "$work/job3.log" && grep -q 'missing \\"fetched\\"' "$work/job3.log" \
  || { echo "FAIL: no error summary" >&2; tail -n 30 "$work/job3.log" >&2; exit 1; }
grep -A3 "error rows for" "$work/job3.log" | head -n 4
[ ! -e "$work/bad-lake/counts/v1/_CURRENT" ] || { echo "FAIL: a snapshot was published" >&2; exit 1; }

echo "tests/spark/run.sh: ok"
