//! The ring buffer consumer.

use super::*;

#[test]
fn records_that_wrap_around_a_small_ring_arrive_whole() {
    require_root();
    // a 16 KiB ring holds ~120 of these records: they wrap around its end all the time, and
    // a record that straddles the end is read through the ring's second mapping
    let n = 5000;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("w.json");
    let count = format!("count={n}");
    let o = run(&[
        "--json",
        "-s",
        "read,write",
        "--buffer-size",
        "16384",
        "-o",
        out.to_str().unwrap(),
        "--",
        "dd",
        "if=/dev/zero",
        "of=/dev/null",
        "bs=1",
        &count,
        "status=none",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    // a ring this small is said to lose events in a storm
    assert!(err.contains("--buffer-size 16384 is under 1 MiB"), "{err}");
    let lost = total_lost(&err) as usize;
    let evs = json_lines(&out);
    let io = find(&evs, |e| {
        (is(e, "read") && e["args"]["fd"] == 0) || (is(e, "write") && e["args"]["fd"] == 1)
    });
    for e in &io {
        assert_eq!(e["args"]["count"], 1, "{e}");
        assert_eq!(e["args"]["buf"], "\u{0}", "{e}");
        assert_eq!(e["ret"], 1, "{e}");
        assert_eq!(e["comm"], "dd", "{e}");
    }
    assert!(
        io.len() > 1000,
        "{} of dd's reads and writes, {lost} lost",
        io.len()
    );
    assert!(
        io.len() <= 2 * n && io.len() + lost >= 2 * n,
        "{} + {lost}",
        io.len()
    );
}
