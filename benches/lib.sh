# Shell helpers shared by the benchmark scripts in benches/ (sourced, not run).

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# A free loopback port: ask the kernel, fall back to a probe of a random range.
free_port() {
    if command -v python3 >/dev/null; then
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
        return
    fi
    local p
    for _ in $(seq 1 50); do
        p=$((20000 + RANDOM % 20000))
        if ! ss -ltn | grep -q ":$p "; then echo "$p"; return; fi
    done
    return 1
}

# Stops process PID: TERM, up to 15 s for it to exit, then KILL; reaps it. No PID: nothing.
stop_pid() {
    local pid=$1
    [[ -n $pid ]] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}
