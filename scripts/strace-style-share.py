#!/usr/bin/env python3
"""How many of etrace's `--style strace` lines equal strace's, exactly.

usage: scripts/strace-style-share.py ETRACE_BINARY [CLASS...] -- COMMAND...

Runs the command under `strace -f -qq -o` and under `etrace --style strace -o`, and compares
the lines of the syscalls in the given classes of formats/syscall-classes (default: %file
%process), process by process (matched by order of first appearance). What differs between
any two runs is made equal on both sides first: thread ids, addresses (0x...), the process
ids clone/fork/wait4/getpid return. Lines strace split in two (`<unfinished ...>` and
`<... resumed>`) are left out on both sides. Prints the share of etrace's lines that have an
identical strace line, and the most common differences.
"""
import collections
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(__file__), "..")
PIDS = {"clone", "clone3", "fork", "vfork", "wait4", "getpid", "gettid", "getppid", "set_tid_address"}


def classes():
    out, cur = {}, None
    for l in open(os.path.join(ROOT, "formats", "syscall-classes")):
        l = l.split("#")[0].split()
        for w in l:
            if w.startswith("%"):
                cur = w
                out.setdefault(cur, set())
            elif cur:
                out[cur].add(w)
    return out


def lines(path, keep):
    order, by = {}, collections.defaultdict(list)
    text = open(path, errors="replace").read().splitlines()
    tids = {l.split()[0] for l in text if l[:1].isdigit()}
    for l in text:
        m = re.match(r"^(\d+)\s+(.*)$", l.rstrip("\n"))
        if not m:
            continue
        tid, rest = m.groups()
        if "<unfinished ...>" in rest or rest.startswith("<...") or rest.startswith(("---", "+++")):
            continue
        name = rest.split("(")[0]
        if name not in keep:
            continue
        idx = order.setdefault(tid, len(order))
        rest = re.sub(r"0x[0-9a-f]+", "0xADDR", rest)
        # process ids differ between runs: as arguments (kill, wait4) and results
        rest = re.sub(r"\b\d+\b", lambda m: "PID" if m.group(0) in tids else m.group(0), rest)
        if name in PIDS:
            rest = re.sub(r"= \d+$", "= PID", rest)
        by[idx].append(rest)
    return by


def main():
    args = sys.argv[1:]
    sep = args.index("--")
    etrace, wanted, cmd = args[0], args[1:sep] or ["%file", "%process"], args[sep + 1:]
    cl = classes()
    keep = set().union(*(cl[c] for c in wanted))
    keep |= {"newfstatat", "newstat", "newlstat", "newfstat", "fstat", "stat", "lstat"} & keep
    with tempfile.TemporaryDirectory() as tmp:
        s, e = os.path.join(tmp, "s.txt"), os.path.join(tmp, "e.txt")
        subprocess.run(["strace", "-f", "-qq", "-o", s, "--"] + cmd, stdout=subprocess.DEVNULL, check=False)
        subprocess.run([etrace, "--style", "strace", "-o", e, "--"] + cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        theirs, ours = lines(s, keep), lines(e, keep)
    total = same = 0
    diffs = collections.Counter()
    for idx, mine in ours.items():
        pool = collections.Counter(theirs.get(idx, []))
        for l in mine:
            total += 1
            if pool[l] > 0:
                pool[l] -= 1
                same += 1
            else:
                diffs[l.split("(")[0]] += 1
    print(f"{' '.join(wanted)}: {same} of {total} etrace lines equal strace's exactly "
          f"({100 * same / max(total, 1):.1f}%)")
    for name, n in diffs.most_common(12):
        print(f"  differs: {name} x{n}")


if __name__ == "__main__":
    main()
