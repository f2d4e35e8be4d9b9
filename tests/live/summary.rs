//! --summary counted in the kernel.

use super::*;

#[test]
fn summary_counted_in_the_kernel_matches_the_events_and_survives_loss() {
    // no loss: the kernel's counts equal the events the stream carried
    let (evs, _, err, _) = trace_known(&["--summary"]);
    let mut seen = std::collections::BTreeMap::new();
    for e in &evs {
        *seen
            .entry(e["syscall"].as_str().unwrap().to_string())
            .or_insert(0u64) += 1;
    }
    assert!(err.contains("Total lost: 0"), "{err}");
    assert_eq!(summary_calls(&err), seen, "{err}");

    // summary only: no events are sent at all, and dd's reads are counted exactly
    let dd = [
        "--",
        "dd",
        "if=/dev/zero",
        "of=/dev/null",
        "bs=1024",
        "count=30000",
        "status=none",
    ];
    let mut args = vec!["--summary", "-s", "read"];
    args.extend_from_slice(&dd);
    let o = run(&args);
    let base = summary_calls(&String::from_utf8_lossy(&o.stderr));
    let reads = base["read"];
    assert!(reads >= 30000, "{base:?}");

    // a ring buffer far too small: events are lost, the summary stays exact. Each record
    // carries 1 KiB of the read buffer, so the page-sized ring holds three: a consumer that keeps
    // up with one-byte records (it can, with a 4 KiB ring) cannot keep up with these
    let tmp = tempfile::tempdir().unwrap();
    let lossy = |mode: &str, file: &Path| -> String {
        let mut args = vec![
            "--summary",
            "-s",
            "read",
            "--bytes",
            "1024",
            "--buffer-size",
            "4096",
            mode,
            "-o",
        ];
        args.push(file.to_str().unwrap());
        args.extend_from_slice(&dd);
        String::from_utf8_lossy(&run(&args).stderr).to_string()
    };
    let out = tmp.path().join("l.json");
    let err = lossy("--json", &out);
    let lost = total_lost(&err);
    assert!(lost > 0, "the small buffer should lose events: {err}");
    let events = json_lines(&out).len() as u64;
    assert!(events < reads);
    assert_eq!(
        summary_calls(&err)["read"],
        reads,
        "exact despite {lost} lost"
    );

    // recorded with --raw --summary, a lossy dump keeps the kernel's exact counts in its
    // trailer; --input --summary uses them
    let raw = tmp.path().join("l.raw");
    let err = lossy("--raw", &raw);
    assert!(!err.contains("Total lost: 0"), "{err}");
    let (evs, d) = decode_dump(&raw, &["--summary"]);
    let derr = String::from_utf8_lossy(&d.stderr).to_string();
    assert!((evs.len() as u64) < reads);
    assert_eq!(summary_calls(&derr)["read"], reads, "{derr}");
    assert!(derr.contains("the kernel's counters"), "{derr}");
    // a --comm filter cannot use them: counted from the records, with a warning
    let (_, d) = decode_dump(&raw, &["--summary", "--comm", "dd"]);
    let derr = String::from_utf8_lossy(&d.stderr).to_string();
    assert!(summary_calls(&derr)["read"] < reads, "{derr}");
    assert!(
        derr.contains("counted from the dump's records; the capture lost"),
        "{derr}"
    );
}
