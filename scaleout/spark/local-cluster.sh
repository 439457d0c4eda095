# A Spark standalone cluster on 127.0.0.1 for tests and measurements: a
# master and N workers started with spark-class (the PyPI wheel of pyspark
# has no sbin/start-*.sh). Source it from bash, with SPARK_HOME set:
#
#   . scaleout/spark/local-cluster.sh
#   spark_cluster_start "$workdir" 2        # 2 workers, 1 core and 1 GiB each
#   spark-submit --master "$SPARK_MASTER_URL" …
#   spark_cluster_stop                      # also fine from an EXIT trap
#
# Logs: $workdir/master.log, $workdir/workerI.log.

SPARK_CLUSTER_PIDS=()

spark_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# spark_cluster_start WORKDIR WORKERS [CORES_PER_WORKER] [MEMORY_PER_WORKER]
spark_cluster_start() {
  local dir=$1 workers=$2 cores=${3:-1} memory=${4:-1g}
  export SPARK_LOCAL_IP=127.0.0.1 SPARK_LOCAL_HOSTNAME=localhost
  local port ui i
  port=$(spark_free_port)
  ui=$(spark_free_port)
  SPARK_MASTER_URL="spark://127.0.0.1:$port"
  SPARK_MASTER_UI="http://127.0.0.1:$ui"
  "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.master.Master \
    --host 127.0.0.1 --port "$port" --webui-port "$ui" >"$dir/master.log" 2>&1 &
  SPARK_CLUSTER_PIDS+=($!)
  for i in $(seq 1 "$workers"); do
    "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.worker.Worker \
      --host 127.0.0.1 --cores "$cores" --memory "$memory" --webui-port "$(spark_free_port)" \
      --work-dir "$dir/worker$i" "$SPARK_MASTER_URL" >"$dir/worker$i.log" 2>&1 &
    SPARK_CLUSTER_PIDS+=($!)
  done
  # Up to two minutes for every worker to register (JVMs start slowly on a
  # busy machine).
  local alive=0 deadline=$((SECONDS + 120))
  while [ "$SECONDS" -lt "$deadline" ]; do
    alive=$(python3 - "$SPARK_MASTER_UI" <<'EOF' 2>/dev/null || echo 0
import json, sys, urllib.request
state = json.load(urllib.request.urlopen(sys.argv[1] + "/json/", timeout=2))
print(sum(1 for w in state.get("workers", []) if w.get("state") == "ALIVE"))
EOF
)
    [ "$alive" = "$workers" ] && return 0
    sleep 0.5
  done
  echo "spark_cluster_start: $alive of $workers workers registered with $SPARK_MASTER_URL" >&2
  return 1
}

spark_cluster_stop() {
  local pid
  for pid in "${SPARK_CLUSTER_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${SPARK_CLUSTER_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  SPARK_CLUSTER_PIDS=()
}
