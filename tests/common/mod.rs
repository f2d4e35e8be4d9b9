//! Helpers shared by the integration tests: decoding a dump to JSON events, reading the
//! `--summary` table, and the values tests/progs/known.c makes.
#![allow(dead_code)] // each test binary uses some of them

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

pub mod analysis;
pub mod live;

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

pub const CONTENT: &str = "etrace-known-content\n";

pub fn find(evs: &[Value], pred: impl Fn(&Value) -> bool) -> Vec<&Value> {
    evs.iter().filter(|e| pred(e)).collect()
}

pub fn is(e: &Value, sys: &str) -> bool {
    e["syscall"] == sys
}

/// Every value tests/progs/known.c is known to make, checked in its syscall events: `prog`
/// is the program's path and `scratch` the directory it was given.
pub fn check_known(evs: &[Value], prog: &Path, scratch: &Path) {
    let prog = prog.to_str().unwrap();
    let file = scratch.join("known.txt").to_str().unwrap().to_string();

    // the first event is the command's execve: none of etrace's set-up in the child shows
    let first = &evs[0];
    assert!(is(first, "execve"), "first event: {first}");
    assert_eq!(first["args"]["filename"], prog);
    assert_eq!(first["args"]["argv"][1], scratch.to_str().unwrap());
    assert_eq!(first["ret"], 0);
    let main_pid = first["pid"].as_u64().unwrap();

    // openat: path, flags O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, mode 0640, dfd AT_FDCWD signed
    let opens = find(evs, |e| {
        is(e, "openat") && e["args"]["filename"] == file.as_str()
    });
    assert_eq!(opens.len(), 2, "two opens of {file}");
    assert_eq!(opens[0]["args"]["dfd"], -100);
    assert_eq!(opens[0]["args"]["flags"], 0o1 | 0o100 | 0o1000 | 0o2000000);
    assert_eq!(opens[0]["args"]["mode"], 0o640);
    // the symbolic forms sit beside the numbers
    assert_eq!(opens[0]["sym"]["dfd"], "AT_FDCWD");
    assert_eq!(
        opens[0]["sym"]["flags"],
        "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC"
    );
    assert_eq!(opens[0]["sym"]["mode"], "0640");
    assert!(opens[0]["ret"].as_i64().unwrap() >= 3);
    assert_eq!(opens[1]["args"]["flags"], 0);

    // the bytes written (captured at entry) and read back (captured at exit)
    let writes = find(evs, |e| is(e, "write") && e["args"]["buf"] == CONTENT);
    assert_eq!(writes.len(), 1);
    assert_eq!(writes[0]["args"]["count"], CONTENT.len());
    assert_eq!(writes[0]["ret"], CONTENT.len());
    let reads = find(evs, |e| is(e, "read") && e["args"]["buf"] == CONTENT);
    assert_eq!(reads.len(), 1, "read of the file's content");
    assert_eq!(reads[0]["args"]["count"], 128);
    assert_eq!(reads[0]["ret"], CONTENT.len());

    // stat's struct, laid out from BTF
    let stats = find(evs, |e| {
        is(e, "newfstatat") && e["args"]["filename"] == file.as_str()
    });
    assert_eq!(stats.len(), 1);
    assert_eq!(stats[0]["args"]["statbuf"]["st_size"], CONTENT.len());
    assert_eq!(
        stats[0]["args"]["statbuf"]["st_mode"].as_u64().unwrap() & 0o777,
        0o640
    );

    // a failing call: -ENOENT
    let missing = scratch.join("does-not-exist");
    let fail = find(evs, |e| {
        is(e, "openat") && e["args"]["filename"] == missing.to_str().unwrap()
    });
    assert_eq!(fail.len(), 1);
    assert_eq!(fail[0]["ret"], -2);
    assert_eq!(fail[0]["errno"], "ENOENT");

    // a read that blocked ~200 ms until the child wrote: reported with its entry data intact
    let late = find(evs, |e| is(e, "read") && e["args"]["buf"] == "late");
    assert_eq!(late.len(), 1);
    assert_eq!(late[0]["ret"], 4);
    assert_eq!(late[0]["pid"].as_u64().unwrap(), main_pid);
    assert!(
        late[0]["duration_ns"].as_u64().unwrap() >= 100_000_000,
        "{}",
        late[0]
    );

    // the child process (followed through fork) and its write
    let child_w = find(evs, |e| is(e, "write") && e["args"]["buf"] == "late");
    assert_eq!(child_w.len(), 1);
    assert_ne!(child_w[0]["pid"].as_u64().unwrap(), main_pid);
    assert_eq!(child_w[0]["ppid"].as_u64().unwrap(), main_pid);
    assert_eq!(child_w[0]["ret"], 4);

    // the second thread: same process, another tid
    let from_thread = scratch.join("from-thread");
    let t = find(evs, |e| {
        is(e, "openat") && e["args"]["filename"] == from_thread.to_str().unwrap()
    });
    assert_eq!(t.len(), 1);
    assert_eq!(t[0]["pid"].as_u64().unwrap(), main_pid);
    assert_ne!(t[0]["tid"].as_u64().unwrap(), main_pid);
    assert_eq!(t[0]["ret"], -2);

    // execve of /bin/true: filename and every argv element, read at entry
    let ex = find(evs, |e| {
        is(e, "execve") && e["args"]["filename"] == "/bin/true"
    });
    assert_eq!(ex.len(), 1);
    assert_eq!(
        ex[0]["args"]["argv"],
        serde_json::json!(["true", "etrace-argv-marker"])
    );
    assert_eq!(ex[0]["ret"], 0);
    assert_eq!(ex[0]["pid"].as_u64().unwrap(), main_pid);

    // exit_group never returns: its event has ret null; one per process
    let exits = find(evs, |e| is(e, "exit_group"));
    assert_eq!(exits.len(), 2, "the child's and true's");
    assert!(exits.iter().all(|e| e["ret"].is_null()));
}
