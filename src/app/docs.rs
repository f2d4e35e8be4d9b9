//! docs: the man page and the shell completions, generated from the command line's own
//! definition (clap), so they never drift from `--help` (`etrace --generate DIR`, which
//! `make install` runs).

use std::path::Path;

use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

/// Write `etrace.1` and the bash, zsh and fish completions into `dir`; the paths written.
pub fn generate(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut written = Vec::new();
    let man = dir.join("etrace.1");
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .context("rendering the man page")?;
    std::fs::write(&man, page).with_context(|| format!("writing {}", man.display()))?;
    written.push(man);
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        let path = clap_complete::generate_to(shell, &mut Cli::command(), "etrace", dir)
            .with_context(|| format!("writing the {shell} completions"))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_man_page_and_completions_name_every_option() {
        let dir = tempfile::tempdir().unwrap();
        let files = generate(dir.path()).unwrap();
        let names: Vec<String> = files
            .iter()
            .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["etrace.1", "etrace.bash", "_etrace", "etrace.fish"]);
        let man = std::fs::read_to_string(dir.path().join("etrace.1")).unwrap();
        assert!(
            man.starts_with(".ie \\n(.g .ds Aq") || man.contains(".TH etrace 1"),
            "{man}"
        );
        let bash = std::fs::read_to_string(dir.path().join("etrace.bash")).unwrap();
        for opt in ["--kill-on-exit", "--syscall", "--input", "--summary"] {
            assert!(
                man.contains(&opt.replace('-', "\\-")),
                "man page lacks {opt}"
            );
            assert!(bash.contains(opt), "bash completions lack {opt}");
        }
        // hidden options stay out of the man page (clap_complete lists them for bash)
        assert!(!man.contains("generate") && !man.contains("no\\-ctx"));
    }
}
