//! The VM test: boots Debian 12's stock kernel (6.1, the oldest this machine can boot: QEMU in
//! software emulation, through virtme-ng) with this machine's root file system, runs
//! tests/vm/guest.sh there, and checks what etrace did on that kernel: a launched command's
//! decoded values and context, the forced fallbacks, the exit status passed through, -p,
//! --comm, --summary, and a raw dump that decodes here to the very JSON the VM printed.
//! `make vm-test` (part of `make test`) installs what it needs and runs it; it is #[ignore]d
//! for a plain `cargo test`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

mod common;
use common::{check_known, summary_calls};

const ETRACE: &str = env!("CARGO_BIN_EXE_etrace");

/// The kernel to boot: ETRACE_VM_KERNEL, or the newest /boot/vmlinuz-6.1.*.
fn kernel() -> PathBuf {
    if let Some(k) = std::env::var_os("ETRACE_VM_KERNEL") {
        return k.into();
    }
    let mut ks: Vec<PathBuf> = std::fs::read_dir("/boot")
        .expect("/boot")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().starts_with("/boot/vmlinuz-6.1."))
        .collect();
    ks.sort();
    ks.pop()
        .expect("no /boot/vmlinuz-6.1.*: run `make vm-deps`")
}

fn vng() -> PathBuf {
    std::env::var_os("ETRACE_VNG").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/vm/venv/bin/vng"),
        PathBuf::from,
    )
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn rc(dir: &Path, name: &str) -> i32 {
    read(dir, &format!("{name}.rc")).trim().parse().unwrap()
}

fn json(dir: &Path, name: &str) -> Vec<Value> {
    read(dir, name)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn syscalls(evs: Vec<Value>) -> Vec<Value> {
    evs.into_iter()
        .filter(|e| e.get("syscall").is_some())
        .collect()
}

/// tests/progs/NAME.c compiled into dir with these flags.
fn compile(dir: &Path, name: &str, flags: &[&str]) -> PathBuf {
    let out = dir.join(format!("etrace-{name}"));
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/progs/{name}.c"));
    let st = Command::new("cc")
        .args(flags)
        .arg("-o")
        .arg(&out)
        .arg(&src)
        .status()
        .unwrap();
    assert!(st.success(), "compiling {}", src.display());
    out
}

#[test]
#[ignore = "boots a VM: make vm-test"]
fn etrace_on_debian_12s_stock_kernel() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let known = compile(out, "known", &["-O1", "-pthread"]);
    let signals = compile(out, "signals", &["-O1"]);
    let stack = compile(out, "stack", &["-O0", "-g", "-fno-omit-frame-pointer"]);
    let argdep = compile(out, "argdep", &["-O1"]);
    let netlink = compile(out, "netlink", &["-O1"]);
    let guest = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vm/guest.sh");
    let script = format!(
        "sh {} {} {} {} {} {} {} {}",
        guest.display(),
        out.display(),
        ETRACE,
        known.display(),
        signals.display(),
        stack.display(),
        argdep.display(),
        netlink.display()
    );
    let started = std::time::Instant::now();
    // vng runs virtme-run and friends from its own directory
    let vng = vng();
    let path = format!(
        "{}:{}",
        vng.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = Command::new("timeout")
        .env("PATH", path)
        .arg("600")
        .arg(&vng)
        .arg("--run")
        .arg(kernel())
        .args(["--disable-kvm", "--cpus", "1", "-m", "2G", "--rwdir"])
        .arg(out)
        .arg("--exec")
        .arg(&script)
        .output()
        .expect("vng runs (make vm-deps)");
    let took = started.elapsed();
    eprintln!("VM run: {took:?}");
    assert!(
        out.join("done").exists(),
        "the guest script did not finish ({:?}): {}{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(took < Duration::from_secs(600));
    let kernel = read(out, "kernel.txt");
    assert!(kernel.starts_with("6.1."), "{kernel}");

    // which paths 6.1 got: no bpf_rdonly_cast (6.2), the rest native
    let feat = read(out, "features.err");
    assert_eq!(rc(out, "features"), 0, "{feat}");
    assert!(feat.contains("bpf_rdonly_cast kfunc missing"), "{feat}");
    assert!(feat.contains("bpf_loop helper (native)"), "{feat}");

    // a launched command: every known value, with its process context
    assert_eq!(rc(out, "known"), 0, "{}", read(out, "known.err"));
    let evs = syscalls(json(out, "known.json"));
    check_known(&evs, &known, &out.join("s-known"));
    assert!(evs
        .iter()
        .all(|e| e["ctx"]["uid"] == 0 && e["ctx"]["ns"]["pid"].is_u64()));
    assert!(read(out, "known.err").contains("Total lost: 0"));
    // the same with every fallback forced (bpf_loop's too) on this kernel's verifier
    assert_eq!(rc(out, "forced"), 0, "{}", read(out, "forced.err"));
    check_known(
        &syscalls(json(out, "forced.json")),
        &known,
        &out.join("s-forced"),
    );

    // the dump recorded in the VM decodes here to the very JSON the VM printed
    let dec = Command::new(ETRACE)
        .args(["--input", out.join("known.raw").to_str().unwrap()])
        .args(["--json", "-o", "-"])
        .output()
        .unwrap();
    assert!(dec.status.success());
    assert!(
        dec.stdout == read(out, "known.json").into_bytes(),
        "the dump decodes differently"
    );

    // the command's exit status passes through
    assert_eq!(rc(out, "status"), 7, "{}", read(out, "status.err"));

    // --summary: the known program's calls, counted in the kernel
    assert_eq!(rc(out, "summary"), 0);
    let calls = summary_calls(&read(out, "summary.err"));
    assert_eq!(calls.get("execve"), Some(&2), "{calls:?}");
    assert_eq!(calls.get("exit_group"), Some(&2), "{calls:?}");
    assert!(calls.get("openat").is_some_and(|n| *n >= 4), "{calls:?}");

    // -p: the shell's own open of /etc/hostname, and the end of tracing when it exits
    assert_eq!(rc(out, "pid"), 0, "{}", read(out, "pid.err"));
    let evs = syscalls(json(out, "pid.json"));
    assert!(
        evs.iter().any(|e| e["syscall"] == "openat"
            && e["args"]["filename"] == "/etc/hostname"
            && e["comm"] == "sh"),
        "{evs:?}"
    );
    assert!(read(out, "pid.err").contains("the traced processes have exited"));
    // ... and its wait4, in progress when tracing started, reported when it returned
    let wait = evs
        .iter()
        .find(|e| e["syscall"] == "wait4")
        .unwrap_or_else(|| panic!("{evs:?}"));
    assert_eq!(wait["before_tracing"], true, "{wait}");
    assert!(wait["ret"].as_i64().is_some_and(|r| r > 0), "{wait}");

    // signals: SIGUSR1 from itself, SIGCHLD from the child that exited with 3
    assert_eq!(rc(out, "signals"), 0, "{}", read(out, "signals.err"));
    let evs = json(out, "signals.json");
    let sig = |name: &str| {
        evs.iter()
            .find(|e| e["event"] == "signal" && e["signal"] == name)
            .unwrap_or_else(|| panic!("no {name}: {evs:?}"))
    };
    assert_eq!(sig("SIGUSR1")["si_code"], "SI_USER");
    assert_eq!(sig("SIGUSR1")["siginfo"]["si_pid"], sig("SIGUSR1")["pid"]);
    assert_eq!(sig("SIGCHLD")["si_code"], "CLD_EXITED");
    assert_eq!(sig("SIGCHLD")["siginfo"]["si_status"], 3);
    // a call blocked while traced: the shell's wait4, pending then resumed
    assert_eq!(rc(out, "pending"), 0, "{}", read(out, "pending.err"));
    let text = read(out, "pending.txt");
    assert!(
        text.lines()
            .any(|l| l.contains(" wait4(") && l.ends_with("<unfinished ...>")),
        "{text}"
    );
    assert!(text.contains("<... wait4 resumed>"), "{text}");
    // -k: the program's own functions, innermost first
    assert_eq!(rc(out, "stack"), 0, "{}", read(out, "stack.err"));
    let evs = syscalls(json(out, "stack.json"));
    let names: Vec<&str> = evs
        .iter()
        .find(|e| e["syscall"] == "getppid")
        .and_then(|e| e["stack"].as_array())
        .map(|s| s.iter().filter_map(|f| f["function"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        names[..3],
        ["inner_frame", "outer_frame", "main"],
        "{evs:?}"
    );
    let svg = read(out, "stack.svg");
    for f in ["getppid", "inner_frame", "outer_frame"] {
        assert!(
            svg.contains(&format!("<title>{f} (")),
            "the flamegraph lacks {f}: {svg}"
        );
    }
    // capture variants: fcntl's struct flock, ioctl's winsize, SO_ERROR; the time left
    assert_eq!(rc(out, "argdep"), 0, "{}", read(out, "argdep.err"));
    let evs = syscalls(json(out, "argdep.json"));
    let find = |name: &str, key: &str, val: &str| {
        evs.iter()
            .find(|e| e["syscall"] == name && e["sym"][key] == val)
            .unwrap_or_else(|| panic!("no {name} {val}: {evs:?}"))
    };
    assert_eq!(
        find("fcntl", "cmd", "F_SETLK")["sym"]["arg"]["l_type"],
        "F_WRLCK"
    );
    assert_eq!(
        find("ioctl", "cmd", "TIOCGWINSZ")["args"]["arg"]["ws_col"],
        80
    );
    assert_eq!(
        find("getsockopt", "optname", "SO_ERROR")["sym"]["optval"],
        "ECONNREFUSED"
    );
    let sel = evs
        .iter()
        .find(|e| e["syscall"] == "pselect6" && e["ret"] == 1)
        .expect("pselect6");
    assert_eq!(
        (
            &sel["args"]["tsp"]["tv_sec"],
            &sel["after"]["tsp"]["tv_sec"]
        ),
        (&5.into(), &4.into())
    );
    let sleep = evs
        .iter()
        .find(|e| e["syscall"] == "clock_nanosleep")
        .expect("sleep");
    assert_eq!(sleep["args"]["rmtp"]["tv_sec"], 4, "{sleep}");
    // netlink: the error answering the request, by name
    assert_eq!(rc(out, "netlink"), 0, "{}", read(out, "netlink.err"));
    let evs = syscalls(json(out, "netlink.json"));
    let err = evs
        .iter()
        .find(|e| e["syscall"] == "recvmsg")
        .map(|e| e["sym"]["msg"]["msg_iov"][0]["iov_base"][1]["error"].clone());
    assert_eq!(err, Some("-ENODEV".into()), "{evs:?}");
    // -y: the path of the fd cat reads
    assert_eq!(rc(out, "fds"), 0, "{}", read(out, "fds.err"));
    let evs = syscalls(json(out, "fds.json"));
    assert!(
        evs.iter()
            .any(|e| e["syscall"] == "read" && e["fds"]["fd"] == "/etc/hostname"),
        "{evs:?}"
    );
    // the Parquet file of the same run answers as its JSON does (DuckDB, on the host)
    let a = common::analysis::check(&out.join("fds.json"), &out.join("fds.parquet"));
    assert!(a["bytes"].iter().any(|r| r[0] == "/etc/hostname"), "{a:?}");

    // --comm cat -s openat: cat's open of /etc/hostname, nothing of another comm
    assert_eq!(rc(out, "comm"), 0, "{}", read(out, "comm.err"));
    let evs = syscalls(json(out, "comm.json"));
    assert!(evs
        .iter()
        .all(|e| e["comm"] == "cat" && e["syscall"] == "openat"));
    assert!(
        evs.iter().any(|e| e["args"]["filename"] == "/etc/hostname"),
        "{evs:?}"
    );
}
