#!/usr/bin/env bash
# Soak test (issue 17): a long etrace --json -o FILE traces a paced two-thread storm and a fork
# loop, while short `etrace -p` runs attach to the storm and stop every few seconds. Checks,
# and prints: the long run's RSS over time (start and end), that every BPF program, link and
# map an etrace held (its fds' /proc fdinfo ids) is gone after it exits (bpftool; other BPF
# users on the machine do not disturb the check), and for every stop that the events written
# equal the events the kernel sent (the table's "Total events").
# usage: sudo benches/soak.sh [SECONDS]   (root; needs bpftool)   default 1800
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-1800}
E=${ETRACE:-target/release/etrace}
W=$(mktemp -d /tmp/etrace-soak.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$W"' EXIT
cc -O2 -pthread -o "$W/soak" benches/soak.c
bpf_objects() {
	for k in prog link map; do bpftool -j "$k" show | python3 -c 'import json,sys; print(len(json.load(sys.stdin)), end=" ")'; done
}
# the ids of the BPF programs, maps and links process $1 holds, one `kind_id: N` a line
held() { cat /proc/"$1"/fdinfo/* 2>/dev/null | grep -E '^(prog|map|link)_id:' | tr -d '\t ' | sort -u; }
# the ids of every BPF object loaded now, in the same form
loaded() {
	for k in prog link map; do
		bpftool -j "$k" show | python3 -c "import json,sys; [print('${k}_id:%d' % o['id']) for o in json.load(sys.stdin)]"
	done | sort -u
}
# the kernel frees a closed program after a grace period: wait (10 s at most) until none of the
# objects in file $1 is loaded any more; print those still loaded then
settle() {
	local left
	for _ in $(seq 100); do
		left=$(loaded | comm -12 - "$1")
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	echo "$left" | tr '\n' ' '
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
	held $p > "$W/held"
	[ -s "$W/held" ] || { echo "short run $n holds no BPF object"; fail=1; }
	kill -INT $p
	wait $p || { echo "short run $n exited $?"; cat "$W/p.err"; fail=1; }
	sent=$(total "$W/p.err" events); written=$(lines "$out")
	if [ "$sent" != "$written" ]; then
		echo "short run $n: sent $sent, written $written (lost $(total "$W/p.err" lost))"; fail=1
	fi
	rm -f "$out"
	left=$(settle "$W/held")
	if [ -n "$left" ]; then echo "after short run $n: still loaded: $left"; fail=1; fi
	if [ "$(date +%s)" -ge "$next_rss" ]; then
		echo "$(($(date +%s) - start)) s: long RSS $(rss) KiB, $n short runs, last: sent $sent written $written"
		next_rss=$((next_rss + 60))
	fi
	sleep 1
done
rss_end=$(rss)
held $LONG > "$W/held"
kill -TERM $LONG
wait $LONG || code=$?
echo "long run exit status ${code:-0} (143 expected: stopped by SIGTERM)"
sent=$(total "$W/long.err" events); written=$(lines "$W/long.json")
echo "long run: sent $sent, written $written, lost $(total "$W/long.err" lost); RSS start ${rss_start} KiB, end ${rss_end} KiB"
[ "$sent" = "$written" ] || fail=1
left=$(settle "$W/held")
echo "BPF objects of the long run left after it: ${left:-none} ($(wc -l < "$W/held") held); BPF prog/link/map now: $(bpf_objects)(before: $before); short runs: $n"
[ -z "$left" ] || fail=1
pkill -f "$W/soak" || true
[ $fail = 0 ] && echo "soak: PASS" || { echo "soak: FAIL"; exit 1; }
