//! Hostile input: crafted dumps (checked in under testdata/hostile, or made at test time by
//! tests/common/crafted.rs) must be refused or decoded within bounds of memory and time, with
//! nothing raw reaching a terminal; and a live etrace (root) must survive what an unprivileged
//! traced program does, stop as told by signals, and handle its outputs as a user means them.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "common/crafted.rs"]
mod crafted;

const ETRACE: &str = env!("CARGO_BIN_EXE_etrace");

fn hostile_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/hostile")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Run etrace to its end, with its peak RSS in KiB (from wait4, this child's own).
#[allow(clippy::zombie_processes)] // reaped by wait4, which gives its own rusage
fn run_measured(args: &[&str]) -> (Output, i64, Duration) {
    let t = Instant::now();
    let mut child = Command::new(ETRACE)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("etrace runs");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let _ = so.read_to_end(&mut out);
        out
    });
    let _ = se.read_to_end(&mut err);
    let out = t_out.join().unwrap();
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills; the pid is our own unwaited child.
    let mut ru: libc_rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as i32;
    // SAFETY: valid pointers to a status word and an rusage.
    let rc = unsafe { wait4(pid, &mut status, 0, &mut ru) };
    assert_eq!(rc, pid);
    let status = std::os::unix::process::ExitStatusExt::from_raw(status);
    let o = Output {
        status,
        stdout: out,
        stderr: err,
    };
    (o, ru.ru_maxrss, t.elapsed())
}

/// struct rusage: two timevals, then 14 longs (ru_maxrss first).
#[repr(C)]
struct libc_rusage {
    ru_utime: [i64; 2],
    ru_stime: [i64; 2],
    ru_maxrss: i64,
    rest: [i64; 13],
}

extern "C" {
    fn wait4(pid: i32, status: *mut i32, options: i32, ru: *mut libc_rusage) -> i32;
    fn geteuid() -> u32;
}

fn decode(path: &Path, extra: &[&str]) -> (Output, i64, Duration) {
    let mut args = vec!["--input", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    run_measured(&args)
}

fn write_temp(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn the_checked_in_crafted_dumps_are_what_the_generator_makes() {
    for (name, bytes) in crafted::checked_in() {
        let p = hostile_dir().join(name);
        if std::env::var_os("ETRACE_WRITE_HOSTILE").is_some() {
            std::fs::write(&p, &bytes).unwrap();
        }
        let have = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert!(
            have == bytes,
            "{name} differs from the generator's (ETRACE_WRITE_HOSTILE=1)"
        );
    }
}

/// Budget for decoding any crafted header: peak RSS (KiB).
const RSS_BUDGET_KIB: i64 = 256 << 10;

#[test]
fn headers_that_expand_are_refused_within_the_memory_budget() {
    let tmp = tempfile::tempdir().unwrap();
    let voids = write_temp(tmp.path(), "voids.raw", &crafted::header_voids());
    let cases = [
        (
            hostile_dir().join("header-blowup.raw"),
            "expands to more than",
        ),
        (
            hostile_dir().join("header-enum-names.raw"),
            "expands to more than",
        ),
        (voids, "more than 65536"),
    ];
    for (path, want) in cases {
        let (o, rss, took) = decode(&path, &["--json", "-o", "/dev/null"]);
        let err = stderr(&o);
        eprintln!(
            "{}: {} bytes, peak RSS {} KiB, {:?}: {}",
            path.display(),
            std::fs::metadata(&path).unwrap().len(),
            rss,
            took,
            err.trim()
        );
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(
            err.contains("damaged dump header") && err.contains(want),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(
            rss < RSS_BUDGET_KIB,
            "{}: peak RSS {rss} KiB",
            path.display()
        );
        assert!(took < Duration::from_secs(10), "{took:?}");
    }
}

#[test]
fn a_file_of_fake_frames_resyncs_in_linear_time() {
    let tmp = tempfile::tempdir().unwrap();
    let storm = write_temp(tmp.path(), "storm.raw", &crafted::resync_storm(16 << 20));
    let (o, rss, took) = decode(&storm, &["--json", "-o", "/dev/null"]);
    let err = stderr(&o);
    eprintln!("16 MiB of fake frames: {took:?}, peak RSS {rss} KiB");
    assert!(o.status.success(), "{err}");
    assert!(o.stdout.is_empty());
    assert!(err.contains("corrupt bytes at"), "{err}");
    assert!(took < Duration::from_secs(5), "16 MiB took {took:?}");
    assert!(rss < RSS_BUDGET_KIB, "peak RSS {rss} KiB");
}

#[test]
fn trailer_counters_that_wrap_saturate_and_are_called_implausible() {
    let (o, _, _) = decode(
        &hostile_dir().join("trailer-wrap.raw"),
        &["--json", "-o", "-"],
    );
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains(&format!("Total events: {}\n", u64::MAX)),
        "{err}"
    );
    assert!(
        err.contains(&format!("Total lost: {}\n", u64::MAX)),
        "{err}"
    );
    assert!(err.contains("implausible"), "{err}");
}

#[test]
fn names_from_a_dump_never_reach_the_terminal_raw() {
    for name in ["terminal-syscall-name.raw", "terminal-writer.raw"] {
        for extra in [&["--stdout"][..], &["--json", "-o", "-"], &["--summary"]] {
            let (o, _, _) = decode(&hostile_dir().join(name), extra);
            let all = [o.stdout.as_slice(), o.stderr.as_slice()].concat();
            assert!(
                !all.iter().any(|&b| b == 0x1b || b == 0x07),
                "{name} {extra:?}: {}",
                String::from_utf8_lossy(&all)
            );
            assert_eq!(o.status.code(), Some(1), "{name}: refused");
            let err = stderr(&o);
            assert!(err.contains("\\u{1b}"), "{name}: shown escaped: {err}");
            assert_eq!(err.lines().count(), 1, "{err}");
        }
    }
}

#[test]
fn a_bad_type_reference_names_the_syscall_and_argument() {
    let (o, _, _) = decode(
        &hostile_dir().join("bad-type-ref.raw"),
        &["--json", "-o", "-"],
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err.contains(
            "syscall 0 argument 0 refers to type 4294967295, which the type table does not define"
        ),
        "{err}"
    );
}

#[test]
fn a_dump_without_trailer_says_its_losses_are_unknown() {
    let dd = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/dumps/dd.raw");
    let bytes = std::fs::read(&dd).unwrap();
    // the trailer is the last frame: cut it off at its marker
    let at = bytes
        .windows(4)
        .rposition(|w| w == [0xe7, 0x7e, 2, 0])
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let cut = write_temp(tmp.path(), "cut.raw", &bytes[..at]);
    let (o, _, _) = decode(&cut, &["--json", "-o", "-"]);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("Total lost: unknown"), "{err}");
    assert!(!err.contains("Total lost: 0"), "{err}");
}

#[test]
fn a_dump_recorded_with_some_syscalls_says_which_it_lacks() {
    let dd = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/dumps/dd.raw");
    let (o, _, _) = decode(&dd, &["--json", "-o", "-", "-s", "mmap"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err.contains("the dump does not contain mmap: it was recorded with -s"),
        "{err}"
    );
    let (o, _, _) = decode(&dd, &["--json", "-o", "-", "-s", "nosuchcall"]);
    assert!(
        stderr(&o).contains("unknown syscall `nosuchcall`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_failed_start_leaves_no_output_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let dd = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/dumps/dd.raw");
    let out = tmp.path().join("h.txt");
    let o = Command::new(ETRACE)
        .args(["--input", dd.to_str().unwrap(), "-o", out.to_str().unwrap()])
        .args(["--histogram", "bogus"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(!out.exists(), "{}", stderr(&o));
}

// ---- live: these load the BPF program (root; CI runs as root) ----

fn require_root() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(unsafe { geteuid() }, 0, "live tests need root (CI has it)");
}

fn compile(dir: &Path, name: &str) -> PathBuf {
    let out = dir.join(name);
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/progs/{name}.c"));
    let st = Command::new("cc")
        .arg("-O1")
        .arg("-o")
        .arg(&out)
        .arg(&src)
        .status()
        .unwrap();
    assert!(st.success());
    out
}

/// etrace started in the background; returns once it says tracing started. Its stderr lines
/// keep arriving on the receiver.
#[allow(clippy::zombie_processes)] // the caller waits for it (finish)
fn start(args: &[&str]) -> (Child, mpsc::Receiver<String>) {
    let mut child = Command::new(ETRACE)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for l in lines.map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let l = rx
            .recv_timeout(deadline - Instant::now())
            .expect("etrace starts");
        if l.contains("Tracing started") {
            return (child, rx);
        }
    }
}

/// etrace tracing `syscall` of uid 65534 (nobody) into dir/out.json as JSON, started; dir is
/// made readable and runnable by nobody, for the programs in it.
fn trace_nobody(dir: &Path, syscall: &str) -> (Child, mpsc::Receiver<String>, PathBuf) {
    let _ = Command::new("chmod").arg("755").arg(dir).status();
    let out = dir.join("out.json");
    let (etrace, rx) = start(&[
        "--uid",
        "65534",
        "-s",
        syscall,
        "--json",
        "-o",
        out.to_str().unwrap(),
    ]);
    (etrace, rx, out)
}

fn signal(child: &Child, sig: i32) {
    extern "C" {
        fn kill(pid: i32, sig: i32) -> i32;
    }
    // SAFETY: kill has no memory preconditions.
    unsafe { kill(child.id() as i32, sig) };
}

fn finish(mut child: Child, rx: mpsc::Receiver<String>) -> (i32, String) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "etrace did not stop");
        std::thread::sleep(Duration::from_millis(20));
    };
    // a command left running holds the other end of the pipe: take what came, briefly
    let mut err = Vec::new();
    while let Ok(l) = rx.recv_timeout(Duration::from_millis(500)) {
        err.push(l);
    }
    (status.code().unwrap_or(-1), err.join("\n"))
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        !s.rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    })
}

#[test]
fn an_unprivileged_sendmsg_with_impossible_cmsg_lengths_cannot_stop_a_root_tracer() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let prog = compile(tmp.path(), "cmsg");
    let (etrace, rx, out) = trace_nobody(tmp.path(), "sendmsg");
    let lens = [
        "0xFFFFFFFFFFFFFFF8",
        "0xFFFFFFFFFFFFFFFF",
        "0x8000000000000000",
        "20",
    ];
    for len in lens {
        let o = Command::new(&prog)
            .arg(len)
            .uid(65534)
            .gid(65534)
            .output()
            .unwrap();
        assert!(o.status.success());
    }
    // etrace is still there, and every call arrives
    std::thread::sleep(Duration::from_millis(300));
    signal(&etrace, 2);
    let (code, err) = finish(etrace, rx);
    assert_eq!(code, 0, "{err}");
    let evs: Vec<Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|e: &Value| e["syscall"] == "sendmsg")
        .collect();
    assert_eq!(evs.len(), lens.len(), "{err}");
    for (e, len) in evs.iter().zip(lens) {
        let want = match len.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).unwrap(),
            None => len.parse().unwrap(),
        };
        let cmsg = &e["args"]["msg"]["msg_control"][0];
        assert_eq!(cmsg["cmsg_len"].as_u64(), Some(want), "{e}");
        assert_eq!(cmsg["cmsg_level"], 1, "{e}");
        assert_eq!(e["ctx"]["uid"], 65534, "{e}");
        assert_eq!(e["errno"], "EINVAL", "{e}");
    }
}

#[test]
fn an_unprivileged_two_thread_storm_cannot_make_a_root_tracer_lose_events() {
    require_root();
    // two threads reading /dev/zero a byte at a time on both cores, 1.5M times each, as nobody,
    // while etrace writes JSON to a file: 3M records of ~120 bytes through a 16 MiB ring, and
    // 1.3 GB of JSON whose writes stall the consumer for milliseconds at a time. Before the
    // throttle waited for the consumer, such storms lost up to 700k of their 3M events (nine
    // runs of sixteen), and this test failed one run in three.
    let tmp = tempfile::tempdir().unwrap();
    let storm = tmp.path().join("storm2");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/storm2.c");
    let st = Command::new("cc")
        .args(["-O2", "-pthread", "-o"])
        .arg(&storm)
        .arg(&src)
        .status()
        .unwrap();
    assert!(st.success());
    let (etrace, rx, out) = trace_nobody(tmp.path(), "read");
    let n: u64 = 1_500_000;
    let o = Command::new(&storm)
        .arg(n.to_string())
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    assert!(o.status.success());
    signal(&etrace, 2);
    let (code, err) = finish(etrace, rx);
    assert_eq!(code, 0, "{err}");
    eprintln!("{err}");
    assert!(err.lines().any(|l| l == "Total lost: 0"), "{err}");
    // every one-byte read of /dev/zero arrived, whole
    let f = BufReader::new(std::fs::File::open(&out).unwrap());
    let reads = f
        .lines()
        .map_while(Result::ok)
        .filter(|l| {
            l.contains(r#""comm":"storm2""#)
                && l.contains(r#""syscall":"read""#)
                && l.contains(r#""buf":"\u0000""#)
                && l.contains(r#""ret":1,"#)
        })
        .count() as u64;
    assert_eq!(reads, 2 * n, "{err}");
}

#[test]
fn sigterm_stops_at_once_and_leaves_the_command_running_untraced() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("t.txt");
    let (etrace, rx) = start(&["-o", out.to_str().unwrap(), "--", "sleep", "30"]);
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    signal(&etrace, 15);
    let (code, err) = finish(etrace, rx);
    assert!(t.elapsed() < Duration::from_secs(5));
    assert_eq!(code, 128 + 15, "{err}");
    let line = err
        .lines()
        .find(|l| l.contains("stopped by SIGTERM"))
        .expect(&err);
    let pid: u32 = line
        .split("(pid ")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .and_then(|p| p.parse().ok())
        .expect(line);
    assert!(line.ends_with("goes on running untraced"), "{line}");
    assert!(alive(pid), "the command goes on");
    assert!(err.contains("Total events:"), "the table is printed: {err}");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("execve("), "{text}");
    let _ = Command::new("kill").arg(pid.to_string()).status();
}

#[test]
fn sighup_with_kill_on_exit_kills_the_traced_tree() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("t.txt");
    let marker = format!("{}", 40 + std::process::id() % 50);
    let script = format!("sleep {marker}.5 & sleep {marker}.25");
    let (etrace, rx) = start(&[
        "--kill-on-exit",
        "-o",
        out.to_str().unwrap(),
        "--",
        "sh",
        "-c",
        &script,
    ]);
    std::thread::sleep(Duration::from_millis(500));
    signal(&etrace, 1);
    let (code, err) = finish(etrace, rx);
    assert_eq!(code, 128 + 1, "{err}");
    assert!(
        err.contains("stopped by SIGHUP; killed the command"),
        "{err}"
    );
    std::thread::sleep(Duration::from_millis(200));
    let left = Command::new("pgrep")
        .args(["-f", &format!("sleep {marker}\\.")])
        .output()
        .unwrap();
    assert!(
        left.stdout.is_empty(),
        "still running: {}",
        String::from_utf8_lossy(&left.stdout)
    );
}

#[test]
fn a_closed_output_pipe_stops_with_one_line_and_status_141() {
    require_root();
    let mut etrace = Command::new(ETRACE)
        .args(["--stdout", "--", "sh", "-c"])
        .arg("i=0; while [ $i -lt 300 ]; do cat /etc/hostname >/dev/null; i=$((i+1)); done")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(etrace.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(!first.is_empty());
    // the reader is gone (dropped above): the next write fails
    let o = etrace.wait_with_output().unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(141), "{err}");
    let said: Vec<&str> = err.lines().filter(|l| l.starts_with("etrace: ")).collect();
    assert_eq!(said.len(), 1, "{err}");
    assert!(said[0].contains("standard output was closed"), "{err}");
}

#[test]
fn dash_p_refuses_kernel_threads_and_ends_with_a_zombie() {
    require_root();
    let o = Command::new(ETRACE).args(["-p", "2"]).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("process 2 is a kernel thread"),
        "{}",
        stderr(&o)
    );
    // a child of ours that exited and is not reaped: a zombie
    let mut z = Command::new("true").spawn().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    let o = Command::new(ETRACE)
        .args(["-p", &z.id().to_string(), "--stdout"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    assert!(stderr(&o).contains("has already exited"), "{}", stderr(&o));
    z.wait().unwrap();
    // a process that becomes a zombie while traced ends the trace too
    let mut c = Command::new("sleep").arg("1").spawn().unwrap();
    let t = Instant::now();
    let o = Command::new(ETRACE)
        .args(["-p", &c.id().to_string(), "--json", "-o", "-"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(t.elapsed() < Duration::from_secs(10));
    let evs: Vec<Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(evs.iter().any(|e| e["syscall"] == "exit_group"), "{evs:?}");
    c.wait().unwrap();
}

#[test]
fn outputs_dash_devices_fifos_and_existing_files() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(ETRACE)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    // -o - is standard output
    let o = run(&[
        "--json",
        "-o",
        "-",
        "-s",
        "openat",
        "--",
        "cat",
        "/etc/hostname",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // the command's own output shares standard output
    let evs: Vec<Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(evs.iter().any(|e| e["args"]["filename"] == "/etc/hostname"));
    assert!(!Path::new("-").exists());
    // /dev/null and /dev/stderr
    let o = run(&["-o", "/dev/null", "--", "true"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&[
        "-o",
        "/dev/stderr",
        "-s",
        "openat",
        "--",
        "cat",
        "/etc/hostname",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("openat(dfd: AT_FDCWD, filename: \"/etc/hostname\""),
        "{}",
        stderr(&o)
    );
    // a FIFO, read by another process
    let fifo = tmp.path().join("fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let reader = Command::new("cat")
        .arg(&fifo)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let o = run(&[
        "-o",
        fifo.to_str().unwrap(),
        "-s",
        "openat",
        "--",
        "cat",
        "/etc/hostname",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let read = reader.wait_with_output().unwrap();
    assert!(String::from_utf8_lossy(&read.stdout).contains("\"/etc/hostname\""));
    // an existing regular file is never overwritten; a dangling symlink is named as one
    let file = tmp.path().join("exists.txt");
    std::fs::write(&file, "keep me").unwrap();
    let o = run(&["-o", file.to_str().unwrap(), "--", "true"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("already exists"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(tmp.path().join("nowhere"), &link).unwrap();
    let o = run(&["-o", link.to_str().unwrap(), "--", "true"]);
    assert!(
        stderr(&o).contains("is a symlink to a missing file"),
        "{}",
        stderr(&o)
    );
    // a failed start removes what it created
    let raw = tmp.path().join("d.raw");
    let o = run(&[
        "--raw",
        "-o",
        raw.to_str().unwrap(),
        "--",
        "no-such-command-here",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not found in PATH"), "{}", stderr(&o));
    assert!(!raw.exists());
    let o = run(&["--stdout", "--", "/tmp"]);
    assert!(
        stderr(&o).contains("cannot run `/tmp`: it is a directory"),
        "{}",
        stderr(&o)
    );
}
