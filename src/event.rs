//! event: the typed, decoded syscall event both renderers consume. Events never format
//! themselves; see render_text and render_json.

use std::borrow::Cow;

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
    Struct(Vec<(String, Value)>),
    /// Array elements; `truncated` when the capture ended before the last element.
    Array { items: Vec<Value>, truncated: bool },
    /// The user-memory read behind this pointer failed.
    Unreadable(u64),
    /// An integer with its symbolic form (`O_RDONLY|O_CLOEXEC`): JSON keeps the number.
    Sym { raw: Box<Value>, name: String },
}

impl Value {
    pub fn is_truncated(&self) -> bool {
        match self {
            Value::Str { truncated, .. }
            | Value::Bytes { truncated, .. }
            | Value::Array { truncated, .. } => *truncated,
            _ => false,
        }
    }
}

/// One syscall, as decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct Event<'s> {
    /// The kernel's name (`sys_enter_<name>`), or `syscall_<nr>` when the schema lacks it.
    pub syscall: Cow<'s, str>,
    pub nr: u32,
    pub pid: u32,
    pub tid: u32,
    pub ppid: u32,
    pub comm: Vec<u8>,
    /// Entry time, CLOCK_BOOTTIME nanoseconds.
    pub ts: u64,
    /// Exit time minus entry time, when the syscall returned.
    pub duration_ns: Option<u64>,
    /// Return value; None when the syscall did not return (exit_group).
    pub ret: Option<i64>,
    /// errno name for a failed call (`ENOENT`).
    pub errno: Option<&'s str>,
    /// The return value is an address (mmap, brk).
    pub ret_hex: bool,
    /// Arguments by tracefs parameter name, in order.
    pub args: Vec<(&'s str, Value)>,
    /// The event's payload budget ran out: some arguments were cut or not read.
    pub payload_truncated: bool,
}
