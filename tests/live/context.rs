//! Each event's process context: namespaces, credentials and cgroups, and their changes.

use super::*;

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

/// A command that gives up root: setresuid to nobody, then exec.
const DROP_ROOT: [&str; 5] = [
    "setpriv",
    "--reuid=65534",
    "--regid=65534",
    "--clear-groups",
    "true",
];

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
        &[
            "--stdout",
            "--context",
            "--stats=false",
            "-s",
            "setresuid",
            "--",
        ],
        &DROP_ROOT[..],
    ]
    .concat());
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
fn ctx_changes_shows_a_threads_context_first_and_after_setuid() {
    require_root();
    let evs = run_json(&[&["--ctx", "changes", "--"], &DROP_ROOT[..]].concat());
    // the thread's first line has its context, root's
    let first = &evs[0];
    assert_eq!(first["ctx"]["uid"], 0, "{first}");
    let tid = first["tid"].clone();
    let mine: Vec<&Value> = evs.iter().filter(|e| e["tid"] == tid).collect();
    let su = mine
        .iter()
        .position(|e| is(e, "setresuid") && e["ret"] == 0)
        .unwrap_or_else(|| panic!("{evs:?}"));
    // setresuid began with the context the lines before it had, and changed it
    assert!(mine[su].get("ctx").is_none(), "{}", mine[su]);
    assert_eq!(mine[su]["ctx_exit"]["uid"], 65534);
    // the next line has the new one, and the lines after it none until exec gives another
    let next = mine[su + 1];
    assert_eq!(next["ctx"]["uid"], 65534, "{next}");
    assert_eq!(next["ctx"]["cap_effective"], 0, "{next}");
    let shown = mine.iter().filter(|e| e.get("ctx").is_some()).count();
    assert!(
        shown * 4 < mine.len(),
        "{shown} of {} lines have ctx",
        mine.len()
    );
}
