//! What a traced call is captured and decoded as: the known program's exact values, text and JSON forms, timestamps, re-reads after a fault.

use super::*;

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
            "openat(dfd: AT_FDCWD, filename: \"/nonexistent-etrace\", flags: O_RDONLY) = -2 ENOENT (No such file or directory)"
        )),
        "{text}"
    );
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

#[test]
fn no_durations_records_the_calls_without_their_exit_time() {
    require_root();
    let opened = |extra: &[&str]| {
        let mut args = vec!["--json", "--stdout", "--stats=false", "-s", "openat"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--", "cat", "/etc/hostname"]);
        let o = run(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        // cat's own output shares standard output
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter(|l| l.starts_with('{'))
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|e| e["args"]["filename"] == "/etc/hostname")
            .unwrap_or_else(|| panic!("no openat of /etc/hostname"))
    };
    let timed = opened(&[]);
    assert!(timed["duration_ns"].as_u64().unwrap() > 0, "{timed}");
    let untimed = opened(&["--no-durations"]);
    // the call itself is all there: its arguments and its result
    assert!(untimed["ret"].as_i64().unwrap() >= 0, "{untimed}");
    assert_eq!(untimed["sym"]["flags"], "O_RDONLY", "{untimed}");
    assert!(untimed.get("duration_ns").is_none(), "{untimed}");
    let both = run(&["--no-durations", "-T", "--", "true"]);
    assert!(!both.status.success());
}

/// tests/progs/NAME.c, compiled into dir and run with `arg` under `etrace --json -s SYSCALLS`,
/// which must succeed: its syscall events and etrace's standard error.
fn trace_prog(dir: &Path, name: &str, syscalls: &str, arg: &str) -> (Vec<Value>, String) {
    let prog = compile_prog(dir, name);
    let out = dir.join("out.json");
    let o = run(&[
        "--json",
        "-o",
        out.to_str().unwrap(),
        "-s",
        syscalls,
        "--",
        prog.to_str().unwrap(),
        arg,
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "etrace failed: {stderr}");
    (json_lines(&out), stderr)
}

#[test]
fn a_buffer_unreadable_at_entry_is_read_again_at_exit() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("written");
    let (evs, stderr) = trace_prog(tmp.path(), "fault", "write", file.to_str().unwrap());
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

#[test]
fn exec_strings_unreadable_at_entry_are_read_again_at_the_exec() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let (evs, stderr) = trace_prog(
        tmp.path(),
        "execfault",
        "execve",
        tmp.path().to_str().unwrap(),
    );
    let execs = find(&evs, |e| is(e, "execve"));
    assert_eq!(execs.len(), 2, "{evs:?}");
    // the second execve's strings were in a page not mapped yet: read at the exec instead
    let e = &execs[1];
    assert_eq!(e["ret"], 0);
    assert_eq!(e["args"]["filename"], "/bin/true", "{e}");
    assert_eq!(
        e["args"]["argv"],
        serde_json::json!(["execfault-marker"]),
        "{e}"
    );
    assert_eq!(e["args"]["envp"], serde_json::json!([]), "{e}");
    assert!(e.get("unreadable").is_none(), "{e}");
    assert!(
        stderr
            .contains("faulted at entry: 2 (re-read at exit: 0 ok, 0 failed; supplied at exec: 2)"),
        "{stderr}"
    );
}

#[test]
fn octal_masks_and_unchanged_ids_read_as_strace_writes_them() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let prog = compile_prog(tmp.path(), "ids");
    let file = tmp.path().join("f");
    let text = tmp.path().join("out.txt");
    let o = run(&[
        "-s",
        "umask,fchown,setresuid,setresgid,openat,fcntl",
        "-o",
        text.to_str().unwrap(),
        "--",
        prog.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&text).unwrap();
    for want in [
        "umask(mask: 027) = 022",
        "umask(mask: 022) = 027",
        "fchown(fd: 3, user: -1, group: -1) = 0",
        "setresuid(ruid: -1, euid: -1, suid: -1) = 0",
        "setresgid(rgid: -1, egid: -1, sgid: -1) = 0",
        // what the call uses, as strace shows it: the mode with O_CREAT only, no fcntl arg
        "flags: O_WRONLY|O_CREAT, mode: 0640) = 3",
        "fcntl(fd: 3, cmd: F_GETFD) = 0",
        "openat(dfd: AT_FDCWD, filename: \"/etc/hostname\", flags: O_RDONLY) = 4",
        // fcntl's arg and result decoded by its command
        "fcntl(fd: 3, cmd: F_SETFD, arg: FD_CLOEXEC) = 0",
        "fcntl(fd: 3, cmd: F_GETFD) = FD_CLOEXEC",
        "fcntl(fd: 3, cmd: F_GETFL) = O_WRONLY|O_LARGEFILE",
        "fcntl(fd: 3, cmd: F_SETFL, arg: O_RDONLY|O_NONBLOCK) = 0",
    ] {
        assert!(text.contains(want), "no `{want}` in {text}");
    }
    // JSON keeps the numbers, the forms beside them
    let evs = run_json(&[
        "-s",
        "umask,fchown",
        "--",
        prog.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    let u = find(&evs, |e| is(e, "umask") && e["args"]["mask"] == 0o27);
    assert_eq!(
        (u[0]["ret"].as_i64(), &u[0]["sym"]["ret"]),
        (Some(0o22), &"022".into())
    );
    let c = find(&evs, |e| is(e, "fchown"));
    assert_eq!(c[0]["args"]["user"], -1);
}
