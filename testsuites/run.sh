#!/usr/bin/env bash
# Peer suites: Strata against real Prometheus, promtool, exporters, Alertmanager, collectd, influx.
#
#   testsuites/run.sh [--no-build] [SUITE...]
#   SUITE: promqltest, openmetrics_conformance, compliance, promtool_compat, rules_check_compat,
#          e2e_graphite, e2e_influx, e2e_scrape, e2e_alerting, e2e_remote_write, crash
#          (default: all, in that order)
# Installs prometheus, prometheus-node-exporter, prometheus-pushgateway, prometheus-alertmanager,
# collectd-core and influxdb-client with apt-get if missing (needs root or passwordless sudo),
# builds the release binaries, runs each suite under a time limit, ends with "N passed, M failed";
# exit status non-zero if any failed. Settings from the environment (top of each src/bin/*.rs):
# E2E_DURATION, E2E_SCRAPE_DURATION, E2E_SCRAPE_INTERVAL, E2E_SCRAPE_LIMIT, E2E_ALERTING_LIMIT,
# CRASH_KILLS, CRASH_SEED, COMPLIANCE_HOURS, COMPLIANCE_FILTER, COMPLIANCE_ALLOW_FAILURES,
# PROMTOOL_COMPAT_HOURS, PROMQLTEST_DIR, OPENMETRICS_TESTS_DIR, GRAPHITE_WAIT, RECEIVER=prometheus
# (harness self-test), STRATA_BIN, PROMETHEUS_BIN, PROMTOOL_BIN, NODE_EXPORTER_BIN, PUSHGATEWAY_BIN,
# ALERTMANAGER_BIN, COLLECTD_BIN, INFLUX_BIN, KEEP_TMP=1; SUITE_TIMEOUT (20m).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

build=1
suites=()
for arg in "$@"; do
    case "$arg" in
        --no-build) build=0 ;;
        -h | --help) sed -n '2,16p' "$0"; exit 0 ;;
        -*) echo "run.sh: unknown option $arg" >&2; exit 2 ;;
        *) suites+=("$arg") ;;
    esac
done
[ ${#suites[@]} -gt 0 ] || suites=(promqltest openmetrics_conformance compliance promtool_compat rules_check_compat e2e_graphite e2e_influx e2e_scrape e2e_alerting e2e_remote_write crash)

log() { echo "== run.sh: $*"; }

# --- peers --------------------------------------------------------------------------------------
missing=()
[ -x "${PROMETHEUS_BIN:-/usr/bin/prometheus}" ] || missing+=(prometheus)
[ -x "${NODE_EXPORTER_BIN:-/usr/bin/prometheus-node-exporter}" ] || missing+=(prometheus-node-exporter)
[ -x "${PUSHGATEWAY_BIN:-/usr/bin/prometheus-pushgateway}" ] || missing+=(prometheus-pushgateway)
[ -x "${ALERTMANAGER_BIN:-/usr/bin/prometheus-alertmanager}" ] || missing+=(prometheus-alertmanager)
[ -x "${COLLECTD_BIN:-/usr/sbin/collectd}" ] || missing+=(collectd-core)
[ -x "${INFLUX_BIN:-/usr/bin/influx}" ] || missing+=(influxdb-client)
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    SUDO=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=(sudo -n); else
            echo "run.sh: ${missing[*]} missing and not root: install them or set PROMETHEUS_BIN/NODE_EXPORTER_BIN/PUSHGATEWAY_BIN/ALERTMANAGER_BIN" >&2
            exit 1
        fi
    fi
    # Keep the packages' init scripts from starting system daemons on :9090/:9100: the suites start
    # their own instances. Only add a policy-rc.d if the machine has none, and remove it after.
    policy_added=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
        "${SUDO[@]}" chmod 755 /usr/sbin/policy-rc.d
        policy_added=1
    fi
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    [ "$policy_added" -eq 0 ] || "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d
fi
"${PROMETHEUS_BIN:-/usr/bin/prometheus}" --version 2>&1 | head -1
"${NODE_EXPORTER_BIN:-/usr/bin/prometheus-node-exporter}" --version 2>&1 | head -1
"${PUSHGATEWAY_BIN:-/usr/bin/prometheus-pushgateway}" --version 2>&1 | head -1
"${ALERTMANAGER_BIN:-/usr/bin/prometheus-alertmanager}" --version 2>&1 | head -1
"${COLLECTD_BIN:-/usr/sbin/collectd}" -h 2>&1 | head -1 || true
"${INFLUX_BIN:-/usr/bin/influx}" -version 2>&1 | head -1 || true

# --- build --------------------------------------------------------------------------------------
if [ "$build" -eq 1 ]; then
    log "cargo build --release --workspace --bins"
    cargo build --release --workspace --bins
fi
export STRATA_BIN="${STRATA_BIN:-$ROOT/target/release/strata}"

# --- suites -------------------------------------------------------------------------------------
passed=0
failed=0
results=()
for suite in "${suites[@]}"; do
    bin="$ROOT/target/release/$suite"
    if [ ! -x "$bin" ]; then
        log "$suite: no binary at $bin"
        failed=$((failed + 1)); results+=("FAIL $suite (not built)")
        continue
    fi
    log "$suite"
    start=$(date +%s)
    # timeout runs the suite in its own process group and signals the whole group, so peers the
    # suite started die with it even if the suite itself cannot clean up.
    set +e
    timeout --kill-after=30s "${SUITE_TIMEOUT:-20m}" "$bin"
    rc=$?
    set -e
    secs=$(( $(date +%s) - start ))
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1)); results+=("PASS $suite (${secs}s)")
    else
        [ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || log "$suite timed out after ${SUITE_TIMEOUT:-20m}"
        failed=$((failed + 1)); results+=("FAIL $suite (exit $rc, ${secs}s)")
    fi
done

echo
for r in "${results[@]}"; do echo "  $r"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
