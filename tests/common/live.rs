//! Helpers of the live tests (tests/live/): running etrace, compiling the test programs,
//! reading its JSON output and its report.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

#[allow(unused_imports)] // re-exported for the test binaries that use them
pub use super::{find, is, CONTENT};

pub const ETRACE: &str = env!("CARGO_BIN_EXE_etrace");

pub fn require_root() {
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
pub fn compile_prog(dir: &Path, name: &str) -> PathBuf {
    compile_prog_with(dir, name, &["-O1", "-pthread"])
}

/// Compile tests/progs/NAME.c into dir with these compiler flags.
pub fn compile_prog_with(dir: &Path, name: &str, flags: &[&str]) -> PathBuf {
    let out = dir.join(format!("etrace-{name}"));
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/progs/{name}.c"));
    let st = Command::new("cc")
        .args(flags)
        .arg("-o")
        .arg(&out)
        .arg(&src)
        .status()
        .expect("cc runs");
    assert!(st.success(), "compiling {}", src.display());
    out
}

/// Compile tests/progs/known.c.
pub fn known_prog(dir: &Path) -> PathBuf {
    compile_prog(dir, "known")
}

pub fn run(args: &[&str]) -> Output {
    Command::new(ETRACE)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("etrace runs")
}

/// `etrace --json -o FILE ARGS...` that must succeed: every JSON line it wrote (syscall and
/// lifecycle events).
pub fn run_json(args: &[&str]) -> Vec<Value> {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out.json");
    let mut all = vec!["--json", "-o", out.to_str().unwrap()];
    all.extend_from_slice(args);
    let o = run(&all);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    json_all(&out)
}

/// The syscall events among events.
pub fn syscalls(evs: Vec<Value>) -> Vec<Value> {
    evs.into_iter()
        .filter(|e| e.get("syscall").is_some())
        .collect()
}

/// Every JSON line of a file: syscall and lifecycle events.
pub fn json_all(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l}: {e}")))
        .collect()
}

/// The syscall events of a JSON Lines file (lifecycle events have `event`, not `syscall`).
pub fn json_lines(path: &Path) -> Vec<Value> {
    syscalls(json_all(path))
}

/// The count on the "Total lost: N" line of etrace's report.
pub fn total_lost(stderr: &str) -> u64 {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("Total lost: "))
        .unwrap_or_else(|| panic!("no Total lost line: {stderr}"))
        .parse()
        .unwrap()
}

/// Trace known.c as a launched command, in JSON; return its events, the scratch dir and etrace's stderr.
pub fn trace_known(extra: &[&str]) -> (Vec<Value>, tempfile::TempDir, String, Output) {
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

/// Start etrace in the background and wait until it traces; its stderr is returned for reading.
pub fn start_tracer(args: &[&str]) -> (std::process::Child, std::process::ChildStderr) {
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
pub fn stop_tracer(
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

/// A shell that waits, reads /etc/hostname itself, then through a grandchild `cat`.
pub fn waiting_shell() -> std::process::Child {
    Command::new("sh")
        .args([
            "-c",
            "sleep 3; read x < /etc/hostname; sh -c 'cat /etc/hostname' > /dev/null",
        ])
        .spawn()
        .unwrap()
}

/// Where cgroup v2 is mounted (`/sys/fs/cgroup` or, on hybrid systems, `.../unified`).
pub fn cgroup2_root() -> PathBuf {
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
pub struct TempCgroup(pub PathBuf);

impl TempCgroup {
    pub fn new(prefix: &str) -> TempCgroup {
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

/// The namespace inode of `/proc/PID/ns/NAME` as readlink shows it: `net:[4026531833]`.
pub fn ns_inode(link: &str) -> u64 {
    link.trim()
        .rsplit('[')
        .next()
        .and_then(|s| s.strip_suffix(']'))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a namespace link: {link}"))
}
