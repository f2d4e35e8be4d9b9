//! json: one JSON object per event (JSON Lines), following the contract in
//! ARCHITECTURE.md: `syscall`, `nr`, `pid`, `tid`, `ppid`, `comm`, `ts`, `args`, `ret`, plus
//! `errno`, `duration_ns`, `truncated`, `unreadable`, `ctx` and `ctx_exit` beside them; and the
//! lifecycle events, which have an `event` key (`fork`, `exec`, `exit`) instead of `syscall`.

use std::io::{self, Write};
use std::rc::Rc;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use crate::model::context::{Ctx, NS_NAMES};
use crate::model::event::{Comm, Event, Life, LifeEvent, Outcome, Phase, Value};

/// A process context's JSON, made once per context and reused for every event.
fn ctx_json(out: &mut Vec<u8>, c: &Ctx) {
    let bytes = c
        .rendered
        .get_or_init(|| serde_json::to_vec(&CtxFields(c)).unwrap_or_else(|_| b"null".to_vec()));
    out.extend_from_slice(bytes);
}

struct CtxFields<'a>(&'a Ctx);

impl Serialize for CtxFields<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let c = self.0;
        let mut m = s.serialize_map(None)?;
        for (k, v) in c.creds() {
            m.serialize_entry(k, &v)?;
        }
        m.serialize_entry("cap_effective", &c.cap_effective)?;
        m.serialize_entry("ns", &JsonNs(&c.ns))?;
        m.serialize_entry("cgroup_id", &c.cgroup_id)?;
        m.serialize_entry("cgroup", &c.cgroup.as_deref())?;
        m.end()
    }
}

struct JsonNs<'a>(&'a [u32; 8]);

impl Serialize for JsonNs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(8))?;
        for (k, v) in NS_NAMES.iter().zip(self.0) {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// Bytes as a JSON string when they are UTF-8, else `{"hex": "..."}`.
struct JsonBytes<'a>(&'a [u8]);

impl Serialize for JsonBytes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(self.0) {
            Ok(text) => s.serialize_str(text),
            Err(_) => {
                let mut hex = String::with_capacity(self.0.len() * 2);
                for b in self.0 {
                    hex.push_str(&format!("{b:02x}"));
                }
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("hex", &hex)?;
                m.end()
            }
        }
    }
}

struct JsonValue<'a>(&'a Value);

impl Serialize for JsonValue<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Int(i) => s.serialize_i64(*i),
            Value::UInt(u) | Value::Ptr(u) => s.serialize_u64(*u),
            Value::Str { bytes, .. } | Value::Bytes { bytes, .. } => JsonBytes(bytes).serialize(s),
            Value::Struct(fields) => {
                let mut m = s.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    m.serialize_entry(k, &JsonValue(v))?;
                }
                m.end()
            }
            Value::Array { items, .. } => {
                let mut q = s.serialize_seq(Some(items.len()))?;
                for v in items {
                    q.serialize_element(&JsonValue(v))?;
                }
                q.end()
            }
            Value::Unreadable(_) | Value::Elided | Value::Omitted => s.serialize_none(),
            Value::Count(n) => s.serialize_u64(*n as u64),
            Value::Sym { raw, .. } => JsonValue(raw).serialize(s),
        }
    }
}

/// Whether a value has a symbolic form somewhere inside.
fn has_sym(v: &Value) -> bool {
    match v {
        Value::Sym { .. } => true,
        Value::Struct(fields) => fields.iter().any(|(_, v)| has_sym(v)),
        Value::Array { items, .. } => items.iter().any(has_sym),
        _ => false,
    }
}

/// The symbolic forms of a value, shaped like the value: a string for a named integer, an
/// object of the members that have one, an array (null where an element has none).
struct SymMirror<'a>(&'a Value);

impl Serialize for SymMirror<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Sym { name, .. } => s.serialize_str(name),
            Value::Struct(fields) => {
                let mut m = s.serialize_map(None)?;
                for (k, v) in fields.iter().filter(|(_, v)| has_sym(v)) {
                    m.serialize_entry(k, &SymMirror(v))?;
                }
                m.end()
            }
            Value::Array { items, .. } => {
                let mut q = s.serialize_seq(Some(items.len()))?;
                for v in items {
                    q.serialize_element(&has_sym(v).then_some(SymMirror(v)))?;
                }
                q.end()
            }
            _ => s.serialize_none(),
        }
    }
}

/// -k: `[{"addr", "module", "file_offset", "function", "offset", "file", "line"}, ...]`, the
/// keys it has.
struct JsonStack<'a>(&'a [crate::model::event::Frame]);

impl Serialize for JsonStack<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut q = s.serialize_seq(Some(self.0.len()))?;
        for f in self.0 {
            q.serialize_element(&JsonFrame(f))?;
        }
        q.end()
    }
}

struct JsonFrame<'a>(&'a crate::model::event::Frame);

impl Serialize for JsonFrame<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("addr", &f.addr)?;
        if let Some((path, off)) = &f.module {
            m.serialize_entry("module", path)?;
            m.serialize_entry("file_offset", off)?;
        }
        if let Some((name, off)) = &f.function {
            m.serialize_entry("function", name)?;
            m.serialize_entry("offset", off)?;
        }
        if let Some((file, line)) = &f.source {
            m.serialize_entry("file", file)?;
            m.serialize_entry("line", line)?;
        }
        m.end()
    }
}

/// The symbolic forms of the arguments that have one, and of the return value (`ret`).
struct SymArgs<'a, 's>(&'a [(&'s str, Value)], Option<&'a str>);

impl Serialize for SymArgs<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for (k, v) in self.0.iter().filter(|(_, v)| has_sym(v)) {
            m.serialize_entry(k, &SymMirror(v))?;
        }
        if let Some(r) = self.1 {
            m.serialize_entry("ret", r)?;
        }
        m.end()
    }
}

/*
 * The lines are written key by key: each key a literal, each number through itoa, and each
 * string or nested value through serde_json (which escapes). A Serializer map spends more on
 * escaping the fixed keys than on the rest of the line.
 */

/// Append `v` as JSON, through serde_json.
fn json<T: Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, v).map_err(io::Error::other)
}

/// Append `s` as a JSON string: between quotes as it is when nothing in it needs escaping
/// (syscall and parameter names, most comms), else through serde_json.
fn json_str(out: &mut Vec<u8>, s: &str) -> io::Result<()> {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        Ok(())
    } else {
        json(out, s)
    }
}

/// Append a value: an integer straight through itoa, a string or buffer through json_str
/// (as JsonBytes writes it), anything else through serde_json.
fn json_value(out: &mut Vec<u8>, v: &Value) -> io::Result<()> {
    match v {
        Value::Int(i) => num(out, *i),
        Value::UInt(u) | Value::Ptr(u) => num(out, *u),
        Value::Str { bytes, .. } | Value::Bytes { bytes, .. } => match std::str::from_utf8(bytes) {
            Ok(text) => return json_str(out, text),
            Err(_) => return json(out, &JsonBytes(bytes)),
        },
        _ => return json(out, &JsonValue(v)),
    }
    Ok(())
}

fn num<I: itoa::Integer>(out: &mut Vec<u8>, v: I) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

fn opt_num<I: itoa::Integer>(out: &mut Vec<u8>, v: Option<I>) {
    match v {
        Some(v) => num(out, v),
        None => out.extend_from_slice(b"null"),
    }
}

/// `,"key":{"name":value,...}` (`open`: up to the brace) of named values.
fn named_values(out: &mut Vec<u8>, open: &[u8], values: &[(&str, Value)]) -> io::Result<()> {
    out.extend_from_slice(open);
    for (i, (k, v)) in values.iter().enumerate() {
        key(out, i, k)?;
        json_value(out, v)?;
    }
    out.push(b'}');
    Ok(())
}

/// The `i`th key of an object: `"name":`, after a comma but for the first.
fn key(out: &mut Vec<u8>, i: usize, name: &str) -> io::Result<()> {
    if i > 0 {
        out.push(b',');
    }
    json_str(out, name)?;
    out.push(b':');
    Ok(())
}

/// `,"key":[names...]` of the arguments that `pick` selects, when there are any.
fn name_list(
    out: &mut Vec<u8>,
    key: &[u8],
    args: &[(&str, Value)],
    pick: fn(&Value) -> bool,
) -> io::Result<()> {
    let mut first = true;
    for (n, _) in args.iter().filter(|(_, v)| pick(v)) {
        out.extend_from_slice(if first { key } else { b"," });
        first = false;
        json(out, n)?;
    }
    if !first {
        out.push(b']');
    }
    Ok(())
}

/// A comm: a string, or `{"hex": ...}` when it is not UTF-8 (a task names itself with any
/// bytes), as arguments are.
fn comm_json(out: &mut Vec<u8>, comm: &[u8]) -> io::Result<()> {
    match std::str::from_utf8(comm) {
        Ok(s) => json_str(out, s),
        Err(_) => json(out, &JsonBytes(comm)),
    }
}

/// Which lines have `ctx` (--ctx).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum CtxLines {
    // every line (the contract); not doc comments, which would make clap's help long
    #[default]
    Every,
    // a thread's first line, and a line whose context is not the one the thread's last line
    // had; a line without `ctx` has its thread's last one
    Changes,
}

/// The parts of a line that repeat from one event to the next, rendered once: a syscall's
/// `{"syscall":...,"nr":...` and the last thread's `,"pid":...,"comm":...`; and with
/// --ctx changes, the context each thread's last line had.
#[derive(Default)]
pub struct Repeats {
    /// syscall number -> its name and the line's opening (at most NAMES_KEPT: a dump can
    /// give any number)
    names: rustc_hash::FxHashMap<u32, (Box<str>, Box<[u8]>)>,
    /// syscall number -> its arguments' keys as the last line had them: each name (its
    /// address and length: the schema's, so a name seen again is the same string) and
    /// `"name":`, with the comma before it after the first (at most NAMES_KEPT)
    arg_keys: rustc_hash::FxHashMap<u32, Vec<ArgKey>>,
    /// whose the last line was (pid, tid, ppid, comm), and its keys for them
    who: Option<(Whose, Vec<u8>)>,
    ctx_lines: CtxLines,
    /// --ctx changes: tid -> the context its last line had (at most SHOWN_KEPT threads: past
    /// that, every thread's next line has its context again)
    shown: rustc_hash::FxHashMap<u32, Option<Rc<Ctx>>>,
}

const SHOWN_KEPT: usize = 1 << 16;

/// pid, tid, ppid, comm.
type Whose = (u32, u32, Option<u32>, Comm);

/// An argument's name (where it is, how long) and its rendered key.
type ArgKey = ((usize, usize), Box<[u8]>);

const NAMES_KEPT: usize = 4096;

impl Repeats {
    pub fn new(ctx_lines: CtxLines) -> Repeats {
        Repeats {
            ctx_lines,
            ..Default::default()
        }
    }

    /// Whether thread `tid`'s line shows `ctx`; noted as shown.
    fn shows_ctx(&mut self, tid: u32, ctx: Option<&Rc<Ctx>>) -> bool {
        if self.ctx_lines == CtxLines::Every {
            return true;
        }
        let same = match (self.shown.get(&tid), ctx) {
            (Some(Some(a)), Some(b)) => Rc::ptr_eq(a, b) || **a == **b,
            (Some(None), None) => true,
            _ => false,
        };
        if !same {
            if self.shown.len() >= SHOWN_KEPT {
                self.shown.clear();
            }
            self.shown.insert(tid, ctx.cloned());
        }
        !same
    }

    /// `{"syscall":<name>,"nr":<nr>`.
    fn open(&mut self, out: &mut Vec<u8>, name: &str, nr: u32) -> io::Result<()> {
        match self.names.get(&nr) {
            Some((n, bytes)) if **n == *name => out.extend_from_slice(bytes),
            _ => {
                let start = out.len();
                out.extend_from_slice(b"{\"syscall\":");
                json_str(out, name)?;
                out.extend_from_slice(b",\"nr\":");
                num(out, nr);
                if self.names.len() < NAMES_KEPT {
                    let bytes = out[start..].into();
                    self.names.insert(nr, (name.into(), bytes));
                }
            }
        }
        Ok(())
    }

    /// `,"args":{"name":value,...}` of a syscall's arguments, each key as the last line of
    /// the same syscall rendered it when it is the same name.
    fn args(&mut self, out: &mut Vec<u8>, nr: u32, args: &[(&str, Value)]) -> io::Result<()> {
        let kept = self.arg_keys.len() < NAMES_KEPT || self.arg_keys.contains_key(&nr);
        if !kept {
            return named_values(out, b",\"args\":{", args);
        }
        let keys = self.arg_keys.entry(nr).or_default();
        out.extend_from_slice(b",\"args\":{");
        for (i, (k, v)) in args.iter().enumerate() {
            let id = (k.as_ptr() as usize, k.len());
            match keys.get(i) {
                Some((seen, bytes)) if *seen == id => out.extend_from_slice(bytes),
                _ => {
                    let start = out.len();
                    key(out, i, k)?;
                    keys.truncate(i);
                    keys.push((id, out[start..].into()));
                }
            }
            json_value(out, v)?;
        }
        out.push(b'}');
        Ok(())
    }

    /// `,"pid":..,"tid":..,"ppid":..,"comm":..`.
    fn ids(
        &mut self,
        out: &mut Vec<u8>,
        ids: (u32, u32, Option<u32>),
        comm: &[u8],
    ) -> io::Result<()> {
        if let Some(((p, t, pp, c), bytes)) = &self.who {
            if (*p, *t, *pp) == ids && c[..] == *comm {
                out.extend_from_slice(bytes);
                return Ok(());
            }
        }
        let start = out.len();
        let (pid, tid, ppid) = ids;
        out.extend_from_slice(b",\"pid\":");
        num(out, pid);
        out.extend_from_slice(b",\"tid\":");
        num(out, tid);
        out.extend_from_slice(b",\"ppid\":");
        opt_num(out, ppid);
        out.extend_from_slice(b",\"comm\":");
        comm_json(out, comm)?;
        let mut bytes = self.who.take().map(|(_, b)| b).unwrap_or_default();
        bytes.clear();
        bytes.extend_from_slice(&out[start..]);
        self.who = Some(((pid, tid, ppid, Comm::from_slice(comm)), bytes));
        Ok(())
    }
}

/// The keys every event has: whose it is, when, and the thread's context (with --ctx
/// changes, when it is not the one the thread's last line had).
fn who(
    out: &mut Vec<u8>,
    repeats: &mut Repeats,
    ids: (u32, u32, Option<u32>),
    comm: &[u8],
    ts: u64,
    ctx: Option<&Rc<Ctx>>,
) -> io::Result<()> {
    repeats.ids(out, ids, comm)?;
    out.extend_from_slice(b",\"ts\":");
    num(out, ts);
    if !repeats.shows_ctx(ids.1, ctx) {
        return Ok(());
    }
    out.extend_from_slice(b",\"ctx\":");
    match ctx {
        Some(c) => ctx_json(out, c),
        None => out.extend_from_slice(b"null"),
    }
    Ok(())
}

/// Append one syscall event's line to `out`, with what `repeats` kept from earlier lines.
pub fn append(out: &mut Vec<u8>, repeats: &mut Repeats, e: &Event<'_>) -> io::Result<()> {
    repeats.open(out, &e.syscall, e.nr)?;
    let ids = (e.pid, e.tid, e.ppid);
    who(out, repeats, ids, &e.comm, e.ts, e.ctx.as_ref())?;
    if let Some(c) = &e.ctx_exit {
        out.extend_from_slice(b",\"ctx_exit\":");
        ctx_json(out, c);
    }
    repeats.args(out, e.nr, &e.args)?;
    out.extend_from_slice(b",\"sym\":");
    if !sym_object(out, &e.args, e.ret_sym.as_deref())? {
        out.truncate(out.len() - b",\"sym\":".len());
    }
    if !e.fds.is_empty() {
        out.extend_from_slice(b",\"fds\":");
        fds_object(out, &e.fds)?;
    }
    out.extend_from_slice(b",\"ret\":");
    opt_num(out, e.ret);
    if let Some(errno) = e.errno {
        out.extend_from_slice(b",\"errno\":");
        json(out, errno)?;
    }
    if let Some(d) = e.duration_ns {
        out.extend_from_slice(b",\"duration_ns\":");
        num(out, d);
    }
    // what the call wrote back into the arguments it updates, and its symbolic forms
    if !e.after.is_empty() {
        named_values(out, b",\"after\":{", &e.after)?;
        if e.after.iter().any(|(_, v)| has_sym(v)) {
            out.extend_from_slice(b",\"after_sym\":");
            json(out, &SymArgs(&e.after, None))?;
        }
    }
    name_list(out, b",\"truncated\":[", &e.args, Value::is_truncated)?;
    name_list(out, b",\"unreadable\":[", &e.args, |v| {
        matches!(v, Value::Unreadable(_))
    })?;
    if e.payload_truncated {
        out.extend_from_slice(b",\"payload_truncated\":true");
    }
    if !e.stack.is_empty() {
        out.extend_from_slice(b",\"stack\":");
        stack_array(out, &e.stack)?;
    }
    if e.phase == Phase::Unfinished {
        out.extend_from_slice(b",\"unfinished\":true");
    }
    if e.was_pending {
        out.extend_from_slice(b",\"pending\":true");
    }
    if e.before_tracing {
        out.extend_from_slice(b",\"before_tracing\":true");
    }
    out.extend_from_slice(b"}\n");
    Ok(())
}

/// Write one syscall event's line.
pub fn write(w: &mut dyn Write, e: &Event<'_>) -> io::Result<()> {
    let mut line = Vec::with_capacity(1024);
    append(&mut line, &mut Repeats::default(), e)?;
    w.write_all(&line)
}

/// Append one lifecycle event's line.
pub fn append_life(out: &mut Vec<u8>, repeats: &mut Repeats, e: &LifeEvent<'_>) -> io::Result<()> {
    out.extend_from_slice(b"{\"event\":\"");
    out.extend_from_slice(e.life.name().as_bytes());
    out.push(b'"');
    let ids = (e.pid, e.tid, e.ppid);
    who(out, repeats, ids, &e.comm, e.ts, e.ctx.as_ref())?;
    life_fields(out, &e.life)?;
    // a tid that ends can be a new thread's
    if let Life::Exit { .. } = e.life {
        repeats.shown.remove(&e.tid);
    }
    out.extend_from_slice(b"}\n");
    Ok(())
}

/// The arguments as a JSON object: `{"name":value,...}`.
pub fn args_object(out: &mut Vec<u8>, args: &[(&str, Value)]) -> io::Result<()> {
    named_values(out, b"{", args)
}

/// The symbolic forms of the arguments and of the result, as JSON (`sym`); false, and
/// nothing written, when none has one.
pub fn sym_object(
    out: &mut Vec<u8>,
    args: &[(&str, Value)],
    ret: Option<&str>,
) -> io::Result<bool> {
    if !args.iter().any(|(_, v)| has_sym(v)) && ret.is_none() {
        return Ok(false);
    }
    json(out, &SymArgs(args, ret))?;
    Ok(true)
}

/// -y: what the fd arguments refer to, as JSON (`fds`): `{"fd":"/etc/hosts"}`.
pub fn fds_object(out: &mut Vec<u8>, fds: &[(&str, crate::model::fds::FdDesc)]) -> io::Result<()> {
    out.push(b'{');
    for (i, (k, d)) in fds.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        json_str(out, k)?;
        out.push(b':');
        json(out, &JsonBytes(&d.text))?;
    }
    out.push(b'}');
    Ok(())
}

/// -k: the stack as JSON (`stack`).
pub fn stack_array(out: &mut Vec<u8>, stack: &[crate::model::event::Frame]) -> io::Result<()> {
    json(out, &JsonStack(stack))
}

/// What a lifecycle event says besides whose it is, as JSON members each led by a comma:
/// `,"child_pid":...` (fork), `,"filename":...` (exec), `,"status":...` (exit), `,"signal":...`.
pub fn life_fields(out: &mut Vec<u8>, life: &Life<'_>) -> io::Result<()> {
    match life {
        Life::Fork {
            child_pid,
            child_tid,
            kind,
            via,
            clone_flags,
        } => {
            out.extend_from_slice(b",\"child_pid\":");
            num(out, *child_pid);
            out.extend_from_slice(b",\"child_tid\":");
            num(out, *child_tid);
            out.extend_from_slice(b",\"kind\":\"");
            out.extend_from_slice(kind.name().as_bytes());
            out.extend_from_slice(b"\",\"via\":");
            json(out, via)?;
            out.extend_from_slice(b",\"clone_flags\":");
            opt_num(out, clone_flags.as_ref().map(|c| c.0));
            if let Some((_, name)) = clone_flags {
                out.extend_from_slice(b",\"sym\":{\"clone_flags\":");
                json(out, name)?;
                out.push(b'}');
            }
        }
        Life::Exec {
            filename,
            old_comm,
            old_tid,
        } => {
            out.extend_from_slice(b",\"filename\":");
            json(out, &JsonBytes(filename))?;
            out.extend_from_slice(b",\"old_comm\":");
            comm_json(out, old_comm)?;
            out.extend_from_slice(b",\"old_tid\":");
            num(out, *old_tid);
        }
        Life::Exit {
            status,
            outcome,
            last_thread,
        } => {
            out.extend_from_slice(b",\"status\":");
            num(out, *status);
            let (code, signal, core) = match outcome {
                Outcome::Exited(code) => (Some(*code), None, false),
                Outcome::Killed { signal, core } => (None, Some(signal.as_str()), *core),
            };
            out.extend_from_slice(b",\"exit_code\":");
            opt_num(out, code);
            out.extend_from_slice(b",\"signal\":");
            json(out, &signal)?;
            out.extend_from_slice(if core {
                b",\"core_dumped\":true"
            } else {
                b",\"core_dumped\":false"
            });
            out.extend_from_slice(if *last_thread {
                b",\"last_thread\":true"
            } else {
                b",\"last_thread\":false"
            });
        }
        Life::Signal {
            signo,
            name,
            code,
            info,
        } => {
            out.extend_from_slice(b",\"signal\":");
            json(out, name)?;
            out.extend_from_slice(b",\"signo\":");
            num(out, *signo);
            out.extend_from_slice(b",\"code\":");
            opt_num(out, code.as_ref().map(|c| c.0));
            out.extend_from_slice(b",\"si_code\":");
            json(out, &code.as_ref().map(|c| c.1.as_str()))?;
            out.extend_from_slice(b",\"siginfo\":{");
            for (i, (k, v)) in info.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                json_str(out, k)?;
                out.push(b':');
                json_value(out, v)?;
            }
            out.push(b'}');
            if info.iter().any(|(_, v)| has_sym(v)) {
                out.extend_from_slice(b",\"sym\":{\"siginfo\":");
                json(out, &SymArgs(info, None))?;
                out.push(b'}');
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn strings_are_escaped_on_the_fast_path_and_off_it() {
        for s in [
            "openat",
            "",
            "a\"b",
            "back\\slash",
            "nl\nesc\u{1b}",
            "\u{7f}é",
        ] {
            let mut out = Vec::new();
            json_str(&mut out, s).unwrap();
            let back: String = serde_json::from_slice(&out).unwrap();
            assert_eq!(back, s);
            assert!(!out.iter().any(|b| *b < 0x20), "{out:?}");
        }
    }

    #[test]
    fn ctx_changes_shows_a_threads_context_when_it_is_not_the_last_one_shown() {
        let ctx = |uid| {
            let raw = crate::skel::types::etrace_ctx {
                uid,
                ..Default::default()
            };
            Rc::new(Ctx::from_record(&raw, None))
        };
        let (root, nobody) = (ctx(0), ctx(65534));
        let mut every = Repeats::default();
        assert!(every.shows_ctx(1, Some(&root)) && every.shows_ctx(1, Some(&root)));
        let mut r = Repeats::new(CtxLines::Changes);
        assert!(r.shows_ctx(1, Some(&root)), "a thread's first line");
        assert!(!r.shows_ctx(1, Some(&root)));
        assert!(
            !r.shows_ctx(1, Some(&ctx(0))),
            "the same context, sent again"
        );
        assert!(r.shows_ctx(2, Some(&root)), "another thread's first line");
        assert!(r.shows_ctx(1, Some(&nobody)));
        assert!(r.shows_ctx(1, None) && !r.shows_ctx(1, None));
        assert!(r.shows_ctx(1, Some(&nobody)));
        // a thread that ended: its tid's next line is a new thread's first
        let mut out = Vec::new();
        let exit = LifeEvent {
            life: Life::Exit {
                status: 0,
                outcome: Outcome::Exited(0),
                last_thread: true,
            },
            pid: 1,
            tid: 1,
            ppid: None,
            comm: Comm::from_slice(b"x"),
            ts: 0,
            ctx: Some(nobody.clone()),
        };
        append_life(&mut out, &mut r, &exit).unwrap();
        assert!(r.shows_ctx(1, Some(&nobody)));
        // what it keeps is bounded, whatever a dump's tids
        for tid in 0..(SHOWN_KEPT as u32 + 10) {
            r.shows_ctx(tid, Some(&root));
        }
        assert!(r.shown.len() <= SHOWN_KEPT);
    }

    #[test]
    fn argument_keys_kept_from_the_last_line_are_only_used_for_the_same_names() {
        fn event<'a>(args: Vec<(&'a str, Value)>) -> Event<'a> {
            Event {
                syscall: Cow::Borrowed("x"),
                nr: 7,
                args,
                ..Default::default()
            }
        }
        // names at other addresses than the static ones ("a" below): one that changes at the
        // same position must not take the key kept for the last one
        let (a2, quoted) = (String::from("a"), String::from("q\"\n"));
        let lines = [
            event(vec![("a", Value::Int(1)), ("b", Value::Int(2))]),
            event(vec![("a", Value::Int(3)), ("c", Value::Int(4))]),
            event(vec![(a2.as_str(), Value::Int(5))]),
            event(vec![
                ("a", Value::Int(6)),
                ("b", Value::Int(7)),
                ("d", Value::Int(8)),
            ]),
            event(vec![(quoted.as_str(), Value::Int(9))]),
            event(vec![("a", Value::Int(6)), ("b", Value::Int(7))]),
        ];
        let mut repeats = Repeats::default();
        for e in &lines {
            let mut kept = Vec::new();
            append(&mut kept, &mut repeats, e).unwrap();
            let v: serde_json::Value = serde_json::from_slice(&kept).unwrap();
            let want: serde_json::Map<String, serde_json::Value> = e
                .args
                .iter()
                .map(|(k, v)| match v {
                    Value::Int(n) => (k.to_string(), serde_json::json!(n)),
                    _ => unreachable!("the lines above have integers"),
                })
                .collect();
            assert_eq!(v["args"], serde_json::Value::Object(want), "{v}");
            let mut fresh = Vec::new();
            write(&mut fresh, e).unwrap();
            assert_eq!(kept, fresh);
        }
    }

    #[test]
    fn contract_keys_and_types() {
        let e = Event {
            syscall: Cow::Borrowed("openat"),
            nr: 257,
            pid: 10,
            tid: 11,
            ppid: Some(1),
            comm: Comm::from_slice(b"cat"),
            ts: 123,
            duration_ns: Some(7),
            ret: Some(-2),
            errno: Some("ENOENT"),
            args: vec![
                ("dfd", Value::Int(-100)),
                (
                    "filename",
                    Value::Str {
                        bytes: b"/x".to_vec(),
                        truncated: false,
                    },
                ),
                (
                    "buf",
                    Value::Bytes {
                        bytes: vec![0xff, 0],
                        truncated: true,
                    },
                ),
                ("st", Value::Struct(vec![("st_size".into(), Value::Int(5))])),
                ("bad", Value::Unreadable(0x10)),
            ],
            ..Default::default()
        };
        let mut out = Vec::new();
        write(&mut out, &e).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["syscall"], "openat");
        assert_eq!(v["nr"], 257);
        assert_eq!(
            (v["pid"].as_u64(), v["tid"].as_u64(), v["ppid"].as_u64()),
            (Some(10), Some(11), Some(1))
        );
        assert_eq!(v["args"]["dfd"], -100);
        assert_eq!(v["args"]["filename"], "/x");
        assert_eq!(v["args"]["buf"]["hex"], "ff00");
        assert_eq!(v["args"]["st"]["st_size"], 5);
        assert!(v["args"]["bad"].is_null());
        assert_eq!(v["ret"], -2);
        assert_eq!(v["errno"], "ENOENT");
        assert_eq!(v["truncated"], serde_json::json!(["buf"]));
        assert_eq!(v["unreadable"], serde_json::json!(["bad"]));
        assert!(out.ends_with(b"}\n") && out.iter().filter(|&&b| b == b'\n').count() == 1);
        assert!(v.get("sym").is_none(), "no symbolic forms, no `sym`");

        // a comm that is not UTF-8 keeps its bytes, as an argument does
        let e = Event {
            comm: Comm::from_slice(b"x\xff\x1b"),
            ..e
        };
        let mut out = Vec::new();
        write(&mut out, &e).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["comm"]["hex"], "78ff1b");
    }

    #[test]
    fn symbolic_forms_sit_beside_the_numbers() {
        let sym = |raw: Value, name: &str| Value::Sym {
            raw: Box::new(raw),
            name: name.into(),
        };
        let e = Event {
            syscall: Cow::Borrowed("poll"),
            nr: 7,
            pid: 1,
            tid: 1,
            ppid: Some(0),
            comm: Comm::from_slice(b"x"),
            ts: 1,
            ret: Some(1),
            args: vec![
                ("dfd", sym(Value::Int(-100), "AT_FDCWD")),
                ("fd", Value::Int(3)),
                (
                    "ufds",
                    Value::Array {
                        items: vec![
                            Value::Struct(vec![
                                ("fd".into(), Value::Int(3)),
                                ("events".into(), sym(Value::Int(1), "POLLIN")),
                            ]),
                            Value::Struct(vec![("fd".into(), Value::Int(4))]),
                        ],
                        truncated: false,
                    },
                ),
            ],
            ..Default::default()
        };
        let mut out = Vec::new();
        write(&mut out, &e).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["args"]["dfd"], -100);
        assert_eq!(v["args"]["ufds"][0]["events"], 1);
        assert_eq!(
            v["sym"],
            serde_json::json!({"dfd": "AT_FDCWD", "ufds": [{"events": "POLLIN"}, null]})
        );
    }
}
