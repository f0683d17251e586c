#!/usr/bin/env bash
# Sends one pre-encoded node_exporter-like workload, sample for sample the same, to Strata and to
# the real peers it replaces: as InfluxDB line protocol (HTTP POST /write) to Strata and InfluxDB
# 1.6, and as Graphite plaintext (TCP) to Strata and carbon-cache. One server at a time, each on
# a fresh data directory, servers alternating; prints the Strata / peer ratios (medians).
#
#   benches/ingest_compare.sh                    # both comparisons, defaults below
#   PAIRS=graphite REPEAT=1 benches/ingest_compare.sh
#
# Environment (defaults in brackets):
#   SERIES [10000]        distinct series (node_exporter hosts of ~300 series each)
#   DURATION [1h]         data time per series at 15 s: DURATION/15s samples per series
#   CONNECTIONS [4]       HTTP keep-alive connections (Influx) or TCP connections (Graphite)
#   BATCH [5000]          lines per HTTP request (InfluxDB's recommended batch) / per TCP write
#   PAIRS ["influx graphite"]   influx: Strata vs influxd; graphite: Strata vs carbon-cache
#   REPEAT [3]            runs per server (alternating); the table shows medians
#   STRATA_BIN [target/release/strata]  INFLUXD_BIN [/usr/bin/influxd]
#   CARBON_BIN [/usr/bin/carbon-cache]
#   STRATA_FLAGS []       extra Strata flags, e.g. --storage.tsdb.wal-fsync=always
#   CARBON_MAX_UPDATES [inf]  carbon MAX_UPDATES_PER_SECOND (Debian's carbon.conf says 500)
#   BUILD [1]             build strata-loadgen, and strata when its sources are newer (a failed
#                         strata build falls back to the existing binary)
#   WORK [mktemp -d]      data directories, configs, logs and results
#   KEEP [0]              keep data directories
#   COMPLETE_TIMEOUT [600s]  longest wait for a server to report every sample stored
#   SETTLE_TIMEOUT [60s]     longest wait for deferred work (until the server is idle)
#
# Apt packages: influxdb (influxd 1.6) and graphite-carbon; their system services are not used.
# Everything listens on 127.0.0.1 only. Every wait is bounded.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
SERIES=${SERIES:-10000}
DURATION=${DURATION:-1h}
CONNECTIONS=${CONNECTIONS:-4}
BATCH=${BATCH:-5000}
PAIRS=${PAIRS:-"influx graphite"}
REPEAT=${REPEAT:-3}
STRATA_BIN=${STRATA_BIN:-$ROOT/target/release/strata}
INFLUXD_BIN=${INFLUXD_BIN:-/usr/bin/influxd}
CARBON_BIN=${CARBON_BIN:-/usr/bin/carbon-cache}
STRATA_FLAGS=${STRATA_FLAGS:-}
CARBON_MAX_UPDATES=${CARBON_MAX_UPDATES:-inf}
BUILD=${BUILD:-1}
KEEP=${KEEP:-0}
COMPLETE_TIMEOUT=${COMPLETE_TIMEOUT:-600s}
SETTLE_TIMEOUT=${SETTLE_TIMEOUT:-60s}
WORK=${WORK:-$(mktemp -d /tmp/strata-ingest.XXXXXX)}
mkdir -p "$WORK"
LOADGEN=$ROOT/target/release/strata-loadgen

# shellcheck source=benches/lib.sh
source "$ROOT/benches/lib.sh"

if [[ $BUILD == 1 ]]; then
    log "building strata-loadgen"
    cargo build --release -q -p strata-loadgen
    if [[ ! -x $STRATA_BIN ]] || [[ -n $(find src compat/src remote-write/src promql/src -name '*.rs' -newer "$STRATA_BIN" 2>/dev/null | head -1) ]]; then
        log "building strata"
        cargo build --release -q --bin strata || log "strata does not build now; using the existing binary"
    fi
fi
[[ -x $STRATA_BIN ]] || { log "no $STRATA_BIN"; exit 1; }
# Others may rebuild target/release while this runs: every Strata run uses this one copy.
cp "$STRATA_BIN" "$WORK/strata"
STRATA_BIN=$WORK/strata

SERVER_PID=
stop_server() {
    stop_pid "$SERVER_PID"
    SERVER_PID=
}
trap stop_server EXIT INT TERM

# Bounded wait for a TCP port to accept connections.
wait_port() {
    local port=$1 secs=$2 i
    for i in $(seq 1 $((secs * 10))); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        kill -0 "$SERVER_PID" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# Same samples for every server: pin the data's end time once (a minute ago, on a 15 s step).
END_MS=$(( ($(date +%s) - 60) / 15 * 15 * 1000 ))
# Carbon keeps only what its retention covers, counted back from now: the data plus the run time.
case $DURATION in
*h) DURATION_S=$(( ${DURATION%h} * 3600 )) ;;
*m) DURATION_S=$(( ${DURATION%m} * 60 )) ;;
*s) DURATION_S=${DURATION%s} ;;
*) echo "DURATION must end in h, m or s" >&2; exit 2 ;;
esac
RETENTION_S=$(( DURATION_S + 4 * 3600 ))

COMMON=(--series "$SERIES" --duration "$DURATION" --connections "$CONNECTIONS" --batch "$BATCH"
    --end-ms "$END_MS" --complete-timeout "$COMPLETE_TIMEOUT" --settle-timeout "$SETTLE_TIMEOUT")

start_strata() {
    local data=$1 web=$2 graphite=$3 name=$4
    # shellcheck disable=SC2086
    "$STRATA_BIN" --storage.tsdb.path="$data" --web.listen-address="127.0.0.1:$web" \
        --graphite.listen-address="127.0.0.1:$graphite" --log.level=warn $STRATA_FLAGS \
        >"$WORK/$name.log" 2>&1 &
    SERVER_PID=$!
    "$LOADGEN" wait-ready "http://127.0.0.1:$web/-/ready" 60s
}

start_influxd() {
    local data=$1 http=$2 rpc=$3 name=$4
    # Defaults but for the paths and ports: WAL fsync on every write (wal-fsync-delay 0s), inmem
    # index. Only the self-monitoring store is off: it would write _internal every 10 s.
    cat >"$WORK/influxdb.conf" <<EOF
reporting-disabled = true
bind-address = "127.0.0.1:$rpc"
[meta]
  dir = "$data/meta"
[data]
  dir = "$data/data"
  wal-dir = "$data/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:$http"
  log-enabled = false
[continuous_queries]
  enabled = false
EOF
    "$INFLUXD_BIN" run -config "$WORK/influxdb.conf" >"$WORK/$name.log" 2>&1 &
    SERVER_PID=$!
    # Ready when it answers a query: creating the database is that query (bounded, 60 s).
    local i
    for i in $(seq 1 600); do
        curl -sf -m 5 -XPOST "http://127.0.0.1:$http/query" --data-urlencode "q=CREATE DATABASE bench" >/dev/null && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

start_carbon() {
    local data=$1 line=$2 name=$3
    mkdir -p "$data/whisper" "$data/log" "$data/conf"
    # Upstream/Debian defaults except: no user switch, loopback ports, storage in $data, no
    # throttling of creates (50/minute by default would take 3+ hours for 10000 series) or of
    # updates (CARBON_MAX_UPDATES), and LOG_UPDATES on: in the foreground carbon logs to stdout, and
    # its "[updates] wrote N datapoints" lines are the completion signal.
    cat >"$data/conf/carbon.conf" <<EOF
[cache]
STORAGE_DIR = $data/
LOCAL_DATA_DIR = $data/whisper/
WHITELISTS_DIR = $data/lists/
CONF_DIR = $data/conf/
LOG_DIR = $data/log/
PID_DIR = $data/
USER =
DATABASE = whisper
ENABLE_LOGROTATION = False
MAX_CACHE_SIZE = inf
MAX_UPDATES_PER_SECOND = $CARBON_MAX_UPDATES
MAX_CREATES_PER_MINUTE = inf
MIN_TIMESTAMP_RESOLUTION = 1
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = $line
ENABLE_UDP_LISTENER = False
PICKLE_RECEIVER_INTERFACE = 127.0.0.1
PICKLE_RECEIVER_PORT = $(free_port)
CACHE_QUERY_INTERFACE = 127.0.0.1
CACHE_QUERY_PORT = $(free_port)
USE_FLOW_CONTROL = True
LOG_UPDATES = True
LOG_CREATES = False
LOG_CACHE_HITS = False
CACHE_WRITE_STRATEGY = sorted
WHISPER_AUTOFLUSH = False
WHISPER_FALLOCATE_CREATE = True
EOF
    cat >"$data/conf/storage-schemas.conf" <<EOF
[carbon]
pattern = ^carbon\.
retentions = 60:90d

[bench]
pattern = .*
retentions = 15s:${RETENTION_S}s
EOF
    cat >"$data/conf/storage-aggregation.conf" <<EOF
[default]
pattern = .*
xFilesFactor = 0.5
aggregationMethod = average
EOF
    "$CARBON_BIN" --config="$data/conf/carbon.conf" --nodaemon --logdir="$data/log" \
        --pidfile="$data/carbon.pid" start >"$WORK/$name.log" 2>&1 &
    SERVER_PID=$!
    wait_port "$line" 60
}

run_one() {
    local pair=$1 server=$2 run=$3 data port port2 name=$2-$1 out
    data=$WORK/$name-data
    rm -rf "$data"
    mkdir -p "$data"
    port=$(free_port)
    port2=$(free_port)
    out=$WORK/$name.$run.txt
    case $server in
    strata)
        start_strata "$data" "$port" "$port2" "$name" || { log "$name did not start"; tail "$WORK/$name.log" >&2; stop_server; return 1; }
        sleep 2
        local target=http://127.0.0.1:$port/write?db=bench\&precision=s
        [[ $pair == graphite ]] && target=127.0.0.1:$port2
        log "run $run: $name (pid $SERVER_PID)"
        "$LOADGEN" ingest --proto "$pair" --server strata --target "$target" --pid "$SERVER_PID" \
            --metrics-url "http://127.0.0.1:$port/metrics" "${COMMON[@]}" --label "$name" --out "$out" >/dev/null
        ;;
    influxd)
        start_influxd "$data" "$port" "$port2" "$name" || { log "$name did not start"; tail "$WORK/$name.log" >&2; stop_server; return 1; }
        sleep 2
        log "run $run: $name (pid $SERVER_PID)"
        "$LOADGEN" ingest --proto influx --server influxdb --target "http://127.0.0.1:$port/write?db=bench&precision=s" \
            --pid "$SERVER_PID" "${COMMON[@]}" --label "$name" --out "$out" >/dev/null
        du -sb "$data/wal" "$data/data" >&2 || true
        ;;
    carbon)
        start_carbon "$data" "$port" "$name" || { log "$name did not start"; tail "$WORK/$name.log" >&2; stop_server; return 1; }
        sleep 2
        log "run $run: $name (pid $SERVER_PID)"
        "$LOADGEN" ingest --proto graphite --server carbon --target "127.0.0.1:$port" --pid "$SERVER_PID" \
            --carbon-log "$WORK/$name.log" --whisper-dir "$data/whisper" "${COMMON[@]}" --label "$name" --out "$out" >/dev/null
        ;;
    esac
    stop_server
    [[ $KEEP == 1 ]] || rm -rf "$data"
}
trap 'stop_server; [[ $KEEP == 1 ]] || rm -f "$WORK/strata"' EXIT

peer_of() { case $1 in influx) echo influxd ;; graphite) echo carbon ;; esac; }

START=$(date +%s)
for run in $(seq 1 "$REPEAT"); do
    for pair in $PAIRS; do
        # Alternate which server goes first from run to run.
        if (( run % 2 == 1 )); then order="$(peer_of "$pair") strata"; else order="strata $(peer_of "$pair")"; fi
        for s in $order; do run_one "$pair" "$s" "$run"; done
    done
done
runs() { local f=() r; for r in $(seq 1 "$REPEAT"); do f+=("$WORK/$1.$r.txt"); done; (IFS=,; echo "${f[*]}"); }

echo
echo "workload: $SERIES series x $DURATION of 15 s samples, $CONNECTIONS connections, $BATCH lines per request/write; $(nproc) cores; $REPEAT run(s) per server"
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u +%Y-%m-%dT%H:%MZ), run took $(( $(date +%s) - START )) s; results in $WORK"
for pair in $PAIRS; do
    echo
    echo "== $pair: $(peer_of "$pair") vs strata (ratio = strata / $(peer_of "$pair"))"
    "$LOADGEN" ingest-compare "$(runs "$(peer_of "$pair")-$pair")" "$(runs "strata-$pair")"
done
