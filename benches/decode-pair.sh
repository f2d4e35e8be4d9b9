#!/usr/bin/env bash
# decode-pair.sh ROUNDS OLD_ETRACE NEW_ETRACE DUMP...: offline decode speed of two etrace builds
# (`--input DUMP --json` to /dev/null), the two in alternating order each round, as the median
# and quartiles of each one's wall time, events/s, and NEW's median over OLD's. Record the dumps
# with the OLD build so that both read them. Example (issue 22, against the build before it):
#   git worktree add /tmp/old 91fb3c4 && (cd /tmp/old && cargo build --release)
#   /tmp/old/target/release/etrace --raw -o dd.raw -- dd if=/dev/zero of=/dev/null bs=1 count=300000
#   benches/decode-pair.sh 31 /tmp/old/target/release/etrace target/release/etrace dd.raw
set -euo pipefail
ROUNDS=$1 OLD=$2 NEW=$3
shift 3
for dump in "$@"; do
    W=$(mktemp -d)
    events=$("$NEW" --input "$dump" --json --stdout 2>&1 >/dev/null |
        sed -n 's/.* \([0-9]*\) events decoded.*/\1/p')
    for i in $(seq "$ROUNDS"); do
        for which in old new; do
            [ $((i % 2)) = 0 ] && which=$([ "$which" = old ] && echo new || echo old)
            bin=$([ "$which" = old ] && echo "$OLD" || echo "$NEW")
            s=$(date +%s%N)
            "$bin" --input "$dump" --json --stdout > /dev/null 2>&1
            echo $(( $(date +%s%N) - s )) >> "$W/$which"
        done
    done
    python3 - "$W" "$dump" "$events" <<'P'
import statistics as st, sys
w, dump, events = sys.argv[1], sys.argv[2], int(sys.argv[3] or 0)
t = {k: [int(x) / 1e9 for x in open(f"{w}/{k}")] for k in ("old", "new")}
for k, v in t.items():
    q = st.quantiles(v, n=4)
    print(f"{dump} {k}: median {st.median(v):.3f} s (quartiles {q[0]:.3f}-{q[2]:.3f}), "
          f"{events / st.median(v):,.0f} events/s")
print(f"{dump}: {events} events, new/old median {st.median(t['new']) / st.median(t['old']):.3f}")
P
    rm -rf "$W"
done
