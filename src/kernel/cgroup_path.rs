//! cgroup_path: names the cgroup v2 ids the kernel reports with their paths on this machine, by
//! opening the id as a file handle on the cgroup2 mount (the id is the directory's kernfs
//! inode) and reading back the path of what was opened.

use std::collections::HashMap;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};

/// FILEID_KERNFS: a kernfs node id as a file handle (include/linux/exportfs.h).
const FILEID_KERNFS: i32 = 0xfe;

/// The mount point of the cgroup v2 hierarchy, from /proc/self/mounts.
pub fn cgroup2_mount() -> Option<PathBuf> {
    let mounts = std::fs::read_to_string("/proc/self/mounts").ok()?;
    mounts.lines().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.get(2) == Some(&"cgroup2")).then(|| PathBuf::from(unescape_mount(f[1])))
    })
}

/// /proc/self/mounts writes space, tab, newline and backslash in octal.
fn unescape_mount(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1..i + 4].iter().all(u8::is_ascii_digit) {
            let v = (b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0');
            out.push(v);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Resolves cgroup ids, remembering each answer (a removed cgroup's id is never reused).
pub struct Resolver {
    mount: Option<(PathBuf, OwnedFd)>,
    known: HashMap<u64, Option<String>>,
}

impl Resolver {
    pub fn new() -> Resolver {
        let mount = cgroup2_mount().and_then(|m| {
            use rustix::fs::{Mode, OFlags};
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
            let fd = rustix::fs::open(&m, flags, Mode::empty()).ok()?;
            Some((m, fd))
        });
        Resolver {
            mount,
            known: HashMap::new(),
        }
    }

    /// The path of cgroup `id` below the cgroup2 mount (`/` for the root), when it still exists.
    pub fn path(&mut self, id: u64) -> Option<&str> {
        if !self.known.contains_key(&id) {
            let p = self.mount.as_ref().and_then(|(m, fd)| lookup(m, fd, id));
            self.known.insert(id, p);
        }
        self.known.get(&id).and_then(|p| p.as_deref())
    }
}

impl Default for Resolver {
    fn default() -> Self {
        Resolver::new()
    }
}

#[repr(C)]
struct KernfsHandle {
    handle_bytes: u32,
    handle_type: i32,
    id: u64,
}

fn lookup(mount: &Path, mount_fd: &OwnedFd, id: u64) -> Option<String> {
    let mut h = KernfsHandle {
        handle_bytes: 8,
        handle_type: FILEID_KERNFS,
        id,
    };
    // SAFETY: h is laid out as struct file_handle with 8 bytes of f_handle; the fd is checked.
    let fd = unsafe {
        libc::open_by_handle_at(
            mount_fd.as_raw_fd(),
            (&mut h as *mut KernfsHandle).cast(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return None;
    }
    // SAFETY: fd was just opened and is owned by nothing else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let full = std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd())).ok()?;
    let rel = full.strip_prefix(mount).ok()?;
    Some(format!("/{}", rel.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_paths_are_unescaped() {
        assert_eq!(unescape_mount("/a\\040b"), "/a b");
        assert_eq!(unescape_mount("/plain"), "/plain");
        assert_eq!(unescape_mount("/end\\04"), "/end\\04");
    }
}
