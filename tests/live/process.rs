//! The processes traced: -p and -f, -u, a comm match's children, and the lifecycle events.

use super::*;

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
