#!/usr/bin/env bash
# Regenerate testdata/dumps/: dumps of programs whose syscalls we know, captured on this kernel,
# with the JSON the live tracer printed for the same capture and the text `--input` decodes.
# Run as root from the repository root: `make testdata`. Review the diff before committing.
set -euo pipefail
cd "$(dirname "$0")/.."
ETRACE=$(realpath "${ETRACE:-target/release/etrace}")
OUT=testdata/dumps
WORK=/tmp/etrace-testdata            # fixed, so that paths in the dumps stay the same
rm -rf "$WORK" && mkdir -p "$WORK/scratch"
cc -O1 -pthread -o "$WORK/etrace-known" tests/progs/known.c

capture() { # name, then the command to trace
    local name=$1; shift
    rm -f "$OUT/$name.raw" "$OUT/$name.json" "$OUT/$name.txt"
    # a clean environment: the dump records the traced program's envp
    env -i PATH=/usr/bin:/bin "$ETRACE" --json -o "$OUT/$name.json" --also-raw "$OUT/$name.raw" \
        --stats=false -l warn -- "$@"
    "$ETRACE" --input "$OUT/$name.raw" --stdout --stats=false -l warn > "$OUT/$name.txt"
    chmod 0644 "$OUT/$name".*
}

# known.c: every syscall of the program, its child and its thread
capture known "$WORK/etrace-known" "$WORK/scratch"
# a byte-at-a-time copy: read/write pairs with their data, filtered to three syscalls
rm -f "$OUT/dd.raw" "$OUT/dd.json" "$OUT/dd.txt"
env -i PATH=/usr/bin:/bin "$ETRACE" --json -o "$OUT/dd.json" --also-raw "$OUT/dd.raw" \
    -s read -s write -s openat --stats=false -l warn -- \
    dd if=/etc/hostname of=/dev/null bs=1 count=5 status=none
"$ETRACE" --input "$OUT/dd.raw" --stdout --stats=false -l warn > "$OUT/dd.txt"
chmod 0644 "$OUT"/dd.*
# fuzz seeds: records of every type and of the sockaddr/iovec/msghdr/getdents shapes
cc -O1 -pthread -w -o "$WORK/battery" tests/progs/battery.c
mkdir -p "$WORK/battery-dir"
("$ETRACE" --raw -o "$WORK/shapes.raw" --stats=false -l warn \
    -s rt_sigprocmask,readv,writev,getdents64,accept4,connect,sendmsg,recvmsg,bind,getsockname,wait4 \
    -- "$WORK/battery" "$WORK/battery-dir" > /dev/null)
# sendmsg with impossible cmsg_len values (hostile input: they once crashed the decoder)
cc -O1 -o "$WORK/cmsg" tests/progs/cmsg.c
for n in 1 2; do
    len=$([ $n = 1 ] && echo 0xFFFFFFFFFFFFFFF8 || echo 0xFFFFFFFFFFFFFFFF)
    "$ETRACE" --raw -o "$WORK/hostile-cmsg-$n.raw" -s sendmsg --stats=false -l warn -- \
        "$WORK/cmsg" "$len" > /dev/null
done
# signals, calls shown pending, a call unfinished when tracing stops (the background sleep),
# and fd descriptions (-yy)
cc -O1 -o "$WORK/signals" tests/progs/signals.c
"$ETRACE" --raw -o "$WORK/inflight.raw" -yy --stats=false -l warn -- \
    sh -c "$WORK/signals; sleep 2 & sleep 0.5" > /dev/null
# calls read by another argument's value (capture variants), timeouts, netlink messages: a
# checked-in dump whose header also gives the record fuzz target these syscalls' variants
cc -O1 -w -o "$WORK/argdep" tests/progs/argdep.c
cc -O1 -w -o "$WORK/netlink" tests/progs/netlink.c
mkdir -p "$WORK/argdep-dir"
rm -f "$OUT/decoding.raw"
env -i PATH=/usr/bin:/bin "$ETRACE" --raw -o "$OUT/decoding.raw" --stats=false -l warn \
    -s fcntl,ioctl,getsockopt,setsockopt,pselect6,select,utimensat,clock_nanosleep,sendto,recvmsg,socket,prctl,futex \
    -- sh -c "$WORK/argdep $WORK/argdep-dir; $WORK/netlink"
chmod 0644 "$OUT/decoding.raw"
cargo run --release --example fuzz-seeds -- testdata/fuzz known="$OUT/known.raw" dd="$OUT/dd.raw" \
    shapes="$WORK/shapes.raw" hostile-cmsg-1="$WORK/hostile-cmsg-1.raw" \
    hostile-cmsg-2="$WORK/hostile-cmsg-2.raw" inflight="$WORK/inflight.raw" \
    decoding="$OUT/decoding.raw"
ls -l "$OUT"
