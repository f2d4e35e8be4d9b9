#!/usr/bin/env bash
# rss.sh [SECONDS] [ETRACE ARGS...]: etrace's resident memory over a long syscall storm. etrace
# traces comm dd (by default --json --stdout to /dev/null: decoding and rendering every event)
# while dd copies byte by byte for SECONDS (default 600); prints etrace's VmRSS and VmHWM every
# 30 s, and its events and losses at the end. Root; after `cargo build --release`.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-600}
shift || true
[ $# -gt 0 ] || set -- --json --stdout
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
target/release/etrace --comm dd -l debug "$@" > /dev/null 2> "$W/err" &
pid=$!
until grep -q "Tracing started" "$W/err" 2> /dev/null; do sleep 0.05; done
timeout "$SECS" dd if=/dev/zero of=/dev/null bs=1 count=100000000000 2> /dev/null &
dd=$!
start=$(date +%s)
while kill -0 "$dd" 2> /dev/null; do
    sleep 30
    kill -0 "$pid" 2> /dev/null || break
    printf "%4d s  %s  %s\n" $(( $(date +%s) - start )) \
        "$(grep VmRSS /proc/$pid/status | tr -s ' \t' ' ')" "$(grep VmHWM /proc/$pid/status | tr -s ' \t' ' ')"
done
wait "$dd" || true
kill -INT "$pid"
wait "$pid" || true
grep -E "Total events|Total lost|peak RSS" "$W/err" || true
