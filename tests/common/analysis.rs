//! The analysis recipes of docs/analysis.md run on a capture in both forms (Parquet and JSON
//! Lines) by DuckDB and jq (tests/analysis/recipes.py), and the answers the test computes
//! itself from the JSON events.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Rows of an answer, every cell a string ("" for null).
pub type Rows = Vec<Vec<String>>;

/// A Python with the duckdb package: $ETRACE_PYTHON, the venv `make analysis-deps` makes, or
/// python3 when it has duckdb.
pub fn python() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        std::env::var_os("ETRACE_PYTHON").map(PathBuf::from),
        Some(root.join("target/analysis/venv/bin/python")),
        Some(PathBuf::from("python3")),
    ];
    for p in candidates.into_iter().flatten() {
        let ok = Command::new(&p)
            .args(["-c", "import duckdb"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return p;
        }
    }
    panic!("no Python with the duckdb package: run `make analysis-deps` (or set ETRACE_PYTHON)");
}

/// Run the marked recipes of docs/analysis.md on `json` and `parquet` (one capture, both
/// forms): name -> kind (jq, parquet, json) -> rows.
pub fn recipes(json: &Path, parquet: &Path) -> BTreeMap<String, BTreeMap<String, Rows>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(json, dir.path().join("trace.json")).unwrap();
    std::os::unix::fs::symlink(parquet, dir.path().join("trace.parquet")).unwrap();
    let o = Command::new(python())
        .arg(root.join("tests/analysis/recipes.py"))
        .arg(root.join("docs/analysis.md"))
        .arg(dir.path())
        .output()
        .expect("python runs");
    assert!(
        o.status.success(),
        "recipes failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

/// Rows of (key, count) by count descending, then key: how the recipes order them.
fn by_count<K: Ord + Clone>(counts: BTreeMap<K, usize>, cells: impl Fn(&K) -> Vec<String>) -> Rows {
    let mut v: Vec<_> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.iter()
        .map(|(k, n)| {
            let mut row = cells(k);
            row.push(n.to_string());
            row
        })
        .collect()
}

/// The four questions the issue names, answered from the JSON events (syscall and lifecycle)
/// by the test itself: calls per syscall, opened paths, failed calls by errno, exec'd programs
/// with their parent.
pub fn json_answers(evs: &[Value]) -> BTreeMap<&'static str, Rows> {
    let mut calls: BTreeMap<String, usize> = BTreeMap::new();
    let mut opened = BTreeSet::new();
    let mut failed: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut execs = Vec::new();
    for e in evs {
        if let Some(Value::String(sys)) = e.get("syscall") {
            *calls.entry(sys.clone()).or_default() += 1;
            let ret = e["ret"].as_i64();
            if ["open", "openat", "openat2", "creat"].contains(&sys.as_str())
                && ret.is_some_and(|r| r >= 0)
            {
                let a = &e["args"];
                let p = a
                    .get("filename")
                    .or(a.get("pathname"))
                    .unwrap_or(&Value::Null);
                opened.insert(text(p));
            }
            if let Some(Value::String(errno)) = e.get("errno") {
                *failed.entry((sys.clone(), errno.clone())).or_default() += 1;
            }
        } else if e["event"] == "exec" {
            let row = vec![text(&e["pid"]), text(&e["ppid"]), text(&e["filename"])];
            execs.push((e["ts"].as_u64().unwrap(), e["pid"].as_u64().unwrap(), row));
        }
    }
    execs.sort_by_key(|(ts, pid, _)| (*ts, *pid));
    BTreeMap::from([
        ("calls", by_count(calls, |s| vec![s.clone()])),
        ("opened", opened.into_iter().map(|p| vec![p]).collect()),
        (
            "failed",
            by_count(failed, |(s, e)| vec![s.clone(), e.clone()]),
        ),
        ("execs", execs.into_iter().map(|(_, _, r)| r).collect()),
    ])
}

/// Every recipe gives the same answer from jq over the JSON, SQL over the Parquet file and SQL
/// over the JSON; the four questions' answers are the test's own from the JSON events. The
/// answers, by recipe.
pub fn check(json: &Path, parquet: &Path) -> BTreeMap<String, Rows> {
    let got = recipes(json, parquet);
    let evs: Vec<Value> = std::fs::read_to_string(json)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut answers = BTreeMap::new();
    for (name, kinds) in &got {
        let pq = &kinds["parquet"];
        for (kind, rows) in kinds {
            assert_eq!(rows, pq, "{name}: {kind} and parquet differ");
        }
        assert_eq!(kinds.len(), 3, "{name}: {:?}", kinds.keys());
        answers.insert(name.clone(), pq.clone());
    }
    for (name, rows) in json_answers(&evs) {
        assert_eq!(
            answers.get(name),
            Some(&rows),
            "{name}: the recipes and the JSON differ"
        );
    }
    answers
}
