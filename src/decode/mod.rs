//! decode: a record plus the schema gives a typed event: integers with their declared size and
//! signedness, strings, buffers, structs laid out from BTF, arrays, and the markers for
//! truncated and unreadable user memory.

pub mod lifecycle;
pub mod netlink;
pub mod shapes;
pub mod signal;
pub mod stacks;

use std::borrow::Cow;
use std::collections::HashMap;
use std::rc::Rc;

use crate::kernel::btf::{Layout, Member};
use crate::model::context::Contexts;
use crate::model::context::Ctx;
use crate::model::event::LifeEvent;
use crate::model::event::{Event, Value};
use crate::model::record::{AnyRecord, Chunk, Phase, Record};
use crate::schema::{Capture, Schema};
use crate::tables::xlat::{Num, Symbolic, Xlat};
use crate::tables::{Dir, Errno, Formats, Shape};

const RAW_ARG_NAMES: [&str; 6] = ["arg0", "arg1", "arg2", "arg3", "arg4", "arg5"];
/// Most values one event decodes to, whatever the schema says (a dump's header is untrusted
/// input): past it, the rest of a value is left out and marked truncated.
pub const MAX_VALUES: u32 = 1 << 16;

pub struct Decoder<'s> {
    schema: &'s Schema,
    errno: &'s HashMap<i64, Errno>,
    siginfo: &'s crate::tables::siginfo::Siginfo,
    xlat: &'s Xlat,
    /// syscall number -> how each argument is shown symbolically (looked up for every event:
    /// FxHash, not SipHash)
    arg_syms: rustc_hash::FxHashMap<u32, [Option<Symbolic>; 6]>,
    /// syscall number -> (bit i: argument i is an fd, the return value is an fd), for -y
    fd_positions: rustc_hash::FxHashMap<u32, (u8, bool)>,
    /// syscall number -> how its return value is shown symbolically (`<syscall>.ret` rules)
    ret_syms: rustc_hash::FxHashMap<u32, Symbolic>,
    /// syscall number -> its conditional rules, resolved (see CondSym)
    cond_syms: rustc_hash::FxHashMap<u32, Vec<CondSym>>,
    /// how a netlink socket's messages are read
    netlink: &'s crate::tables::netlink::Netlink,
}

/// A conditional rule, resolved for one syscall: (the argument it decodes, None for the return
/// value; the arguments that choose it, each with the value its masked bits must have, and the
/// mask; how).
type CondSym = (
    Option<usize>,
    smallvec::SmallVec<[(usize, u32, u32); 2]>,
    Symbolic,
);

/// What decoding a value needs besides its bytes.
pub struct Decoding<'x> {
    /// Values left to produce (see MAX_VALUES).
    pub budget: u32,
    pub xlat: &'x Xlat,
    /// The siginfo members by si_code, for a siginfo_t argument.
    pub siginfo: Option<&'x crate::tables::siginfo::Siginfo>,
}

impl<'x> Decoding<'x> {
    pub fn new(xlat: &'x Xlat) -> Self {
        Decoding {
            budget: MAX_VALUES,
            xlat,
            siginfo: None,
        }
    }
}

/// `v` with the symbolic form `how` gives it; values that are not integers stay as they are.
pub fn symbolize(v: Value, how: Symbolic, xlat: &Xlat) -> Value {
    if how == Symbolic::Sigset {
        let mut words = Vec::new();
        collect_uints(&v, &mut words);
        if words.is_empty() {
            return v;
        }
        let name = crate::decode::shapes::sigset_name(&words, xlat);
        return Value::Sym {
            raw: Box::new(v),
            name,
        };
    }
    if how == Symbolic::Cpuset {
        return match &v {
            Value::Bytes { bytes, .. } => {
                let name = shapes::cpuset_name(bytes);
                Value::Sym {
                    raw: Box::new(v),
                    name,
                }
            }
            _ => v,
        };
    }
    let n = match &v {
        Value::Int(i) => Num::from_i64(*i),
        // a pointer whose target was not read (wait4's status when the call failed) is an
        // address, not a status
        Value::Ptr(_) if how == Symbolic::Wstatus => return v,
        Value::UInt(u) | Value::Ptr(u) => Num::from_u64(*u),
        _ => return v,
    };
    match how {
        // needs the call's other arguments: Decoder::symbolize_arg
        Symbolic::Sigset | Symbolic::Fdset | Symbolic::Cpuset | Symbolic::Numbers => v,
        Symbolic::Wstatus => {
            let name = shapes::wstatus_name(n.bits as u32, xlat);
            Value::Sym {
                raw: Box::new(v),
                name,
            }
        }
        Symbolic::Hex => Value::Ptr(n.bits),
        // hex as an address is (JSON keeps the number, with no symbolic form); 0 stays 0
        Symbolic::Xint if n.bits == 0 => v,
        Symbolic::Xint => Value::Ptr(n.bits),
        // a device number; 0 (no device: a regular file's st_rdev) as it is
        Symbolic::Makedev if n.bits == 0 => v,
        Symbolic::Makedev => Value::Sym {
            raw: Box::new(v),
            name: shapes::makedev_name(n.bits),
        },
        Symbolic::Int => Value::Int(i64::from(n.bits as u32 as i32)),
        Symbolic::FutexWakeOp(t) => Value::Sym {
            raw: Box::new(v),
            name: shapes::futex_wake_op_name(n.bits as u32, |k| xlat.format(t, Num::from_u64(k))),
        },
        Symbolic::Ioctl(t) => Value::Sym {
            raw: Box::new(v),
            name: xlat
                .format(t, n)
                .unwrap_or_else(|| shapes::ioc_name(n.bits as u32)),
        },
        Symbolic::Table(t) => match xlat.format(t, n) {
            Some(name) => Value::Sym {
                raw: Box::new(v),
                name,
            },
            None => v,
        },
    }
}

/// A buffer's bytes as the netlink messages they hold, where they hold any.
fn netlink_buffer(v: &mut Value, m: &netlink::Messages<'_>, cx: &mut Decoding<'_>) {
    if let Value::Bytes { bytes, .. } = v {
        if let Some(msgs) = m.decode(bytes, cx) {
            *v = msgs;
        }
    }
}

/// Every unsigned integer inside a value, in order (the words of a sigset_t).
fn collect_uints(v: &Value, out: &mut Vec<u64>) {
    match v {
        Value::UInt(u) => out.push(*u),
        Value::Int(i) => out.push(*i as u64),
        Value::Struct(fields) => fields.iter().for_each(|(_, v)| collect_uints(v, out)),
        Value::Array { items, .. } => items.iter().for_each(|v| collect_uints(v, out)),
        _ => {}
    }
}

impl<'s> Decoder<'s> {
    pub fn schema(&self) -> &'s Schema {
        self.schema
    }

    pub fn xlat(&self) -> &'s Xlat {
        self.xlat
    }

    pub fn new(schema: &'s Schema, formats: &'s Formats) -> Self {
        let xlat = &formats.xlat;
        let arg_syms = schema
            .syscalls
            .values()
            .filter_map(|sc| {
                let mut syms = [None; 6];
                for (i, a) in sc.args.iter().take(6).enumerate() {
                    syms[i] = xlat.arg(&sc.name, &a.name);
                }
                syms.iter().any(Option::is_some).then_some((sc.nr, syms))
            })
            .collect();
        let fd_positions = schema
            .syscalls
            .values()
            .filter_map(|sc| {
                let args = sc.args.iter().take(6).enumerate().fold(0u8, |m, (i, a)| {
                    m | (u8::from(formats.fds.is_fd_arg(&sc.name, &a.name)) << i)
                });
                let ret = formats.fds.returns_fd(&sc.name);
                (args != 0 || ret).then_some((sc.nr, (args, ret)))
            })
            .collect();
        let ret_syms = schema
            .syscalls
            .values()
            .filter_map(|sc| Some((sc.nr, xlat.arg_explicit(&sc.name, "ret")?)))
            .collect();
        let cond_syms = schema
            .syscalls
            .values()
            .filter_map(|sc| {
                let idx = |p: &str| sc.args.iter().take(6).position(|a| a.name == p);
                let rules: Vec<_> = xlat
                    .cond_rules(&sc.name)
                    .iter()
                    .filter_map(|r| {
                        let target = match r.param.as_str() {
                            "ret" => None,
                            p => Some(idx(p)?),
                        };
                        let mut when = smallvec::SmallVec::<[(usize, u32, u32); 2]>::new();
                        for (k, (other, name)) in r.conds.iter().enumerate() {
                            let (bare, mask) = crate::tables::split_mask(other).ok()?;
                            let v = xlat.cond_value(&sc.name, bare, &r.conds[..k], name)?;
                            when.push((idx(bare)?, v as u32 & mask, mask));
                        }
                        Some((target, when, r.how))
                    })
                    .collect();
                (!rules.is_empty()).then_some((sc.nr, rules))
            })
            .collect();
        Decoder {
            schema,
            fd_positions,
            ret_syms,
            cond_syms,
            errno: &formats.errno,
            siginfo: &formats.siginfo,
            xlat,
            arg_syms,
            netlink: &formats.netlink,
        }
    }

    /// On a netlink socket (the kernel's ETRACE_SOCK_ARG chunk says so), the data buffers as
    /// the messages they hold: a buffer argument itself, or a msghdr's iovec buffers.
    fn netlink_buffers(&self, rec: &Record<'_>, args: &mut [(&str, Value)], cx: &mut Decoding<'_>) {
        const AF_NETLINK: u16 = 16;
        let sock = crate::skel::types::etrace_limits::ETRACE_SOCK_ARG.0 as u8;
        let Some(info) = rec
            .chunks
            .iter()
            .find(|c| c.arg == sock && !c.fault())
            .and_then(|c| c.data.get(..4))
        else {
            return;
        };
        let family = u16::from_ne_bytes([info[0], info[1]]);
        if family != AF_NETLINK {
            return;
        }
        let m = netlink::Messages {
            tables: self.netlink,
            structs: &self.schema.structs,
            protocol: u16::from_ne_bytes([info[2], info[3]]),
        };
        let Some(sc) = self.schema.get(rec.hdr.nr) else {
            return;
        };
        for (i, (_, v)) in args.iter_mut().enumerate() {
            match sc.capture_of(i, &rec.hdr.args) {
                Capture::Bytes { .. } => netlink_buffer(v, &m, cx),
                Capture::Msghdr { .. } => {
                    if let Value::Struct(fields) = v {
                        for (name, f) in fields.iter_mut() {
                            if let ("msg_iov", Value::Array { items, .. }) = (&**name, f) {
                                for iov in items {
                                    if let Value::Struct(parts) = iov {
                                        for (n, b) in parts.iter_mut() {
                                            if &**n == "iov_base" {
                                                netlink_buffer(b, &m, cx);
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// An argument's symbolic form, for the call with the register values `args`.
    fn symbolize_arg(&self, v: Value, how: Symbolic, args: &[u64; 6]) -> Value {
        match how {
            Symbolic::Fdset if matches!(v, Value::Struct(_) | Value::Array { .. }) => {
                let mut words = Vec::new();
                collect_uints(&v, &mut words);
                let name = shapes::fdset_name(&words, args[0]);
                Value::Sym {
                    raw: Box::new(v),
                    name,
                }
            }
            Symbolic::Fdset => v,
            how => symbolize(v, how, self.xlat),
        }
    }

    /// Which arguments of syscall `nr` are fds (bit i), and whether it returns one.
    pub fn fd_positions(&self, nr: u32) -> (u8, bool) {
        self.fd_positions.get(&nr).copied().unwrap_or_default()
    }

    /// Decode a fork, exec or exit record (None for the other kinds), with the thread's
    /// latest context from `contexts`.
    pub fn life(&self, rec: &AnyRecord<'_>, contexts: &Contexts) -> Option<LifeEvent<'s>> {
        Some(match rec {
            AnyRecord::Fork(f) => lifecycle::fork(f, self.schema, self.xlat, contexts),
            AnyRecord::Exec { hdr, filename } => lifecycle::exec(hdr, filename, contexts),
            AnyRecord::Exit(e) => lifecycle::exit(e, contexts, self.xlat),
            AnyRecord::Signal(s) => {
                let errno = |e: i64| self.errno.get(&e).map(|x| x.name.clone());
                signal::signal(s, self.siginfo, self.xlat, &errno, contexts)
            }
            AnyRecord::Syscall(_) | AnyRecord::Ctx(_) | AnyRecord::Fd { .. } => return None,
        })
    }

    /// Decode a syscall record; `ctx` is the thread's context at entry and, when it changed,
    /// at exit (see context::Contexts::for_syscall).
    pub fn decode(&self, rec: &Record<'_>, ctx: (Option<Rc<Ctx>>, Option<Rc<Ctx>>)) -> Event<'s> {
        self.decode_into(rec, ctx, Vec::new())
    }

    /// [`Decoder::decode`], with the arguments put into `args` (emptied first): a caller that
    /// decodes event after event hands back the last one's, so that no event allocates it.
    pub fn decode_into(
        &self,
        rec: &Record<'_>,
        ctx: (Option<Rc<Ctx>>, Option<Rc<Ctx>>),
        mut args: Vec<(&'s str, Value)>,
    ) -> Event<'s> {
        args.clear();
        let h = &rec.hdr;
        let phase = rec.phase();
        let done = rec.exited() && phase == Phase::Done;
        let ret = done.then_some(h.ret);
        let errno = ret
            .filter(|r| crate::model::record::is_errno(*r))
            .and_then(|r| self.errno.get(&-r));
        let (errno, errno_desc) = (
            errno.map(|e| e.name.as_str()),
            errno.map(|e| e.desc.as_str()),
        );
        // a call found in flight at attach began at an unknown time; with --no-durations the
        // exit time was not read (0)
        let duration_ns = (done && !rec.before_tracing() && h.ts_exit != 0)
            .then(|| h.ts_exit.saturating_sub(h.ts_enter));
        let mut cx = Decoding::new(self.xlat);
        cx.siginfo = Some(self.siginfo);
        let boxed = std::cell::Cell::new(0u8);
        let after = std::cell::RefCell::new(Vec::new());
        let syms = self.arg_syms.get(&h.nr);
        let (syscall, ret_hex) = match self.schema.get(h.nr) {
            Some(sc) => {
                let decoded = sc.args.iter().enumerate().take(6).map(|(i, a)| {
                    let raw = h.args[i];
                    let capture = sc.capture_of(i, &h.args);
                    let plain = matches!(capture, Capture::None) || raw == 0;
                    if plain && syms.and_then(|s| s[i]).is_none() {
                        // most arguments: a register, nothing read behind it
                        return (a.name.as_str(), scalar(raw, &a.value));
                    }
                    let mut chunks: smallvec::SmallVec<[&Chunk<'_>; 4]> = rec
                        .chunks
                        .iter()
                        .filter(|c| usize::from(c.arg) == i)
                        .collect();
                    // an argument the call updates shows as passed; what the call wrote
                    // back goes to `after`
                    if capture.dir() == Some(Dir::Updated) {
                        let wrote = |c: &&Chunk<'_>| c.at_exit() && !c.reread();
                        let back: smallvec::SmallVec<[&Chunk<'_>; 4]> =
                            chunks.iter().copied().filter(wrote).collect();
                        chunks.retain(|c| !wrote(c));
                        if !back.is_empty() {
                            let v = decode_arg(raw, &a.value, capture, &back, None, &mut cx);
                            let v = match syms.and_then(|s| s[i]) {
                                Some(how) => self.symbolize_arg(v, how, &h.args),
                                None => v,
                            };
                            after.borrow_mut().push((a.name.as_str(), v));
                        }
                    }
                    // a value-result length says how much of a shaped buffer is meaningful
                    let len = match capture {
                        Capture::Shaped { len: Some(j), .. } => rec
                            .chunks
                            .iter()
                            .rev()
                            .find(|c| c.arg == *j && !c.fault())
                            .and_then(|c| c.data.get(..4))
                            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize),
                        _ => None,
                    };
                    let v = decode_arg(raw, &a.value, capture, &chunks, len, &mut cx);
                    if let Capture::Fixed {
                        layout: Layout::Int { .. } | Layout::Enum { .. },
                        ..
                    } = capture
                    {
                        if !matches!(v, Value::Ptr(_) | Value::Unreadable(_)) {
                            boxed.set(boxed.get() | 1 << i);
                        }
                    }
                    let v = match syms.and_then(|s| s[i]) {
                        Some(how) => self.symbolize_arg(v, how, &h.args),
                        None => v,
                    };
                    (a.name.as_str(), v)
                });
                args.extend(decoded);
                (Cow::Borrowed(sc.name.as_str()), sc.ret_hex)
            }
            None => {
                let raw = RAW_ARG_NAMES.iter().zip(h.args);
                args.extend(raw.map(|(n, v)| (*n, Value::UInt(v))));
                (self.schema.name_of(h.nr), false)
            }
        };
        self.netlink_buffers(rec, &mut args, &mut cx);
        let mut ret_cond = None;
        for (target, when, how) in self.cond_syms.get(&h.nr).into_iter().flatten() {
            let (target, how) = (*target, *how);
            if when
                .iter()
                .any(|&(o, v, mask)| h.args[o] as u32 & mask != v)
            {
                continue;
            }
            match target {
                Some(i) => {
                    if let Some((_, v)) = args.get_mut(i) {
                        // in place of what an unconditional rule made of it
                        let raw = match std::mem::replace(v, Value::UInt(0)) {
                            Value::Sym { raw, .. } => *raw,
                            other => other,
                        };
                        *v = self.symbolize_arg(raw, how, &h.args);
                    }
                }
                None => ret_cond = Some(how),
            }
        }
        Event {
            syscall,
            nr: h.nr,
            pid: h.pid,
            tid: h.tid,
            ppid: ctx.0.as_ref().map(|c| c.ppid),
            comm: rec.comm(),
            ctx: ctx.0,
            ctx_exit: ctx.1,
            ts: h.ts_enter,
            duration_ns,
            ret,
            ret_sym: match (ret, errno, ret_cond.or(self.ret_syms.get(&h.nr).copied())) {
                (Some(r), None, Some(how)) => match symbolize(Value::Int(r), how, self.xlat) {
                    Value::Sym { name, .. } => Some(name),
                    _ => None,
                },
                _ => None,
            },
            errno,
            errno_desc,
            ret_hex,
            args,
            payload_truncated: rec.data_truncated(),
            raw_args: h.args,
            phase,
            before_tracing: rec.before_tracing(),
            was_pending: false,
            boxed_args: boxed.get(),
            ret_flags: false,
            after: after.into_inner(),
            out_args: rec
                .chunks
                .iter()
                .filter(|c| c.at_exit() && c.arg < 8)
                .fold(0, |m, c| m | 1 << c.arg),
            fds: Vec::new(),
            stack: Vec::new(),
        }
    }
}

/// The register value, read with the declared type's size and signedness; a kernel enum's
/// value gets its enumerator's name from BTF.
fn scalar(raw: u64, layout: &Layout) -> Value {
    match layout {
        Layout::Ptr => Value::Ptr(raw),
        Layout::Int { size, signed, .. } => int_of(raw, *size, *signed),
        Layout::Enum {
            size,
            signed,
            values,
        } => enum_named(int_of(raw, *size, *signed), values),
        _ => Value::UInt(raw),
    }
}

/// An integer of an enum type, with its enumerator's name when it has one.
fn enum_named(v: Value, values: &[(i64, String)]) -> Value {
    let n = match v {
        Value::Int(i) => i,
        Value::UInt(u) => u as i64,
        _ => return v,
    };
    match values.iter().find(|(x, _)| *x == n) {
        Some((_, name)) => Value::Sym {
            raw: Box::new(v),
            name: name.clone(),
        },
        None => v,
    }
}

fn int_of(raw: u64, size: u32, signed: bool) -> Value {
    let bits = size.clamp(1, 8) * 8;
    let masked = if bits == 64 {
        raw
    } else {
        raw & ((1u64 << bits) - 1)
    };
    if signed {
        let shift = 64 - bits;
        Value::Int(((masked << shift) as i64) >> shift)
    } else {
        Value::UInt(masked)
    }
}

fn decode_arg(
    raw: u64,
    value: &Layout,
    capture: &Capture,
    chunks: &[&Chunk<'_>],
    len: Option<usize>,
    cx: &mut Decoding<'_>,
) -> Value {
    if matches!(capture, Capture::None) || raw == 0 {
        return scalar(raw, value);
    }
    if let Capture::StrArray { .. } = capture {
        return decode_strarray(raw, chunks);
    }
    if let Capture::Iovec { .. } | Capture::Msghdr { .. } = capture {
        return decode_parts(raw, capture, chunks, cx);
    }
    // the last good read wins: a re-read after an entry fault, or the exit read of an in/out arg
    let Some(c) = chunks.iter().rev().find(|c| !c.fault()) else {
        return if chunks.is_empty() {
            Value::Ptr(raw)
        } else {
            Value::Unreadable(raw)
        };
    };
    match capture {
        Capture::Str { .. } => Value::Str {
            bytes: c.data.to_vec(),
            truncated: c.truncated(),
        },
        Capture::Bytes { .. } => Value::Bytes {
            bytes: c.data.to_vec(),
            truncated: c.truncated(),
        },
        Capture::Fixed { layout, .. } => decode_layout(c.data, layout, cx),
        Capture::Shaped { shape, .. } => {
            let data = &c.data[..len.map_or(c.data.len(), |l| l.min(c.data.len()))];
            match shape {
                Shape::Sockaddr => shapes::sockaddr(data, c.truncated(), cx.xlat),
                Shape::Dirents => shapes::dirents(data, c.truncated(), cx.xlat),
                Shape::Siginfo => match cx.siginfo {
                    Some(t) => signal::siginfo_value(data, t, cx.xlat),
                    None => Value::Bytes {
                        bytes: data.to_vec(),
                        truncated: c.truncated(),
                    },
                },
            }
        }
        Capture::Array { elem, .. } => {
            let size = elem.size().unwrap_or(0) as usize;
            if size == 0 {
                return Value::Bytes {
                    bytes: c.data.to_vec(),
                    truncated: c.truncated(),
                };
            }
            let mut items = Vec::new();
            for b in c.data.chunks_exact(size) {
                if cx.budget == 0 {
                    break;
                }
                items.push(decode_layout(b, elem, cx));
            }
            Value::Array {
                truncated: c.truncated() || items.len() * size != c.data.len(),
                items,
            }
        }
        Capture::None
        | Capture::StrArray { .. }
        | Capture::Iovec { .. }
        | Capture::Msghdr { .. } => unreachable!("handled above"),
    }
}

/// An iovec array or a msghdr: several chunks (see ETRACE_K_IOVEC and ETRACE_K_MSGHDR in
/// bpf/etrace.h): the parts in order, and the iovec buffers as ETRACE_C_ELEM chunks.
fn decode_parts(
    raw: u64,
    capture: &Capture,
    chunks: &[&Chunk<'_>],
    cx: &mut Decoding<'_>,
) -> Value {
    // a re-read after an entry fault replaces the entry's chunks
    let reread = chunks.iter().any(|c| c.reread());
    let run: Vec<&Chunk<'_>> = chunks
        .iter()
        .filter(|c| c.reread() == reread)
        .copied()
        .collect();
    let parts: Vec<&Chunk<'_>> = run.iter().filter(|c| !c.elem()).copied().collect();
    let bufs: Vec<(&[u8], bool, bool)> = run
        .iter()
        .filter(|c| c.elem())
        .map(|c| (c.data, c.truncated(), c.fault()))
        .collect();
    let Some(first) = parts.first() else {
        return Value::Ptr(raw);
    };
    if first.fault() {
        return Value::Unreadable(raw);
    }
    let Capture::Msghdr { layout, .. } = capture else {
        return shapes::iovecs(first.data, first.truncated(), &bufs);
    };
    let mut v = decode_layout(first.data, layout, cx);
    if let Value::Struct(fields) = &mut v {
        for (name, val) in fields.iter_mut() {
            let part = |i: usize| parts.get(i).filter(|c| !c.fault());
            match &**name {
                "msg_name" => {
                    if let Some(c) = part(1).filter(|c| !c.data.is_empty()) {
                        *val = shapes::sockaddr(c.data, c.truncated(), cx.xlat);
                    }
                }
                "msg_iov" => {
                    if let Some(c) = part(2) {
                        *val = shapes::iovecs(c.data, c.truncated(), &bufs);
                    }
                }
                "msg_control" => {
                    if let Some(c) = part(3).filter(|c| !c.data.is_empty()) {
                        *val = shapes::cmsgs(c.data, c.truncated(), cx.xlat);
                    }
                }
                _ => {}
            }
        }
    }
    v
}

fn decode_strarray(raw: u64, chunks: &[&Chunk<'_>]) -> Value {
    // a blob supplied at exec time: NUL-separated strings
    if let Some(b) = chunks.iter().rev().find(|c| c.blob() && !c.fault()) {
        let data = b.data.strip_suffix(&[0]).unwrap_or(b.data);
        let items = data
            .split(|&x| x == 0)
            .map(|s| Value::Str {
                bytes: s.to_vec(),
                truncated: false,
            })
            .collect();
        return Value::Array {
            items,
            truncated: b.truncated(),
        };
    }
    let reread = chunks.iter().any(|c| c.reread());
    let run: Vec<&&Chunk<'_>> = chunks.iter().filter(|c| c.reread() == reread).collect();
    if run.is_empty() {
        return Value::Ptr(raw);
    }
    let mut items = Vec::new();
    let mut ended = false;
    for c in &run {
        if c.end() {
            if c.fault() && items.is_empty() {
                return Value::Unreadable(raw);
            }
            ended = !c.fault();
            break;
        }
        if c.elem() {
            items.push(if c.fault() {
                Value::Unreadable(0)
            } else {
                Value::Str {
                    bytes: c.data.to_vec(),
                    truncated: c.truncated(),
                }
            });
        }
    }
    if items.is_empty() && !ended {
        return Value::Unreadable(raw);
    }
    Value::Array {
        items,
        truncated: !ended,
    }
}

/// Little-endian integer of `size` bytes at the start of `b`, if present.
pub(crate) fn read_uint(b: &[u8], size: usize) -> Option<u64> {
    let s = b.get(..size)?;
    let mut buf = [0u8; 8];
    buf[..size.min(8)].copy_from_slice(&s[..size.min(8)]);
    Some(u64::from_le_bytes(buf))
}

/// Decode bytes laid out as `layout`; what the bytes do not cover is left out. Each value
/// produced takes one from the budget; at zero, what is left comes out as truncated bytes.
/// Struct members with a symbolic rule get their names.
pub fn decode_layout(b: &[u8], layout: &Layout, cx: &mut Decoding<'_>) -> Value {
    if cx.budget == 0 {
        return Value::Bytes {
            bytes: Vec::new(),
            truncated: true,
        };
    }
    cx.budget -= 1;
    match layout {
        Layout::Int { size, signed, .. } => match read_uint(b, *size as usize) {
            Some(v) => int_of(v, *size, *signed),
            None => Value::Bytes {
                bytes: b.to_vec(),
                truncated: true,
            },
        },
        Layout::Enum {
            size,
            signed,
            values,
        } => match read_uint(b, *size as usize) {
            Some(v) => enum_named(int_of(v, *size, *signed), values),
            None => Value::Bytes {
                bytes: b.to_vec(),
                truncated: true,
            },
        },
        Layout::Float { size } => match read_uint(b, *size as usize) {
            Some(v) => Value::UInt(v),
            None => Value::Bytes {
                bytes: b.to_vec(),
                truncated: true,
            },
        },
        Layout::Ptr => match read_uint(b, 8) {
            Some(v) => Value::Ptr(v),
            None => Value::Bytes {
                bytes: b.to_vec(),
                truncated: true,
            },
        },
        Layout::Array { elem, len } => decode_array(b, elem, *len, cx),
        Layout::Struct { name, members, .. } => {
            let mut fields = Vec::with_capacity(members.len());
            decode_members(b, name, members, &mut fields, cx);
            Value::Struct(fields)
        }
        Layout::Void | Layout::Opaque { .. } => Value::Bytes {
            bytes: b.to_vec(),
            truncated: false,
        },
    }
}

/// An array of `len` `elem`s from the bytes there are: a char array is a string.
fn decode_array(b: &[u8], elem: &Layout, len: u32, cx: &mut Decoding<'_>) -> Value {
    let esize = elem.size().unwrap_or(0) as usize;
    let total = esize * len as usize;
    let avail = &b[..b.len().min(total)];
    if matches!(*elem, Layout::Int { is_char: true, .. }) {
        let end = avail.iter().position(|&c| c == 0).unwrap_or(avail.len());
        return Value::Str {
            bytes: avail[..end].to_vec(),
            truncated: false,
        };
    }
    if esize == 0 {
        return Value::Array {
            items: vec![],
            truncated: false,
        };
    }
    let mut items = Vec::new();
    for e in avail.chunks_exact(esize) {
        if cx.budget == 0 {
            break;
        }
        items.push(decode_layout(e, elem, cx));
    }
    Value::Array {
        truncated: items.len() < len as usize,
        items,
    }
}

fn decode_members(
    b: &[u8],
    struct_name: &str,
    members: &[Member],
    out: &mut Vec<(std::sync::Arc<str>, Value)>,
    cx: &mut Decoding<'_>,
) {
    let rules = cx.xlat.member_rules(struct_name);
    let sym = |cx: &Decoding<'_>, how: Option<Symbolic>, v: Value| match how {
        Some(how) => symbolize(v, how, cx.xlat),
        None => v,
    };
    for m in members {
        // the member's rule, looked up once (a struct without rules looks up nothing)
        let how = rules.and_then(|r| r.get(&*m.name)).copied();
        if cx.budget == 0 {
            break;
        }
        if m.bit_size > 0 {
            let Some(size) = m.layout.size() else {
                continue;
            };
            let start = (m.bit_offset / 8) as usize;
            let Some(word) = b
                .get(start..)
                .and_then(|s| read_uint(s, (size as usize).min(8)))
            else {
                continue;
            };
            cx.budget -= 1;
            let shift = m.bit_offset % 8;
            let v = (word >> shift) & ((1u64 << m.bit_size.min(63)) - 1);
            let signed = matches!(
                m.layout,
                Layout::Int { signed: true, .. } | Layout::Enum { signed: true, .. }
            );
            let v = int_of(
                v,
                m.bit_size.div_ceil(8).max(1),
                signed && m.bit_size % 8 == 0,
            );
            out.push((m.name.clone(), sym(cx, how, v)));
            continue;
        }
        let start = (m.bit_offset / 8) as usize;
        let Some(rest) = b.get(start..) else { break };
        let size = m.layout.size().unwrap_or(0) as usize;
        if rest.len() < size {
            break; // a short read: members past the end are not shown
        }
        let v = match how {
            // bytes as numbers (termios' c_cc): not a string
            Some(Symbolic::Numbers) => Value::Array {
                items: rest[..size]
                    .iter()
                    .map(|&c| Value::UInt(c.into()))
                    .collect(),
                truncated: false,
            },
            _ => decode_layout(&rest[..size], &m.layout, cx),
        };
        match (m.name.is_empty(), v) {
            (true, Value::Struct(inner)) => out.extend(inner),
            (_, v) => out.push((m.name.clone(), sym(cx, how, v))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::record::{parse, tests::build};
    use crate::schema::{Arg, SizeRef, Syscall};
    use crate::skel::types::etrace_chunk_flags as CF;
    use crate::tables::{Dir, Formats};

    #[test]
    fn a_status_pointer_that_was_not_read_stays_an_address() {
        let x = Xlat::embedded().unwrap();
        let v = symbolize(Value::Ptr(0x7ffe_1234), Symbolic::Wstatus, &x);
        assert_eq!(v, Value::Ptr(0x7ffe_1234));
        // the status itself, read at exit, is named
        let v = symbolize(Value::Int(3 << 8), Symbolic::Wstatus, &x);
        assert!(matches!(v, Value::Sym { ref name, .. } if name.contains("WEXITSTATUS(s) == 3")));
    }

    fn int(size: u32, signed: bool) -> Layout {
        Layout::Int {
            size,
            signed,
            is_char: false,
            is_bool: false,
        }
    }

    fn schema() -> Schema {
        let stat = Layout::Struct {
            name: "stat".into(),
            size: 16,
            union: false,
            members: vec![
                Member {
                    name: "st_mode".into(),
                    bit_offset: 0,
                    bit_size: 0,
                    layout: int(4, false),
                },
                Member {
                    name: "st_size".into(),
                    bit_offset: 64,
                    bit_size: 0,
                    layout: int(8, true),
                },
            ],
        };
        let mk = |nr, name: &str, args: Vec<Arg>| Syscall {
            nr,
            name: name.into(),
            args,
            noreturn: false,
            ret_hex: false,
            select: Vec::new(),
            variants: Vec::new(),
        };
        let arg = |name: &str, value, capture| Arg {
            name: name.into(),
            ctype: String::new(),
            value,
            capture,
        };
        let mut s = Schema::default();
        s.syscalls.insert(
            257,
            mk(
                257,
                "openat",
                vec![
                    arg("dfd", int(4, true), Capture::None),
                    arg("filename", Layout::Ptr, Capture::Str { dir: Dir::In }),
                    arg("flags", int(4, true), Capture::None),
                ],
            ),
        );
        s.syscalls.insert(
            0,
            mk(
                0,
                "read",
                vec![
                    arg("fd", int(4, false), Capture::None),
                    arg(
                        "buf",
                        Layout::Ptr,
                        Capture::Bytes {
                            dir: Dir::Out,
                            size: SizeRef::Ret,
                        },
                    ),
                    arg("count", int(8, false), Capture::None),
                ],
            ),
        );
        s.syscalls.insert(
            5,
            mk(
                5,
                "newfstat",
                vec![
                    arg("fd", int(4, false), Capture::None),
                    arg(
                        "statbuf",
                        Layout::Ptr,
                        Capture::Fixed {
                            dir: Dir::Out,
                            layout: stat,
                        },
                    ),
                ],
            ),
        );
        s.syscalls.insert(
            59,
            mk(
                59,
                "execve",
                vec![
                    arg("filename", Layout::Ptr, Capture::Str { dir: Dir::In }),
                    arg("argv", Layout::Ptr, Capture::StrArray { dir: Dir::In }),
                ],
            ),
        );
        s
    }

    #[test]
    fn decodes_signedness_strings_and_errno() {
        let s = schema();
        let f = Formats::embedded().unwrap();
        let d = Decoder::new(&s, &f);
        let dfd = (-100i64) as u32 as u64; // the kernel zero-extends an int into the register
        let b = build(
            257,
            [dfd, 0x7000, 0x80000, 0, 0, 0],
            Some(-2),
            &[(1, 0, b"/nope")],
        );
        let e = d.decode(&parse(&b).unwrap(), (None, None));
        assert_eq!(e.syscall, "openat");
        let sym = |raw: Value, name: &str| Value::Sym {
            raw: Box::new(raw),
            name: name.into(),
        };
        assert_eq!(e.args[0], ("dfd", sym(Value::Int(-100), "AT_FDCWD")));
        assert_eq!(
            e.args[1],
            (
                "filename",
                Value::Str {
                    bytes: b"/nope".to_vec(),
                    truncated: false
                }
            )
        );
        assert_eq!(
            e.args[2],
            ("flags", sym(Value::Int(0x80000), "O_RDONLY|O_CLOEXEC"))
        );
        assert_eq!((e.ret, e.errno), (Some(-2), Some("ENOENT")));
        assert_eq!(e.duration_ns, Some(500));
    }

    #[test]
    fn reread_supersedes_fault_and_fault_alone_is_unreadable() {
        let s = schema();
        let f = Formats::embedded().unwrap();
        let d = Decoder::new(&s, &f);
        let fault = CF::ETRACE_C_FAULT.0 as u8;
        let reread = (CF::ETRACE_C_REREAD.0 | CF::ETRACE_C_EXIT.0) as u8;
        let b = build(
            257,
            [0, 0x7000, 0, 0, 0, 0],
            Some(3),
            &[(1, fault, b""), (1, reread, b"/dev/null")],
        );
        let e = d.decode(&parse(&b).unwrap(), (None, None));
        assert_eq!(
            e.args[1].1,
            Value::Str {
                bytes: b"/dev/null".to_vec(),
                truncated: false
            }
        );
        let b = build(257, [0, 0x7000, 0, 0, 0, 0], Some(3), &[(1, fault, b"")]);
        assert_eq!(
            d.decode(&parse(&b).unwrap(), (None, None)).args[1].1,
            Value::Unreadable(0x7000)
        );
    }

    #[test]
    fn decodes_struct_buffer_and_argv() {
        let s = schema();
        let f = Formats::embedded().unwrap();
        let d = Decoder::new(&s, &f);
        let mut st = vec![0u8; 16];
        st[..4].copy_from_slice(&0o100644u32.to_le_bytes());
        st[8..].copy_from_slice(&1234i64.to_le_bytes());
        let b = build(
            5,
            [3, 0x9000, 0, 0, 0, 0],
            Some(0),
            &[(1, CF::ETRACE_C_EXIT.0 as u8, &st)],
        );
        let e = d.decode(&parse(&b).unwrap(), (None, None));
        assert_eq!(
            e.args[1].1,
            Value::Struct(vec![
                (
                    "st_mode".into(),
                    Value::Sym {
                        raw: Box::new(Value::UInt(0o100644)),
                        name: "S_IFREG|0644".into()
                    }
                ),
                ("st_size".into(), Value::Int(1234))
            ])
        );
        let trunc = (CF::ETRACE_C_EXIT.0 | CF::ETRACE_C_TRUNC.0) as u8;
        let b = build(
            0,
            [3, 0x9000, 100, 0, 0, 0],
            Some(100),
            &[(1, trunc, b"hello")],
        );
        let e = d.decode(&parse(&b).unwrap(), (None, None));
        assert_eq!(
            e.args[1].1,
            Value::Bytes {
                bytes: b"hello".to_vec(),
                truncated: true
            }
        );
        let el = CF::ETRACE_C_ELEM.0 as u8;
        let end = CF::ETRACE_C_END.0 as u8;
        let b = build(
            59,
            [0x1, 0x2, 0, 0, 0, 0],
            None,
            &[
                (0, 0, b"/bin/true"),
                (1, el, b"true"),
                (1, el, b"-x"),
                (1, end, b""),
            ],
        );
        let e = d.decode(&parse(&b).unwrap(), (None, None));
        assert_eq!(e.ret, None);
        assert_eq!(
            e.args[1].1,
            Value::Array {
                items: vec![
                    Value::Str {
                        bytes: b"true".to_vec(),
                        truncated: false
                    },
                    Value::Str {
                        bytes: b"-x".to_vec(),
                        truncated: false
                    }
                ],
                truncated: false
            }
        );
        // blob from exec time
        let blob = (CF::ETRACE_C_BLOB.0 | CF::ETRACE_C_REREAD.0) as u8;
        let b = build(
            59,
            [0x1, 0x2, 0, 0, 0, 0],
            Some(0),
            &[
                (1, CF::ETRACE_C_FAULT.0 as u8 | end, b""),
                (1, blob, b"ls\0-l\0"),
            ],
        );
        let e = d.decode(&parse(&b).unwrap(), (None, None));
        let Value::Array { items, .. } = &e.args[1].1 else {
            panic!()
        };
        assert_eq!(items.len(), 2);
    }

    #[test]
    fn unknown_syscall_decodes_raw() {
        let s = schema();
        let f = Formats::embedded().unwrap();
        let d = Decoder::new(&s, &f);
        let b = build(999, [1, 2, 3, 4, 5, 6], Some(0), &[]);
        let e = d.decode(&parse(&b).unwrap(), (None, None));
        assert_eq!(e.syscall, "syscall_999");
        assert_eq!(e.args[5], ("arg5", Value::UInt(6)));
    }

    #[test]
    fn bitfields() {
        let l = Layout::Struct {
            name: "b".into(),
            size: 4,
            union: false,
            members: vec![
                Member {
                    name: "lo".into(),
                    bit_offset: 0,
                    bit_size: 3,
                    layout: int(4, false),
                },
                Member {
                    name: "hi".into(),
                    bit_offset: 3,
                    bit_size: 5,
                    layout: int(4, false),
                },
            ],
        };
        let v = decode_layout(
            &[0b1010_1101, 0, 0, 0],
            &l,
            &mut Decoding::new(&Xlat::default()),
        );
        assert_eq!(
            v,
            Value::Struct(vec![
                ("lo".into(), Value::UInt(0b101)),
                ("hi".into(), Value::UInt(0b10101))
            ])
        );
    }

    #[test]
    fn a_layout_that_expands_exponentially_stops_at_the_value_budget() {
        // each level is a union holding the level below twice: 2^18 leaves over 8 bytes
        let mut l = int(8, false);
        for _ in 0..18 {
            let m = |name: &str, layout: &Layout| Member {
                name: name.into(),
                bit_offset: 0,
                bit_size: 0,
                layout: layout.clone(),
            };
            l = Layout::Struct {
                name: "u".into(),
                size: 8,
                union: true,
                members: vec![m("a", &l), m("b", &l)],
            };
        }
        let xlat = Xlat::default();
        let mut cx = Decoding::new(&xlat);
        let start = std::time::Instant::now();
        let _ = decode_layout(&[0; 8], &l, &mut cx);
        assert_eq!(cx.budget, 0);
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
    }
}
