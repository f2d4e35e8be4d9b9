//! `make install PREFIX=...` installs the binary, the man page generated from the command line
//! and the shell completions where each shell looks for them; bash then completes etrace.

use std::path::Path;
use std::process::Command;

#[test]
fn make_install_puts_binary_man_page_and_completions_in_place() {
    let prefix = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = Command::new("make")
        .current_dir(root)
        .arg("--no-print-directory")
        .arg("install-files")
        .arg(format!("PREFIX={}", prefix.path().display()))
        .arg(format!("ETRACE={}", env!("CARGO_BIN_EXE_etrace")))
        .output()
        .expect("make runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let p = prefix.path();
    for f in [
        "bin/etrace",
        "share/man/man1/etrace.1",
        "share/bash-completion/completions/etrace",
        "share/zsh/site-functions/_etrace",
        "share/fish/vendor_completions.d/etrace.fish",
    ] {
        assert!(p.join(f).is_file(), "{f} not installed");
    }
    let v = Command::new(p.join("bin/etrace"))
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&v.stdout).trim(),
        format!("etrace {}", env!("CARGO_PKG_VERSION"))
    );
    // bash loads the completions and registers a completion function for etrace
    let script = format!(
        "source {}; complete -p etrace",
        p.join("share/bash-completion/completions/etrace").display()
    );
    let o = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        said.contains("-F _etrace") && said.trim_end().ends_with(" etrace"),
        "{said}"
    );
    let man = std::fs::read_to_string(p.join("share/man/man1/etrace.1")).unwrap();
    assert!(man.contains(".TH etrace 1"), "{man}");
}
