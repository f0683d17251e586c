#!/usr/bin/env bash
# Records a real node_exporter workload for `RECORDING=OUT.json benches/compare.sh`: starts
# prometheus-node-exporter (default collectors) and Prometheus scraping it every 15 s (job "node")
# on free loopback ports with a temporary data directory, waits DURATION, then saves the answer of
# `{job="node"}[DURATION]` (every sample of every series, as the query API returns them).
#
#   benches/record_node.sh 2h20m /tmp/node-2h20m.json
#
# A 2h20m recording started a little before an even UTC hour holds one full 2 h block: the
# replay moves data by multiples of 2 h, so block boundaries stay where they were when recorded.
#
# Environment (defaults in brackets):
#   PROMETHEUS_BIN [/usr/bin/prometheus]   NODE_EXPORTER_BIN [prometheus-node-exporter]
#   WORK [mktemp -d]     data directory, config and logs (removed afterwards unless KEEP=1)
#   KEEP [0]
#
# Everything listens on 127.0.0.1 only. Every wait is bounded.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 DURATION OUT.json   (DURATION like 2h20m, 30m, 90s)" >&2
    exit 2
fi
DURATION=$1
OUT=$2
PROMETHEUS_BIN=${PROMETHEUS_BIN:-/usr/bin/prometheus}
NODE_EXPORTER_BIN=${NODE_EXPORTER_BIN:-prometheus-node-exporter}
KEEP=${KEEP:-0}
WORK=${WORK:-$(mktemp -d /tmp/strata-record.XXXXXX)}
mkdir -p "$WORK"

# shellcheck source=benches/lib.sh
source "$(dirname "$0")/lib.sh"

# DURATION in seconds: a sequence of <number><h|m|s>, as PromQL writes range durations.
duration_seconds() {
    local rest=$1 total=0
    [[ $rest =~ ^([0-9]+[hms])+$ ]] || return 1
    while [[ $rest =~ ^([0-9]+)([hms])(.*)$ ]]; do
        case ${BASH_REMATCH[2]} in
        h) total=$((total + BASH_REMATCH[1] * 3600)) ;;
        m) total=$((total + BASH_REMATCH[1] * 60)) ;;
        s) total=$((total + BASH_REMATCH[1])) ;;
        esac
        rest=${BASH_REMATCH[3]}
    done
    echo "$total"
}
SECONDS_TOTAL=$(duration_seconds "$DURATION") || { echo "bad DURATION $DURATION (want e.g. 2h20m)" >&2; exit 2; }
((SECONDS_TOTAL > 0)) || { echo "DURATION must be positive" >&2; exit 2; }
command -v "$NODE_EXPORTER_BIN" >/dev/null || { echo "no $NODE_EXPORTER_BIN" >&2; exit 2; }
[[ -x $PROMETHEUS_BIN ]] || { echo "no $PROMETHEUS_BIN" >&2; exit 2; }

PROM_PID=
NODE_PID=
cleanup() {
    stop_pid "$PROM_PID"
    PROM_PID=
    stop_pid "$NODE_PID"
    NODE_PID=
    if [[ $KEEP != 1 ]]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Polls URL until it answers 200, at most $2 seconds.
wait_ready() {
    local url=$1 limit=$2
    for _ in $(seq 1 $((limit * 10))); do
        if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    return 1
}

NODE_PORT=$(free_port)
"$NODE_EXPORTER_BIN" --web.listen-address="127.0.0.1:$NODE_PORT" >"$WORK/node_exporter.log" 2>&1 &
NODE_PID=$!
wait_ready "http://127.0.0.1:$NODE_PORT/metrics" 30 || { log "node_exporter did not start; log:"; tail -20 "$WORK/node_exporter.log" >&2; exit 1; }

PROM_PORT=$(free_port)
cat >"$WORK/prometheus.yml" <<EOF
global:
  scrape_interval: 15s
  scrape_timeout: 10s
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ["127.0.0.1:$NODE_PORT"]
EOF
"$PROMETHEUS_BIN" --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/data" \
    --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$WORK/prometheus.log" 2>&1 &
PROM_PID=$!
PROM=http://127.0.0.1:$PROM_PORT
wait_ready "$PROM/-/ready" 60 || { log "prometheus did not become ready; log:"; tail -20 "$WORK/prometheus.log" >&2; exit 1; }

START=$(date +%s)
log "recording node_exporter 127.0.0.1:$NODE_PORT (pid $NODE_PID) with prometheus $PROM (pid $PROM_PID) for $DURATION; work dir $WORK"
NEXT_PROGRESS=$((START + 600))
while :; do
    now=$(date +%s)
    ((now - START < SECONDS_TOTAL)) || break
    kill -0 "$PROM_PID" 2>/dev/null || { log "prometheus exited; log:"; tail -20 "$WORK/prometheus.log" >&2; exit 1; }
    kill -0 "$NODE_PID" 2>/dev/null || { log "node_exporter exited; log:"; tail -20 "$WORK/node_exporter.log" >&2; exit 1; }
    if ((now >= NEXT_PROGRESS)); then
        series=$(curl -fsS --max-time 10 -G "$PROM/api/v1/query" --data-urlencode 'query=count({job="node"})' 2>/dev/null |
            grep -o '"value":\[[^]]*\]' || echo '?')
        log "$(((now - START) / 60)) of $((SECONDS_TOTAL / 60)) min recorded; series now: $series"
        NEXT_PROGRESS=$((NEXT_PROGRESS + 600))
    fi
    sleep $((SECONDS_TOTAL - (now - START) < 5 ? SECONDS_TOTAL - (now - START) : 5))
done

TMP_OUT=$WORK/recording.json
curl -fsS --max-time 300 -G "$PROM/api/v1/query" --data-urlencode "query={job=\"node\"}[$DURATION]" -o "$TMP_OUT" ||
    { log "query failed"; exit 1; }
if ! grep -q '"status":"success"' "$TMP_OUT" || ! grep -q '"values":\[\[' "$TMP_OUT"; then
    log "unexpected answer: $(head -c 300 "$TMP_OUT")"
    exit 1
fi
mv "$TMP_OUT" "$OUT"
stats=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["data"]["result"]; print(len(r), "series,", sum(len(s["values"]) for s in r), "samples")' "$OUT" 2>/dev/null || echo "$(wc -c <"$OUT") bytes")
log "wrote $OUT: $stats"
