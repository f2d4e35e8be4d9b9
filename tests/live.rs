//! Live tests: load the real BPF program (root required; CI runs as root) and trace programs
//! whose syscalls are known in advance, asserting decoded values.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::{check_known, decode_dump, summary_calls};

const ETRACE: &str = env!("CARGO_BIN_EXE_etrace");
const CONTENT: &str = "etrace-known-content\n";

fn require_root() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(
        unsafe { libc_geteuid() },
        0,
        "live tests load BPF and must run as root (CI does)"
    );
}

extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}

/// Compile tests/progs/NAME.c into dir.
fn compile_prog(dir: &Path, name: &str) -> PathBuf {
    let out = dir.join(format!("etrace-{name}"));
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/progs/{name}.c"));
    let st = Command::new("cc")
        .args(["-O1", "-pthread", "-o"])
        .arg(&out)
        .arg(&src)
        .status()
        .expect("cc runs");
    assert!(st.success(), "compiling {}", src.display());
    out
}

/// Compile tests/progs/known.c.
fn known_prog(dir: &Path) -> PathBuf {
    compile_prog(dir, "known")
}

fn run(args: &[&str]) -> Output {
    Command::new(ETRACE)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("etrace runs")
}

/// `etrace --json -o FILE ARGS...` that must succeed: every JSON line it wrote (syscall and
/// lifecycle events).
fn run_json(args: &[&str]) -> Vec<Value> {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out.json");
    let mut all = vec!["--json", "-o", out.to_str().unwrap()];
    all.extend_from_slice(args);
    let o = run(&all);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    json_all(&out)
}

/// The syscall events among events.
fn syscalls(evs: Vec<Value>) -> Vec<Value> {
    evs.into_iter()
        .filter(|e| e.get("syscall").is_some())
        .collect()
}

/// Every JSON line of a file: syscall and lifecycle events.
fn json_all(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l}: {e}")))
        .collect()
}

/// The syscall events of a JSON Lines file (lifecycle events have `event`, not `syscall`).
fn json_lines(path: &Path) -> Vec<Value> {
    syscalls(json_all(path))
}

/// The count on the "Total lost: N" line of etrace's report.
fn total_lost(stderr: &str) -> u64 {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("Total lost: "))
        .unwrap_or_else(|| panic!("no Total lost line: {stderr}"))
        .parse()
        .unwrap()
}

fn find(evs: &[Value], pred: impl Fn(&Value) -> bool) -> Vec<&Value> {
    evs.iter().filter(|e| pred(e)).collect()
}

fn is(e: &Value, sys: &str) -> bool {
    e["syscall"] == sys
}

/// Trace known.c as a launched command, in JSON; return its events, the scratch dir and etrace's stderr.
fn trace_known(extra: &[&str]) -> (Vec<Value>, tempfile::TempDir, String, Output) {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let prog = known_prog(tmp.path());
    let scratch = tmp.path().join("scratch");
    std::fs::create_dir(&scratch).unwrap();
    let out = tmp.path().join("out.json");
    let mut args = vec!["--json", "-o", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--", prog.to_str().unwrap(), scratch.to_str().unwrap()]);
    let o = run(&args);
    let stderr = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "etrace failed: {stderr}");
    (json_lines(&out), tmp, stderr, o)
}

#[test]
fn known_program_decodes_exact_values() {
    let (evs, tmp, stderr, _) = trace_known(&[]);
    check_known(
        &evs,
        &tmp.path().join("etrace-known"),
        &tmp.path().join("scratch"),
    );
    // nothing lost; stats table printed
    assert!(stderr.contains("Total lost: 0"), "{stderr}");
    assert!(evs
        .iter()
        .all(|e| e["comm"].is_string() && e["ts"].as_u64().unwrap() > 0));
}

#[test]
fn syscall_filter_runs_in_kernel_and_exit_status_passes_through() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("f.json");
    let o = run(&[
        "--json",
        "-o",
        out.to_str().unwrap(),
        "-s",
        "openat",
        "-s",
        "read",
        "--",
        "sh",
        "-c",
        "cat /etc/hostname >/dev/null; exit 3",
    ]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let evs = json_lines(&out);
    assert!(!evs.is_empty());
    assert!(
        evs.iter().all(|e| is(e, "openat") || is(e, "read")),
        "only the selected syscalls"
    );
    assert!(evs.iter().any(|e| is(e, "openat")
        && e["args"]["filename"] == "/etc/hostname"
        && e["comm"] == "cat"));
    // the kernel counted only those syscalls too
    let stderr = String::from_utf8_lossy(&o.stderr);
    let rows: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with(' ') && !l.contains("sent"))
        .collect();
    assert!(!rows.is_empty() && rows.iter().all(|r| r.trim_start().starts_with("openat") || r.trim_start().starts_with("read")), "{stderr}");
}

#[test]
fn unknown_syscall_is_a_one_line_error_with_suggestions() {
    require_root();
    let o = run(&["-s", "opneat", "--stdout", "--", "true"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("unknown syscall `opneat`; did you mean openat"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn text_output_is_strace_like() {
    require_root();
    let o = run(&[
        "--stdout",
        "-s",
        "openat",
        "-s",
        "write",
        "--",
        "sh",
        "-c",
        "echo hi; cat /nonexistent-etrace 2>/dev/null; true",
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with("sh(")
                && l.contains("write(fd: 1, buf: \"hi\\n\", count: 3) = 3")),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l.contains(
            "openat(dfd: AT_FDCWD, filename: \"/nonexistent-etrace\", flags: O_RDONLY, mode: 0) = -2 ENOENT"
        )),
        "{text}"
    );
}

#[test]
fn comm_filter_and_ctrl_c_drain() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("c.json");
    // a program with a unique comm: a copy of /bin/cat
    let cat = tmp.path().join("etrace-cmt");
    std::fs::copy("/bin/cat", &cat).unwrap();
    let (tracer, stderr) = start_tracer(&[
        "--json",
        "-o",
        out.to_str().unwrap(),
        "--comm",
        "etrace-cmt",
    ]);
    for _ in 0..3 {
        let st = Command::new(&cat)
            .arg("/etc/hostname")
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success());
    }
    // untraced comms stay out
    Command::new("cat")
        .arg("/etc/hostname")
        .stdout(Stdio::null())
        .status()
        .unwrap();
    let (st, rest) = stop_tracer(tracer, stderr);
    assert!(st.success(), "Ctrl-C exits 0: {rest}");
    assert!(rest.contains("Total lost: 0"), "{rest}");
    let evs = json_lines(&out);
    assert!(
        evs.iter().all(|e| e["comm"] == "etrace-cmt"),
        "only the selected comm"
    );
    let opens = find(&evs, |e| {
        is(e, "openat") && e["args"]["filename"] == "/etc/hostname"
    });
    assert_eq!(
        opens.len(),
        3,
        "every run of the traced comm, drained after SIGINT"
    );
    let pids: std::collections::HashSet<u64> =
        opens.iter().map(|e| e["pid"].as_u64().unwrap()).collect();
    assert_eq!(pids.len(), 3);
}

#[test]
fn json_without_output_creates_private_tmp_file() {
    require_root();
    let o = run(&["--json", "-s", "getpid", "--", "true"]);
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    let path = err
        .lines()
        .find_map(|l| l.split("output file: ").nth(1))
        .unwrap_or_else(|| panic!("no output path logged: {err}"))
        .trim()
        .to_string();
    assert!(
        path.starts_with("/tmp/etrace-") && path.ends_with(".json"),
        "{path}"
    );
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&path).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    std::fs::remove_file(path).unwrap();
}

/// Start etrace in the background and wait until it traces; its stderr is returned for reading.
fn start_tracer(args: &[&str]) -> (std::process::Child, std::process::ChildStderr) {
    let mut tracer = Command::new(ETRACE)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut stderr = tracer.stderr.take().unwrap();
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        let mut b = [0u8; 256];
        let n = std::io::Read::read(&mut stderr, &mut b).unwrap();
        seen.extend_from_slice(&b[..n]);
        if String::from_utf8_lossy(&seen).contains("Tracing started") || n == 0 {
            break;
        }
    }
    assert!(
        String::from_utf8_lossy(&seen).contains("Tracing started"),
        "{}",
        String::from_utf8_lossy(&seen)
    );
    (tracer, stderr)
}

/// Stop a tracer from start_tracer as Ctrl-C would, once the traced work has had 100 ms to be
/// drained; its exit status and the rest of its stderr.
fn stop_tracer(
    mut tracer: std::process::Child,
    mut stderr: std::process::ChildStderr,
) -> (std::process::ExitStatus, String) {
    std::thread::sleep(Duration::from_millis(100));
    // SAFETY: plain kill(2) on our child.
    unsafe { libc::kill(tracer.id() as i32, libc::SIGINT) };
    let st = tracer.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    (st, rest)
}

#[test]
fn raw_dump_decodes_to_exactly_the_live_json_of_the_same_capture() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let prog = known_prog(tmp.path());
    let scratch = tmp.path().join("scratch");
    std::fs::create_dir(&scratch).unwrap();
    let (live, raw) = (tmp.path().join("live.json"), tmp.path().join("d.raw"));
    let o = run(&[
        "--json",
        "-o",
        live.to_str().unwrap(),
        "--also-raw",
        raw.to_str().unwrap(),
        "--",
        prog.to_str().unwrap(),
        scratch.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&raw).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    let (_, d) = decode_dump(&raw, &[]);
    assert!(d.status.success());
    let live_bytes = std::fs::read(&live).unwrap();
    assert!(live_bytes.len() > 10_000);
    assert!(
        d.stdout == live_bytes,
        "offline JSON differs from live JSON"
    );
    // and the values are the program's
    let evs = json_lines(&live);
    let w = find(&evs, |e| is(e, "write") && e["args"]["buf"] == CONTENT);
    assert_eq!(w.len(), 1);
    assert_eq!(w[0]["ret"], 21);
}

#[test]
fn raw_mode_records_without_decoding_and_writes_its_trailer() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let raw = tmp.path().join("d.raw");
    let o = run(&[
        "--raw",
        "-o",
        raw.to_str().unwrap(),
        "-s",
        "read",
        "-s",
        "write",
        "--",
        "dd",
        "if=/dev/zero",
        "of=/dev/null",
        "bs=1",
        "count=20000",
        "status=none",
    ]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "{err}");
    assert!(o.stdout.is_empty(), "raw mode prints no events");
    assert!(err.contains("Total lost: 0"), "{err}");
    let (evs, d) = decode_dump(&raw, &["--stats"]);
    let derr = String::from_utf8_lossy(&d.stderr).to_string();
    let zeros = find(&evs, |e| {
        is(e, "read") && e["args"]["fd"] == 0 && e["ret"] == 1 && e["args"]["buf"] == "\u{0}"
    });
    assert_eq!(zeros.len(), 20000, "every one-byte read of dd");
    let writes = find(&evs, |e| {
        is(e, "write") && e["args"]["fd"] == 1 && e["ret"] == 1
    });
    assert_eq!(writes.len(), 20000);
    // the trailer's counters: everything the kernel sent is in the dump
    assert!(
        derr.contains(&format!("Total events: {}\n", evs.len())),
        "{derr}"
    );
    assert!(derr.contains("Total lost: 0\n"), "{derr}");
    assert!(derr.contains("events lost at capture: 0"), "{derr}");
}

#[test]
fn a_dump_survives_sigkill_of_etrace() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let raw = tmp.path().join("k.raw");
    let (mut tracer, _stderr) = start_tracer(&[
        "--raw",
        "-o",
        raw.to_str().unwrap(),
        "-s",
        "read",
        "--",
        "timeout",
        "3",
        "dd",
        "if=/dev/zero",
        "of=/dev/null",
        "bs=1",
        "status=none",
    ]);
    std::thread::sleep(Duration::from_millis(1000));
    tracer.kill().unwrap(); // SIGKILL: no drain, no trailer
    tracer.wait().unwrap();
    // text, counted line by line: the dump holds about a million reads, too many to hold as
    // JSON values
    let d = run(&[
        "--input",
        raw.to_str().unwrap(),
        "--stdout",
        "--stats=false",
    ]);
    let err = String::from_utf8_lossy(&d.stderr).to_string();
    assert!(d.status.success(), "{err}");
    let text = String::from_utf8_lossy(&d.stdout);
    let lines = text.lines().count();
    let zeros = text
        .lines()
        .filter(|l| l.contains(") read(fd: 0, buf: \"\\0\", count: 1) = 1"))
        .count();
    let reads = text.lines().filter(|l| l.contains(") read(")).count();
    let lifecycle = text.lines().filter(|l| l.contains(") +++ ")).count();
    assert!(zeros > 1000, "{zeros} one-byte reads of zeros; {err}");
    assert_eq!(
        reads + lifecycle,
        lines,
        "only reads and the fork/exec/exit lines"
    );
    assert!(
        err.contains("no trailer") || err.contains("cut short at byte"),
        "{err}"
    );
    assert!(err.contains(&format!("{lines} events decoded")), "{err}");
    let strict = run(&["--input", raw.to_str().unwrap(), "--stdout", "--strict"]);
    assert_eq!(strict.status.code(), Some(1));
}

#[test]
fn disk_full_stops_cleanly_and_leaves_a_decodable_dump() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let mnt = tmp.path().join("small");
    std::fs::create_dir(&mnt).unwrap();
    let st = Command::new("mount")
        .args([
            "-t",
            "tmpfs",
            "-o",
            "size=256k",
            "etrace-test",
            mnt.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(st.success(), "mounting a small tmpfs");
    struct Umount(PathBuf);
    impl Drop for Umount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Umount(mnt.clone());
    let raw = mnt.join("full.raw");
    let o = run(&[
        "--raw",
        "-o",
        raw.to_str().unwrap(),
        "-s",
        "read",
        "--",
        "dd",
        "if=/dev/zero",
        "of=/dev/null",
        "bs=1",
        "count=100000",
        "status=none",
    ]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(1), "{err}");
    let last = err.lines().last().unwrap();
    assert!(
        last.starts_with("etrace: writing to ") && last.contains("No space left on device"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
    let (evs, d) = decode_dump(&raw, &[]);
    let derr = String::from_utf8_lossy(&d.stderr).to_string();
    assert!(d.status.success(), "{derr}");
    assert!(evs.len() > 500, "{} events; {derr}", evs.len());
    assert!(evs.iter().all(|e| is(e, "read")));
}

#[test]
fn btf_from_an_elf_file() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let elf = tmp.path().join("vmlinux-btf.elf");
    let st = Command::new("objcopy")
        .arg("--add-section=.BTF=/sys/kernel/btf/vmlinux")
        .arg("/bin/true")
        .arg(&elf)
        .status()
        .unwrap();
    assert!(st.success());
    let (evs, _, err, _) = trace_known(&["--btf", elf.to_str().unwrap(), "-s", "newfstatat"]);
    let st = find(&evs, |e| {
        e["args"]["filename"]
            .as_str()
            .is_some_and(|f| f.ends_with("/known.txt"))
    });
    assert_eq!(st.len(), 1, "{err}");
    assert_eq!(st[0]["args"]["statbuf"]["st_size"], 21);
    let o = run(&["--btf", "/etc/hostname", "--", "true"]);
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("cannot read BTF from /etc/hostname") && e.lines().count() == 1,
        "{e}"
    );
}

#[test]
fn symbol_rules_name_real_parameters_and_members_of_this_kernel() {
    require_root();
    let formats = etrace::tables::Formats::embedded().unwrap();
    let schema = etrace::app::live::kernel_schema(&formats, None).unwrap();
    let x = &formats.xlat;
    for (sys, param) in x.named_args() {
        let sc = schema
            .by_name(sys)
            .unwrap_or_else(|| panic!("symbols.rules: no syscall `{sys}`"));
        assert!(
            sc.args.iter().any(|a| &a.name == param),
            "symbols.rules: {sys} has no parameter `{param}`"
        );
    }
    for p in x.any_syscall_params() {
        assert!(
            schema
                .syscalls
                .values()
                .any(|s| s.args.iter().any(|a| &a.name == p)),
            "symbols.rules: no syscall has a parameter `{p}`"
        );
    }
    let btf =
        etrace::kernel::btf::KernelBtf::open(Path::new(etrace::kernel::btf::VMLINUX)).unwrap();
    for (st, member) in x.named_members() {
        let r = btf.resolve(&format!("struct {st} *")).unwrap();
        let Some(etrace::kernel::btf::Layout::Struct { members, .. }) = r.pointee else {
            panic!("struct {st} is not a struct")
        };
        assert!(
            members.iter().any(|m| *m.name == **member),
            "symbols.rules: struct {st} has no member `{member}`"
        );
    }
}

#[test]
fn mapped_kernel_btf_gives_the_schema_that_btf_parsed_whole_gives() {
    require_root();
    let formats = etrace::tables::Formats::embedded().unwrap();
    let root = etrace::kernel::tracefs::find_or_mount().unwrap();
    let events = etrace::kernel::tracefs::syscall_events(&root).unwrap();
    // the way a trace opens it: mapped, every name found in one scan
    let mapped =
        etrace::kernel::btf::KernelBtf::open(Path::new(etrace::kernel::btf::VMLINUX)).unwrap();
    let fast = etrace::schema::Schema::build(&events, &mapped, &formats).unwrap();
    // btf-rs's other backend: every type parsed up front, every name looked up on its own
    let bytes = std::fs::read(etrace::kernel::btf::VMLINUX).unwrap();
    let whole = etrace::kernel::btf::KernelBtf::from_bytes(&bytes).unwrap();
    let slow = etrace::schema::Schema::build(&events, &whole, &formats).unwrap();
    assert!(fast.syscalls.len() > 300, "{}", fast.syscalls.len());
    for (nr, sc) in &slow.syscalls {
        assert_eq!(fast.syscalls.get(nr), Some(sc), "syscall {}", sc.name);
    }
    assert_eq!(fast.syscalls.len(), slow.syscalls.len());
    // and the layouts are real ones: struct stat as the uapi header has it
    let st = fast.by_name("newfstatat").unwrap();
    let statbuf = st.args.iter().find(|a| a.name == "statbuf").unwrap();
    assert!(
        format!("{:?}", statbuf.capture).contains("size: 144"),
        "{statbuf:?}"
    );
}

#[test]
fn every_syscall_of_this_kernel_decodes_and_renders() {
    require_root();
    let formats = etrace::tables::Formats::embedded().unwrap();
    let schema = etrace::app::live::kernel_schema(&formats, None).unwrap();
    assert!(schema.syscalls.len() > 300, "{}", schema.syscalls.len());
    let d = etrace::decode::Decoder::new(&schema, &formats);
    let data: Vec<u8> = (0..=255u8).cycle().take(512).collect();
    for sc in schema.syscalls.values() {
        // every argument 0x...ff-ish and a 512-byte chunk behind each one
        let chunks: Vec<(u8, u8, &[u8])> = (0..sc.args.len().min(6) as u8)
            .map(|i| (i, 0u8, &data[..]))
            .collect();
        let args = [u64::MAX, 1, 0x7fff_0000, 2, 3, 4];
        for ret in [Some(0), Some(-2), None] {
            let bytes = etrace::model::record::build(sc.nr, args, ret, &chunks);
            let rec = etrace::model::record::parse(&bytes).unwrap();
            let ev = d.decode(&rec, (None, None));
            assert_eq!(ev.syscall, sc.name);
            let names: Vec<&str> = ev.args.iter().map(|a| a.0).collect();
            let want: Vec<&str> = sc.args.iter().map(|a| a.name.as_str()).collect();
            assert_eq!(names, want, "{}", sc.name);
            let mut out = Vec::new();
            etrace::render::json::write(&mut out, &ev).unwrap();
            let v: Value = serde_json::from_slice(&out).unwrap();
            assert_eq!(v["syscall"], sc.name.as_str());
            assert_eq!(
                v["args"].as_object().unwrap().len(),
                want.len(),
                "{}",
                sc.name
            );
            let line = etrace::render::text::line(
                &ev,
                &etrace::render::text::TextOptions {
                    bytes: 32,
                    ..Default::default()
                },
            );
            assert!(line.contains(&format!(" {}(", sc.name)), "{line}");
            assert!(!line.bytes().any(|b| b < 0x20), "control byte in {line:?}");
        }
    }
}

#[test]
fn class_and_negated_syscall_filters() {
    let (evs, _, err, _) = trace_known(&["-s", "%file", "-s", "!openat"]);
    let classes = etrace::tables::Formats::embedded().unwrap().classes;
    let file = &classes["%file"];
    assert!(!evs.is_empty(), "{err}");
    assert!(
        evs.iter()
            .all(|e| file.iter().any(|n| e["syscall"] == n.as_str()) && e["syscall"] != "openat"),
        "only %file syscalls, openat excluded"
    );
    // known.c stats its file and execs /bin/true: both are %file
    assert!(evs.iter().any(|e| is(e, "newfstatat")
        && e["args"]["filename"]
            .as_str()
            .is_some_and(|f| f.ends_with("/known.txt"))));
    assert!(evs
        .iter()
        .any(|e| is(e, "execve") && e["args"]["filename"] == "/bin/true"));
    // negation alone: everything but the negated
    let (evs, _, _, _) = trace_known(&["-s", "!%memory", "-s", "!read"]);
    assert!(evs.iter().any(|e| is(e, "openat")));
    assert!(!evs
        .iter()
        .any(|e| is(e, "mmap") || is(e, "mprotect") || is(e, "read")));
}

#[test]
fn failed_filter_keeps_only_errors() {
    let (evs, _, err, _) = trace_known(&["--failed"]);
    assert!(!evs.is_empty(), "{err}");
    assert!(
        evs.iter().all(
            |e| e["ret"].as_i64().is_some_and(|r| (-4095..0).contains(&r))
                && e["errno"].is_string()
        ),
        "only failed calls"
    );
    let enoent: Vec<&str> = evs
        .iter()
        .filter(|e| is(e, "openat") && e["errno"] == "ENOENT")
        .filter_map(|e| e["args"]["filename"].as_str())
        .collect();
    assert!(
        enoent.iter().any(|f| f.ends_with("/does-not-exist")),
        "{enoent:?}"
    );
    assert!(
        enoent.iter().any(|f| f.ends_with("/from-thread")),
        "{enoent:?}"
    );
    assert!(!evs.iter().any(|e| is(e, "exit_group")));
}

#[test]
fn wall_clock_timestamps_and_durations() {
    require_root();
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
    };
    let before = now();
    let o = run(&[
        "-ttt",
        "-T",
        "-s",
        "openat",
        "--stats=false",
        "--",
        "cat",
        "/etc/hostname",
    ]);
    let after = now();
    let text = String::from_utf8_lossy(&o.stdout);
    let line = text
        .lines()
        .find(|l| l.contains("filename: \"/etc/hostname\""))
        .unwrap_or_else(|| panic!("{text}"));
    let stamp: f64 = line.split(' ').next().unwrap().parse().unwrap();
    assert!(
        before <= stamp && stamp <= after,
        "{before} <= {stamp} <= {after}"
    );
    let dur = line.rsplit_once(" <").unwrap().1.trim_end_matches('>');
    let dur: f64 = dur.parse().unwrap();
    assert!((0.0..1.0).contains(&dur), "{line}");
}

/// A shell that waits, reads /etc/hostname itself, then through a grandchild `cat`.
fn waiting_shell() -> std::process::Child {
    Command::new("sh")
        .args([
            "-c",
            "sleep 3; read x < /etc/hostname; sh -c 'cat /etc/hostname' > /dev/null",
        ])
        .spawn()
        .unwrap()
}

#[test]
fn attach_to_a_running_process_and_follow_its_descendants() {
    require_root();
    for follow in [false, true] {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("p.json");
        let mut sh = waiting_shell();
        let pid = sh.id().to_string();
        let mut args = vec![
            "--json",
            "-o",
            out.to_str().unwrap(),
            "-s",
            "openat",
            "-p",
            &pid,
        ];
        if follow {
            args.push("--follow");
        }
        let (mut tracer, _stderr) = start_tracer(&args);
        sh.wait().unwrap();
        // -p alone stops by itself once the traced process has exited
        let st = tracer.wait().unwrap();
        assert!(st.success());
        let evs = json_lines(&out);
        let host = find(&evs, |e| e["args"]["filename"] == "/etc/hostname");
        let own: Vec<_> = host
            .iter()
            .filter(|e| e["pid"].as_u64() == Some(u64::from(sh.id())))
            .collect();
        assert_eq!(own.len(), 1, "the shell's own read (follow={follow})");
        let others: Vec<_> = host
            .iter()
            .filter(|e| e["pid"].as_u64() != Some(u64::from(sh.id())))
            .collect();
        if follow {
            assert_eq!(others.len(), 1, "the grandchild cat");
            assert_eq!(others[0]["comm"], "cat");
            assert_ne!(
                others[0]["ppid"].as_u64(),
                Some(u64::from(sh.id())),
                "a grandchild"
            );
        } else {
            assert!(
                evs.iter()
                    .all(|e| e["pid"].as_u64() == Some(u64::from(sh.id()))),
                "only the attached process"
            );
        }
    }
    let o = run(&["-p", "999999999"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no process 999999999"));
}

#[test]
fn uid_filter_selects_the_processes_of_one_user() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("u.json");
    let (tracer, stderr) = start_tracer(&[
        "--json",
        "-o",
        out.to_str().unwrap(),
        "-s",
        "openat",
        "--uid",
        "65534",
    ]);
    let nobody = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "cat",
            "/etc/hostname",
        ])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(nobody.success());
    let root = Command::new("cat")
        .arg("/etc/hostname")
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(root.success());
    stop_tracer(tracer, stderr);
    let evs = json_lines(&out);
    let cats = find(&evs, |e| {
        e["comm"] == "cat" && e["args"]["filename"] == "/etc/hostname"
    });
    assert_eq!(cats.len(), 1, "the nobody cat only, not root's");
}

#[test]
fn user_option_runs_the_command_as_that_user() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("u.json");
    let o = run(&[
        "--json",
        "-o",
        out.to_str().unwrap(),
        "-s",
        "getuid",
        "-s",
        "geteuid",
        "-s",
        "getgid",
        "-s",
        "getegid",
        "-u",
        "nobody",
        "--",
        "id",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.starts_with("uid=65534(nobody)"), "{stdout}");
    let evs = json_lines(&out);
    let uids = find(&evs, |e| is(e, "getuid") || is(e, "geteuid"));
    assert!(!uids.is_empty(), "{err}");
    assert!(
        uids.iter().all(|e| e["ret"] == 65534),
        "the traced getuid returns nobody's uid"
    );
    let o = run(&["-u", "no-such-user-etrace", "--", "true"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no user `no-such-user-etrace`"));
}

/// Where cgroup v2 is mounted (`/sys/fs/cgroup` or, on hybrid systems, `.../unified`).
fn cgroup2_root() -> PathBuf {
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap();
    mounts
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.get(2) == Some(&"cgroup2")).then(|| PathBuf::from(f[1]))
        })
        .expect("a cgroup v2 mount")
}

/// A new cgroup v2 directory, removed when dropped (once its processes have ended).
struct TempCgroup(PathBuf);

impl TempCgroup {
    fn new(prefix: &str) -> TempCgroup {
        let dir = cgroup2_root().join(format!("{prefix}-{}", std::process::id()));
        std::fs::create_dir(&dir).unwrap();
        TempCgroup(dir)
    }
}

impl Drop for TempCgroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

#[test]
fn cgroup_filter_selects_a_process_moved_into_a_new_cgroup() {
    require_root();
    let cg = TempCgroup::new("etrace-test");
    let dir = cg.0.clone();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("c.json");
    let (tracer, stderr) = start_tracer(&[
        "--json",
        "-o",
        out.to_str().unwrap(),
        "-s",
        "openat",
        "--cgroup",
        dir.to_str().unwrap(),
    ]);
    let script = format!(
        "echo $$ > {}/cgroup.procs && exec cat /etc/hostname",
        dir.display()
    );
    let inside = Command::new("sh")
        .args(["-c", &script])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let inside_pid = inside.id();
    assert!(inside.wait_with_output().unwrap().status.success());
    let outside = Command::new("cat")
        .arg("/etc/hostname")
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(outside.success());
    stop_tracer(tracer, stderr);
    let evs = json_lines(&out);
    let host = find(&evs, |e| e["args"]["filename"] == "/etc/hostname");
    assert_eq!(host.len(), 1, "only the cat inside the cgroup");
    assert_eq!(host[0]["pid"].as_u64(), Some(u64::from(inside_pid)));
    assert!(
        evs.iter()
            .all(|e| e["pid"].as_u64() == Some(u64::from(inside_pid))),
        "nothing else"
    );
    // the context names the cgroup: its id is the directory's inode, its path below the mount
    use std::os::unix::fs::MetadataExt;
    let ino = std::fs::metadata(&dir).unwrap().ino();
    let rel = format!("/{}", dir.file_name().unwrap().to_str().unwrap());
    assert_eq!(host[0]["ctx"]["cgroup_id"].as_u64(), Some(ino));
    assert_eq!(host[0]["ctx"]["cgroup"], rel.as_str());
    let o = run(&["--cgroup", "/tmp"]);
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("/tmp is not a cgroup v2 directory"), "{e}");
}

#[test]
fn a_move_to_another_cgroup_from_outside_shows_in_the_next_event() {
    require_root();
    let cg = TempCgroup::new("etrace-move");
    let dir = cg.0.clone();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("m.json");
    let pidfile = tmp.path().join("pid");
    let go = tmp.path().join("go");
    // the shell itself opens /etc/hostname after the move: no exec, no call of its own that
    // could change its context in between
    let script = format!(
        "echo $$ > {}; while [ ! -e {} ]; do sleep 0.02; done; read x < /etc/hostname",
        pidfile.display(),
        go.display()
    );
    let etrace = Command::new(env!("CARGO_BIN_EXE_etrace"))
        .args(["--json", "-o", out.to_str().unwrap(), "-s", "openat"])
        .args(["--", "sh", "-c", &script])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let pid = loop {
        if let Some(p) = std::fs::read_to_string(&pidfile)
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok())
        {
            break p;
        }
        assert!(Instant::now() < deadline, "the shell never started");
        std::thread::sleep(Duration::from_millis(10));
    };
    std::fs::write(dir.join("cgroup.procs"), pid.to_string()).unwrap();
    std::fs::write(&go, "").unwrap();
    let o = etrace.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let evs = json_lines(&out);
    let opened = |path: &std::path::Path| {
        let p = path.to_str().unwrap().to_string();
        find(&evs, move |e| {
            is(e, "openat")
                && e["pid"].as_u64() == Some(u64::from(pid))
                && e["args"]["filename"] == p.as_str()
        })
        .into_iter()
        .cloned()
        .collect::<Vec<Value>>()
    };
    use std::os::unix::fs::MetadataExt;
    let ino = std::fs::metadata(&dir).unwrap().ino();
    let before = opened(&pidfile);
    let after = opened(std::path::Path::new("/etc/hostname"));
    assert_eq!((before.len(), after.len()), (1, 1), "{evs:?}");
    assert_ne!(before[0]["ctx"]["cgroup_id"].as_u64(), Some(ino));
    assert_eq!(
        after[0]["ctx"]["cgroup_id"].as_u64(),
        Some(ino),
        "{:?}",
        after[0]
    );
}

#[test]
fn summary_counted_in_the_kernel_matches_the_events_and_survives_loss() {
    // no loss: the kernel's counts equal the events the stream carried
    let (evs, _, err, _) = trace_known(&["--summary"]);
    let mut seen = std::collections::BTreeMap::new();
    for e in &evs {
        *seen
            .entry(e["syscall"].as_str().unwrap().to_string())
            .or_insert(0u64) += 1;
    }
    assert!(err.contains("Total lost: 0"), "{err}");
    assert_eq!(summary_calls(&err), seen, "{err}");

    // summary only: no events are sent at all, and dd's reads are counted exactly
    let dd = [
        "--",
        "dd",
        "if=/dev/zero",
        "of=/dev/null",
        "bs=1024",
        "count=30000",
        "status=none",
    ];
    let mut args = vec!["--summary", "-s", "read"];
    args.extend_from_slice(&dd);
    let o = run(&args);
    let base = summary_calls(&String::from_utf8_lossy(&o.stderr));
    let reads = base["read"];
    assert!(reads >= 30000, "{base:?}");

    // a ring buffer far too small: events are lost, the summary stays exact. Each record
    // carries 1 KiB of the read buffer, so the page-sized ring holds three: a consumer that keeps
    // up with one-byte records (it can, with a 4 KiB ring) cannot keep up with these
    let tmp = tempfile::tempdir().unwrap();
    let lossy = |mode: &str, file: &Path| -> String {
        let mut args = vec![
            "--summary",
            "-s",
            "read",
            "--bytes",
            "1024",
            "--buffer-size",
            "4096",
            mode,
            "-o",
        ];
        args.push(file.to_str().unwrap());
        args.extend_from_slice(&dd);
        String::from_utf8_lossy(&run(&args).stderr).to_string()
    };
    let out = tmp.path().join("l.json");
    let err = lossy("--json", &out);
    let lost = total_lost(&err);
    assert!(lost > 0, "the small buffer should lose events: {err}");
    let events = json_lines(&out).len() as u64;
    assert!(events < reads);
    assert_eq!(
        summary_calls(&err)["read"],
        reads,
        "exact despite {lost} lost"
    );

    // recorded with --raw --summary, a lossy dump keeps the kernel's exact counts in its
    // trailer; --input --summary uses them
    let raw = tmp.path().join("l.raw");
    let err = lossy("--raw", &raw);
    assert!(!err.contains("Total lost: 0"), "{err}");
    let (evs, d) = decode_dump(&raw, &["--summary"]);
    let derr = String::from_utf8_lossy(&d.stderr).to_string();
    assert!((evs.len() as u64) < reads);
    assert_eq!(summary_calls(&derr)["read"], reads, "{derr}");
    assert!(derr.contains("the kernel's counters"), "{derr}");
    // a --comm filter cannot use them: counted from the records, with a warning
    let (_, d) = decode_dump(&raw, &["--summary", "--comm", "dd"]);
    let derr = String::from_utf8_lossy(&d.stderr).to_string();
    assert!(summary_calls(&derr)["read"] < reads, "{derr}");
    assert!(
        derr.contains("counted from the dump's records; the capture lost"),
        "{derr}"
    );
}

#[test]
fn records_that_wrap_around_a_small_ring_arrive_whole() {
    require_root();
    // a 16 KiB ring holds ~120 of these records: they wrap around its end all the time, and
    // a record that straddles the end is read through the ring's second mapping
    let n = 5000;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("w.json");
    let count = format!("count={n}");
    let o = run(&[
        "--json",
        "-s",
        "read,write",
        "--buffer-size",
        "16384",
        "-o",
        out.to_str().unwrap(),
        "--",
        "dd",
        "if=/dev/zero",
        "of=/dev/null",
        "bs=1",
        &count,
        "status=none",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let lost = total_lost(&err) as usize;
    let evs = json_lines(&out);
    let io = find(&evs, |e| {
        (is(e, "read") && e["args"]["fd"] == 0) || (is(e, "write") && e["args"]["fd"] == 1)
    });
    for e in &io {
        assert_eq!(e["args"]["count"], 1, "{e}");
        assert_eq!(e["args"]["buf"], "\u{0}", "{e}");
        assert_eq!(e["ret"], 1, "{e}");
        assert_eq!(e["comm"], "dd", "{e}");
    }
    assert!(
        io.len() > 1000,
        "{} of dd's reads and writes, {lost} lost",
        io.len()
    );
    assert!(
        io.len() <= 2 * n && io.len() + lost >= 2 * n,
        "{} + {lost}",
        io.len()
    );
}

#[test]
fn follow_extends_a_comm_match_to_its_children() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    // a shell with a unique comm, whose child is a plain `cat`
    let sh = tmp.path().join("etrace-fsh");
    std::fs::copy("/bin/sh", &sh).unwrap();
    for follow in [false, true] {
        let out = tmp.path().join(format!("f{follow}.json"));
        let mut args = vec![
            "--json",
            "-o",
            out.to_str().unwrap(),
            "-s",
            "openat",
            "--comm",
            "etrace-fsh",
        ];
        if follow {
            args.push("--follow");
        }
        let (tracer, stderr) = start_tracer(&args);
        let st = Command::new(&sh)
            .args(["-c", "cat /etc/hostname > /dev/null; true"])
            .status()
            .unwrap();
        assert!(st.success());
        stop_tracer(tracer, stderr);
        let evs = json_lines(&out);
        let cat = find(&evs, |e| {
            e["comm"] == "cat" && e["args"]["filename"] == "/etc/hostname"
        });
        assert_eq!(
            cat.len(),
            usize::from(follow),
            "cat is traced only with --follow"
        );
        assert!(evs.iter().any(|e| e["comm"] == "etrace-fsh"));
    }
}

/// The namespace inode of `/proc/PID/ns/NAME` as readlink shows it: `net:[4026531833]`.
fn ns_inode(link: &str) -> u64 {
    link.trim()
        .rsplit('[')
        .next()
        .and_then(|s| s.strip_suffix(']'))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a namespace link: {link}"))
}

#[test]
fn ctx_namespaces_are_those_the_traced_process_sees_in_proc() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let links = tmp.path().join("links");
    // in new net and uts namespaces, the shell writes its own /proc/PID/ns links
    let script = format!(
        "for n in pid mnt net uts ipc user cgroup time; do echo $n $(readlink /proc/$$/ns/$n); \
         done > {}",
        links.display()
    );
    let evs = syscalls(run_json(&[
        "--", "unshare", "-n", "-u", "sh", "-c", &script,
    ]));
    let want: Vec<(String, u64)> = std::fs::read_to_string(&links)
        .unwrap()
        .lines()
        .map(|l| {
            let (n, link) = l.split_once(' ').unwrap();
            (n.to_string(), ns_inode(link))
        })
        .collect();
    assert_eq!(want.len(), 8);
    let sh = find(&evs, |e| e["comm"] == "sh" && is(e, "openat"));
    assert!(!sh.is_empty(), "the shell's syscalls are traced");
    for e in sh {
        for (name, inode) in &want {
            assert_eq!(e["ctx"]["ns"][name].as_u64(), Some(*inode), "{name} of {e}");
        }
    }
    // the new namespaces differ from etrace's own
    let own = ns_inode(
        &std::fs::read_link("/proc/self/ns/net")
            .unwrap()
            .to_string_lossy(),
    );
    let net = want.iter().find(|(n, _)| n == "net").unwrap().1;
    assert_ne!(net, own);
}

#[test]
fn ctx_changes_across_unshare_and_setuid_are_reported() {
    require_root();
    let evs = syscalls(run_json(&[
        "-s",
        "unshare,setresuid,getuid",
        "--",
        "sh",
        "-c",
        "unshare -n true; setpriv --reuid=65534 --regid=65534 --clear-groups true",
    ]));
    let un = find(&evs, |e| is(e, "unshare"));
    assert_eq!(un.len(), 1, "{evs:?}");
    let (before, after) = (&un[0]["ctx"], &un[0]["ctx_exit"]);
    assert_ne!(
        before["ns"]["net"], after["ns"]["net"],
        "a new net namespace"
    );
    assert_eq!(before["ns"]["mnt"], after["ns"]["mnt"]);
    assert_eq!(before["uid"], after["uid"]);
    let su = find(&evs, |e| is(e, "setresuid") && e["ret"] == 0);
    assert_eq!(su.len(), 1, "{evs:?}");
    assert_eq!(su[0]["ctx"]["uid"], 0);
    assert_eq!(su[0]["ctx_exit"]["uid"], 65534);
    assert_eq!(su[0]["ctx_exit"]["euid"], 65534);
    assert_eq!(
        su[0]["ctx_exit"]["cap_effective"], 0,
        "root's capabilities are gone"
    );
    // calls that change nothing carry no ctx_exit
    assert!(evs
        .iter()
        .filter(|e| !is(e, "unshare") && !is(e, "setresuid"))
        .all(|e| e.get("ctx_exit").is_none() && e["ctx"].is_object()));

    // text: --context shows the context, and a change is marked
    let o = run(&[
        "--stdout",
        "--context",
        "--stats=false",
        "-s",
        "setresuid",
        "--",
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "true",
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    let line = text
        .lines()
        .find(|l| l.contains("setresuid("))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("[ppid="), "{line}");
    assert!(line.contains(" uid=0 gid=0 cap=0x"), "{line}");
    assert!(line.ends_with("[ctx changed: uid=65534 cap=0x0]"), "{line}");
}

#[test]
fn lifecycle_events_give_the_process_tree_and_exit_statuses() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("l.json");
    let o = run(&[
        "--json",
        "-o",
        out.to_str().unwrap(),
        "-s",
        "getpid",
        "--",
        "sh",
        "-c",
        "cat /etc/hostname >/dev/null; sh -c 'kill -9 $$'; exit 5",
    ]);
    assert_eq!(
        o.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let all = json_all(&out);
    let life: Vec<&Value> = all.iter().filter(|e| e.get("event").is_some()).collect();
    let of = |kind: &str| -> Vec<&Value> {
        life.iter()
            .copied()
            .filter(|e| e["event"] == kind)
            .collect()
    };
    let (forks, execs, exits) = (of("fork"), of("exec"), of("exit"));
    // the launched shell's exec, then one per child
    let top = execs
        .iter()
        .find(|e| e["old_comm"] == "etrace")
        .expect("the launched command's exec");
    let top_pid = top["pid"].as_u64().unwrap();
    assert_eq!(top["comm"], "sh");
    assert_eq!(forks.len(), 2, "{forks:?}");
    for f in &forks {
        assert_eq!(f["pid"].as_u64(), Some(top_pid));
        assert!(f["kind"] == "process" || f["kind"] == "vfork", "{f}");
        assert_eq!(f["child_pid"], f["child_tid"]);
    }
    let child_of = |comm: &str| -> u64 {
        let e = execs
            .iter()
            .find(|e| e["comm"] == comm && e["pid"].as_u64() != Some(top_pid))
            .unwrap_or_else(|| panic!("exec of {comm}: {execs:?}"));
        assert_eq!(e["old_comm"], "sh");
        let pid = e["pid"].as_u64().unwrap();
        assert!(forks.iter().any(|f| f["child_pid"].as_u64() == Some(pid)));
        assert_eq!(e["ppid"].as_u64(), Some(top_pid), "{e}");
        pid
    };
    let cat = child_of("cat");
    let killed = execs
        .iter()
        .find(|e| e["comm"] == "sh" && e["pid"].as_u64() != Some(top_pid))
        .unwrap()["pid"]
        .as_u64()
        .unwrap();
    assert!(execs
        .iter()
        .any(|e| e["filename"] == "/usr/bin/cat" || e["filename"] == "/bin/cat"));
    let exit_of = |pid: u64| -> &Value {
        exits
            .iter()
            .find(|e| e["pid"].as_u64() == Some(pid))
            .unwrap_or_else(|| panic!("exit of {pid}: {exits:?}"))
    };
    assert_eq!(exit_of(cat)["exit_code"], 0);
    assert_eq!(exit_of(killed)["signal"], "SIGKILL");
    assert_eq!(exit_of(killed)["exit_code"], Value::Null);
    assert_eq!(exit_of(top_pid)["exit_code"], 5);
    assert!(exits.iter().all(|e| e["last_thread"] == true));
    // a reader can order them: fork before the child's exec, exec before its exit
    let ts = |e: &Value| e["ts"].as_u64().unwrap();
    let fork_cat = forks
        .iter()
        .find(|f| f["child_pid"].as_u64() == Some(cat))
        .unwrap();
    let exec_cat = execs
        .iter()
        .find(|e| e["pid"].as_u64() == Some(cat))
        .unwrap();
    assert!(ts(fork_cat) < ts(exec_cat) && ts(exec_cat) < ts(exit_of(cat)));

    // text, strace style
    let o = run(&[
        "--stdout",
        "--stats=false",
        "-s",
        "getpid",
        "--",
        "sh",
        "-c",
        "sh -c 'kill -9 $$'; exit 5",
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("+++ killed by SIGKILL +++"), "{text}");
    assert!(text.contains("+++ exited with 5 +++"), "{text}");
    assert!(
        text.contains("+++ exec: \"/usr/bin/sh\" (was etrace) +++")
            || text.contains("+++ exec: \"/bin/sh\" (was etrace) +++"),
        "{text}"
    );
}

#[test]
fn comm_filter_matches_with_few_names_and_with_many() {
    require_root();
    // up to 8 names are compared in place in the kernel, more go through a hash map
    for extra in [1usize, 9] {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("c.json");
        let cat = tmp.path().join("etrace-cmn");
        std::fs::copy("/bin/cat", &cat).unwrap();
        let mut args = vec!["--json".to_string(), "-o".into(), out.display().to_string()];
        for i in 0..extra {
            args.extend(["--comm".to_string(), format!("nomatch{i}")]);
        }
        args.extend(["--comm".to_string(), "etrace-cmn".into()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (tracer, stderr) = start_tracer(&args);
        let st = Command::new(&cat)
            .arg("/etc/hostname")
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success());
        let (st, rest) = stop_tracer(tracer, stderr);
        assert!(st.success());
        let evs = json_lines(&out);
        assert!(
            evs.iter().all(|e| e["comm"] == "etrace-cmn"),
            "{extra} extra names: {rest}"
        );
        let opens = find(&evs, |e| {
            is(e, "openat") && e["args"]["filename"] == "/etc/hostname"
        });
        assert_eq!(opens.len(), 1, "{extra} extra names: {rest}");
    }
    // with a command, --comm narrows its process tree (AND): the shell is left out
    let evs = syscalls(run_json(&[
        "--comm",
        "cat",
        "--",
        "sh",
        "-c",
        "cat /etc/hostname; cat /etc/hostname",
    ]));
    assert!(evs.iter().all(|e| e["comm"] == "cat"), "{evs:?}");
    let opens = find(&evs, |e| {
        is(e, "openat") && e["args"]["filename"] == "/etc/hostname"
    });
    assert_eq!(opens.len(), 2);
}

#[test]
fn a_buffer_unreadable_at_entry_is_read_again_at_exit() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let prog = compile_prog(tmp.path(), "fault");
    let file = tmp.path().join("written");
    let out = tmp.path().join("out.json");
    let o = run(&[
        "--json",
        "-o",
        out.to_str().unwrap(),
        "-s",
        "write",
        "--",
        prog.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "etrace failed: {stderr}");
    let evs = json_lines(&out);
    let writes = find(&evs, |e| is(e, "write"));
    assert_eq!(writes.len(), 2, "{evs:?}");
    // the untouched page: the entry read faulted, the exit read got what the kernel wrote
    assert_eq!(writes[0]["ret"], 16);
    assert_eq!(writes[0]["args"]["count"], 16);
    assert_eq!(writes[0]["args"]["buf"], "\0".repeat(16));
    assert!(writes[0].get("unreadable").is_none(), "{}", writes[0]);
    // address 8: EFAULT, and the buffer is unreadable both times
    assert_eq!(writes[1]["ret"], -14);
    assert_eq!(writes[1]["errno"], "EFAULT");
    assert_eq!(writes[1]["args"]["buf"], Value::Null);
    assert_eq!(writes[1]["unreadable"], serde_json::json!(["buf"]));
    assert!(
        stderr.contains("faulted at entry: 2 (re-read at exit: 1 ok, 1 failed"),
        "{stderr}"
    );
}
