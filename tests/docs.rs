//! The README's usage block is `etrace --help` itself (its options part), so it cannot drift;
//! and the README stays a page a user reads in a minute.

use std::process::Command;

#[test]
fn the_readme_usage_block_is_etrace_help() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("```\nUsage: etrace")
        .expect("a usage block in README.md")
        + 4;
    let block = &readme[start..start + readme[start..].find("```").unwrap()];
    let help = Command::new(env!("CARGO_BIN_EXE_etrace"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    let options = &help[help.find("Usage:").unwrap()..help.find("Examples:").unwrap_or(help.len())];
    assert_eq!(
        block.trim_end(),
        options.trim_end(),
        "README.md's usage block differs from `etrace --help`: paste the new one"
    );
    assert!(
        readme.len() <= 10 * 1024,
        "README.md is {} bytes",
        readme.len()
    );
}
