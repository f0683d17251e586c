#!/usr/bin/env bash
# Runs one pre-encoded node_exporter-like remote write workload against Prometheus and Strata,
# one server at a time, each on a fresh data directory, and prints the ratios Strata / Prometheus.
#
#   benches/compare.sh                       # both servers, defaults below
#   SERVERS=prometheus benches/compare.sh    # prove the harness against Prometheus alone
#   RECORDING=node.json benches/compare.sh   # real node_exporter data (benches/record_node.sh)
#
# Environment (defaults in brackets):
#   SERIES [10000]       distinct active series (node_exporter hosts of ~300 series each)
#   DURATION [6h]        data time per series, 15 s scrapes: DURATION/15s samples per series
#   RECORDING []         replay this recording instead (SERIES and DURATION are then unused):
#                        HOSTS copies of the recorded host, moved by a multiple of 2 h to end
#                        before now; one extra sample afterwards makes both servers cut the
#                        last full 2 h block of the data (see strata-loadgen --advance-blocks)
#   HOSTS [20]           with RECORDING: replayed hosts
#   BLOCK [2h]           --storage.tsdb.min-block-duration = max-block-duration for both servers
#   CONNECTIONS [4]      keep-alive connections (Prometheus queue shards)
#   SERVERS ["prometheus strata"]
#   REPEAT [3]           runs per server (alternating servers); the table shows medians
#   PROMETHEUS_BIN [/usr/bin/prometheus]   STRATA_BIN [target/release/strata]
#   BUILD [1]            build strata-loadgen (and strata, if its sources are wired) first
#   WORK [mktemp -d]     where data directories, logs and results go
#   KEEP [0]             keep data directories after the run
#   SETTLE [15s] BLOCK_TIMEOUT [240s]   how long to wait for blocks to be cut
#
# Everything listens on 127.0.0.1 only. Every wait is bounded.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
SERIES=${SERIES:-10000}
DURATION=${DURATION:-6h}
RECORDING=${RECORDING:-}
HOSTS=${HOSTS:-20}
BLOCK=${BLOCK:-2h}
CONNECTIONS=${CONNECTIONS:-4}
SERVERS=${SERVERS:-"prometheus strata"}
REPEAT=${REPEAT:-3}
PROMETHEUS_BIN=${PROMETHEUS_BIN:-/usr/bin/prometheus}
STRATA_BIN=${STRATA_BIN:-$ROOT/target/release/strata}
BUILD=${BUILD:-1}
KEEP=${KEEP:-0}
SETTLE=${SETTLE:-15s}
BLOCK_TIMEOUT=${BLOCK_TIMEOUT:-240s}
WORK=${WORK:-$(mktemp -d /tmp/strata-compare.XXXXXX)}
mkdir -p "$WORK"
LOADGEN=$ROOT/target/release/strata-loadgen
if [[ -n $RECORDING ]]; then
    [[ -r $RECORDING ]] || { echo "RECORDING=$RECORDING is not a readable file" >&2; exit 2; }
    RECORDING=$(realpath "$RECORDING")
    WORKLOAD_ARGS=(--recording "$RECORDING" --hosts "$HOSTS")
    WORKLOAD="recording $RECORDING replayed as $HOSTS hosts"
else
    WORKLOAD_ARGS=(--series "$SERIES" --duration "$DURATION")
    WORKLOAD="$SERIES series x $DURATION"
fi

# shellcheck source=benches/lib.sh
source "$ROOT/benches/lib.sh"

if [[ $BUILD == 1 ]]; then
    log "building strata-loadgen"
    cargo build --release -q -p strata-loadgen
    if [[ " $SERVERS " == *" strata "* ]]; then
        log "building strata"
        cargo build --release -q --bin strata || { log "strata does not build; comparing Prometheus alone"; SERVERS=prometheus; }
    fi
fi
if [[ " $SERVERS " == *" strata "* && ! -x $STRATA_BIN ]]; then
    log "no $STRATA_BIN; comparing Prometheus alone"
    SERVERS=prometheus
fi

SERVER_PID=
stop_server() {
    stop_pid "$SERVER_PID"
    SERVER_PID=
}
trap stop_server EXIT INT TERM

# Same payloads for every server: pin the data's end time once.
END_MS=$(( ($(date +%s) - 60) / 15 * 15 * 1000 ))

run_one() {
    local name=$1 run=$2 port data ready
    port=$(free_port)
    data=$WORK/$name-data
    rm -rf "$data"
    mkdir -p "$data"
    # Neither server scrapes anything (Strata's embedded default config would scrape itself,
    # which adds samples at the current time and moves its head's maxt, and so its block cuts).
    cat >"$WORK/prometheus.yml" <<EOF
global:
  scrape_interval: 15s
scrape_configs: []
EOF
    case $name in
    prometheus)
        "$PROMETHEUS_BIN" --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$data" \
            --web.listen-address="127.0.0.1:$port" --web.enable-remote-write-receiver \
            --storage.tsdb.min-block-duration="$BLOCK" --storage.tsdb.max-block-duration="$BLOCK" \
            --log.level=warn >"$WORK/$name.log" 2>&1 &
        ;;
    strata)
        "$STRATA_BIN" --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$data" \
            --web.listen-address="127.0.0.1:$port" --graphite.listen-address= \
            --storage.tsdb.min-block-duration="$BLOCK" --storage.tsdb.max-block-duration="$BLOCK" \
            --log.level=warn >"$WORK/$name.log" 2>&1 &
        ;;
    esac
    SERVER_PID=$!
    ready=http://127.0.0.1:$port/-/ready
    "$LOADGEN" wait-ready "$ready" 60s || { log "$name did not become ready; log:"; tail -20 "$WORK/$name.log" >&2; stop_server; return 1; }
    sleep 2 # let start-up work finish before the idle RSS and CPU readings
    log "run $run: $name (pid $SERVER_PID) ready on 127.0.0.1:$port; sending $WORKLOAD"
    "$LOADGEN" run --url "http://127.0.0.1:$port/api/v1/write" --pid "$SERVER_PID" --data-dir "$data" \
        "${WORKLOAD_ARGS[@]}" --connections "$CONNECTIONS" --end-ms "$END_MS" \
        --settle "$SETTLE" --block-timeout "$BLOCK_TIMEOUT" --label "$name" --out "$WORK/$name.$run.txt" >/dev/null
    stop_server
    [[ $KEEP == 1 ]] || rm -rf "$data"
}

START=$(date +%s)
for run in $(seq 1 "$REPEAT"); do
    for s in $SERVERS; do
        run_one "$s" "$run"
    done
done
runs() { local f=() r; for r in $(seq 1 "$REPEAT"); do f+=("$WORK/$1.$r.txt"); done; (IFS=,; echo "${f[*]}"); }

echo
echo "workload: $WORKLOAD of 15 s scrapes, $CONNECTIONS connections, blocks of $BLOCK; $(nproc) cores; $REPEAT run(s) per server"
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u +%Y-%m-%dT%H:%MZ), run took $(( $(date +%s) - START )) s; results in $WORK"
echo
if [[ " $SERVERS " == *" prometheus "* && " $SERVERS " == *" strata "* ]]; then
    "$LOADGEN" compare "$(runs prometheus)" "$(runs strata)"
else
    for s in $SERVERS; do for r in $(seq 1 "$REPEAT"); do echo "== $s, run $r"; cat "$WORK/$s.$r.txt"; done; done
fi
