//! fuzz-seeds: regenerate the fuzz seeds under testdata/fuzz from dumps, reading them with
//! etrace's own dump::Reader (scripts/make-testdata.sh runs it).
//!
//! usage: fuzz-seeds FUZZ_DIR NAME=DUMP...
//!
//! record/: one record of each syscall number and of each other record type over the dumps, in
//! order, as the kernel wrote it, named NAME-nrN (-pending, -unfinished for the copies of calls in
//! flight) or NAME-ctx, -fork, -exec, -exit, -signal after the dump
//! it came from first (from a dump named `shapes`, two of each syscall: their shapes vary more;
//! from a dump named `hostile-*`, each of its syscalls). dump/: `dd` whole, cut short and with
//! a byte corrupted, the first 42 kB of `known`, and every other dump whole.

use std::collections::HashSet;
use std::path::Path;

use etrace::dump::Reader;
use etrace::model::record::{parse_any, AnyRecord, Phase};

fn kind(rec: &AnyRecord<'_>) -> String {
    match rec {
        AnyRecord::Syscall(r) => match r.phase() {
            Phase::Done => format!("nr{}", r.hdr.nr),
            Phase::Pending => format!("nr{}-pending", r.hdr.nr),
            Phase::Unfinished => format!("nr{}-unfinished", r.hdr.nr),
        },
        AnyRecord::Ctx(_) => "ctx".into(),
        AnyRecord::Fork(_) => "fork".into(),
        AnyRecord::Exec { .. } => "exec".into(),
        AnyRecord::Exit(_) => "exit".into(),
        AnyRecord::Signal(_) => "signal".into(),
        AnyRecord::Fd { .. } => "fd".into(),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (out, dumps) = args
        .split_first()
        .ok_or("usage: fuzz-seeds FUZZ_DIR NAME=DUMP...")?;
    let (rec_dir, dump_dir) = (Path::new(out).join("record"), Path::new(out).join("dump"));
    for d in [&rec_dir, &dump_dir] {
        let _ = std::fs::remove_dir_all(d);
        std::fs::create_dir_all(d)?;
    }
    let mut seen = HashSet::new();
    for spec in dumps {
        let (name, path) = spec.split_once('=').ok_or("each dump is NAME=PATH")?;
        let bytes = std::fs::read(path)?;
        let mut reader = Reader::open(&bytes[..])?;
        while let Some(frame) = reader.next_record()? {
            let at = frame.offset;
            let Ok(rec) = parse_any(frame.record) else {
                continue;
            };
            // a kind once over all the dumps, but a hostile dump's syscalls each
            let syscall = matches!(rec, AnyRecord::Syscall(_));
            let mut key = match (name.starts_with("hostile"), syscall) {
                (true, true) => format!("{name}-{}", kind(&rec)),
                (true, false) => continue,
                // calls read by another argument's value: each record (they differ by it)
                (false, true) if name == "decoding" => {
                    format!("{name}-{}-{at}", kind(&rec))
                }
                (false, _) => kind(&rec),
            };
            if name == "shapes" && syscall {
                key += if seen.contains(&format!("{key}-1")) {
                    "-2"
                } else {
                    "-1"
                };
            }
            if seen.insert(key.clone()) {
                let file = match key.starts_with(name) {
                    true => key,
                    false => format!("{name}-{key}"),
                };
                std::fs::write(rec_dir.join(file), frame.record)?;
            }
        }
        match name {
            "dd" => {
                std::fs::write(dump_dir.join("dd-whole"), &bytes)?;
                std::fs::write(dump_dir.join("dd-cut"), &bytes[..bytes.len() * 2 / 3])?;
                let mut bad = bytes.clone();
                let mid = bad.len() / 2;
                bad[mid] ^= 0x5a;
                std::fs::write(dump_dir.join("dd-corrupt"), bad)?;
            }
            "known" => std::fs::write(
                dump_dir.join("known-prefix"),
                &bytes[..bytes.len().min(42000)],
            )?,
            _ => std::fs::write(dump_dir.join(name), &bytes)?,
        }
    }
    Ok(())
}
