#!/usr/bin/env python3
"""Compare etrace's syscall sequence with strace -f's for one command.

usage: scripts/compare-strace.py ETRACE_BINARY -- COMMAND...

Runs the command under `strace -f` and under `etrace --json`, reduces each to one sequence of
(syscall, return value) per process (processes matched by order of first appearance), and
prints the differences with difflib. Exit status 0 when the sequences are identical.
Return values are compared as integers; strace's `?` (no return) matches etrace's null.
"""
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile

RET = r"(\?|0x[0-9a-f]+|-?\d+)(?: (E[A-Z0-9_]+))?"
LINE = re.compile(r"^(\d+)\s+(\w+)\((.*)\)\s+= " + RET)
RESUMED = re.compile(r"^(\d+)\s+<\.\.\. (\w+) resumed>.*\)\s+= " + RET)
ERRNO = {l.split()[1]: int(l.split()[0]) for l in open(os.path.join(os.path.dirname(__file__), "..", "formats", "errno.tbl"))
         if l.strip() and not l.startswith("#")}
UNFINISHED = re.compile(r"^(\d+)\s+(\w+)\(.*<unfinished \.\.\.>")
EXIT_NORET = re.compile(r"^(\d+)\s+(exit_group|exit)\(.*\)\s+= \?")
# strace's names for syscalls whose kernel definition is named differently
ALIASES = {"fstat": "newfstat", "stat": "newstat", "lstat": "newlstat", "uname": "newuname",
           "sendfile": "sendfile64", "umount2": "umount"}


def ret_value(r, err):
    """strace prints libc's view of a failure (-1 ENOENT); the kernel returned -ENOENT."""
    if r == "?":
        # `= ? ERESTARTSYS`: the kernel's restart code, which etrace shows as its value
        return -ERRNO[err] if err in ERRNO else None
    if err and r == "-1":
        return -ERRNO[err]
    return int(r, 16) if r.startswith("0x") else int(r)


# return values that differ between any two runs: addresses (ASLR; the `ret=hex` syscalls of
# formats/capture.rules) and process ids
HEX = {l.split()[0] for l in open(os.path.join(os.path.dirname(__file__), "..", "formats", "capture.rules"))
       if "ret=hex" in l and not l.startswith("#")}
PIDS = {"set_tid_address", "getpid", "gettid", "getppid", "clone", "clone3", "fork", "vfork", "wait4",
        "rt_sigreturn"}  # rt_sigreturn returns the register it restores: often a pid


def by_process(events):
    order, seqs = [], {}
    for pid, name, ret in events:
        if pid not in seqs:
            order.append(pid)
            seqs[pid] = []
        name = ALIASES.get(name, name)
        if ret is not None and ret >= 0 and (name in HEX or name in PIDS):
            ret = "<addr>" if name in HEX else "<pid>"
        seqs[pid].append(f"{name} = {ret}")
    return [seqs[p] for p in order]


def strace_events(cmd, tmp):
    out = os.path.join(tmp, "strace.txt")
    subprocess.run(["strace", "-f", "-qq", "-o", out, "--"] + cmd, stdout=subprocess.DEVNULL, check=False)
    evs = []
    for line in open(out, errors="replace"):
        m = LINE.match(line) or RESUMED.match(line)
        if m and line.find("resumed>") > 0 and m.group(2) in ("exit", "exit_group"):
            continue  # counted at its `<unfinished ...>` line
        if m:
            evs.append((m.group(1), m.group(2), ret_value(m.groups()[-2], m.groups()[-1])))
        elif UNFINISHED.match(line) and EXIT_NORET.match(line.replace("<unfinished ...>", ") = ?")):
            u = UNFINISHED.match(line)
            evs.append((u.group(1), u.group(2), None))
    return evs


def etrace_events(etrace, cmd, tmp):
    out = os.path.join(tmp, "etrace.json")
    p = subprocess.run([etrace, "--json", "-o", out, "--"] + cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, check=False)
    lost = re.search(r"Total lost: (\d+)", p.stderr)
    evs = []
    for line in open(out):
        e = json.loads(line)
        if "syscall" not in e:  # fork, exec and exit events have no strace line
            continue
        evs.append((str(e["pid"]) + "/" + str(e["tid"]), e["syscall"], e["ret"]))
    return evs, int(lost.group(1)) if lost else None


def main():
    args = sys.argv[1:]
    etrace, cmd = args[0], args[args.index("--") + 1:]
    with tempfile.TemporaryDirectory() as tmp:
        s = by_process(strace_events(cmd, tmp))
        e_raw, lost = etrace_events(etrace, cmd, tmp)
        e = by_process(e_raw)
    total = sum(len(x) for x in s)
    diffs = 0
    print(f"command: {' '.join(cmd)}")
    print(f"  processes/threads: strace {len(s)}, etrace {len(e)}; events: strace {total}, etrace {sum(len(x) for x in e)}; etrace lost: {lost}")
    for i in range(max(len(s), len(e))):
        a = s[i] if i < len(s) else []
        b = e[i] if i < len(e) else []
        for d in difflib.unified_diff(a, b, f"strace task {i}", f"etrace task {i}", n=1, lineterm=""):
            print("   ", d)
            if d.startswith(("+", "-")) and not d.startswith(("+++", "---")):
                diffs += 1
    print(f"  differing lines: {diffs}")
    return 0 if diffs == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
