//! -y, -yy and -P: what file descriptors refer to, resolved in the kernel at capture time, and
//! the calls that touch a path.

use super::*;

/// The JSON events of `etrace --json -o F ARGS... -- sh -c SCRIPT`, run in `dir`.
fn traced_script(args: &[&str], script: &str, dir: &Path) -> Vec<Value> {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out.json");
    let o = Command::new(ETRACE)
        .args(["--json", "-o", out.to_str().unwrap()])
        .args(args)
        .args(["--", "sh", "-c", script])
        .current_dir(dir)
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    json_lines(&out)
}

#[test]
fn y_shows_the_path_of_each_fd_argument_and_returned_fd() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let text = tmp.path().join("out.txt");
    let o = Command::new(ETRACE)
        .args([
            "-y",
            "-s",
            "openat,read,close",
            "-o",
            text.to_str().unwrap(),
        ])
        .args(["--", "cat", "/etc/hosts"])
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert!(o.status.success());
    let text = std::fs::read_to_string(&text).unwrap();
    let open = text
        .lines()
        .find(|l| l.contains("filename: \"/etc/hosts\""))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(open.contains("(dfd: AT_FDCWD</"), "{open}");
    let fd: u32 = open
        .rsplit("= ")
        .next()
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(open.ends_with(&format!("= {fd}</etc/hosts>")), "{open}");
    assert!(
        text.contains(&format!("read(fd: {fd}</etc/hosts>, buf: \"")),
        "{text}"
    );
    assert!(
        text.contains(&format!("close(fd: {fd}</etc/hosts>) = 0")),
        "{text}"
    );
    // JSON: beside the numbers, under `fds`
    let evs = traced_script(&["-y", "-s", "openat,read"], "cat /etc/hosts", tmp.path());
    let opened = find(&evs, |e| e["args"]["filename"] == "/etc/hosts");
    assert_eq!(opened[0]["fds"]["ret"], "/etc/hosts");
    let reads = find(&evs, |e| is(e, "read") && e["fds"]["fd"] == "/etc/hosts");
    assert_eq!(reads.len(), 2, "the data, then end of file");
    assert_eq!(reads[0]["args"]["fd"], opened[0]["ret"]);
    // without -y, no `fds`
    let plain = traced_script(&["-s", "read"], "cat /etc/hosts", tmp.path());
    assert!(plain.iter().all(|e| e.get("fds").is_none()));
}

#[test]
fn yy_shows_both_endpoints_of_a_tcp_socket() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut c, peer) = listener.accept().unwrap();
        let mut b = [0u8; 3];
        std::io::Read::read_exact(&mut c, &mut b).unwrap();
        peer.port()
    });
    let script = format!("exec 3<>/dev/tcp/127.0.0.1/{port}; echo hi >&3");
    let out = tmp.path().join("out.json");
    let o = Command::new(ETRACE)
        .args(["-yy", "-s", "write", "--json", "-o", out.to_str().unwrap()])
        .args(["--", "bash", "-c", &script])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let client = server.join().unwrap();
    let evs = json_lines(&out);
    let w = find(&evs, |e| e["args"]["buf"] == "hi\n");
    assert_eq!(
        w[0]["fds"]["fd"],
        format!("TCP:[127.0.0.1:{client}->127.0.0.1:{port}]"),
        "{w:?}"
    );
}

#[test]
fn y_names_an_fd_opened_before_attach() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out.json");
    let mut sh = Command::new("bash")
        .args(["-c", "exec 3</etc/hosts; sleep 1; read -u 3 x"])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let pid = sh.id().to_string();
    let (mut tracer, _stderr) = start_tracer(&[
        "-y",
        "-s",
        "read",
        "-p",
        &pid,
        "--json",
        "-o",
        out.to_str().unwrap(),
    ]);
    sh.wait().unwrap();
    assert!(tracer.wait().unwrap().success());
    let evs = json_lines(&out);
    let r = find(&evs, |e| is(e, "read") && e["args"]["fd"] == 3);
    assert!(!r.is_empty(), "{evs:?}");
    assert_eq!(r[0]["fds"]["fd"], "/etc/hosts");
}

#[test]
fn p_keeps_the_calls_that_touch_the_path_only() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let script = "cat /etc/hosts /etc/hostname > /dev/null";
    let evs = traced_script(&["-y", "-P", "/etc/hosts"], script, tmp.path());
    let names: Vec<&str> = evs.iter().map(|e| e["syscall"].as_str().unwrap()).collect();
    for want in ["openat", "read", "close"] {
        assert!(names.contains(&want), "{names:?}");
    }
    // every event names /etc/hosts, as a path or through an fd; none names /etc/hostname
    for e in &evs {
        let touches = e["args"]["filename"] == "/etc/hosts"
            || e["fds"]
                .as_object()
                .is_some_and(|f| f.values().any(|v| v == "/etc/hosts"));
        assert!(touches, "{e}");
        assert!(!e.to_string().contains("hostname"), "{e}");
    }
    // a relative path, from the working directory: `cat hosts` in /etc, -P hosts from /etc
    let rel = traced_script(&["-P", "hosts"], "cat hosts", Path::new("/etc"));
    let opened = find(&rel, |e| e["args"]["filename"] == "hosts");
    assert_eq!(opened.len(), 1, "{rel:?}");
    assert!(find(&rel, |e| is(e, "read")).len() >= 2, "{rel:?}");
    // -P on a path nothing touches: nothing
    assert!(traced_script(&["-P", "/nonexistent"], script, tmp.path()).is_empty());
}

#[test]
fn a_y_dump_decodes_to_the_same_paths_elsewhere() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let live = tmp.path().join("live.json");
    let dump = tmp.path().join("d.raw");
    let o = run(&[
        "-y",
        "--json",
        "-o",
        live.to_str().unwrap(),
        "--also-raw",
        dump.to_str().unwrap(),
        "--",
        "cat",
        "/etc/hosts",
    ]);
    assert!(o.status.success());
    let replay = tmp.path().join("replay.json");
    let o = run(&[
        "--input",
        dump.to_str().unwrap(),
        "-y",
        "--json",
        "-o",
        replay.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read(&live).unwrap(),
        std::fs::read(&replay).unwrap(),
        "the dump decodes to what the live run printed"
    );
    assert!(!find(&json_lines(&replay), |e| e["fds"]["fd"] == "/etc/hosts").is_empty());
}

#[test]
fn yy_shows_a_unix_sockets_peer_and_bound_path() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let prog = compile_prog(tmp.path(), "unix");
    let path = tmp.path().join("s.sock");
    let evs = run_json(&[
        "-yy",
        "-s",
        "write",
        "--",
        prog.to_str().unwrap(),
        path.to_str().unwrap(),
    ]);
    let desc = |buf: &str| {
        let w = find(&evs, |e| e["args"]["buf"] == buf);
        assert_eq!(w.len(), 1, "{evs:?}");
        w[0]["fds"]["fd"].as_str().unwrap().to_string()
    };
    // the pair: this end's inode, then its peer's
    let pair = desc("p");
    let (ino, peer) = pair
        .strip_prefix("UNIX-STREAM:[")
        .and_then(|r| r.strip_suffix(']'))
        .and_then(|r| r.split_once("->"))
        .unwrap_or_else(|| panic!("{pair}"));
    assert!(
        ino.parse::<u64>().is_ok() && peer.parse::<u64>().is_ok_and(|p| p > 0),
        "{pair}"
    );
    assert_ne!(ino, peer);
    // the accepted connection: its inode and the path it was accepted on
    let accepted = desc("s");
    assert!(
        accepted.starts_with("UNIX-STREAM:[")
            && accepted.ends_with(&format!(",\"{}\"]", path.display())),
        "{accepted}"
    );
}
