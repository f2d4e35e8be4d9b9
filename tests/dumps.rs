//! Dump tests: decode the dumps checked in under testdata/dumps (captured on a real kernel from
//! programs whose syscalls are known; see testdata/README.md) without root and without the local
//! kernel's BTF or tracefs, and check what a damaged dump does.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

mod common;
#[path = "common/crafted.rs"]
#[allow(dead_code)] // the hostile dumps are tests/hostile.rs's
mod crafted;
use common::{decode_dump, decode_dump_all, summary_calls};

const ETRACE: &str = env!("CARGO_BIN_EXE_etrace");

fn dumps() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/dumps")
}

fn etrace(args: &[&str]) -> Output {
    Command::new(ETRACE)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("etrace runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn of<'a>(evs: &'a [Value], sys: &str) -> Vec<&'a Value> {
    evs.iter().filter(|e| e["syscall"] == sys).collect()
}

/// What tests/progs/known.c is known to do, checked on the decoded dump.
fn check_known(evs: &[Value]) {
    let exec = of(evs, "execve");
    assert_eq!(exec.len(), 2);
    assert_eq!(
        exec[0]["args"]["filename"],
        "/tmp/etrace-testdata/etrace-known"
    );
    assert_eq!(exec[1]["args"]["filename"], "/bin/true");
    assert_eq!(
        exec[1]["args"]["argv"],
        serde_json::json!(["true", "etrace-argv-marker"])
    );
    let pid = exec[0]["pid"].as_u64().unwrap();
    let file = "/tmp/etrace-testdata/scratch/known.txt";
    let opens = of(evs, "openat");
    let to_file: Vec<_> = opens
        .iter()
        .filter(|e| e["args"]["filename"] == file)
        .collect();
    assert_eq!(to_file.len(), 2);
    // O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, mode 0640
    assert_eq!(
        to_file[0]["args"]["flags"],
        0o1 | 0o100 | 0o1000 | 0o2000000
    );
    assert_eq!(to_file[0]["args"]["mode"], 0o640);
    assert_eq!(to_file[0]["args"]["dfd"], -100);
    assert_eq!(to_file[0]["sym"]["dfd"], "AT_FDCWD");
    assert_eq!(
        to_file[0]["sym"]["flags"],
        "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC"
    );
    assert_eq!(to_file[1]["sym"]["flags"], "O_RDONLY");
    let missing: Vec<_> = opens
        .iter()
        .filter(|e| e["args"]["filename"] == "/tmp/etrace-testdata/scratch/does-not-exist")
        .collect();
    assert_eq!(missing.len(), 1);
    assert_eq!(
        (&missing[0]["ret"], &missing[0]["errno"]),
        (&(-2).into(), &"ENOENT".into())
    );
    let write = of(evs, "write")
        .into_iter()
        .find(|e| e["args"]["buf"] == "etrace-known-content\n")
        .expect("the write of the content");
    assert_eq!(
        (&write["args"]["count"], &write["ret"]),
        (&21.into(), &21.into())
    );
    let read = of(evs, "read")
        .into_iter()
        .find(|e| e["args"]["buf"] == "etrace-known-content\n")
        .expect("the read of the content");
    assert_eq!(
        (&read["args"]["count"], &read["ret"]),
        (&128.into(), &21.into())
    );
    let stat = of(evs, "newfstatat")
        .into_iter()
        .find(|e| e["args"]["filename"] == file)
        .unwrap();
    assert_eq!(stat["args"]["statbuf"]["st_size"], 21);
    assert_eq!(stat["args"]["statbuf"]["st_mode"], 0o100640);
    assert_eq!(stat["sym"]["statbuf"]["st_mode"], "S_IFREG|0640");
    // the child's late write, read by the parent after blocking
    let late_w = of(evs, "write")
        .into_iter()
        .find(|e| e["args"]["buf"] == "late")
        .unwrap();
    assert_ne!(late_w["pid"].as_u64(), Some(pid));
    assert_eq!(late_w["ppid"].as_u64(), Some(pid));
    let late_r = of(evs, "read")
        .into_iter()
        .find(|e| e["args"]["buf"] == "late")
        .unwrap();
    assert_eq!(
        (late_r["pid"].as_u64(), &late_r["ret"]),
        (Some(pid), &4.into())
    );
    assert!(late_r["duration_ns"].as_u64().unwrap() > 100_000_000);
    // the thread's failed open: same process, another thread
    let th = opens
        .iter()
        .find(|e| e["args"]["filename"] == "/tmp/etrace-testdata/scratch/from-thread")
        .unwrap();
    assert_eq!(th["pid"].as_u64(), Some(pid));
    assert_ne!(th["tid"].as_u64(), Some(pid));
    assert_eq!(th["errno"], "ENOENT");
    // exit_group never returns
    assert!(of(evs, "exit_group").iter().all(|e| e["ret"].is_null()));
}

#[test]
fn checked_in_dumps_decode_to_the_live_json_and_the_reviewed_text() {
    for name in ["known", "dd"] {
        let raw = dumps().join(format!("{name}.raw"));
        let o = etrace(&["--input", raw.to_str().unwrap(), "--json", "--stdout"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let live = std::fs::read(dumps().join(format!("{name}.json"))).unwrap();
        assert!(
            o.stdout == live,
            "{name}: the dump does not decode to what the live run printed"
        );
        let o = etrace(&["--input", raw.to_str().unwrap(), "--stdout"]);
        let text = std::fs::read(dumps().join(format!("{name}.txt"))).unwrap();
        assert!(o.stdout == text, "{name}: text differs from {name}.txt");
    }
}

#[test]
fn known_dump_decodes_the_values_the_program_is_known_for() {
    let (evs, o) = decode_dump(&dumps().join("known.raw"), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    check_known(&evs);
    // known.c forks a child (exit 0), starts a thread, then execs true
    let (all, _) = decode_dump_all(&dumps().join("known.raw"), &[]);
    let life = |kind: &str| -> Vec<&Value> { all.iter().filter(|e| e["event"] == kind).collect() };
    let main = evs.iter().find(|e| e["comm"] == "etrace-known").unwrap()["pid"].clone();
    let forks = life("fork");
    let child = forks
        .iter()
        .find(|f| f["kind"] == "process")
        .expect("fork() of the child");
    assert_eq!((&child["pid"], &child["via"]), (&main, &"clone".into()));
    assert!(child["sym"]["clone_flags"]
        .as_str()
        .unwrap()
        .starts_with("SIGCHLD"));
    let thread = forks
        .iter()
        .find(|f| f["kind"] == "thread")
        .expect("the thread");
    assert_eq!(
        (&thread["child_pid"], &thread["via"]),
        (&main, &"clone3".into())
    );
    assert!(thread["sym"]["clone_flags"]
        .as_str()
        .unwrap()
        .contains("CLONE_THREAD"));
    let exits = life("exit");
    let ended = |tid: &Value| exits.iter().find(|e| &e["tid"] == tid).copied().unwrap();
    assert_eq!(ended(&child["child_pid"])["exit_code"], 0);
    assert_eq!(ended(&child["child_pid"])["last_thread"], true);
    assert_eq!(ended(&thread["child_tid"])["last_thread"], false);
    let exec_true = life("exec")
        .into_iter()
        .find(|e| e["comm"] == "true")
        .unwrap();
    assert_eq!(
        (&exec_true["pid"], &exec_true["old_comm"]),
        (&main, &"etrace-known".into())
    );
    // every event carries the context; the capture ran as root in the host's namespaces
    assert!(all
        .iter()
        .all(|e| e["ctx"]["uid"] == 0 && e["ctx"]["ns"]["pid"].as_u64() > Some(0)));
    // the dd dump: three bytes of /etc/hostname copied one at a time, then end of file
    let (evs, _) = decode_dump(&dumps().join("dd.raw"), &[]);
    let reads: Vec<_> = of(&evs, "read")
        .into_iter()
        .filter(|e| e["args"]["fd"] == 0)
        .collect();
    let writes: Vec<_> = of(&evs, "write")
        .into_iter()
        .filter(|e| e["args"]["fd"] == 1)
        .collect();
    assert!(reads.len() >= 2);
    let last = reads.last().unwrap();
    assert_eq!(last["ret"], 0, "the copy ends at end of file");
    assert_eq!(writes.len(), reads.len() - 1);
    for (r, w) in reads.iter().zip(&writes) {
        assert_eq!((&r["args"]["count"], &r["ret"]), (&1.into(), &1.into()));
        assert_eq!(r["args"]["buf"], w["args"]["buf"], "dd writes what it read");
        assert_eq!(w["ret"], 1);
    }
}

#[test]
fn filters_and_stats_apply_to_a_dump() {
    let raw = dumps().join("known.raw");
    let (evs, o) = decode_dump(&raw, &["-s", "openat", "--comm", "true"]);
    assert!(o.status.success());
    assert!(!evs.is_empty());
    assert!(evs
        .iter()
        .all(|e| e["syscall"] == "openat" && e["comm"] == "true"));
    assert!(evs
        .iter()
        .any(|e| e["args"]["filename"] == "/lib/x86_64-linux-gnu/libc.so.6"));
    // the table comes from the dump's trailer: its totals are the records the dump holds
    let (all, o) = decode_dump(&raw, &["--stats"]);
    let err = stderr(&o);
    assert!(
        err.contains(&format!("Total events: {}\n", all.len())),
        "{err}"
    );
    assert!(err.contains("Total lost: 0\n"), "{err}");
    let closes = of(&all, "close").len();
    let row = err
        .lines()
        .find(|l| l.split_whitespace().next() == Some("close"))
        .unwrap();
    assert_eq!(
        row.split_whitespace().collect::<Vec<_>>(),
        ["close", &closes.to_string(), "0"]
    );
    let o = etrace(&["--input", raw.to_str().unwrap(), "-s", "opnat"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("unknown syscall `opnat`; did you mean openat"));
}

/// Where the records start: after the 20-byte preamble and the header it sizes.
fn records_start(dump: &[u8]) -> usize {
    20 + u32::from_le_bytes(dump[12..16].try_into().unwrap()) as usize
}

fn write_tmp(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn a_dump_cut_short_decodes_every_complete_record_then_says_where_it_stopped() {
    let full = std::fs::read(dumps().join("known.raw")).unwrap();
    let (all, _) = decode_dump_all(&dumps().join("known.raw"), &[]);
    let dir = tempfile::tempdir().unwrap();
    let start = records_start(&full);
    let cut = write_tmp(
        dir.path(),
        "cut.raw",
        &full[..start + (full.len() - start) * 2 / 3],
    );
    let (evs, o) = decode_dump_all(&cut, &[]);
    let err = stderr(&o);
    assert!(o.status.success(), "not strict: exit 0; {err}");
    assert!(evs.len() > all.len() / 2 && evs.len() < all.len());
    assert_eq!(evs[..], all[..evs.len()], "a prefix of the same events");
    assert!(err.contains("cut short at byte "), "{err}");
    // the records are the events and the context records
    assert!(
        err.contains(&format!("{} events decoded from ", evs.len())),
        "{err}"
    );
    assert!(
        err.contains("events lost at capture: unknown (no trailer)"),
        "{err}"
    );
    assert_eq!(err.lines().filter(|l| l.contains("panicked")).count(), 0);
    let o = etrace(&[
        "--input",
        cut.to_str().unwrap(),
        "--json",
        "--stdout",
        "--strict",
    ]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn corrupt_records_are_skipped_with_their_offset() {
    let mut bytes = std::fs::read(dumps().join("known.raw")).unwrap();
    let (all, _) = decode_dump(&dumps().join("known.raw"), &[]);
    let at = records_start(&bytes) + (bytes.len() - records_start(&bytes)) / 2;
    for b in &mut bytes[at..at + 64] {
        *b ^= 0x5a;
    }
    let dir = tempfile::tempdir().unwrap();
    let bad = write_tmp(dir.path(), "bad.raw", &bytes);
    let (evs, o) = decode_dump(&bad, &[]);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("corrupt bytes at "), "{err}");
    // one or two records overlap the damage; every other one decodes unchanged
    assert!(evs.len() >= all.len() - 2 && evs.len() < all.len());
    assert!(evs.iter().all(|e| all.contains(e)));
    let o = etrace(&[
        "--input",
        bad.to_str().unwrap(),
        "--json",
        "--stdout",
        "--strict",
    ]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn bad_headers_are_one_clear_line() {
    let full = std::fs::read(dumps().join("known.raw")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut damaged = full.clone();
    damaged[100] ^= 1;
    let mut future = full.clone();
    future[8] = 9;
    let cases: [(&str, Vec<u8>, &str); 5] = [
        ("empty", vec![], "empty file, not an etrace dump"),
        ("text", b"hello\n".to_vec(), "not an etrace dump"),
        (
            "damaged",
            damaged,
            "damaged dump header: its checksum does not match",
        ),
        (
            "short",
            full[..300].to_vec(),
            "damaged dump header: the file ends inside it",
        ),
        (
            "future",
            future,
            "etrace dump format version 9 (written by etrace ",
        ),
    ];
    for (name, bytes, want) in cases {
        let p = write_tmp(dir.path(), name, &bytes);
        let o = etrace(&["--input", p.to_str().unwrap()]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(err.contains(want), "{name}: {err}");
    }
}

#[test]
fn decodes_with_no_kernel_files_and_no_root() {
    // a private mount namespace where /sys is an empty tmpfs (no BTF, no tracefs, nothing to
    // mount it from), and etrace running as nobody
    if unsafe_geteuid() != 0 {
        panic!("this test needs root to make a mount namespace (CI runs as root)");
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let raw = dir.path().join("known.raw");
    std::fs::copy(dumps().join("known.raw"), &raw).unwrap();
    let bin = dir.path().join("etrace");
    std::fs::copy(ETRACE, &bin).unwrap();
    let script = format!(
        "mount -t tmpfs none /sys && test ! -e /sys/kernel/btf/vmlinux && test ! -e /sys/kernel/tracing && \
         exec setpriv --reuid=65534 --regid=65534 --clear-groups {} --input {} --json --stdout",
        bin.display(),
        raw.display()
    );
    let o = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", &script])
        .output()
        .expect("unshare (util-linux) runs");
    assert!(o.status.success(), "{}", stderr(&o));
    let evs: Vec<Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    check_known(&evs);
    let live = std::fs::read_to_string(dumps().join("known.json")).unwrap();
    assert_eq!(evs.len(), live.lines().count());
}

fn unsafe_geteuid() -> u32 {
    extern "C" {
        fn geteuid() -> u32;
    }
    // SAFETY: geteuid has no preconditions.
    unsafe { geteuid() }
}

#[test]
fn fuzz_corpus_decodes_without_panicking() {
    // the seed corpus of the fuzz targets (fuzz/), run as plain inputs
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fuzz");
    let mut n = 0;
    for target in ["dump", "record"] {
        for entry in std::fs::read_dir(root.join(target)).unwrap() {
            let data = std::fs::read(entry.unwrap().path()).unwrap();
            match target {
                "dump" => etrace::fuzzing::dump(&data),
                _ => etrace::fuzzing::record(&data),
            }
            n += 1;
        }
    }
    assert!(n >= 10, "the corpus has {n} inputs");
}

#[test]
fn failed_filter_applies_to_a_dump() {
    let raw = dumps().join("known.raw");
    let (all, _) = decode_dump(&raw, &[]);
    let (failed, o) = decode_dump(&raw, &["--failed"]);
    assert!(o.status.success());
    let want: Vec<&Value> = all
        .iter()
        .filter(|e| e["ret"].as_i64().is_some_and(|r| (-4095..0).contains(&r)))
        .collect();
    assert!(want.len() >= 3, "known.c fails at least three calls");
    assert_eq!(failed.iter().collect::<Vec<_>>(), want);
}

#[test]
fn summary_of_a_dump_counts_its_events() {
    let raw = dumps().join("known.raw");
    let (evs, _) = decode_dump(&raw, &[]);
    let mut want = std::collections::BTreeMap::new();
    for e in &evs {
        *want
            .entry(e["syscall"].as_str().unwrap().to_string())
            .or_insert(0u64) += 1;
    }
    let o = etrace(&[
        "--input",
        raw.to_str().unwrap(),
        "--summary",
        "--histogram",
        "read",
    ]);
    assert!(o.status.success());
    assert!(o.stdout.is_empty(), "summary only: no events printed");
    let err = stderr(&o);
    assert_eq!(summary_calls(&err), want, "{err}");
    assert!(err.contains("@read latency (ns):"), "{err}");
}

/// A dump as an aarch64 machine records one: openat is syscall 56 there, and O_DIRECTORY is
/// 040000 (O_DIRECT on x86_64).
fn synthetic_dump(arch: &str) -> Vec<u8> {
    use etrace::dump::{Header, Writer};
    use etrace::schema::wire::{WireArg, WireCapture, WireSchema, WireSyscall, WireType};
    use etrace::tables::Dir;
    let int = |size, signed| WireType::Int {
        size,
        signed,
        is_char: false,
        is_bool: false,
    };
    let arg = |name: &str, value, capture| WireArg {
        name: name.into(),
        ctype: "int".into(),
        value,
        capture,
    };
    let schema = WireSchema {
        types: vec![int(4, true), WireType::Ptr, int(2, false)],
        syscalls: vec![WireSyscall {
            nr: 56,
            name: "openat".into(),
            args: vec![
                arg("dfd", 0, WireCapture::None),
                arg("filename", 1, WireCapture::Str { dir: Dir::In }),
                arg("flags", 0, WireCapture::None),
                arg("mode", 2, WireCapture::None),
            ],
            noreturn: false,
            ret_hex: false,
        }],
        ..Default::default()
    };
    let header = Header {
        arch: arch.into(),
        ..crafted::header(schema)
    };
    let mut w = Writer::new(Vec::new(), &header).unwrap();
    let flags = 0o40000 | 0o2000000; // O_DIRECTORY|O_CLOEXEC on aarch64
    let rec = etrace::model::record::build(
        56,
        [(-100i64) as u64, 0x1000, flags, 0, 0, 0],
        Some(3),
        &[(1, 0, b"/etc")],
    );
    w.record(&rec).unwrap();
    w.flush().unwrap();
    std::mem::take(w.get_mut())
}

#[test]
fn a_dump_from_an_aarch64_machine_decodes_with_its_tables() {
    let tmp = tempfile::tempdir().unwrap();
    for (arch, want) in [
        ("aarch64", "O_RDONLY|O_CLOEXEC|O_DIRECTORY"),
        ("x86_64", "O_RDONLY|O_DIRECT|O_CLOEXEC"),
    ] {
        let p = tmp.path().join(format!("{arch}.raw"));
        std::fs::write(&p, synthetic_dump(arch)).unwrap();
        let (evs, o) = decode_dump(&p, &[]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(evs.len(), 1);
        let e = &evs[0];
        assert_eq!(e["syscall"], "openat");
        assert_eq!(e["nr"], 56);
        assert_eq!(e["args"]["filename"], "/etc");
        assert_eq!(e["args"]["dfd"], -100);
        assert_eq!(e["sym"]["flags"], want, "{arch}");
        assert_eq!(e["ret"], 3);
    }
}

#[test]
fn text_is_abbreviated_as_strace_does_and_v_shows_everything() {
    let raw = dumps().join("known.raw");
    let text = |extra: &[&str]| {
        let mut args = vec!["--input", raw.to_str().unwrap(), "--stdout"];
        args.extend_from_slice(extra);
        let o = etrace(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        String::from_utf8(o.stdout).unwrap()
    };
    let stat = |t: &str| {
        t.lines()
            .find(|l| l.contains("scratch/known.txt\", statbuf: {"))
            .unwrap_or_else(|| panic!("{t}"))
            .to_string()
    };
    // known.c stats the 21-byte file it wrote, mode 0640
    let short = stat(&text(&[]));
    assert!(
        short.contains("statbuf: {st_mode: S_IFREG|0640, st_size: 21, ...}"),
        "{short}"
    );
    let long = stat(&text(&["-v"]));
    assert!(
        long.contains("st_nlink: 1") && long.contains("st_size: 21, st_blksize:"),
        "{long}"
    );
    assert!(!long.contains("..."), "{long}");
    // -v: times with their date, as strace -v shows them
    assert!(
        long.contains("st_mtime: ") && long.contains(" /* 20"),
        "{long}"
    );
    // JSON is whole either way
    let (evs, _) = decode_dump(&raw, &[]);
    assert!(evs.iter().any(|e| e["args"]["statbuf"]["st_nlink"] == 1));
}

/// Decoding on several threads writes exactly what one thread writes: every checked-in dump,
/// in chunks of 3 and 7 records (so that thread contexts, calls pending and fds cross from
/// chunk to chunk, and so from thread to thread), in text, JSON and the other forms, with the
/// filters each thread applies to its chunks and the summary and counters they add up.
#[test]
fn parallel_decoding_writes_what_one_thread_writes() {
    let modes: [&[&str]; 9] = [
        &["--json"],
        &[],
        &["-yy"],
        &["--style", "strace"],
        &["-T", "-tt", "--context"],
        &["-yy", "-P", "/etc/ld.so.cache"],
        &["--comm", "cat", "--json"],
        &["--failed"],
        &["--summary", "--json"],
    ];
    // two of the syscalls each dump holds
    for (name, some) in [
        ("known.raw", "read,openat"),
        ("dd.raw", "read,openat"),
        ("decoding.raw", "fcntl,ioctl"),
    ] {
        let dump = dumps().join(name);
        let picked: &[&str] = &["-s", some, "-y"];
        for mode in modes.into_iter().chain([picked]) {
            let run = |threads: &str, chunk: &str| {
                let o = Command::new(ETRACE)
                    .args(["--input", dump.to_str().unwrap(), "--stdout", "-l", "warn"])
                    .args(mode)
                    .env("ETRACE_DECODE_THREADS", threads)
                    .env("ETRACE_DECODE_CHUNK", chunk)
                    .stdin(Stdio::null())
                    .output()
                    .unwrap();
                assert!(o.status.success(), "{}", stderr(&o));
                // the output, then the counters and summary (on standard error)
                [o.stdout, o.stderr].concat()
            };
            let one = run("1", "2048");
            assert!(one.len() > 100, "{name} {mode:?}: {} bytes", one.len());
            for (threads, chunk) in [("2", "3"), ("3", "7"), ("2", "1")] {
                assert!(
                    run(threads, chunk) == one,
                    "{name} {mode:?}: {threads} threads, chunks of {chunk} differ"
                );
            }
        }
    }
}

/// A full disk while decoding is one line naming the output and exit status 1, on one thread
/// or several.
#[test]
fn decoding_onto_a_full_disk_is_one_line_naming_the_output() {
    let dump = dumps().join("known.raw");
    for threads in ["1", "2"] {
        let o = Command::new(ETRACE)
            .args([
                "--input",
                dump.to_str().unwrap(),
                "--json",
                "-o",
                "/dev/full",
            ])
            .args(["--stats=false"])
            .env("ETRACE_DECODE_THREADS", threads)
            .env("ETRACE_DECODE_CHUNK", "5")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(1),
            "{threads} threads: {}",
            stderr(&o)
        );
        let err = stderr(&o);
        let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("etrace:")).collect();
        assert_eq!(lines.len(), 1, "{err}");
        assert!(
            lines[0].contains("writing to /dev/full") && lines[0].contains("No space left"),
            "{threads} threads: {err}"
        );
    }
}

/// --ctx changes: a line without `ctx` has its thread's last one. Carried forward, the lines'
/// contexts are every line's in the default output, and the lines are otherwise the same.
#[test]
fn ctx_changes_lines_carry_the_threads_last_context() {
    for name in ["known.raw", "decoding.raw"] {
        let dump = dumps().join(name);
        let (every, o) = decode_dump_all(&dump, &[]);
        assert!(o.status.success(), "{}", stderr(&o));
        let (changes, o) = decode_dump_all(&dump, &["--ctx", "changes"]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(every.len(), changes.len(), "{name}");
        let mut last: std::collections::HashMap<u64, Value> = Default::default();
        let mut without = 0;
        for (e, c) in every.iter().zip(&changes) {
            let tid = c["tid"].as_u64().unwrap();
            let mut c = c.clone();
            match c.as_object_mut().unwrap().remove("ctx") {
                Some(ctx) => {
                    assert_ne!(last.get(&tid), Some(&ctx), "{name}: shown again: {c}");
                    last.insert(tid, ctx);
                }
                None => without += 1,
            }
            let mut e = e.clone();
            let ctx = e.as_object_mut().unwrap().remove("ctx").unwrap();
            assert_eq!(last.get(&tid), Some(&ctx), "{name}: {c}");
            assert_eq!(e, c, "{name}");
            // a thread's tid can be another's after it ends
            if c["event"] == "exit" {
                last.remove(&tid);
            }
        }
        assert!(
            without > every.len() / 2,
            "{name}: {without} of {}",
            every.len()
        );
    }
    let o = etrace(&["--input", "x.raw", "--stdout", "--ctx", "changes"]);
    assert_eq!(o.status.code(), Some(2), "JSON only: {}", stderr(&o));
}
