#!/usr/bin/env bash
# Soak test (issue 17): a long etrace --json -o FILE traces a paced two-thread storm and a fork
# loop, while short `etrace -p` runs attach to the storm and stop every few seconds. Checks,
# and prints: the long run's RSS over time (start and end), the BPF programs/links/maps left
# after every exit (bpftool, against the counts before), and for every stop that the events
# written equal the events the kernel sent (the table's "Total events").
# usage: sudo benches/soak.sh [SECONDS]   (root; needs bpftool)   default 1800
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-1800}
E=${ETRACE:-target/release/etrace}
W=$(mktemp -d /tmp/etrace-soak.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$W"' EXIT
cc -O2 -pthread -o "$W/soak" benches/soak.c
bpf_objects() {
	for k in prog link map; do bpftool -j "$k" show | python3 -c 'import json,sys; print(len(json.load(sys.stdin)), end=" ")'; done
}
# the kernel frees a closed program after a grace period: wait (10 s at most) for the counts
# to come back to $1, and print what they are then
settle() {
	local now
	for _ in $(seq 100); do now=$(bpf_objects); [ "$now" = "$1" ] && break; sleep 0.1; done
	echo "$now"
}
# JSON syscall lines in FILE, and the "Total events" and "Total lost" of a report
lines() { grep -c '"syscall"' "$1" || true; }
total() { sed -n "s/^Total $2: //p" "$1"; }
fail=0
before=$(bpf_objects)
echo "BPF prog/link/map before: $before"
"$E" --json -o "$W/long.json" -- sh -c "$W/soak 25 & while :; do /bin/true; sleep 0.2; done" \
	2>"$W/long.err" &
LONG=$!
sleep 3
storm=$(pgrep -n -f "$W/soak 25")
with_long=$(bpf_objects)
rss() { awk '/VmRSS/ {print $2}' /proc/$LONG/status; }
rss_start=$(rss)
echo "long etrace pid $LONG, storm pid $storm, RSS at start ${rss_start} KiB; BPF with it: $with_long"
start=$(date +%s)
n=0
next_rss=$((start + 60))
while [ $(($(date +%s) - start)) -lt "$SECS" ]; do
	n=$((n + 1))
	out="$W/p$n.json"
	"$E" -p "$storm" --json -o "$out" 2>"$W/p.err" &
	p=$!
	sleep 2
	kill -INT $p
	wait $p || { echo "short run $n exited $?"; cat "$W/p.err"; fail=1; }
	sent=$(total "$W/p.err" events); written=$(lines "$out")
	if [ "$sent" != "$written" ]; then
		echo "short run $n: sent $sent, written $written (lost $(total "$W/p.err" lost))"; fail=1
	fi
	rm -f "$out"
	now=$(settle "$with_long")
	if [ "$now" != "$with_long" ]; then echo "after short run $n: BPF $now, expected $with_long"; fail=1; fi
	if [ "$(date +%s)" -ge "$next_rss" ]; then
		echo "$(($(date +%s) - start)) s: long RSS $(rss) KiB, $n short runs, last: sent $sent written $written"
		next_rss=$((next_rss + 60))
	fi
	sleep 1
done
rss_end=$(rss)
kill -TERM $LONG
wait $LONG || code=$?
echo "long run exit status ${code:-0} (143 expected: stopped by SIGTERM)"
sent=$(total "$W/long.err" events); written=$(lines "$W/long.json")
echo "long run: sent $sent, written $written, lost $(total "$W/long.err" lost); RSS start ${rss_start} KiB, end ${rss_end} KiB"
[ "$sent" = "$written" ] || fail=1
after=$(settle "$before")
echo "BPF prog/link/map after: $after (before: $before); short runs: $n"
[ "$after" = "$before" ] || fail=1
pkill -f "$W/soak" || true
[ $fail = 0 ] && echo "soak: PASS" || { echo "soak: FAIL"; exit 1; }
