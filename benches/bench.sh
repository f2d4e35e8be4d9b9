#!/usr/bin/env bash
# etrace benchmarks (`make bench`, as root). Prints the figures BENCHMARKS.md records:
#  1. overhead: dd if=/dev/zero of=/dev/null bs=1 count=300000, untraced and traced in raw
#     mode (dd's own elapsed time, etrace's whole run, events lost), beside strace -f and
#     perf record on the same workload;
#  2. the price of process context: the same dd, --raw and --json -o FILE, with context records
#     and with --no-ctx (a hidden benchmark knob), runs paired one after the other;
#  3. decode speed: `etrace --input DUMP --json` on a dump of >= 1M events, beside
#     `perf script` on a `perf record -e raw_syscalls:*` capture of the same workload.
# Each figure is the median of RUNS runs. Needs perf and strace (apt: linux-perf strace).
set -euo pipefail
cd "$(dirname "$0")/.."
ETRACE=$PWD/target/release/etrace
RUNS=${RUNS:-5}
W=$(mktemp -d /tmp/etrace-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
DD_SMALL=(dd if=/dev/zero of=/dev/null bs=1 count=300000)
DD_BIG=(dd if=/dev/zero of=/dev/null bs=1 count=600000)   # ~1.2M syscalls

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
now() { date +%s.%N; }
# dd's own elapsed seconds, from its closing "copied, X s" line on stderr
dd_secs() { grep -o 'copied, [0-9.e+-]* s' | awk '{print $2}'; }

echo "machine: $(nproc) CPUs, $(uname -r), $(date -u +%Y-%m-%d)"
echo
echo "== overhead: ${DD_SMALL[*]} (median of $RUNS) =="
for i in $(seq "$RUNS"); do "${DD_SMALL[@]}" 2>&1 | dd_secs; done | median > "$W/base"
echo "untraced                 dd elapsed $(cat "$W/base") s"

for i in $(seq "$RUNS"); do
    rm -f "$W/o.raw"
    t0=$(now)
    "$ETRACE" --raw -o "$W/o.raw" -l warn -- "${DD_SMALL[@]}" 2> "$W/err"
    t1=$(now)
    dd_secs < "$W/err" >> "$W/raw.dd"
    awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}' >> "$W/raw.total"
    grep -o 'Total lost: [0-9]*' "$W/err" | awk '{print $3}' >> "$W/raw.lost"
    grep -o 'Total events: [0-9]*' "$W/err" | awk '{print $3}' >> "$W/raw.events"
done
echo "etrace --raw             dd elapsed $(median < "$W/raw.dd") s   whole etrace run $(median < "$W/raw.total") s   events $(median < "$W/raw.events")   lost (max of runs) $(sort -g "$W/raw.lost" | tail -1)"

for i in $(seq "$RUNS"); do
    strace -f -o /dev/null "${DD_SMALL[@]}" 2>&1 | dd_secs
done | median > "$W/strace"
echo "strace -f -o /dev/null   dd elapsed $(cat "$W/strace") s"

for i in $(seq "$RUNS"); do
    rm -f "$W/p.data"
    perf record -q -m 512M -e raw_syscalls:sys_enter -e raw_syscalls:sys_exit -o "$W/p.data" \
        -- "${DD_SMALL[@]}" 2>&1 | dd_secs
done | median > "$W/perf"
echo "perf record raw_syscalls dd elapsed $(cat "$W/perf") s"
awk -v b="$(cat "$W/base")" -v r="$(median < "$W/raw.dd")" -v s="$(cat "$W/strace")" -v p="$(cat "$W/perf")" \
    'BEGIN {printf "ratios to untraced: etrace --raw %.2fx, perf record %.2fx, strace %.2fx\n", r/b, p/b, s/b}'

echo
echo "== process context: ${DD_SMALL[*]}, paired runs (median of $RUNS) =="
for mode in raw json; do
    for i in $(seq "$RUNS"); do
        for ctx in on off; do
            rm -f "$W/c.out"
            flags=(); [ "$ctx" = off ] && flags=(--no-ctx)
            if [ "$mode" = raw ]; then m=(--raw -o "$W/c.out"); else m=(--json -o "$W/c.out"); fi
            "$ETRACE" "${m[@]}" "${flags[@]}" -l warn -- "${DD_SMALL[@]}" 2> "$W/err"
            dd_secs < "$W/err" >> "$W/ctx.$mode.$ctx"
            grep -o 'Total lost: [0-9]*' "$W/err" | awk '{print $3}' >> "$W/ctx.$mode.$ctx.lost"
        done
    done
    on=$(median < "$W/ctx.$mode.on"); off=$(median < "$W/ctx.$mode.off")
    awk -v m="$mode" -v on="$on" -v off="$off" -v b="$(cat "$W/base")" \
        -v lon="$(sort -g "$W/ctx.$mode.on.lost" | tail -1)" -v loff="$(sort -g "$W/ctx.$mode.off.lost" | tail -1)" \
        'BEGIN {printf "--%-4s with context %.3f s (%.2fx, lost %d)   --no-ctx %.3f s (%.2fx, lost %d)   context costs %+.1f%%\n", m, on, on/b, lon, off, off/b, loff, (on/off-1)*100}'
done

echo
echo "== decode speed: ${DD_BIG[*]} =="
"$ETRACE" --raw -o "$W/big.raw" -l warn -- "${DD_BIG[@]}" 2> "$W/err"
events=$(grep -o 'Total events: [0-9]*' "$W/err" | awk '{print $3}')
lost=$(grep -o 'Total lost: [0-9]*' "$W/err" | awk '{print $3}')
echo "etrace dump: $events events, lost $lost, $(stat -c %s "$W/big.raw") bytes"
perf record -q -m 512M -e raw_syscalls:sys_enter -e raw_syscalls:sys_exit -o "$W/big.perf" \
    -- "${DD_BIG[@]}" 2> /dev/null
samples=$(perf script -i "$W/big.perf" 2> /dev/null | wc -l)
echo "perf capture: $samples samples (one per syscall entry or exit)"
for i in $(seq "$RUNS"); do
    t0=$(now); "$ETRACE" --input "$W/big.raw" --json --stdout --stats=false -l warn > /dev/null; t1=$(now)
    awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}'
done | median > "$W/dec.json"
for i in $(seq "$RUNS"); do
    t0=$(now); "$ETRACE" --input "$W/big.raw" --stdout --stats=false -l warn > /dev/null; t1=$(now)
    awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}'
done | median > "$W/dec.text"
for i in $(seq "$RUNS"); do
    t0=$(now); perf script -i "$W/big.perf" > /dev/null 2>&1; t1=$(now)
    awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}'
done | median > "$W/dec.perf"
awk -v e="$events" -v s="$samples" -v j="$(cat "$W/dec.json")" -v t="$(cat "$W/dec.text")" -v p="$(cat "$W/dec.perf")" 'BEGIN {
    printf "etrace --input --json   %.3f s  %9.0f events/s\n", j, e/j
    printf "etrace --input (text)   %.3f s  %9.0f events/s\n", t, e/t
    printf "perf script             %.3f s  %9.0f samples/s  (%.0f syscalls/s)\n", p, s/p, s/2/p
    printf "etrace --json vs perf script: %.2fx per event/sample, %.2fx per syscall\n", (e/j)/(s/p), (e/j)/(s/2/p)
}'
