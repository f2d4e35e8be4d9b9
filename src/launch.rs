//! launch: starts the command to trace. The child puts its own pid into the kernel's traced
//! set just before it execs, so the kernel traces it from its execve on (and its descendants
//! through the fork tracepoint), and none of etrace's own set-up in the child is reported.

use std::os::fd::RawFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus};

use anyhow::{Context, Result};

pub fn spawn(argv: &[String], pids_fd: RawFd, pending_state: u32) -> Result<Child> {
    let (prog, args) = argv.split_first().context("no command given after --")?;
    // resolve PATH here, as strace does, so the trace shows one execve, not every PATH miss
    let path = which::which(prog).with_context(|| format!("cannot run `{prog}`: not found"))?;
    let mut cmd = Command::new(&path);
    cmd.arg0(prog).args(args);
    // SAFETY: the closure runs in the forked child before exec and only makes the bpf()
    // syscall on stack data: no allocation, no locks.
    unsafe {
        cmd.pre_exec(move || {
            let pid = libc::getpid() as u32;
            let rc = libbpf_rs::libbpf_sys::bpf_map_update_elem(
                pids_fd,
                (&pid as *const u32).cast(),
                (&pending_state as *const u32).cast(),
                0,
            );
            if rc != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.spawn().with_context(|| format!("cannot run `{prog}`"))
}

/// The exit code a shell would report for this status.
pub fn exit_code(status: ExitStatus) -> i32 {
    match (status.code(), status.signal()) {
        (Some(c), _) => c,
        (None, Some(sig)) => 128 + sig,
        _ => 1,
    }
}
