//! tracefs: finds (or mounts) tracefs and parses the syscall tracepoints' format files into
//! parameter names and declared C types.

use std::fs;
use std::path::{Path, PathBuf};

use thiserror::Error;

#[derive(Debug, Error)]
pub enum TracefsError {
    #[error(
        "tracefs is not mounted and mounting it at /sys/kernel/tracing failed ({0}): \
         run as root, or `mount -t tracefs nodev /sys/kernel/tracing`"
    )]
    Mount(std::io::Error),
    #[error("no syscall tracepoints under {0}: this kernel needs CONFIG_FTRACE_SYSCALLS")]
    NoSyscalls(PathBuf),
    #[error("cannot read {path}: {err}")]
    Read { path: PathBuf, err: std::io::Error },
    #[error("{path}: malformed format file: {msg}")]
    Parse { path: PathBuf, msg: String },
}

/// One field of a tracepoint record after `__syscall_nr`: a syscall parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Declared C type, as written: `const char *`, `unsigned long`, `struct stat *`.
    pub ctype: String,
    pub name: String,
}

/// A `sys_enter_<name>` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyscallEvent {
    pub name: String,
    pub params: Vec<Param>,
}

const CANDIDATES: [&str; 2] = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];

fn has_events(root: &Path) -> bool {
    root.join("events").is_dir()
}

/// The tracefs root: /sys/kernel/tracing, then /sys/kernel/debug/tracing; mount it when neither
/// is there.
pub fn find_or_mount() -> Result<PathBuf, TracefsError> {
    for c in CANDIDATES {
        let p = Path::new(c);
        if has_events(p) {
            return Ok(p.to_path_buf());
        }
    }
    let target = Path::new(CANDIDATES[0]);
    rustix::mount::mount(
        "nodev",
        target,
        "tracefs",
        rustix::mount::MountFlags::empty(),
        None,
    )
    .map_err(|e| TracefsError::Mount(e.into()))?;
    log::info!("mounted tracefs at {}", target.display());
    Ok(target.to_path_buf())
}

/// Parse one format file's text. Returns the event name and its fields after the common ones
/// and `__syscall_nr`.
pub fn parse_format(text: &str) -> Result<SyscallEvent, String> {
    let mut name = None;
    let mut params = Vec::new();
    let mut seen_nr = false;
    for line in text.lines() {
        let line = line.trim();
        if let Some(n) = line.strip_prefix("name:") {
            name = Some(n.trim().to_string());
            continue;
        }
        let Some(rest) = line.strip_prefix("field:") else {
            continue;
        };
        let decl = rest.split(';').next().unwrap_or("").trim();
        let (ctype, pname) =
            split_decl(decl).ok_or_else(|| format!("cannot read field `{decl}`"))?;
        if pname.starts_with("common_") {
            continue;
        }
        if pname == "__syscall_nr" {
            seen_nr = true;
            continue;
        }
        if !seen_nr {
            return Err(format!("field `{pname}` before __syscall_nr"));
        }
        params.push(Param { ctype, name: pname });
    }
    let name = name.ok_or("no `name:` line")?;
    if !seen_nr {
        return Err("no __syscall_nr field".into());
    }
    Ok(SyscallEvent { name, params })
}

/// Split `const char * filename` into (`const char *`, `filename`).
fn split_decl(decl: &str) -> Option<(String, String)> {
    let decl = decl.trim();
    let split = decl.rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
    let name = &decl[split + 1..];
    if name.is_empty() {
        return None;
    }
    let ctype = normalize_type(&decl[..=split]);
    (!ctype.is_empty()).then(|| (ctype, name.to_string()))
}

/// Canonical spelling of a declared type: single spaces, `*` with a space before it.
pub fn normalize_type(t: &str) -> String {
    let spaced = t.replace('*', " * ");
    let words: Vec<&str> = spaced.split_whitespace().collect();
    let mut out = String::new();
    for w in words {
        if !out.is_empty() && !out.ends_with('*') {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// Every `sys_enter_*` event under `root/events/syscalls`, sorted by name.
pub fn syscall_events(root: &Path) -> Result<Vec<SyscallEvent>, TracefsError> {
    let dir = root.join("events/syscalls");
    let entries = fs::read_dir(&dir).map_err(|err| match err.kind() {
        std::io::ErrorKind::NotFound => TracefsError::NoSyscalls(dir.clone()),
        _ => TracefsError::Read {
            path: dir.clone(),
            err,
        },
    })?;
    let mut out = Vec::new();
    for e in entries {
        let e = e.map_err(|err| TracefsError::Read {
            path: dir.clone(),
            err,
        })?;
        let fname = e.file_name();
        let Some(n) = fname.to_str() else { continue };
        if !n.starts_with("sys_enter_") {
            continue;
        }
        let path = e.path().join("format");
        let text = fs::read_to_string(&path).map_err(|err| TracefsError::Read {
            path: path.clone(),
            err,
        })?;
        let ev = parse_format(&text).map_err(|msg| TracefsError::Parse {
            path: path.clone(),
            msg,
        })?;
        let Some(sys) = ev.name.strip_prefix("sys_enter_") else {
            return Err(TracefsError::Parse {
                path,
                msg: format!("event named `{}`", ev.name),
            });
        };
        out.push(SyscallEvent {
            name: sys.to_string(),
            params: ev.params,
        });
    }
    if out.is_empty() {
        return Err(TracefsError::NoSyscalls(dir));
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn testdata() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/tracefs")
    }

    #[test]
    fn parses_snapshot_of_this_kernels_formats() {
        let evs = syscall_events(&testdata()).unwrap();
        let get = |n: &str| evs.iter().find(|e| e.name == n).unwrap();
        let openat = get("openat");
        let p: Vec<(&str, &str)> = openat
            .params
            .iter()
            .map(|p| (p.ctype.as_str(), p.name.as_str()))
            .collect();
        assert_eq!(
            p,
            [
                ("int", "dfd"),
                ("const char *", "filename"),
                ("int", "flags"),
                ("umode_t", "mode")
            ]
        );
        let execve = get("execve");
        assert_eq!(execve.params[1].ctype, "const char *const *");
        assert_eq!(execve.params[1].name, "argv");
        assert_eq!(get("newfstatat").params[2].ctype, "struct stat *");
        assert_eq!(get("read").params[1].ctype, "char *");
        assert_eq!(get("exit_group").params.len(), 1);
    }

    #[test]
    fn normalizes_pointer_spelling() {
        assert_eq!(normalize_type("const char *const *"), "const char *const *");
        assert_eq!(normalize_type("const  char*"), "const char *");
        assert_eq!(normalize_type("void * *"), "void **");
        assert_eq!(normalize_type("unsigned long"), "unsigned long");
    }

    #[test]
    fn rejects_malformed_formats() {
        assert!(parse_format("format:\n\tfield:int dfd;\toffset:16;").is_err());
        assert!(parse_format("name: x\nformat:\n\tfield:int a;\n").is_err());
        let ok = parse_format("name: sys_enter_x\nformat:\n\tfield:int __syscall_nr;\n").unwrap();
        assert!(ok.params.is_empty());
    }
}
