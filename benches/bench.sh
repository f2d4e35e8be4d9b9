#!/usr/bin/env bash
# etrace benchmarks (`make bench`, as root; a benchmark, never a timed test). Prints the figures
# BENCHMARKS.md records:
#  1. overhead: four workloads (the dd syscall storm, a two-thread storm on both cores, a
#     stat-heavy find, a short real build of four compilations), each untraced, under the
#     floor (two empty programs on the syscall tracepoints, examples/floor.rs: what any
#     tracer there pays), under etrace --raw, --json -o FILE, --stdout > /dev/null,
#     --summary alone, and the peers installed here: strace -f, perf trace, bpftrace with a
#     printf per event and bpftrace counting in the kernel. The workload times itself
#     (benches/timed.sh), so a tracer's start-up and drain stay out; runs are paired (every
#     mode once per round, in an order rotated from round to round, after one uncounted
#     warm-up run of each workload); figures are medians over RUNS rounds, ratios to
#     untraced; events, lost events (the worst round), etrace's own CPU time and peak RSS
#     (from its -l debug report); every run starts after a sync, so that no run pays for the
#     previous one's writeback;
#  1b. the dd storm targets again (the floor, filtered out: etrace attached but tracing only a
#     comm that does not run, the price of the attached programs and their filters; --raw,
#     --json -o FILE, --stdout): DD_RUNS paired rounds, with the median and quartiles of each
#     round's own ratio beside the ratio of medians, each mode's cost above the floor in the
#     same round, and filtered out over the floor round by round;
#  2. start-up: from exec of etrace to "Tracing started";
#  3. the price of process context: the dd storm, --raw and --json -o FILE, with context
#     records and with --no-ctx (a hidden benchmark knob), runs paired;
#  4. decode speed: `etrace --input --json` on a dump of >= 1M events (on its decoding threads,
#     and on one), and text, beside `perf script` on a `perf record -e raw_syscalls:*` capture
#     of the same workload; RUNS + 2 rounds, each running the four in turn.
# WORKLOADS and MODES (space-separated) pick a subset of section 1, e.g. to re-measure one row.
# Needs perf, strace and bpftrace for the peers (apt: linux-perf strace bpftrace); a peer that
# is not installed is left out.
set -euo pipefail
set -f # workload commands are split on spaces, never globbed
cd "$(dirname "$0")/.."
ETRACE=$PWD/target/release/etrace
FLOOR=$PWD/target/release/examples/floor
TIMED=$PWD/benches/timed.sh
RUNS=${RUNS:-5}
DD_RUNS=${DD_RUNS:-21}
W=$(mktemp -d /tmp/etrace-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
cc -O2 -pthread -o "$W/storm2" benches/storm2.c
DD_SMALL=(dd if=/dev/zero of=/dev/null bs=1 count=300000)
DD_BIG=(dd if=/dev/zero of=/dev/null bs=1 count=600000)   # ~1.2M syscalls

median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
maxof() { sort -g | tail -1; }
now() { date +%s.%N; }
# dd's own elapsed seconds, from its closing "copied, X s" line on stderr
dd_secs() { grep -o 'copied, [0-9.e+-]* s' | awk '{print $2}'; }
have() { command -v "$1" > /dev/null; }

echo "machine: $(nproc) CPUs, $(uname -r), $(date -u +%Y-%m-%d)"
echo

read -r -a WORKLOADS <<< "${WORKLOADS:-dd storm2 find build}"
declare -A CMD COMM
CMD[dd]="${DD_SMALL[*]}"; COMM[dd]=dd
CMD[storm2]="$W/storm2 150000"; COMM[storm2]=storm2
CMD[find]="find /usr -name *.so"; COMM[find]=find
# four compilations in one run: one (~90 ms) moved by more than the tracers' cost from round to
# round, which put some modes below untraced
printf 'for i in 1 2 3 4; do cc -O1 -pthread -w -o %s/battery tests/progs/battery.c || exit 1; done\n' "$W" > "$W/build.sh"
CMD[build]="sh $W/build.sh"; COMM[build]=
read -r -a MODES <<< "${MODES:-untraced floor raw json stdout summary strace perf-trace bpftrace-printf bpftrace-count}"

# one run of workload $1 in mode $2: appends its time (us) to $W/$1.$2.t, and for etrace its
# events, lost events, CPU seconds and peak RSS (KiB)
run() {
    local wl=$1 mode=$2 out=$W/$1.$2 cmd
    read -r -a cmd <<< "${CMD[$wl]}"
    export TIMED_OUT=$out.t
    rm -f "$W/o" "$W/err" # a stale "Tracing started" must not start the clock
    sync # the previous run's output is written back now, not while this one is timed
    if [ "$mode" = filtered ]; then
        # etrace traces only a comm that never runs; the workload runs beside it, untraced
        "$ETRACE" --comm etrace-nomatch --raw -o "$W/o" -l debug 2> "$W/err" &
        local pid=$!
        until grep -q "Tracing started" "$W/err" 2> /dev/null; do sleep 0.02; done
        "$TIMED" "${cmd[@]}"
        kill -INT "$pid"; wait "$pid" || true
        etrace_figures "$out"
        return
    fi
    case $mode in
        untraced) "$TIMED" "${cmd[@]}" ;;
        # the floor: two empty programs attached (examples/floor.rs)
        floor) "$FLOOR" -- "$TIMED" "${cmd[@]}" 2> /dev/null ;;
        raw) "$ETRACE" --raw -o "$W/o" -l debug -- "$TIMED" "${cmd[@]}" 2> "$W/err"; etrace_figures "$out" ;;
        json) "$ETRACE" --json -o "$W/o" -l debug -- "$TIMED" "${cmd[@]}" 2> "$W/err"; etrace_figures "$out" ;;
        stdout) "$ETRACE" --stdout -l debug -- "$TIMED" "${cmd[@]}" 2> "$W/err" > /dev/null; etrace_figures "$out" ;;
        summary) "$ETRACE" --summary -l debug -- "$TIMED" "${cmd[@]}" 2> "$W/err"; etrace_figures "$out" ;;
        strace) have strace && strace -f -o /dev/null "$TIMED" "${cmd[@]}" ;;
        perf-trace)
            have perf || return 0
            perf trace -o "$W/perf.out" -- "$TIMED" "${cmd[@]}" 2> /dev/null || true
            grep -c "LOST" "$W/perf.out" >> "$out.lostlines" || true ;;
        bpftrace-printf|bpftrace-count)
            have bpftrace && [ -n "${COMM[$wl]}" ] || return 0
            local c=${COMM[$wl]} prog
            if [ "$mode" = bpftrace-printf ]; then
                prog="tracepoint:raw_syscalls:sys_enter /comm == \"$c\"/ { printf(\"%d %ld %lx %lx\n\", tid, args->id, args->args[0], args->args[1]); }
                      tracepoint:raw_syscalls:sys_exit /comm == \"$c\"/ { printf(\"%d %ld\n\", tid, args->ret); }"
            else
                prog="tracepoint:raw_syscalls:sys_enter /comm == \"$c\"/ { @[args->id] = count(); }"
            fi
            bpftrace -o "$W/bt.out" -c "/bin/sh $TIMED ${cmd[*]}" -e "$prog" > /dev/null 2> "$W/bt.err" || true
            # bpftrace reports drops as "Lost N events"
            { grep -ho 'Lost [0-9]* events' "$W/bt.out" "$W/bt.err" || echo "Lost 0 events"; } \
                | awk '{s += $2} END {print s + 0}' >> "$out.lost"
            [ "$mode" = bpftrace-printf ] && grep -c '^[0-9]' "$W/bt.out" >> "$out.events" || true ;;
    esac
}

etrace_figures() {
    grep -o 'Total events: [0-9]*' "$W/err" | awk '{print $3}' >> "$1.events" || true
    grep -o 'Total lost: [0-9]*' "$W/err" | awk '{print $3}' >> "$1.lost" || true
    local u='etrace used [0-9.]* s user, [0-9.]* s system, peak RSS [0-9]*'
    grep -o "$u" "$W/err" | awk '{print $3 + $6}' >> "$1.cpu" || true
    grep -o "$u" "$W/err" | awk '{print $11}' >> "$1.rss" || true
}

# in rotated order: round r starts with mode r, so that no mode always runs first (after the
# previous workload's last tracer has torn down) or always after the same one
rotated() { # round
    local n=${#MODES[@]} i
    for i in $(seq 0 $((n - 1))); do echo "${MODES[$(( (i + $1) % n ))]}"; done
}
echo "== overhead (median of $RUNS paired rounds, modes in rotated order; ratio to untraced) =="
for wl in "${WORKLOADS[@]}"; do # a warm-up run of each workload, not counted
    TIMED_OUT=$W/warmup.t "$TIMED" ${CMD[$wl]}
done
for r in $(seq "$RUNS"); do
    for wl in "${WORKLOADS[@]}"; do
        for mode in $(rotated "$r"); do run "$wl" "$mode"; done
    done
done
printf "%-9s %-16s %10s %8s %9s %8s %9s %9s\n" workload mode "time ms" ratio events lost "cpu s" "rss MiB"
for wl in "${WORKLOADS[@]}"; do
    base=$(median < "$W/$wl.untraced.t")
    for mode in "${MODES[@]}"; do
        f=$W/$wl.$mode
        [ -s "$f.t" ] || continue
        t=$(median < "$f.t")
        ev=$( [ -s "$f.events" ] && median < "$f.events" || echo -)
        lost=$( [ -s "$f.lost" ] && maxof < "$f.lost" || { [ -s "$f.lostlines" ] && echo "$(maxof < "$f.lostlines") LOST lines" || echo -; })
        cpu=$( [ -s "$f.cpu" ] && median < "$f.cpu" || echo -)
        rss=$( [ -s "$f.rss" ] && awk '{print $1/1024}' "$f.rss" | maxof || echo -)
        awk -v w="$wl" -v m="$mode" -v t="$t" -v b="$base" -v e="$ev" -v l="$lost" -v c="$cpu" -v r="$rss" \
            'BEGIN {printf "%-9s %-16s %10.1f %7.2fx %9s %8s %9s %9s\n", w, m, t/1000, t/b, e, l, c, (r == "-") ? r : sprintf("%.1f", r)}'
    done
done

echo
# The headline targets again, with more rounds: on a shared VM the same build's dd storm ratio
# moves by +-20% from round to round, more than the differences being judged.
echo "== the dd storm targets: $DD_RUNS paired rounds =="
CMD[ddt]="${DD_SMALL[*]}"
DDT_MODES=(untraced floor filtered raw json stdout)
for r in $(seq "$DD_RUNS"); do
    n=${#DDT_MODES[@]}
    for i in $(seq 0 $((n - 1))); do run ddt "${DDT_MODES[$(( (i + r) % n ))]}"; done
done
# above the floor: (mode - floor) / untraced, per round, in ratio units
printf "%-9s %10s %8s %14s %20s %12s %8s\n" mode "time ms" ratio "ratio/round" "quartiles/round" "above floor" lost
for mode in floor filtered raw json stdout; do
    f=$W/ddt.$mode
    paste "$W/ddt.untraced.t" "$f.t" | awk '{print $2 / $1}' | sort -g > "$f.r"
    paste "$W/ddt.untraced.t" "$W/ddt.floor.t" "$f.t" | awk '{print ($3 - $2) / $1}' | sort -g > "$f.a"
    awk -v m="$mode" -v t="$(median < "$f.t")" -v b="$(median < "$W/ddt.untraced.t")" \
        -v l="$( [ -s "$f.lost" ] && maxof < "$f.lost" || echo -)" -v above="$(median < "$f.a")" '{a[NR] = $1} END {
            lo = a[int((NR + 3) / 4)]; hi = a[int((3 * NR + 3) / 4)]
            md = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
            printf "%-9s %10.1f %7.2fx %13.2fx %9.2fx - %.2fx %11.2f %8s\n", m, t / 1000, t / b, md, lo, hi, above, l
        }' "$f.r"
done
# filtered out against the floor itself, round by round (the target: within 10%)
paste "$W/ddt.floor.t" "$W/ddt.filtered.t" | awk '{print $2 / $1}' | sort -g |
    awk '{a[NR] = $1} END {printf "filtered / floor, per round: median %.3f (q1 %.3f, q3 %.3f) over %d rounds\n",
        (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2, a[int((NR + 3) / 4)], a[int((3 * NR + 3) / 4)], NR}'

echo
echo "== start-up: exec of etrace to \"Tracing started\" (median of 15) =="
python3 - "$ETRACE" << 'PY'
import statistics, subprocess, sys, time
ts = []
for _ in range(15):
    t0 = time.monotonic()
    p = subprocess.Popen([sys.argv[1], "--stats=false", "-l", "info", "--stdout", "--", "sleep", "0.2"],
                         stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    for line in p.stderr:
        if "Tracing started" in line:
            ts.append(time.monotonic() - t0)
            break
    p.wait()
print("start-up: median %.0f ms, min %.0f, max %.0f" % (statistics.median(ts) * 1e3, min(ts) * 1e3, max(ts) * 1e3))
PY

echo
echo "== process context: ${DD_SMALL[*]}, paired runs (median of $RUNS) =="
for i in $(seq "$RUNS"); do sync; "${DD_SMALL[@]}" 2>&1 | dd_secs; done | median > "$W/base"
for mode in raw json; do
    for i in $(seq "$RUNS"); do
        for ctx in on off; do
            rm -f "$W/c.out"
            sync # as everywhere else: no run pays for the previous run's writeback
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
# one round runs each once, in turn (the host's speed drifts; rounds keep the four side by side)
timeit() { local t0 t1; t0=$(now); "$@" > /dev/null 2>&1; t1=$(now); awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}'; }
for i in $(seq "$((RUNS + 2))"); do
    timeit "$ETRACE" --input "$W/big.raw" --json --stdout --stats=false -l warn >> "$W/dec.json.all"
    timeit env ETRACE_DECODE_THREADS=1 "$ETRACE" --input "$W/big.raw" --json --stdout --stats=false -l warn >> "$W/dec.json1.all"
    timeit "$ETRACE" --input "$W/big.raw" --stdout --stats=false -l warn >> "$W/dec.text.all"
    timeit perf script -i "$W/big.perf" >> "$W/dec.perf.all"
done
for k in json json1 text perf; do median < "$W/dec.$k.all" > "$W/dec.$k"; done
awk -v e="$events" -v s="$samples" -v j="$(cat "$W/dec.json")" -v j1="$(cat "$W/dec.json1")" -v t="$(cat "$W/dec.text")" -v p="$(cat "$W/dec.perf")" 'BEGIN {
    printf "etrace --input --json   %.3f s  %9.0f events/s\n", j, e/j
    printf "  ... on one thread     %.3f s  %9.0f events/s  (%.2fx perf script per event)\n", j1, e/j1, (e/j1)/(s/p)
    printf "etrace --input (text)   %.3f s  %9.0f events/s\n", t, e/t
    printf "perf script             %.3f s  %9.0f samples/s  (%.0f syscalls/s)\n", p, s/p, s/2/p
    printf "etrace --json vs perf script: %.2fx per event/sample, %.2fx per syscall\n", (e/j)/(s/p), (e/j)/(s/2/p)
}'
# the same ratio round by round: its median and quartiles
paste "$W/dec.json.all" "$W/dec.perf.all" | awk -v e="$events" -v s="$samples" '{print (e/$1)/(s/$2)}' | sort -g |
    awk '{a[NR]=$1} END {printf "  per round: median %.2fx (q1 %.2f, q3 %.2f) over %d rounds\n", a[int((NR+1)/2)], a[int(NR/4)+1], a[int(3*NR/4)+1], NR}'
