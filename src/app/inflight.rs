//! inflight: calls in flight. Which threads are inside a syscall when tracing starts (from
//! /proc, by etrace's own filters), and the schedule of the scans that report calls in flight
//! (at attach, pending ones periodically, unfinished ones at stop: capture::program::Scans).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use crate::capture::program::CallAtAttach;

/// The filters a thread found in flight at attach must pass, as the kernel side applies them.
pub struct Filters<'a> {
    /// Thread groups -p names; empty: any.
    pub tgids: &'a [u32],
    pub comms: &'a [String],
    pub uids: &'a [u32],
    /// The --cgroup directory, made absolute.
    pub cgroup: Option<PathBuf>,
    pub self_tgid: u32,
}

fn numeric_entries(dir: &Path) -> Vec<u32> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// The call /proc/.../syscall shows a thread blocked inside: `NR ARG1..ARG6 SP PC`, the
/// arguments in hex (`running`, and `-1` outside a syscall, are no call).
fn blocked_in(task: &Path, tid: u32) -> Option<CallAtAttach> {
    let text = std::fs::read_to_string(task.join("syscall")).ok()?;
    let mut words = text.split_whitespace();
    let nr: i64 = words.next()?.parse().ok()?;
    let mut args = [0u64; 6];
    for a in &mut args {
        let w = words.next()?;
        *a = u64::from_str_radix(w.strip_prefix("0x").unwrap_or(w), 16).ok()?;
    }
    (nr >= 0).then_some(CallAtAttach { tid, nr, args })
}

/// The real uid of /proc/.../status.
fn real_uid(task: &Path) -> Option<u32> {
    let status = std::fs::read_to_string(task.join("status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The cgroup v2 directory of a task, under the cgroup2 mount.
fn cgroup_dir(task: &Path, mount: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(task.join("cgroup")).ok()?;
    let rel = text.lines().find_map(|l| l.strip_prefix("0::"))?;
    Some(mount.join(rel.trim_start_matches('/')))
}

impl Filters<'_> {
    fn passes(&self, task: &Path, cgroup_mount: Option<&Path>) -> bool {
        if !self.comms.is_empty() {
            let max = crate::skel::types::etrace_limits::ETRACE_COMM_LEN.0 as usize - 1;
            let Ok(comm) = std::fs::read(task.join("comm")) else {
                return false;
            };
            let comm = comm.strip_suffix(b"\n").unwrap_or(&comm);
            if !self
                .comms
                .iter()
                .any(|c| c.as_bytes()[..c.len().min(max)] == *comm)
            {
                return false;
            }
        }
        if !self.uids.is_empty() && !real_uid(task).is_some_and(|u| self.uids.contains(&u)) {
            return false;
        }
        if let Some(want) = &self.cgroup {
            let inside = cgroup_mount
                .and_then(|m| cgroup_dir(task, m))
                .is_some_and(|d| d.starts_with(want));
            if !inside {
                return false;
            }
        }
        true
    }
}

/// The threads that pass the filters and are blocked inside a syscall now.
pub fn threads_in_syscalls(f: &Filters<'_>) -> Vec<CallAtAttach> {
    let proc = Path::new("/proc");
    let tgids = match f.tgids.is_empty() {
        true => numeric_entries(proc),
        false => f.tgids.to_vec(),
    };
    let mount = f
        .cgroup
        .as_ref()
        .and_then(|_| crate::kernel::cgroup_path::cgroup2_mount());
    let mut out = Vec::new();
    for tgid in tgids.into_iter().filter(|&t| t != f.self_tgid) {
        let dir = proc.join(tgid.to_string());
        // a kernel thread makes no syscalls (its /proc file shows zeros, not a call)
        let stat = std::fs::read_to_string(dir.join("stat")).unwrap_or_default();
        if crate::app::stop::unfit(&stat) == Some(crate::app::stop::Unfit::KernelThread) {
            continue;
        }
        let tasks = dir.join("task");
        for tid in numeric_entries(&tasks) {
            let task = tasks.join(tid.to_string());
            let Some(call) = blocked_in(&task, tid) else {
                continue;
            };
            if f.passes(&task, mount.as_deref()) {
                out.push(call);
            }
        }
    }
    out
}

/// When the pending scan runs: every half threshold, so that a call blocked longer than the
/// threshold is shown at most one and a half thresholds after it began.
pub struct Schedule {
    every: Option<Duration>,
    last: Instant,
}

impl Schedule {
    /// `pending_after`: the threshold; zero turns the pending scan off.
    pub fn new(pending_after: Duration) -> Schedule {
        Schedule {
            every: (!pending_after.is_zero())
                .then(|| (pending_after / 2).max(Duration::from_millis(5))),
            last: Instant::now(),
        }
    }

    /// Whether the pending scan is due now (and, if so, the clock starts again).
    pub fn due(&mut self) -> bool {
        match self.every {
            Some(every) if self.last.elapsed() >= every => {
                self.last = Instant::now();
                true
            }
            _ => false,
        }
    }

    /// How long until the next scan, at most `cap`.
    pub fn wait(&self, cap: Duration) -> Duration {
        self.every
            .map_or(cap, |e| e.saturating_sub(self.last.elapsed()).min(cap))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_thread_blocked_in_a_read_and_not_a_running_one() {
        use std::io::Read;
        let (mut r, w) = std::io::pipe().unwrap();
        let t = std::thread::spawn(move || {
            let mut b = [0u8; 1];
            let _ = r.read(&mut b);
        });
        std::thread::sleep(Duration::from_millis(100));
        let me = std::process::id();
        let f = Filters {
            tgids: &[me],
            comms: &[],
            uids: &[],
            cgroup: None,
            self_tgid: 0,
        };
        let found = threads_in_syscalls(&f);
        // read is 0 on x86_64, 63 on aarch64
        let read_nr = if cfg!(target_arch = "aarch64") { 63 } else { 0 };
        // read(fd, buf, 1): the arguments come along
        assert!(
            found.iter().any(|c| c.nr == read_nr && c.args[2] == 1),
            "{found:?}"
        );
        // the filters apply: a comm that is not ours finds nothing
        let nobody = ["no-such-comm".to_string()];
        let f = Filters {
            comms: &nobody,
            ..f
        };
        assert!(threads_in_syscalls(&f).is_empty());
        drop(w);
        t.join().unwrap();
    }
}
