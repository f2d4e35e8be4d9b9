#!/bin/sh
# timed.sh CMD...: run CMD (output discarded) and append its wall time in microseconds to
# $TIMED_OUT. The benchmark traces this script with its command, so the tracer's own start-up
# and drain stay out of the figure.
s=$(date +%s%N)
"$@" > /dev/null 2>&1
rc=$?
e=$(date +%s%N)
echo $(( (e - s) / 1000 )) >> "$TIMED_OUT"
exit $rc
