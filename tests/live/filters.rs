//! The filters the kernel side applies: syscall sets and classes, --comm, --uid, --cgroup, --failed, and Ctrl-C's drain.

use super::*;

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
