//! host: facts about the machine and the tracer itself that a capture records: the kernel's
//! release and architecture, the offset between the boot and wall clocks, the tracer's own
//! namespaces and effective uid.

use rustix::time::{clock_gettime, ClockId};

/// The namespaces a context names, in the order the kernel side reports them.
pub const NS_NAMES: [&str; 8] = ["pid", "mnt", "net", "uts", "ipc", "user", "cgroup", "time"];

/// The namespace inode numbers of this process (0 where the kernel lacks one).
pub fn own_namespaces() -> [u32; 8] {
    use std::os::unix::fs::MetadataExt;
    let mut ns = [0; 8];
    for (i, name) in NS_NAMES.iter().enumerate() {
        if let Ok(m) = std::fs::metadata(format!("/proc/self/ns/{name}")) {
            ns[i] = m.ino() as u32;
        }
    }
    ns
}

/// `uname -r` and `uname -m`.
pub fn uname() -> (String, String) {
    let u = rustix::system::uname();
    (
        u.release().to_string_lossy().into_owned(),
        u.machine().to_string_lossy().into_owned(),
    )
}

/// The running kernel's release (`uname -r`).
pub fn kernel_release() -> String {
    uname().0
}

fn clock_ns(clock: ClockId) -> i128 {
    let ts = clock_gettime(clock);
    i128::from(ts.tv_sec) * 1_000_000_000 + i128::from(ts.tv_nsec)
}

/// CLOCK_REALTIME minus CLOCK_BOOTTIME, read between two boot-clock reads: a kernel timestamp
/// (boot time) plus this is wall-clock time.
pub fn realtime_offset_ns() -> i64 {
    let b0 = clock_ns(ClockId::Boottime);
    let r = clock_ns(ClockId::Realtime);
    let b1 = clock_ns(ClockId::Boottime);
    (r - (b0 + b1) / 2) as i64
}

/// Whether etrace runs as root.
pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_names_and_namespaces() {
        let off = realtime_offset_ns();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as i64;
        // wall time minus the offset is the time since boot: positive, less than now
        assert!(off > 0 && off < now, "{off}");
        let (release, machine) = uname();
        assert!(!release.is_empty());
        assert_eq!(machine, std::env::consts::ARCH);
        assert!(own_namespaces().iter().take(7).all(|&n| n != 0));
    }
}
