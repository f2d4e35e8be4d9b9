//! Analysis outputs from the checked-in dumps: Parquet and JSON Lines of the same capture give
//! the same answers to docs/analysis.md's questions (DuckDB, jq), and the answers the test reads
//! from the JSON itself.

use std::path::Path;
use std::process::{Command, Stdio};

mod common;
use common::analysis;

fn convert(dump: &Path, dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let name = dump.file_stem().unwrap().to_str().unwrap();
    let json = dir.join(format!("{name}.json"));
    let parquet = dir.join(format!("{name}.parquet"));
    for out in [
        ["--json", "-o", json.to_str().unwrap()],
        ["--stats=false", "--parquet", parquet.to_str().unwrap()],
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_etrace"))
            .args(["--input", dump.to_str().unwrap(), "-y"])
            .args(out)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    (json, parquet)
}

#[test]
fn parquet_and_json_answer_the_same_questions_for_every_checked_in_dump() {
    let dumps = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/dumps");
    let tmp = tempfile::tempdir().unwrap();
    for name in ["known.raw", "dd.raw", "decoding.raw"] {
        let (json, parquet) = convert(&dumps.join(name), tmp.path());
        let answers = analysis::check(&json, &parquet);
        assert!(!answers["calls"].is_empty(), "{name}: no calls");
        if name == "dd.raw" {
            // dd reads its input a byte at a time: 5 reads, 3 writes (testdata/dumps/dd.txt)
            let calls = &answers["calls"];
            assert!(
                calls.contains(&vec!["read".to_string(), "5".into()]),
                "{calls:?}"
            );
            assert!(
                calls.contains(&vec!["write".to_string(), "3".into()]),
                "{calls:?}"
            );
            let execs = &answers["execs"];
            assert_eq!(execs.len(), 1, "{execs:?}");
            assert_eq!(execs[0][2], "/usr/bin/dd");
            assert!(answers["opened"].contains(&vec!["/etc/hostname".to_string()]));
        }
    }
}
