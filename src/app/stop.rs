//! stop: what ends a live session from outside: the stop signals (Ctrl-C, SIGTERM, SIGHUP),
//! and the end of the processes `-p` named (watched through pidfds, so that a zombie counts as
//! gone), and what etrace does to a launched command it stops tracing.

use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};
use rustix::event::{poll, PollFd, PollFlags};
use rustix::process::{pidfd_open, Pid, PidfdFlags};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

/// The stop signals received so far.
#[derive(Default)]
pub struct Signals {
    interrupts: AtomicUsize,
    /// The last SIGTERM or SIGHUP, or 0.
    terminate: AtomicI32,
}

impl Signals {
    /// Catch SIGINT, SIGTERM and SIGHUP from now on (a thread records them).
    pub fn catch() -> Result<Arc<Signals>> {
        let seen = Arc::new(Signals::default());
        let mut sigs = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
            .context("installing the signal handlers")?;
        let s = seen.clone();
        std::thread::spawn(move || {
            for sig in sigs.forever() {
                match sig {
                    SIGINT => s.interrupts.fetch_add(1, Ordering::SeqCst),
                    _ => s.terminate.swap(sig, Ordering::SeqCst) as usize,
                };
            }
        });
        Ok(seen)
    }

    /// How many Ctrl-Cs arrived.
    pub fn interrupts(&self) -> usize {
        self.interrupts.load(Ordering::SeqCst)
    }

    /// The SIGTERM or SIGHUP that arrived, if one did.
    pub fn terminate(&self) -> Option<i32> {
        Some(self.terminate.load(Ordering::SeqCst)).filter(|&s| s != 0)
    }
}

/// The processes `-p` named, each watched through a pidfd.
pub struct Targets {
    live: Vec<(u32, OwnedFd)>,
}

impl Targets {
    /// Open a pidfd on each process (thread-group id); one already gone is skipped.
    pub fn watch(tgids: &[u32]) -> Targets {
        let live = tgids
            .iter()
            .filter_map(|&tgid| {
                let pid = Pid::from_raw(i32::try_from(tgid).ok()?)?;
                Some((tgid, pidfd_open(pid, PidfdFlags::empty()).ok()?))
            })
            .collect();
        Targets { live }
    }

    /// The processes that have exited since the last call (a zombie has: its pidfd reads as
    /// ready), no longer watched.
    pub fn exited(&mut self) -> Vec<u32> {
        let mut gone = Vec::new();
        self.live.retain(|(tgid, fd)| {
            let mut fds = [PollFd::new(fd, PollFlags::IN)];
            let ready = poll(&mut fds, Some(&ZERO)).map_or(true, |n| n > 0);
            if ready {
                gone.push(*tgid);
            }
            !ready
        });
        gone
    }
}

const ZERO: rustix::event::Timespec = rustix::event::Timespec {
    tv_sec: 0,
    tv_nsec: 0,
};

/// What `/proc/PID/stat` says of a process `-p` names, where it rules the process out.
#[derive(Debug, PartialEq, Eq)]
pub enum Unfit {
    /// A kernel thread: it makes no syscalls.
    KernelThread,
    /// Exited, not yet reaped by its parent.
    Zombie,
}

/// Whether `/proc/PID/stat`'s text describes a kernel thread or a zombie.
pub fn unfit(stat: &str) -> Option<Unfit> {
    const PF_KTHREAD: u64 = 0x0020_0000;
    // the comm (in parentheses) may hold anything: the fields start after the last `)`
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let flags: u64 = fields.get(6)?.parse().ok()?;
    if flags & PF_KTHREAD != 0 {
        return Some(Unfit::KernelThread);
    }
    (fields.first() == Some(&"Z")).then_some(Unfit::Zombie)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_threads_and_zombies_from_proc_stat() {
        let kthread = "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 10 0 0";
        assert_eq!(unfit(kthread), Some(Unfit::KernelThread));
        let zombie = "77 (a) b) c) Z 1 77 77 0 -1 4194628 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0";
        assert_eq!(unfit(zombie), Some(Unfit::Zombie));
        let own = std::fs::read_to_string("/proc/self/stat").unwrap();
        assert_eq!(unfit(&own), None);
    }

    #[test]
    fn a_child_that_exits_is_seen_through_its_pidfd_even_as_a_zombie() {
        let mut child = std::process::Command::new("sleep")
            .arg("0.2")
            .spawn()
            .unwrap();
        let mut t = Targets::watch(&[child.id()]);
        assert!(t.exited().is_empty());
        std::thread::sleep(std::time::Duration::from_millis(600));
        // not reaped yet: a zombie
        assert_eq!(t.exited(), [child.id()]);
        assert!(t.exited().is_empty(), "reported once");
        child.wait().unwrap();
    }
}
