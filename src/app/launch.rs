//! launch: starts the command to trace. The child puts its own pid into the kernel's traced
//! set just before it execs, so the kernel traces it from its execve on (and its descendants
//! through the fork tracepoint), and none of etrace's own set-up in the child is reported.
//! With -u, the child then takes the user's uid, gid and supplementary groups, as strace -u.

use std::os::fd::RawFd;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};

use anyhow::{anyhow, bail, Context, Result};

/// Who a launched command runs as (-u).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunAs {
    pub uid: libc::uid_t,
    pub gid: libc::gid_t,
    pub groups: Vec<libc::gid_t>,
}

/// Look a user up by name (or number) in the password and group databases.
pub fn lookup_user(user: &str) -> Result<RunAs> {
    use nix::unistd::{getgrouplist, Uid, User};
    let found = match user.parse::<libc::uid_t>() {
        Ok(uid) => User::from_uid(Uid::from_raw(uid)),
        Err(_) => User::from_name(user),
    };
    let pw = found
        .ok()
        .flatten()
        .ok_or_else(|| anyhow!("no user `{user}` (-u)"))?;
    let name = std::ffi::CString::new(pw.name.as_str()).context("a user name has no NUL byte")?;
    let mut groups: Vec<libc::gid_t> = getgrouplist(&name, pw.gid)
        .map(|gs| gs.into_iter().map(|g| g.as_raw()).collect())
        .unwrap_or_default();
    if groups.is_empty() {
        groups.push(pw.gid.as_raw());
    }
    Ok(RunAs {
        uid: pw.uid.as_raw(),
        gid: pw.gid.as_raw(),
        groups,
    })
}

/// The program a command names, found as a shell finds it (in PATH when the name has no `/`),
/// or the reason it cannot run, in one line. Resolved before anything else starts, as strace
/// does, so that the trace shows one execve, not every PATH miss.
pub fn resolve(argv: &[String]) -> Result<PathBuf> {
    let prog = argv.first().context("no command given after --")?;
    if !prog.contains('/') {
        return which::which(prog).map_err(|_| anyhow!("cannot run `{prog}`: not found in PATH"));
    }
    let meta = std::fs::metadata(prog).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => anyhow!("cannot run `{prog}`: no such file"),
        _ => anyhow!("cannot run `{prog}`: {e}"),
    })?;
    if meta.is_dir() {
        bail!("cannot run `{prog}`: it is a directory");
    }
    if meta.permissions().mode() & 0o111 == 0 {
        bail!("cannot run `{prog}`: it is not executable");
    }
    Ok(PathBuf::from(prog))
}

/// Start `path` with `argv[1..]` (and `argv[0]` as its name).
pub fn spawn(
    path: &Path,
    argv: &[String],
    pids_fd: RawFd,
    pending_state: u32,
    run_as: Option<RunAs>,
) -> Result<Child> {
    let (prog, args) = argv.split_first().context("no command given after --")?;
    let mut cmd = Command::new(path);
    cmd.arg0(prog).args(args);
    // SAFETY: the closure runs in the forked child before exec and only makes syscalls on
    // data prepared before the fork (bpf(), then setgroups/setgid/setuid): no allocation, no
    // locks. The map update comes first: it needs etrace's privileges.
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
            if let Some(r) = &run_as {
                if libc::setgroups(r.groups.len(), r.groups.as_ptr()) != 0
                    || libc::setgid(r.gid) != 0
                    || libc::setuid(r.uid) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    cmd.spawn().with_context(|| format!("cannot run `{prog}`"))
}

/// Kill every process of the traced tree (`--kill-on-exit`): each thread-group id in
/// `tgids`, with SIGKILL. The ones already gone are skipped.
pub fn kill_all(tgids: impl IntoIterator<Item = u32>) -> usize {
    tgids
        .into_iter()
        .filter_map(|t| rustix::process::Pid::from_raw(i32::try_from(t).ok()?))
        .filter(|&pid| rustix::process::kill_process(pid, rustix::process::Signal::KILL).is_ok())
        .count()
}

/// The exit code a shell would report for this status.
pub fn exit_code(status: ExitStatus) -> i32 {
    match (status.code(), status.signal()) {
        (Some(c), _) => c,
        (None, Some(sig)) => 128 + sig,
        _ => 1,
    }
}
