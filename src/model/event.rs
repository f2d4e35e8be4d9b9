//! event: the typed, decoded events both renderers consume: syscalls, process lifecycle (fork,
//! exec, exit) and signals. Events never format themselves; see render_text and render_json.

use std::borrow::Cow;
use std::rc::Rc;

use crate::model::context::Ctx;
pub use crate::model::record::{Comm, Phase};

/// A decoded argument value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Signed integer (declared signed type), already sign-extended from its declared size.
    Int(i64),
    /// Unsigned integer.
    UInt(u64),
    /// A pointer that was not (or could not usefully be) followed; 0 is NULL.
    Ptr(u64),
    /// NUL-terminated string (terminator not included).
    Str { bytes: Vec<u8>, truncated: bool },
    /// Raw bytes of a buffer.
    Bytes { bytes: Vec<u8>, truncated: bool },
    /// Struct or union members, by name; anonymous members are flattened into their parent.
    Struct(Vec<(std::sync::Arc<str>, Value)>),
    /// Array elements; `truncated` when the capture ended before the last element.
    Array { items: Vec<Value>, truncated: bool },
    /// The user-memory read behind this pointer failed.
    Unreadable(u64),
    /// An integer with its symbolic form (`O_RDONLY|O_CLOEXEC`): JSON keeps the number.
    Sym { raw: Box<Value>, name: String },
    /// Text without -v: what was left out (`...`). Never in JSON, which is complete.
    Elided,
    /// Text without -v: a list shown as its number of entries (`/* 20 entries */`).
    Count(usize),
    /// Text: an argument the call does not use, left out as strace leaves it out.
    Omitted,
}

impl Value {
    /// The integer a value holds (under its symbolic name, if it has one).
    pub fn raw_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::UInt(u) | Value::Ptr(u) => Some(*u as i64),
            Value::Sym { raw, .. } => raw.raw_int(),
            _ => None,
        }
    }

    pub fn is_truncated(&self) -> bool {
        match self {
            Value::Str { truncated, .. }
            | Value::Bytes { truncated, .. }
            | Value::Array { truncated, .. } => *truncated,
            _ => false,
        }
    }
}

/// One syscall, as decoded. (Default: an empty, completed call, for building events in tests.)
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Event<'s> {
    /// The kernel's name (`sys_enter_<name>`), or `syscall_<nr>` when the schema lacks it.
    pub syscall: Cow<'s, str>,
    pub nr: u32,
    pub pid: u32,
    pub tid: u32,
    /// The parent process, from the thread's context (None when no context record came).
    pub ppid: Option<u32>,
    pub comm: Comm,
    /// The thread's context at entry.
    pub ctx: Option<Rc<Ctx>>,
    /// Its context at exit, only when it differs from the one at entry.
    pub ctx_exit: Option<Rc<Ctx>>,
    /// Entry time, CLOCK_BOOTTIME nanoseconds.
    pub ts: u64,
    /// Exit time minus entry time, when the syscall returned.
    pub duration_ns: Option<u64>,
    /// Return value; None when the syscall did not return (exit_group).
    pub ret: Option<i64>,
    /// errno name for a failed call (`ENOENT`).
    pub errno: Option<&'s str>,
    /// Its description, as strace shows it (`No such file or directory`).
    pub errno_desc: Option<&'s str>,
    /// The return value is an address (mmap, brk).
    pub ret_hex: bool,
    /// The return value's symbolic form (`umask.ret mode` in formats/symbols.rules: `022`).
    pub ret_sym: Option<String>,
    /// Arguments by tracefs parameter name, in order.
    pub args: Vec<(&'s str, Value)>,
    /// The argument registers as the call got them (what a pointer shown by count was).
    pub raw_args: [u64; 6],
    /// The event's payload budget ran out: some arguments were cut or not read.
    pub payload_truncated: bool,
    /// The call's event (Done), or its entry while it is still in flight: Pending (it has
    /// run long, or began before tracing), Unfinished (tracing stopped before it returned).
    pub phase: Phase,
    /// It began before tracing did: `ts` is when tracing found it in flight, and its input
    /// arguments were read at exit.
    pub before_tracing: bool,
    /// Its pending entry was reported before this event (text showed `<unfinished ...>`).
    pub was_pending: bool,
    /// Bit i: argument i holds data read at exit (what a `<... resumed>` line shows).
    pub out_args: u8,
    /// Bit i: argument i is an integer read behind a pointer, which text brackets as strace
    /// does (`[1]`); JSON keeps the number.
    pub boxed_args: u8,
    /// `--style strace`: the result is written as strace writes a flag result, `0x8002 (flags
    /// O_RDWR|O_LARGEFILE)` (formats/abbrev.rules' `<syscall>.ret flags`; fcntl).
    pub ret_flags: bool,
    /// What the call wrote back into the arguments it updates (capture direction `updated`):
    /// a timeout's time left, select's ready sets. The arguments themselves show what was
    /// passed.
    pub after: Vec<(&'s str, Value)>,
    /// With -y: what the fd arguments (by parameter name) and the returned fd (`ret`) refer
    /// to, where the kernel described them.
    pub fds: Vec<(&'s str, crate::model::fds::FdDesc)>,
    /// With -k: the user stack at entry, innermost frame first.
    pub stack: Vec<Frame>,
}

/// One frame of a user stack (-k), symbolized as far as the binaries allow.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frame {
    /// The address in the process.
    pub addr: u64,
    /// The file it is mapped from, and the offset in that file.
    pub module: Option<(String, u64)>,
    /// The function, and the address's offset into it.
    pub function: Option<(String, u64)>,
    /// The source file and line, from DWARF.
    pub source: Option<(String, u32)>,
}

/// How a new task relates to its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForkKind {
    /// A new process.
    Process,
    /// A new process sharing the parent's memory until it execs or exits (vfork, CLONE_VFORK).
    Vfork,
    /// A thread of the parent's process.
    Thread,
}

impl ForkKind {
    pub fn name(self) -> &'static str {
        match self {
            ForkKind::Process => "process",
            ForkKind::Vfork => "vfork",
            ForkKind::Thread => "thread",
        }
    }
}

/// What happened to a process.
#[derive(Debug, Clone, PartialEq)]
pub enum Life<'s> {
    /// The event's thread created a task.
    Fork {
        child_pid: u32,
        child_tid: u32,
        kind: ForkKind,
        /// The syscall it was made by (`clone3`), when known.
        via: Option<Cow<'s, str>>,
        /// That call's flags (clone, clone3), and their names.
        clone_flags: Option<(u64, String)>,
    },
    /// The event's thread executed a new program; pid and tid are after the exec.
    Exec {
        filename: Vec<u8>,
        /// The comm before the exec (empty when unknown).
        old_comm: Comm,
        /// The thread that called exec, when it was not the process's leader.
        old_tid: u32,
    },
    /// A signal was delivered to the event's thread (its handler or default action is next).
    Signal {
        signo: i32,
        /// Its name (`SIGCHLD`).
        name: String,
        /// si_code and its name (`CLD_EXITED`); None when it came without a siginfo.
        code: Option<(i32, String)>,
        /// The siginfo members shown for that code (formats/siginfo.tbl).
        info: Vec<(&'s str, Value)>,
    },
    /// The event's thread ended.
    Exit {
        /// Wait status: exit code << 8, or the signal number (| 0x80 when it dumped core).
        status: i32,
        /// What the status says, decoded.
        outcome: Outcome,
        /// It was the last thread of its process.
        last_thread: bool,
    },
}

/// How a thread ended, from its wait status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It exited with this code.
    Exited(i32),
    /// A signal killed it (its name), dumping core or not.
    Killed { signal: String, core: bool },
}

impl Life<'_> {
    pub fn name(&self) -> &'static str {
        match self {
            Life::Fork { .. } => "fork",
            Life::Exec { .. } => "exec",
            Life::Exit { .. } => "exit",
            Life::Signal { .. } => "signal",
        }
    }
}

/// A process lifecycle event.
#[derive(Debug, Clone, PartialEq)]
pub struct LifeEvent<'s> {
    pub ts: u64,
    pub pid: u32,
    pub tid: u32,
    pub ppid: Option<u32>,
    pub comm: Comm,
    pub ctx: Option<Rc<Ctx>>,
    pub life: Life<'s>,
}
