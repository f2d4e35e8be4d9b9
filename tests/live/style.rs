//! --style strace: lines as strace -f -o writes them, compared with strace's own.

use super::*;

/// The lines of a `strace -f -o` style file, with what differs between runs made equal: the
/// thread id, addresses.
fn normalized(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(_, rest)| {
            let rest = rest.trim_start();
            let mut out = String::new();
            let mut chars = rest.char_indices().peekable();
            while let Some((i, c)) = chars.next() {
                if rest[i..].starts_with("0x") {
                    out.push_str("0xADDR");
                    chars.next();
                    while chars.peek().is_some_and(|(_, c)| c.is_ascii_hexdigit()) {
                        chars.next();
                    }
                } else {
                    out.push(c);
                }
            }
            out
        })
        .collect()
}

#[test]
fn strace_style_lines_equal_straces() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let ours = tmp.path().join("e.txt");
    let theirs = tmp.path().join("s.txt");
    let cmd = ["cat", "/etc/hostname"];
    let o = Command::new(ETRACE)
        .args(["--style", "strace", "-o", ours.to_str().unwrap(), "--"])
        .args(cmd)
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let st = Command::new("strace")
        .args(["-f", "-q", "-o", theirs.to_str().unwrap(), "--"])
        .args(cmd)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
    let (ours, theirs) = (normalized(&ours), normalized(&theirs));
    // calls whose every argument etrace shows as strace does, the return column included
    for want in [
        "execve(\"/usr/bin/cat\", [\"cat\", \"/etc/hostname\"], 0xADDR /* ",
        "access(\"/etc/ld.so.preload\", R_OK) = -1 ENOENT (No such file or directory)",
        "brk(NULL)                         = 0xADDR",
        "close(3)                          = 0",
        "exit_group(0)                     = ?",
        "+++ exited with 0 +++",
    ] {
        let mine: Vec<&String> = ours.iter().filter(|l| l.starts_with(want)).collect();
        assert!(!mine.is_empty(), "no `{want}` in {ours:#?}");
        for l in mine {
            assert!(theirs.contains(l), "`{l}` is not strace's: {theirs:#?}");
        }
    }
    // the read of the file: its data, the count and the result
    let read = ours
        .iter()
        .find(|l| l.starts_with("read(3, \"") && !l.ends_with("= 0"))
        .unwrap();
    assert!(theirs.contains(read), "`{read}` is not strace's");
}
