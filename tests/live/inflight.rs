//! Calls in flight: those that began before tracing (-p on a blocked process), calls that block
//! while traced (`<unfinished ...>` then `<... resumed>`), calls still in flight when tracing
//! stops, and delivered signals with their siginfo.

use super::*;

/// Wait until `path` holds a line containing `needle`, up to `limit`; the time it took.
fn wait_for_line(path: &Path, needle: &str, limit: Duration) -> Option<Duration> {
    let t = Instant::now();
    while t.elapsed() < limit {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.lines().any(|l| l.contains(needle)) {
            return Some(t.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// Decode a dump as JSON Lines: every event.
fn dump_json(dump: &Path) -> Vec<Value> {
    let out = dump.with_extension("json");
    let o = run(&[
        "--input",
        dump.to_str().unwrap(),
        "--json",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    json_all(&out)
}

#[test]
fn a_read_blocked_before_attach_is_shown_at_once_and_reported_when_it_returns() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    // cat blocked in read(0, ...) on a FIFO whose write end the test holds (opened read-write
    // first, so that neither open waits for the other side)
    let fifo = tmp.path().join("fifo");
    let st = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(st.success());
    let mut input = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&fifo)
        .unwrap();
    let mut cat = Command::new("cat")
        .stdin(std::fs::File::open(&fifo).unwrap())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let pid = cat.id().to_string();
    let text = tmp.path().join("out.txt");
    let dump = tmp.path().join("d.raw");
    let (tracer, stderr) = start_tracer(&[
        "-p",
        &pid,
        "-s",
        "read",
        "-o",
        text.to_str().unwrap(),
        "--also-raw",
        dump.to_str().unwrap(),
    ]);
    let shown = wait_for_line(
        &text,
        "<unfinished ...> (began before tracing)",
        Duration::from_secs(3),
    );
    let took = shown.expect("the read in progress at attach is shown");
    assert!(took < Duration::from_secs(1), "shown after {took:?}");
    let line = std::fs::read_to_string(&text).unwrap();
    assert!(
        line.starts_with(&format!("cat({pid}) read(fd: 0, ")),
        "{line}"
    );
    std::io::Write::write_all(&mut input, b"hello\n").unwrap();
    assert!(
        wait_for_line(
            &text,
            "<... read resumed> buf: \"hello\\n\") = 6",
            Duration::from_secs(3)
        )
        .is_some(),
        "{}",
        std::fs::read_to_string(&text).unwrap()
    );
    let (st, _) = stop_tracer(tracer, stderr);
    assert!(st.success());
    drop(input);
    cat.kill().unwrap();
    cat.wait().unwrap();
    // the dump says the same: one read begun before tracing, with its data, then the next read
    // still in flight when tracing stopped
    let reads = syscalls(dump_json(&dump));
    let first = &reads[0];
    assert_eq!(first["syscall"], "read");
    assert_eq!(first["before_tracing"], true, "{first}");
    assert_eq!(first["pending"], true);
    assert_eq!(first["args"]["fd"], 0);
    assert_eq!(first["args"]["buf"], "hello\n");
    assert_eq!(first["ret"], 6);
    assert!(first.get("duration_ns").is_none(), "its start is unknown");
    let last = reads.last().unwrap();
    assert_eq!(last["unfinished"], true, "{last}");
    assert!(last["ret"].is_null());
    assert!(last.get("before_tracing").is_none());
    assert_eq!(reads.len(), 2, "{reads:?}");
}

#[test]
fn a_sleep_in_progress_at_attach_is_shown_and_unfinished_at_ctrl_c() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let mut sleeper = Command::new("sleep").arg("30").spawn().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let pid = sleeper.id().to_string();
    let text = tmp.path().join("out.txt");
    let dump = tmp.path().join("d.raw");
    let (tracer, stderr) = start_tracer(&[
        "-p",
        &pid,
        "-o",
        text.to_str().unwrap(),
        "--also-raw",
        dump.to_str().unwrap(),
    ]);
    let took = wait_for_line(
        &text,
        "<unfinished ...> (began before tracing)",
        Duration::from_secs(3),
    )
    .expect("the sleep in progress is shown");
    assert!(took < Duration::from_secs(1), "shown after {took:?}");
    let (st, _) = stop_tracer(tracer, stderr);
    assert!(st.success());
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
    let text = std::fs::read_to_string(&text).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    // glibc sleeps in clock_nanosleep; a sleep stopped and continued is in restart_syscall
    assert!(
        lines
            .iter()
            .all(|l| l.contains(&format!("sleep({pid}) clock_nanosleep("))
                || l.contains("restart_syscall(")),
        "{text}"
    );
    assert!(
        lines[1].ends_with("<unfinished ...> (tracing stopped)"),
        "{text}"
    );
    let evs = syscalls(dump_json(&dump));
    assert_eq!(evs.len(), 1, "{evs:?}");
    assert_eq!(evs[0]["unfinished"], true);
    assert_eq!(evs[0]["before_tracing"], true);
    assert!(evs[0]["ret"].is_null());
    assert_eq!(evs[0]["args"]["which_clock"], 0, "CLOCK_REALTIME");
}

/// The syscalls of `strace -f -o FILE` output: every call once (an `<unfinished ...>` line and
/// its `<... resumed>` line are one call), signals and exits left out.
fn strace_calls(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let rest = l.split_once(' ').map_or(l, |(_, r)| r).trim_start();
            let name = rest.split('(').next()?;
            let is_call = !rest.starts_with("<...")
                && !rest.starts_with("---")
                && !rest.starts_with("+++")
                && rest.contains('(')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            is_call.then(|| name.to_string())
        })
        .collect()
}

#[test]
fn a_shell_waiting_for_its_child_is_unfinished_then_resumed() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let text = tmp.path().join("out.txt");
    let dump = tmp.path().join("d.raw");
    let script = "sleep 1; echo x";
    let o = Command::new(ETRACE)
        .args([
            "-o",
            text.to_str().unwrap(),
            "--also-raw",
            dump.to_str().unwrap(),
        ])
        .args(["--", "sh", "-c", script])
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&text).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let pending = lines
        .iter()
        .position(|l| l.contains(") wait4(upid: -1") && l.ends_with("<unfinished ...>"))
        .unwrap_or_else(|| panic!("no pending wait4: {text}"));
    let resumed = lines
        .iter()
        .position(|l| l.contains("<... wait4 resumed>") && l.contains("WEXITSTATUS(s) == 0"))
        .unwrap_or_else(|| panic!("no resumed wait4: {text}"));
    // the child's whole life comes between: its sleep is pending too
    let child_exit = lines
        .iter()
        .position(|l| l.contains("sleep(") && l.contains("+++ exited with 0 +++"))
        .unwrap();
    assert!(pending < child_exit && child_exit < resumed, "{text}");
    assert!(lines[..resumed]
        .iter()
        .any(|l| l.contains("clock_nanosleep(") && l.ends_with("<unfinished ...>")));
    // every call once, as strace counts them
    let st = tmp.path().join("strace.txt");
    let s = Command::new("strace")
        .args(["-f", "-qq", "-o", st.to_str().unwrap(), "sh", "-c", script])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(s.success());
    let theirs = strace_calls(&st);
    let ours = syscalls(dump_json(&dump));
    assert_eq!(
        ours.len(),
        theirs.len(),
        "etrace {:?}\nstrace {theirs:?}",
        ours.iter()
            .map(|e| e["syscall"].as_str().unwrap())
            .collect::<Vec<_>>()
    );
}

#[test]
fn signals_with_their_siginfo_and_the_interrupted_call_before_them() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let prog = compile_prog(tmp.path(), "signals");
    let out = tmp.path().join("out.json");
    let text = tmp.path().join("out.txt");
    let dump = tmp.path().join("d.raw");
    let o = Command::new(ETRACE)
        .args([
            "-o",
            text.to_str().unwrap(),
            "--also-raw",
            dump.to_str().unwrap(),
            "--",
        ])
        .arg(&prog)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let said = String::from_utf8_lossy(&o.stdout).to_string();
    let child: u64 = said.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(said.trim_end().ends_with("read -1"), "{said}");
    let evs = dump_json(&dump);
    let sig = |name: &str| {
        let all = find(&evs, |e| e["event"] == "signal" && e["signal"] == name);
        assert_eq!(all.len(), 1, "{name}: {all:?}");
        all[0].clone()
    };
    let usr1 = sig("SIGUSR1");
    assert_eq!(usr1["si_code"], "SI_USER");
    assert_eq!(usr1["code"], 0);
    assert_eq!(usr1["siginfo"]["si_pid"], usr1["pid"], "sent by itself");
    assert_eq!(usr1["siginfo"]["si_uid"], 0);
    let chld = sig("SIGCHLD");
    assert_eq!(chld["si_code"], "CLD_EXITED");
    assert_eq!(chld["siginfo"]["si_pid"], child);
    assert_eq!(chld["siginfo"]["si_status"], 3);
    assert_eq!(chld["pid"], usr1["pid"]);
    // the read is interrupted (ERESTARTSYS), then the signal, then rt_sigreturn says EINTR
    let at = |f: &dyn Fn(&Value) -> bool| evs.iter().position(f).unwrap();
    let read = at(&|e| e["syscall"] == "read" && e["ret"] == -512);
    assert_eq!(evs[read]["errno"], "ERESTARTSYS");
    let signal = at(&|e| e["event"] == "signal" && e["signal"] == "SIGCHLD");
    let sigreturn =
        at(&|e| e["syscall"] == "rt_sigreturn" && e["pid"] == usr1["pid"] && e["ret"] == -4);
    assert!(
        read < signal && signal < sigreturn,
        "{read} {signal} {sigreturn}"
    );
    // text, as strace writes it
    let text = std::fs::read_to_string(&text).unwrap();
    assert!(text.contains(&format!(
        "--- SIGCHLD {{si_signo: SIGCHLD, si_code: CLD_EXITED, si_pid: {child}, si_uid: 0, si_status: 3, "
    )), "{text}");
    assert!(
        text.contains("= ? ERESTARTSYS (To be restarted if SA_RESTART is set)"),
        "{text}"
    );
    assert!(
        text.contains("rt_sigreturn() = -4 EINTR (Interrupted system call)"),
        "{text}"
    );
    // the read blocked for 400 ms: shown pending, then resumed
    assert!(
        text.contains("<... read resumed>) = ? ERESTARTSYS"),
        "{text}"
    );
    // --signal none hides them, live and from the dump; a set keeps its members only
    let none = run_json(&["--signal", "none", "--", prog.to_str().unwrap()]);
    assert!(find(&none, |e| e["event"] == "signal").is_empty());
    let only = run_json(&["--signal", "USR1", "--", prog.to_str().unwrap()]);
    let names: Vec<_> = find(&only, |e| e["event"] == "signal")
        .iter()
        .map(|e| e["signal"].clone())
        .collect();
    assert_eq!(names, ["SIGUSR1"]);
    let o = run(&[
        "--input",
        dump.to_str().unwrap(),
        "--json",
        "-o",
        out.to_str().unwrap(),
        "--signal",
        "!CHLD",
    ]);
    assert!(o.status.success());
    let names: Vec<_> = find(&json_all(&out), |e| e["event"] == "signal")
        .iter()
        .map(|e| e["signal"].clone())
        .collect();
    assert_eq!(names, ["SIGUSR1"]);
}

#[test]
fn pending_detection_can_be_turned_off() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let text = tmp.path().join("out.txt");
    let o = Command::new(ETRACE)
        .args([
            "--pending-after",
            "0",
            "-s",
            "clock_nanosleep",
            "-o",
            text.to_str().unwrap(),
        ])
        .args(["--", "sleep", "0.5"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let text = std::fs::read_to_string(&text).unwrap();
    assert!(
        !text.contains("unfinished") && !text.contains("resumed"),
        "{text}"
    );
    assert!(
        text.contains("clock_nanosleep(which_clock: CLOCK_REALTIME"),
        "{text}"
    );
}
