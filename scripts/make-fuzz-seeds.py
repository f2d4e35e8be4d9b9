#!/usr/bin/env python3
"""Regenerate testdata/fuzz/ from testdata/dumps/ (run by make-testdata.sh).

record/: one record of each syscall number and of each other record type (context, fork, exec,
exit) found in the checked-in dumps, as the kernel wrote it, and two of each syscall of the
SHAPES dump (battery.c's sockaddr/iovec/msghdr/getdents calls). dump/: dd.raw whole, cut short,
with a corrupted record, the first 42 kB of known.raw, and the SHAPES dump.
"""
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DUMPS = os.path.join(ROOT, "testdata", "dumps")
FUZZ = os.path.join(ROOT, "testdata", "fuzz")
TYPES = {2: "ctx", 3: "fork", 4: "exec", 5: "exit"}


def records(path):
    data = open(path, "rb").read()
    off = 20 + struct.unpack_from("<I", data, 12)[0]
    while off + 12 <= len(data):
        kind = data[off + 2]
        (length,) = struct.unpack_from("<I", data, off + 4)
        body = data[off + 12 : off + 12 + length]
        off += 12 + length
        if kind == 1:
            yield body


def main():
    rec_dir = os.path.join(FUZZ, "record")
    os.makedirs(rec_dir, exist_ok=True)
    for f in os.listdir(rec_dir):
        os.remove(os.path.join(rec_dir, f))
    seen = set()
    shapes = os.environ.get("SHAPES")
    for name in ("known", "dd", "shapes"):
        path = shapes if name == "shapes" else os.path.join(DUMPS, name + ".raw")
        if not path:
            continue
        for body in records(path):
            (ty,) = struct.unpack_from("<H", body, 0)
            if ty == 1:
                (nr,) = struct.unpack_from("<I", body, 88)
                key = "nr%d" % nr
                if name == "shapes":  # two of each: their shapes vary more
                    key += "-%d" % (2 if key + "-1" in seen else 1)
            else:
                key = TYPES.get(ty, "type%d" % ty)
            if key in seen:
                continue
            seen.add(key)
            open(os.path.join(rec_dir, "%s-%s" % (name, key)), "wb").write(body)
    dump_dir = os.path.join(FUZZ, "dump")
    os.makedirs(dump_dir, exist_ok=True)
    dd = open(os.path.join(DUMPS, "dd.raw"), "rb").read()
    known = open(os.path.join(DUMPS, "known.raw"), "rb").read()
    open(os.path.join(dump_dir, "dd-whole"), "wb").write(dd)
    open(os.path.join(dump_dir, "dd-cut"), "wb").write(dd[: len(dd) * 2 // 3])
    bad = bytearray(dd)
    bad[len(bad) // 2] ^= 0x5A
    open(os.path.join(dump_dir, "dd-corrupt"), "wb").write(bytes(bad))
    open(os.path.join(dump_dir, "known-prefix"), "wb").write(known[:42000])
    if shapes:
        open(os.path.join(dump_dir, "shapes"), "wb").write(open(shapes, "rb").read())


if __name__ == "__main__":
    main()
