#!/usr/bin/env bash
# filtered.sh ROUNDS ETRACE...: the dd storm while each ETRACE is attached and traces only a
# comm that never runs (`--comm etrace-nomatch --raw`), beside the floor (two empty programs,
# examples/floor.rs) and untraced, in an order rotated from round to round, after a sync; each
# mode's median ratio to untraced with quartiles. Root; from the repository root after
# `cargo build --release --examples`. Example: benches/filtered.sh 31 target/release/etrace
set -euo pipefail
R=$1
shift
FLOOR=$PWD/target/release/examples/floor
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
DD=(dd if=/dev/zero of=/dev/null bs=1 count=300000)
timed() { local s; s=$(date +%s%N); "${DD[@]}" 2> /dev/null; echo $(( ($(date +%s%N) - s) / 1000 )) >> "$W/$1"; }
run() {
    local p
    case $1 in
    untraced) timed untraced ;;
    floor)
        "$FLOOR" -- sleep 30 2> "$W/ferr" & p=$!
        until grep -q started "$W/ferr" 2> /dev/null; do sleep 0.02; done
        timed floor
        kill "$p"; wait "$p" 2> /dev/null || true ;;
    *)
        rm -f "$W/o"
        "$1" --comm etrace-nomatch --raw -o "$W/o" 2> "$W/err" & p=$!
        until grep -q "Tracing started" "$W/err" 2> /dev/null; do sleep 0.02; done
        timed "$(basename "$1")"
        kill -INT "$p"; wait "$p" ;;
    esac
}
modes=(untraced floor "$@")
for i in $(seq "$R"); do
    sync
    n=${#modes[@]}
    for j in $(seq 0 $((n - 1))); do run "${modes[$(((i + j) % n))]}"; done
done
python3 - "$W" untraced floor $(for b in "$@"; do basename "$b"; done) << 'P'
import statistics as st, sys
w, names = sys.argv[1], sys.argv[2:]
d = {n: [int(x) for x in open(f"{w}/{n}")] for n in names}
base = st.median(d["untraced"])
for n in names:
    xs = sorted(x / base for x in d[n])
    q = st.quantiles(xs, n=4)
    print(f"{n}: {st.median(xs):.3f}x (q1 {q[0]:.3f}, q3 {q[2]:.3f}) over {len(xs)} rounds")
P
