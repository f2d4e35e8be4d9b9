//! context: the process context of each traced thread (credentials, capabilities, namespaces,
//! cgroup, parent), kept from the context records the kernel sends when a thread's context
//! changes, and handed to each event of that thread.

use rustc_hash::FxHashMap as HashMap;
use std::rc::Rc;

use crate::skel::types::{etrace_ctx, etrace_ctx_flags as XF};

/// Namespace names, in the order of `etrace_ctx.ns` (enum etrace_ns).
pub use crate::kernel::host::NS_NAMES;

/// One thread's context, as a context record gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ctx {
    pub ppid: u32,
    pub uid: u32,
    pub gid: u32,
    pub euid: u32,
    pub egid: u32,
    pub suid: u32,
    pub sgid: u32,
    pub fsuid: u32,
    pub fsgid: u32,
    pub cap_effective: u64,
    /// Namespace inode numbers, in NS_NAMES order; 0 when the kernel lacks the namespace.
    pub ns: [u32; 8],
    /// The cgroup v2 id (the cgroup directory's inode number).
    pub cgroup_id: u64,
    /// Its path below the cgroup2 mount, when it could be resolved.
    pub cgroup: Option<Rc<str>>,
    /// A renderer's bytes for this context, made once: a context is shared by every event of
    /// its thread until it changes, and rendering it is most of the work of a JSON line.
    pub rendered: Memo,
}

/// Bytes derived from a value once, by whoever needs them first (a renderer); opaque to the
/// model and ignored by equality.
#[derive(Debug, Clone, Default)]
pub struct Memo(std::cell::OnceCell<Box<[u8]>>);

impl Memo {
    pub fn get_or_init(&self, f: impl FnOnce() -> Vec<u8>) -> &[u8] {
        self.0.get_or_init(|| f().into_boxed_slice())
    }
}

impl PartialEq for Memo {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Memo {}

impl Ctx {
    pub fn from_record(c: &etrace_ctx, cgroup: Option<Rc<str>>) -> Ctx {
        Ctx {
            ppid: c.ppid,
            uid: c.uid,
            gid: c.gid,
            euid: c.euid,
            egid: c.egid,
            suid: c.suid,
            sgid: c.sgid,
            fsuid: c.fsuid,
            fsgid: c.fsgid,
            cap_effective: c.cap_effective,
            ns: c.ns,
            cgroup_id: c.cgroup_id,
            cgroup,
            rendered: Memo::default(),
        }
    }

    /// (name, value) of the credentials, in the order the JSON shows them.
    pub fn creds(&self) -> [(&'static str, u32); 8] {
        [
            ("uid", self.uid),
            ("gid", self.gid),
            ("euid", self.euid),
            ("egid", self.egid),
            ("suid", self.suid),
            ("sgid", self.sgid),
            ("fsuid", self.fsuid),
            ("fsgid", self.fsgid),
        ]
    }
}

/// What is known of one thread.
#[derive(Debug, Default)]
struct Thread {
    /// The context before the latest one (the entry context of a call that changed it).
    prev: Option<Rc<Ctx>>,
    cur: Option<Rc<Ctx>>,
}

/// The contexts of all threads seen, and the cgroup paths of their cgroup ids.
#[derive(Debug, Default)]
pub struct Contexts {
    threads: HashMap<u32, Thread>,
    cgroups: HashMap<u64, Rc<str>>,
}

impl Contexts {
    /// Record a cgroup id's path (from this machine's cgroupfs, or a dump's cgroup frame).
    pub fn cgroup_path(&mut self, id: u64, path: &str) {
        self.cgroups.insert(id, Rc::from(path));
    }

    /// Take in a context record.
    pub fn update(&mut self, c: &etrace_ctx) {
        let ctx = Rc::new(Ctx::from_record(c, self.cgroups.get(&c.cgroup_id).cloned()));
        let t = self.threads.entry(c.tid).or_default();
        // a context read at entry starts afresh: there is no call whose entry it was
        let at_exit = u32::from(c.flags) & XF::ETRACE_X_AT_EXIT.0 != 0;
        t.prev = if at_exit { t.cur.take() } else { None };
        t.cur = Some(ctx);
    }

    /// The contexts of a syscall of thread `tid`: (at entry, at exit when it changed).
    pub fn for_syscall(&self, tid: u32, changed: bool) -> (Option<Rc<Ctx>>, Option<Rc<Ctx>>) {
        let Some(t) = self.threads.get(&tid) else {
            return (None, None);
        };
        match (changed, &t.prev, &t.cur) {
            // an exec replaces the credentials with equal ones: not a change
            (true, Some(p), Some(c)) if p != c => (Some(p.clone()), Some(c.clone())),
            _ => (t.cur.clone(), None),
        }
    }

    /// The latest context of thread `tid`.
    pub fn current(&self, tid: u32) -> Option<Rc<Ctx>> {
        self.threads.get(&tid).and_then(|t| t.cur.clone())
    }

    /// Thread `tid` has ended.
    pub fn forget(&mut self, tid: u32) {
        self.threads.remove(&tid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(tid: u32, uid: u32, at_exit: bool) -> etrace_ctx {
        etrace_ctx {
            tid,
            uid,
            flags: if at_exit {
                XF::ETRACE_X_AT_EXIT.0 as u16
            } else {
                0
            },
            cgroup_id: 7,
            ..Default::default()
        }
    }

    #[test]
    fn a_change_at_exit_gives_the_entry_and_exit_contexts() {
        let mut c = Contexts::default();
        c.cgroup_path(7, "/a/b");
        assert_eq!(c.for_syscall(5, false), (None, None));
        c.update(&rec(5, 0, false));
        let (e, x) = c.for_syscall(5, false);
        assert_eq!(e.as_ref().map(|c| c.uid), Some(0));
        assert_eq!(e.unwrap().cgroup.as_deref(), Some("/a/b"));
        assert!(x.is_none());
        // setuid(65534): the exit context follows
        c.update(&rec(5, 65534, true));
        let (e, x) = c.for_syscall(5, true);
        assert_eq!((e.unwrap().uid, x.unwrap().uid), (0, 65534));
        // new credentials equal to the old ones are no change
        c.update(&rec(5, 65534, true));
        assert_eq!(c.for_syscall(5, true).1, None);
        // the next call sees the new context only
        assert_eq!(c.for_syscall(5, false).0.unwrap().uid, 65534);
        // a context read at an entry is not the exit half of a change
        c.update(&rec(5, 1, false));
        assert_eq!(c.for_syscall(5, true).0.unwrap().uid, 1);
        c.forget(5);
        assert!(c.current(5).is_none());
    }
}
