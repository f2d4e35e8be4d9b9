#!/usr/bin/env bash
# pair.sh ROUNDS "ETRACE ARGS A" "ETRACE ARGS B": the cost of an option on the dd storm, in
# paired rounds (each round: untraced, then A and B in alternating order, after a sync), as
# medians with quartiles of the ratio to untraced and of B's time over A's in the same round.
# Root; run from the repository root after `cargo build --release`. Example (issue 20):
#   benches/pair.sh 41 "--json -o F --pending-after 0" "--json -o F"
# F is replaced by a scratch file, removed before every run. ETRACE_A and ETRACE_B run A and B
# with two builds (a change's before and after), e.g.
#   ETRACE_A=/tmp/etrace-before benches/pair.sh 21 "--raw -o F" "--raw -o F"
set -euo pipefail
ETRACE=${ETRACE:-target/release/etrace}
TIMED=$(realpath benches/timed.sh)
DD=(dd if=/dev/zero of=/dev/null bs=1 count=300000)
ROUNDS=$1 A=$2 B=$3
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
run() { # label, args
    rm -f "$W/out"
    local bin=$ETRACE
    if [ "$1" = a ]; then bin=${ETRACE_A:-$ETRACE}; else bin=${ETRACE_B:-$ETRACE}; fi
    # shellcheck disable=SC2086 # the arguments are words
    TIMED_OUT="$W/t_$1" "$bin" ${2//F/$W/out} -- "$TIMED" "${DD[@]}" 2> "$W/err"
    grep -h "Total lost" "$W/err" >> "$W/lost" || true
}
for i in $(seq "$ROUNDS"); do
    sync
    TIMED_OUT="$W/t_base" "$TIMED" "${DD[@]}"
    if [ $((i % 2)) = 0 ]; then run a "$A"; run b "$B"; else run b "$B"; run a "$A"; fi
done
python3 - "$W" "$A" "$B" <<'P'
import statistics as st, sys
w, a_args, b_args = sys.argv[1:]
read = lambda n: [int(x) for x in open(f"{w}/t_{n}")]
base, a, b = read("base"), read("a"), read("b")
mb = st.median(base)
def show(label, xs):
    q = st.quantiles(sorted(xs), n=4)
    return f"{label}: median {st.median(xs):.3f} (q1 {q[0]:.3f}, q3 {q[2]:.3f})"
print(f"untraced: median {mb / 1000:.0f} ms over {len(base)} rounds")
print(show(f"A [{a_args}] / untraced", [x / mb for x in a]))
print(show(f"B [{b_args}] / untraced", [x / mb for x in b]))
print(show("B / A, paired", [y / x for x, y in zip(a, b)]))
P
sort "$W/lost" | uniq -c
