#!/usr/bin/env bash
# Sizes and write speed of the analysis outputs: for each dump, the bytes per event of its JSON
# Lines and of its Parquet file, and the events per second `--input --json` and
# `--input --parquet` write (best of ROUNDS, files in a tmpfs-backed dir when TMPDIR is one).
#   benches/analysis.sh [ROUNDS] DUMP...      (etrace from target/release)
set -euo pipefail
ETRACE=${ETRACE:-target/release/etrace}
rounds=3
if [[ ${1:-} =~ ^[0-9]+$ ]]; then rounds=$1; shift; fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf '%-14s %9s %12s %12s %10s %12s %12s\n' dump events json_B/ev parquet_B/ev ratio json_ev/s parquet_ev/s
for dump in "$@"; do
    best() { # best wall time of ROUNDS runs of `etrace --input DUMP -y ARGS... OUT`
        local flag=$1 ext=$2 t b=""
        for _ in $(seq "$rounds"); do
            rm -f "$dir/out.$ext"
            t=$( { /usr/bin/time -f %e "$ETRACE" --input "$dump" -y --stats=false -l error \
                    $flag "$dir/out.$ext" >/dev/null; } 2>&1 | tail -1)
            if [[ -z $b ]] || (( $(echo "$t < $b" | bc) )); then b=$t; fi
        done
        echo "$b"
    }
    tj=$(best "--json -o" json)
    tp=$(best "--parquet" parquet)
    n=$(grep -c '' "$dir/out.json")
    sj=$(stat -c %s "$dir/out.json")
    sp=$(stat -c %s "$dir/out.parquet")
    printf '%-14s %9d %12.1f %12.1f %9.1fx %12.0f %12.0f\n' "$(basename "$dump")" "$n" \
        "$(echo "$sj / $n" | bc -l)" "$(echo "$sp / $n" | bc -l)" "$(echo "$sj / $sp" | bc -l)" \
        "$(echo "$n / ($tj + 0.0005)" | bc -l)" "$(echo "$n / ($tp + 0.0005)" | bc -l)"
done
