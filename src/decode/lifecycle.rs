//! lifecycle: turns the kernel's fork, exec and exit records into lifecycle events, with the
//! thread's context, the syscall a fork came from and its clone flags by name.

use std::rc::Rc;

use crate::decode::shapes::signal_name;
use crate::model::context::{Contexts, Ctx};
use crate::model::event::{ForkKind, Life, LifeEvent, Outcome};
use crate::model::record::comm_bytes;
use crate::schema::Schema;
use crate::skel::types::{etrace_exec, etrace_exit, etrace_exit_flags as EF, etrace_fork};
use crate::tables::xlat::{Num, Xlat};

const CLONE_VM: u64 = 0x100;
const CLONE_VFORK: u64 = 0x4000;

pub fn fork<'s>(
    f: &etrace_fork,
    schema: &'s Schema,
    xlat: &Xlat,
    contexts: &Contexts,
) -> LifeEvent<'s> {
    let via = u32::try_from(f.nr).ok().map(|nr| schema.name_of(nr));
    // clone's flags carry the exit signal in their low byte; clone3's have their own field
    let table = match via.as_deref() {
        Some("clone") => Some("clone_flags"),
        Some("clone3") => Some("clone3_flags"),
        _ => None,
    };
    let clone_flags = table.map(|t| {
        let name = xlat
            .table(t)
            .and_then(|tb| tb.format(Num::from_u64(f.clone_flags), xlat))
            .unwrap_or_else(|| format!("{:#x}", f.clone_flags));
        (f.clone_flags, name)
    });
    let flags = clone_flags.as_ref().map_or(0, |c| c.0);
    let kind = if f.child_pid == f.pid {
        ForkKind::Thread
    } else if via.as_deref() == Some("vfork")
        || flags & (CLONE_VFORK | CLONE_VM) == CLONE_VFORK | CLONE_VM
    {
        ForkKind::Vfork
    } else {
        ForkKind::Process
    };
    let life = Life::Fork {
        child_pid: f.child_pid,
        child_tid: f.child_tid,
        kind,
        via,
        clone_flags,
    };
    event(f.ts, f.pid, f.tid, &f.comm, contexts.current(f.tid), life)
}

/// An exec. The thread's context is the one it had before (the next context record says what
/// the exec changed).
pub fn exec<'s>(x: &etrace_exec, filename: &[u8], contexts: &Contexts) -> LifeEvent<'s> {
    let ctx = contexts
        .current(x.old_tid)
        .or_else(|| contexts.current(x.tid));
    let life = Life::Exec {
        filename: filename.to_vec(),
        old_comm: comm_bytes(&x.old_comm),
        old_tid: x.old_tid,
    };
    event(x.ts, x.pid, x.tid, &x.comm, ctx, life)
}

pub fn exit<'s>(e: &etrace_exit, contexts: &Contexts, xlat: &Xlat) -> LifeEvent<'s> {
    let outcome = match exit_status(e.code) {
        Ok(code) => Outcome::Exited(code),
        Err((sig, core)) => Outcome::Killed {
            signal: signal_name(sig, xlat),
            core,
        },
    };
    let life = Life::Exit {
        status: e.code,
        outcome,
        last_thread: u32::from(e.flags) & EF::ETRACE_E_GROUP_DEAD.0 != 0,
    };
    event(e.ts, e.pid, e.tid, &e.comm, contexts.current(e.tid), life)
}

/// The event of thread `tid`, with its latest context.
fn event<'s>(
    ts: u64,
    pid: u32,
    tid: u32,
    comm: &[i8],
    ctx: Option<Rc<Ctx>>,
    life: Life<'s>,
) -> LifeEvent<'s> {
    LifeEvent {
        ts,
        pid,
        tid,
        ppid: ctx.as_ref().map(|c| c.ppid),
        comm: comm_bytes(comm),
        ctx,
        life,
    }
}

/// How a wait status ended a process: (exit code, or signal number and core dumped).
pub fn exit_status(status: i32) -> Result<i32, (u32, bool)> {
    if status & 0x7f == 0 {
        Ok((status >> 8) & 0xff)
    } else {
        Err(((status & 0x7f) as u32, status & 0x80 != 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_statuses_split_into_code_or_signal() {
        assert_eq!(exit_status(3 << 8), Ok(3));
        assert_eq!(exit_status(0), Ok(0));
        assert_eq!(exit_status(9), Err((9, false)));
        assert_eq!(exit_status(11 | 0x80), Err((11, true)));
    }
}
