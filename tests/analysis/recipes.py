#!/usr/bin/env python3
"""Run the recipes docs/analysis.md marks with `<!-- test: NAME KIND -->` (KIND: jq, parquet,
json) in DIR, which holds trace.parquet and trace.json, and print their answers as JSON:
{"NAME": {"KIND": [[cell, ...], ...]}}, every cell a string ("" for null)."""

import json
import re
import subprocess
import sys

import duckdb


def cell(v):
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def main():
    doc, workdir = sys.argv[1], sys.argv[2]
    text = open(doc, encoding="utf-8").read()
    blocks = re.findall(r"<!-- test: (\w+) (\w+) -->\n```(\w+)\n(.*?)```", text, re.S)
    if not blocks:
        sys.exit(f"{doc}: no recipes marked for testing")
    con = duckdb.connect()
    con.execute(f"SET file_search_path = '{workdir}'")
    out = {}
    for name, kind, _lang, body in blocks:
        if kind == "jq":
            run = subprocess.run(["sh", "-c", body], cwd=workdir, capture_output=True, text=True)
            if run.returncode != 0:
                sys.exit(f"{name} {kind}: {run.stderr}")
            rows = [line.split("\t") for line in run.stdout.splitlines()]
        else:
            rows = [[cell(v) for v in r] for r in con.sql(body).fetchall()]
        out.setdefault(name, {})[kind] = rows
    json.dump(out, sys.stdout)


main()
