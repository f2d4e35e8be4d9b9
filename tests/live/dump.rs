//! Raw dumps recorded live: the same JSON as the live run, the trailer, a SIGKILLed writer, a full disk, --btf.

use super::*;

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
