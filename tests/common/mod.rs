//! Helpers shared by the integration tests: decoding a dump to JSON events, and reading the
//! `--summary` table.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// `etrace --input DUMP --json --stdout EXTRA...`: its syscall events and the whole output.
pub fn decode_dump(dump: &Path, extra: &[&str]) -> (Vec<Value>, Output) {
    let (evs, o) = decode_dump_all(dump, extra);
    let evs = evs
        .into_iter()
        .filter(|e| e.get("syscall").is_some())
        .collect();
    (evs, o)
}

/// As decode_dump, with the lifecycle events (fork, exec, exit) too.
pub fn decode_dump_all(dump: &Path, extra: &[&str]) -> (Vec<Value>, Output) {
    let o = Command::new(env!("CARGO_BIN_EXE_etrace"))
        .args(["--input", dump.to_str().unwrap(), "--json", "--stdout"])
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .expect("etrace runs");
    let evs = String::from_utf8(o.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (evs, o)
}

/// The `calls` column of --summary's table, per syscall.
pub fn summary_calls(stderr: &str) -> BTreeMap<String, u64> {
    stderr
        .lines()
        .skip_while(|l| !l.starts_with("% time"))
        .skip(2)
        .take_while(|l| !l.starts_with("---"))
        .map(|l| {
            let c: Vec<&str> = l.split_whitespace().collect();
            (c[c.len() - 1].to_string(), c[3].parse().unwrap())
        })
        .collect()
}
