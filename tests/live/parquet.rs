//! --parquet live: a capture's Parquet file answers docs/analysis.md's questions as its JSON
//! does, with the values the traced commands make; and an etrace killed with SIGKILL leaves a
//! file that reads up to its last row group.

use super::*;

#[test]
fn live_parquet_answers_what_the_json_of_the_same_run_answers() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let json = tmp.path().join("out.json");
    let parquet = tmp.path().join("out.parquet");
    let missing = tmp.path().join("missing");
    let script = format!(
        "cat /etc/hostname > /dev/null; ls {} 2>/dev/null; exit 0",
        missing.display()
    );
    let o = run(&[
        "-y",
        "--json",
        "-o",
        json.to_str().unwrap(),
        "--parquet",
        parquet.to_str().unwrap(),
        "--",
        "sh",
        "-c",
        &script,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&parquet).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let a = analysis::check(&json, &parquet);
    // sh, then cat and ls, each run by the shell
    let execs = &a["execs"];
    let sh = execs
        .iter()
        .find(|r| r[2].ends_with("/sh"))
        .unwrap_or_else(|| panic!("{execs:?}"));
    for prog in ["/cat", "/ls"] {
        let r = execs
            .iter()
            .find(|r| r[2].ends_with(prog))
            .unwrap_or_else(|| panic!("no {prog}: {execs:?}"));
        assert_eq!(r[1], sh[0], "{prog}'s parent is the shell: {execs:?}");
    }
    assert!(
        a["opened"].contains(&vec!["/etc/hostname".to_string()]),
        "{:?}",
        a["opened"]
    );
    assert!(
        a["failed"].iter().any(|r| r[1] == "ENOENT"),
        "ls of a missing path fails with ENOENT: {:?}",
        a["failed"]
    );
    // -y: cat read the whole of /etc/hostname through an fd that refers to it
    let size = std::fs::metadata("/etc/hostname")
        .unwrap()
        .len()
        .to_string();
    let hostname = a["bytes"]
        .iter()
        .find(|r| r[0] == "/etc/hostname")
        .unwrap_or_else(|| panic!("{:?}", a["bytes"]));
    assert_eq!(hostname[1], size, "{hostname:?}");
}

#[test]
fn a_parquet_file_of_a_killed_etrace_reads_up_to_its_last_row_group() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let parquet = tmp.path().join("out.parquet");
    let loop_ = "for i in $(seq 100); do cat /etc/hostname > /dev/null; sleep 0.1; done";
    let (tracer, _stderr) = start_tracer(&[
        "--parquet",
        parquet.to_str().unwrap(),
        "--",
        "sh",
        "-c",
        loop_,
    ]);
    let pid = tracer.id();
    // a row group is written 5 s after its first event at the latest
    std::thread::sleep(Duration::from_millis(7500));
    let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap();
    // SAFETY: plain kill(2) on our child and its children.
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    let mut tracer = tracer;
    tracer.wait().unwrap();
    for c in children.split_whitespace() {
        unsafe { libc::kill(c.parse().unwrap(), libc::SIGKILL) };
    }
    std::fs::rename(&parquet, tmp.path().join("f.parquet")).unwrap();
    let q = "SELECT count(*) FILTER (WHERE event = 'exec' AND filename LIKE '%/cat'), \
             count(*) FILTER (WHERE syscall = 'openat' AND path = '/etc/hostname') FROM 'f.parquet'";
    let o = Command::new(analysis::python())
        .current_dir(tmp.path())
        .args([
            "-c",
            &format!("import duckdb; print(*duckdb.connect().execute(\"{q}\").fetchall()[0])"),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let counts: Vec<u64> = String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    eprintln!("cat execs, openats of /etc/hostname in the killed etrace's file: {counts:?}");
    // about 70 cats ran before the kill, one every 0.1 s and more; those of the first 2.5 s at
    // least are in a written row group, each with its openat of /etc/hostname
    assert!(counts[0] >= 15, "{counts:?}");
    // (a row group may end between a cat's exec and its openat)
    assert!(
        (counts[0] - 1..=counts[0]).contains(&counts[1]),
        "{counts:?}"
    );
}
