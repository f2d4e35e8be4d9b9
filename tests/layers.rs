//! The module dependency rule (src/lib.rs): data flows one way, so a module uses only the
//! modules upstream of it. This test reads every source file under src/ and checks each
//! `crate::` path against the allowed edges below; a new back-edge fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module and the modules it may use (the skeleton's types are for all).
const ALLOWED: &[(&str, &[&str])] = &[
    ("kernel", &[]),
    ("tables", &[]),
    ("schema", &["kernel", "tables"]),
    ("model", &["kernel", "tables", "schema"]),
    ("capture", &["kernel", "tables", "schema", "model"]),
    ("decode", &["kernel", "tables", "schema", "model"]),
    ("render", &["kernel", "tables", "schema", "model", "decode"]),
    ("dump", &["kernel", "tables", "schema", "model"]),
    ("cli", &["kernel", "tables", "schema", "model", "render"]),
    (
        "app",
        &[
            "kernel", "tables", "schema", "model", "capture", "decode", "render", "dump", "cli",
        ],
    ),
    (
        "fuzzing",
        &[
            "kernel", "tables", "schema", "model", "decode", "render", "dump", "app",
        ],
    ),
];

/// The top-level module a source file belongs to.
fn module_of(rel: &Path) -> Option<String> {
    let first = rel.components().next()?.as_os_str().to_str()?;
    Some(first.trim_end_matches(".rs").to_string())
}

/// The top-level modules a file's text names through `crate::` (paths and `use` groups).
fn uses(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = &group[..group.find('}').unwrap_or(group.len())];
            for item in inner.split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                out.insert(name);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.insert(name);
        }
    }
    out.remove("skel");
    out.remove("");
    out
}

fn walk(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, files);
        } else if p.extension().is_some_and(|x| x == "rs") {
            files.push(p);
        }
    }
}

#[test]
fn modules_use_only_the_modules_upstream_of_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut files = Vec::new();
    walk(&src, &mut files);
    let mut bad = Vec::new();
    let mut checked = 0;
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let Some(m) = module_of(rel) else { continue };
        if m == "lib" || m == "main" {
            continue;
        }
        let may = allowed
            .get(m.as_str())
            .unwrap_or_else(|| panic!("{}: module `{m}` is not in ALLOWED", rel.display()));
        let text = std::fs::read_to_string(f).unwrap();
        // a unit test module may drive downstream code; the library's edges are above it
        let code = text
            .split("#[cfg(test)]\nmod tests")
            .next()
            .unwrap_or(&text);
        for used in uses(code) {
            checked += 1;
            if used != m && !may.contains(&used.as_str()) {
                bad.push(format!("{} ({m}) uses crate::{used}", rel.display()));
            }
        }
    }
    assert!(checked > 50, "the scan found only {checked} references");
    assert!(bad.is_empty(), "back-edges:\n{}", bad.join("\n"));
}
