#!/usr/bin/env bash
# The price of the fallbacks older kernels take (issue 18): on this kernel, etrace with its
# native paths and with every fallback forced (ETRACE_FORCE_FALLBACKS=1), on the dd storm
# (--raw and --json -o FILE; rounds paired: untraced, native, forced), and start-up (exec to
# "Tracing started"). usage: sudo benches/fallbacks.sh [ROUNDS]   (default 11)
set -euo pipefail
cd "$(dirname "$0")/.."
E=${ETRACE:-$PWD/target/release/etrace}
R=${1:-11}
W=$(mktemp -d /tmp/etrace-fallbacks.XXXXXX)
trap 'rm -rf "$W"' EXIT
DD=(dd if=/dev/zero of=/dev/null bs=1 count=300000)
secs() { grep -o 'copied, [0-9.e+-]* s' | awk '{print $2}'; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo "machine: $(nproc) CPUs, $(uname -r), $(date -u +%Y-%m-%d); $R paired rounds"
for i in $(seq "$R"); do
	sync; "${DD[@]}" 2>&1 | secs >> "$W/untraced"
	for mode in raw json; do
		for path in native forced; do
			rm -f "$W/o"; sync
			env=(); [ $path = forced ] && env=(ETRACE_FORCE_FALLBACKS=1)
			m=(--raw); [ $mode = json ] && m=(--json)
			env "${env[@]}" "$E" "${m[@]}" -o "$W/o" -- "${DD[@]}" 2> "$W/err"
			secs < "$W/err" >> "$W/$mode.$path"
			grep -o 'Total lost: [0-9]*' "$W/err" | awk '{print $3}' >> "$W/$mode.$path.lost"
		done
	done
done
base=$(median < "$W/untraced")
echo "dd untraced: median ${base} s"
for mode in raw json; do
	for path in native forced; do
		t=$(median < "$W/$mode.$path")
		lost=$(sort -g "$W/$mode.$path.lost" | tail -1)
		echo "$mode $path: median $t s, $(echo "scale=2; $t / $base" | bc)x untraced, most lost in a round: $lost"
	done
done
startup() {
	python3 - "$E" "$1" << 'PY'
import os, statistics, subprocess, sys, time
env = dict(os.environ)
if sys.argv[2] == "forced":
    env["ETRACE_FORCE_FALLBACKS"] = "1"
ts = []
for _ in range(15):
    t0 = time.monotonic()
    p = subprocess.Popen([sys.argv[1], "--stats=false", "--stdout", "--", "sleep", "0.2"], env=env,
                         stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    for line in p.stderr:
        if "Tracing started" in line:
            ts.append(time.monotonic() - t0)
            break
    p.wait()
print("start-up %s: median %.0f ms (min %.0f, max %.0f, 15 runs)" % (sys.argv[2], statistics.median(ts) * 1e3, min(ts) * 1e3, max(ts) * 1e3))
PY
}
startup native
startup forced
