#!/usr/bin/env bash
# Server CPU time per request under load: the CPU seconds a running
# `skilltrack serve` spends (utime + stime from /proc) while wrk loads one
# URL, divided by the requests wrk completed. Less sensitive than req/s to
# other work on a shared machine; alternate the binaries compared.
#
#   benches/cpu_per_request.sh PID URL [SECONDS] [CONNECTIONS]
#   # e.g. two servers on copies of one database, alternately:
#   for r in 1 2 3; do benches/cpu_per_request.sh $BEFORE_PID http://127.0.0.1:18181/healthz 5
#                      benches/cpu_per_request.sh $AFTER_PID  http://127.0.0.1:18182/healthz 5; done
#
# Needs wrk (apt-get install wrk) and bc.
set -euo pipefail
pid="$1"
url="$2"
secs="${3:-8}"
conns="${4:-32}"
tick="$(getconf CLK_TCK)"
cpu() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
before="$(cpu)"
out="$(wrk -t2 -c"$conns" -d"${secs}s" --latency "$url")"
after="$(cpu)"
requests="$(echo "$out" | awk '/requests in/ { print $1 }')"
rps="$(echo "$out" | awk '/Requests\/sec/ { print $2 }')"
p99="$(echo "$out" | awk '$1 == "99%" { print $2 }')"
per="$(echo "($after - $before) * 1000000 / $tick / $requests" | bc -l)"
printf "req/s %s  p99 %s  server CPU %.1f µs per request\n" "$rps" "$p99" "$per"
