#!/bin/sh
# Runs inside the VM that tests/vm.rs boots (an older stock kernel): every etrace run the host
# then checks. usage: guest.sh OUT ETRACE KNOWN SIGNALS STACK ARGDEP NETLINK   (OUT: a directory shared with the host)
set -u
OUT=$1 E=$2 KNOWN=$3 SIGNALS=$4 STACK=$5 ARGDEP=$6 NETLINK=$7
cd "$OUT" || exit 1
uname -r > kernel.txt
# run NAME CMD...: stdout, stderr and exit status of CMD in NAME.out, NAME.err, NAME.rc
run() {
	name=$1
	shift
	"$@" > "$name.out" 2> "$name.err"
	echo $? > "$name.rc"
}
mkdir -p s-known s-forced s-summary s-argdep
run features "$E" -l debug --summary -- true
run known "$E" --json -o known.json --also-raw known.raw -- "$KNOWN" "$OUT/s-known"
run forced env ETRACE_FORCE_FALLBACKS=1 "$E" --json -o forced.json -- "$KNOWN" "$OUT/s-forced"
run status "$E" -o status.txt -- sh -c 'exit 7'
run summary "$E" --summary -- "$KNOWN" "$OUT/s-summary"
# signals and their siginfo; a call blocked while traced (pending, then resumed)
run signals "$E" --json -o signals.json -- "$SIGNALS"
run pending "$E" -o pending.txt -- sh -c 'sleep 1; echo x'
# arguments read by another argument's value (capture variants), timeouts and the time left
run argdep "$E" -s fcntl,ioctl,getsockopt,pselect6,clock_nanosleep --json -o argdep.json -- "$ARGDEP" "$OUT/s-argdep"
# a netlink socket's messages (the kernel says which sockets are netlink ones)
run netlink "$E" -s sendto,recvmsg --json -o netlink.json -- "$NETLINK"
# -y: what fds refer to, resolved in the kernel; the same events as Parquet rows
run fds "$E" -y -s openat,read,close --json -o fds.json --parquet fds.parquet -- cat /etc/hostname
# -k: a stack known in advance, and its flamegraph
run stack "$E" -k -s getppid --json -o stack.json --flamegraph stack.svg -- "$STACK"
# -p: a shell that waits, then opens a file itself (a builtin's redirection)
sh -c 'sleep 8; read x < /etc/hostname' &
run pid "$E" -p $! --json -o pid.json
# --comm: once tracing has started, a cat
"$E" --comm cat -s openat --json -o comm.json 2> comm.err &
c=$!
n=0
until grep -q "Tracing started" comm.err || [ $n -ge 300 ]; do sleep 0.2; n=$((n + 1)); done
cat /etc/hostname > /dev/null
sleep 1
kill -INT $c
wait $c
echo $? > comm.rc
echo done > done
