//! text: one strace-like line per event. Bytes from traced processes are C-escaped, so
//! nothing they contain reaches the terminal raw.

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::model::context::{Ctx, NS_NAMES};
use crate::model::event::{Event, Life, LifeEvent, Outcome, Phase, Value};
use crate::tables::abbrev::MAX_ELEMENTS;

#[derive(Debug, Clone, Copy, Default)]
pub struct TextOptions {
    /// Most bytes of a buffer or argv element shown before `...`.
    pub bytes: usize,
    /// Show execve's whole environment, not its count.
    pub env: bool,
    /// Timestamps, as strace's -t (1: local hh:mm:ss), -tt (2: with microseconds), -ttt (3:
    /// seconds since the epoch); 0: none.
    pub time: u8,
    /// CLOCK_REALTIME minus CLOCK_BOOTTIME: an event's `ts` plus this is wall-clock time.
    pub realtime_offset_ns: i64,
    /// Append each call's duration, as strace's -T: ` <0.000123>`.
    pub durations: bool,
    /// Prefix each line with the time since the previous line's, as strace's -r.
    pub relative: bool,
    /// With `relative`: this line's time since the previous line's (set by the printer).
    pub delta_ns: u64,
    /// Show each event's process context (--context).
    pub context: bool,
    /// Show every element of arrays (-v; without it, MAX_ELEMENTS).
    pub verbose: bool,
    /// Write lines as strace -f -o does (--style strace): see render::strace.
    pub strace_style: bool,
    /// The namespaces etrace ran in: --context names only the namespaces that differ.
    pub host_ns: [u32; 8],
}

/// `uid=0`, or `uid=1000/0/0/0` (real/effective/saved/fs) when they differ.
fn ids(out: &mut String, name: &str, ids: [u32; 4]) {
    out.push_str(name);
    out.push('=');
    if ids.iter().all(|&i| i == ids[0]) {
        out.push_str(&ids[0].to_string());
    } else {
        let s: Vec<String> = ids.iter().map(u32::to_string).collect();
        out.push_str(&s.join("/"));
    }
}

/// The parts of a context --context shows, each as `key=value`.
fn ctx_parts(c: &Ctx, host_ns: &[u32; 8]) -> Vec<(&'static str, String)> {
    let mut parts = Vec::with_capacity(6);
    let mut s = String::new();
    parts.push(("ppid", c.ppid.to_string()));
    ids(&mut s, "uid", [c.uid, c.euid, c.suid, c.fsuid]);
    parts.push(("uid", s[4..].to_string()));
    s.clear();
    ids(&mut s, "gid", [c.gid, c.egid, c.sgid, c.fsgid]);
    parts.push(("gid", s[4..].to_string()));
    parts.push(("cap", format!("{:#x}", c.cap_effective)));
    parts.push((
        "cg",
        match &c.cgroup {
            Some(p) => p.to_string(),
            None => format!("#{}", c.cgroup_id),
        },
    ));
    let ns: Vec<String> = NS_NAMES
        .iter()
        .zip(c.ns.iter().zip(host_ns))
        .filter(|(_, (n, h))| **h != 0 && n != h)
        .map(|(name, (n, _))| format!("{name}:{n}"))
        .collect();
    if !ns.is_empty() {
        parts.push(("ns", ns.join(",")));
    }
    parts
}

/// ` [ppid=1 uid=0 gid=0 cap=0x1ffffffffff cg=/user.slice]`: the compact context of --context.
fn context(out: &mut String, c: Option<&Ctx>, o: &TextOptions) {
    let Some(c) = c else {
        out.push_str("[ctx ?] ");
        return;
    };
    out.push('[');
    for (i, (k, v)) in ctx_parts(c, &o.host_ns).iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(k);
        out.push('=');
        escape_into(out, v.as_bytes());
    }
    out.push_str("] ");
}

/// ` [ctx changed: uid=65534]`: what a call changed in its thread's context.
fn context_change(out: &mut String, before: &Ctx, after: &Ctx, o: &TextOptions) {
    let (b, a) = (ctx_parts(before, &o.host_ns), ctx_parts(after, &o.host_ns));
    let changed: Vec<String> = a
        .iter()
        .filter(|p| !b.contains(p))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let mut shown = changed.join(" ");
    // a namespace that went back to the host's leaves the list
    if b.iter().any(|(k, _)| *k == "ns") && !a.iter().any(|(k, _)| *k == "ns") {
        shown.push_str(if shown.is_empty() {
            "ns=host"
        } else {
            " ns=host"
        });
    }
    if shown.is_empty() {
        shown.push_str("caps or namespaces");
    }
    out.push_str(" [ctx changed: ");
    escape_into(out, shown.as_bytes());
    out.push(']');
}

/// The start of every line: time, `comm(pid)` or `comm(pid/tid)`, and the context.
fn prefix(
    out: &mut String,
    ts: u64,
    comm: &[u8],
    pid: u32,
    tid: u32,
    ctx: Option<&Ctx>,
    o: &TextOptions,
) {
    if o.time > 0 {
        timestamp(out, ts, o);
    }
    if o.relative {
        let d = o.delta_ns;
        let _ = write!(
            out,
            "{:>6}.{:06} ",
            d / 1_000_000_000,
            d % 1_000_000_000 / 1000
        );
    }
    escape_into(out, comm);
    if pid == tid {
        let _ = write!(out, "({pid}) ");
    } else {
        let _ = write!(out, "({pid}/{tid}) ");
    }
    if o.context {
        context(out, ctx, o);
    }
}

/// The wall-clock time of `ts` (CLOCK_BOOTTIME ns), as -t, -tt or -ttt show it.
fn timestamp(out: &mut String, ts: u64, o: &TextOptions) {
    let wall = i128::from(ts) + i128::from(o.realtime_offset_ns);
    let (secs, micros) = (
        wall.div_euclid(1_000_000_000),
        wall.rem_euclid(1_000_000_000) / 1000,
    );
    if o.time >= 3 {
        let _ = write!(out, "{secs}.{micros:06} ");
        return;
    }
    // local time, as strace -t shows it (chrono reads the time zone itself: no localtime_r)
    use chrono::{TimeZone, Timelike};
    let (h, m, s) = match chrono::Local.timestamp_opt(secs as i64, 0).single() {
        Some(t) => (t.hour(), t.minute(), t.second()),
        None => (0, 0, 0),
    };
    let _ = write!(out, "{h:02}:{m:02}:{s:02}");
    if o.time == 2 {
        let _ = write!(out, ".{micros:06}");
    }
    out.push(' ');
}

/// Append `b` to `out` as the inside of a C string literal, strace style: \n \t \" \\ and the
/// like, other non-printable or non-ASCII bytes in octal.
pub fn escape_into(out: &mut String, b: &[u8]) {
    escape_bytes(out, b, true)
}

/// As escape_into, for text outside quotes (what an fd refers to): `"` stays as it is.
pub fn escape_desc(out: &mut String, b: &[u8]) {
    escape_bytes(out, b, false)
}

fn escape_bytes(out: &mut String, b: &[u8], in_quotes: bool) {
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'"' if !in_quotes => out.push('"'),
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\r' => out.push_str("\\r"),
            0x0b => out.push_str("\\v"),
            0x0c => out.push_str("\\f"),
            0x20..=0x7e => out.push(c as char),
            _ => {
                let next_is_digit = b.get(i + 1).is_some_and(|n| (b'0'..=b'7').contains(n));
                if next_is_digit {
                    let _ = write!(out, "\\{c:03o}");
                } else {
                    let _ = write!(out, "\\{c:o}");
                }
            }
        }
    }
}

fn quoted(out: &mut String, b: &[u8], limit: Option<usize>, truncated: bool) {
    let (shown, cut) = match limit {
        Some(n) if b.len() > n => (&b[..n], true),
        _ => (b, false),
    };
    out.push('"');
    escape_into(out, shown);
    out.push('"');
    if cut || truncated {
        out.push_str("...");
    }
}

pub(crate) fn value(out: &mut String, v: &Value, o: &TextOptions) {
    match v {
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::UInt(u) => {
            let _ = write!(out, "{u}");
        }
        Value::Ptr(0) => out.push_str("NULL"),
        Value::Ptr(p) => {
            let _ = write!(out, "{p:#x}");
        }
        Value::Str { bytes, truncated } => quoted(out, bytes, None, *truncated),
        Value::Bytes { bytes, truncated } => quoted(out, bytes, Some(o.bytes), *truncated),
        // a socket address (decode::shapes::sockaddr), in strace's own form
        Value::Struct(fields) if o.strace_style && strace_sockaddr(out, fields, o) => {}
        Value::Struct(fields) => {
            out.push('{');
            for (i, (name, v)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                if !matches!(v, Value::Elided) {
                    out.push_str(name);
                    out.push_str(sep(o));
                }
                value(out, v, o);
            }
            out.push('}');
        }
        Value::Elided => out.push_str("..."),
        Value::Omitted => {}
        Value::Count(n) => {
            let _ = write!(out, "/* {n} entries */");
        }
        Value::Array { items, truncated } => {
            // without -v, a long array is cut, as strace cuts it
            let cut = !o.verbose && items.len() > MAX_ELEMENTS;
            let items =
                &items[..items
                    .len()
                    .min(if o.verbose { usize::MAX } else { MAX_ELEMENTS })];
            let truncated = &(*truncated || cut);
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                match v {
                    // argv elements are bounded like buffers, as strace -s does
                    Value::Str { bytes, truncated } => {
                        quoted(out, bytes, Some(o.bytes), *truncated)
                    }
                    _ => value(out, v, o),
                }
            }
            if *truncated {
                out.push_str(if items.is_empty() { "..." } else { ", ..." });
            }
            out.push(']');
        }
        Value::Sym { name, .. } => out.push_str(name),
        // strace shows the address alone
        Value::Unreadable(p) if o.strace_style => {
            let _ = write!(out, "{p:#x}");
        }
        Value::Unreadable(0) => out.push_str("<unreadable>"),
        Value::Unreadable(p) => {
            let _ = write!(out, "{p:#x} <unreadable>");
        }
    }
}

/// `--style strace`: a socket address as strace writes it, `{sa_family=AF_INET,
/// sin_port=htons(80), sin_addr=inet_addr("127.0.0.1")}`; false (nothing written) for a struct
/// that is no decoded socket address.
fn strace_sockaddr(
    out: &mut String,
    fields: &[(std::sync::Arc<str>, Value)],
    o: &TextOptions,
) -> bool {
    let get = |k: &str| fields.iter().find(|(n, _)| &**n == k).map(|(_, v)| v);
    let (Some(family), Some(Value::Sym { name: fam, .. })) = (fields.first(), get("family")) else {
        return false;
    };
    if &*family.0 != "family" {
        return false;
    }
    let text = |v: Option<&Value>| match v {
        Some(Value::Str { bytes, .. }) => String::from_utf8_lossy(bytes).into_owned(),
        _ => String::new(),
    };
    let num = |v: Option<&Value>| v.and_then(Value::raw_int).unwrap_or(0);
    let _ = write!(out, "{{sa_family={fam}");
    match fam.as_str() {
        "AF_UNIX" => {
            out.push_str(", sun_path=");
            match get("path") {
                Some(v) => value(out, v, o),
                None => out.push_str("\"\""),
            }
        }
        "AF_INET" => {
            let _ = write!(
                out,
                ", sin_port=htons({}), sin_addr=inet_addr(\"{}\")",
                num(get("port")),
                text(get("addr"))
            );
        }
        "AF_INET6" => {
            let _ = write!(
                out,
                ", sin6_port=htons({}), sin6_flowinfo=htonl({}), inet_pton(AF_INET6, \"{}\", \
                 &sin6_addr), sin6_scope_id={}",
                num(get("port")),
                num(get("flowinfo")),
                text(get("addr")),
                num(get("scope_id"))
            );
        }
        "AF_NETLINK" => {
            let _ = write!(
                out,
                ", nl_pid={}, nl_groups={:08x}",
                num(get("pid")),
                num(get("groups"))
            );
        }
        _ => {
            // another family: its members as they are
            for (name, v) in &fields[1..] {
                let _ = write!(out, ", {name}=");
                value(out, v, o);
            }
        }
    }
    out.push('}');
    true
}

/// Between a member's name and its value: `name: value`, or strace's `name=value`.
fn sep(o: &TextOptions) -> &'static str {
    if o.strace_style {
        "="
    } else {
        ": "
    }
}

/// The arguments a line shows, with their index: a `<... resumed>` line only those read at
/// exit, and never one a rule left out.
pub(crate) fn shown_args<'a, 's>(
    e: &'a Event<'s>,
) -> impl Iterator<Item = (usize, &'a (&'s str, Value))> {
    let resumed = e.was_pending && e.phase == Phase::Done;
    e.args
        .iter()
        .enumerate()
        .filter(move |(i, _)| !resumed || (e.out_args >> i) & 1 != 0)
        .filter(|(_, (_, v))| !matches!(v, Value::Omitted))
}

/// After the result: what the call wrote back into the arguments it updates, `(left {...})`,
/// or the word its result stands for, `(Timeout)` (see app::printer::label_after).
pub(crate) fn after_values(out: &mut String, e: &Event<'_>, o: &TextOptions) {
    if e.after.is_empty() || e.errno.is_some() {
        return;
    }
    out.push_str(" (");
    for (k, (name, v)) in e.after.iter().enumerate() {
        if k > 0 {
            out.push_str(", ");
        }
        out.push_str(name);
        if !matches!(v, Value::Omitted) {
            out.push(' ');
            value(out, v, o);
        }
    }
    out.push(')');
}

/// What follows `= `: the value, an errno with its message (strace style: libc's -1), `?` for
/// no value or a restart code (which never reaches the program).
pub(crate) fn ret_value(out: &mut String, e: &Event<'_>, o: &TextOptions) {
    match (e.ret, e.errno) {
        (None, _) => out.push('?'),
        (Some(r), Some(name)) => {
            match r {
                -516 | -514 | -513 | -512 => out.push('?'),
                _ if o.strace_style => out.push_str("-1"),
                _ => {
                    let _ = write!(out, "{r}");
                }
            }
            let _ = write!(out, " {name}");
            if let Some(d) = e.errno_desc {
                let _ = write!(out, " ({d})");
            }
        }
        (Some(r), None) if e.ret_hex => {
            let _ = write!(out, "{:#x}", r as u64);
        }
        // strace writes a flag result in hex, its names after it (a 0 as 0)
        (Some(r), None) if o.strace_style && e.ret_flags && e.ret_sym.is_some() => match r {
            0 => out.push('0'),
            r => {
                let _ = write!(
                    out,
                    "{r:#x} (flags {})",
                    e.ret_sym.as_deref().unwrap_or_default()
                );
            }
        },
        (Some(_), None) if e.ret_sym.is_some() => {
            out.push_str(e.ret_sym.as_deref().unwrap_or_default());
        }
        (Some(r), None) => {
            let _ = write!(out, "{r}");
            fd_desc(out, e, "ret");
        }
    }
}

/// -T: ` <seconds>`.
pub(crate) fn duration(out: &mut String, e: &Event<'_>, o: &TextOptions) {
    if let (true, Some(d)) = (o.durations, e.duration_ns) {
        let _ = write!(
            out,
            " <{}.{:06}>",
            d / 1_000_000_000,
            d % 1_000_000_000 / 1000
        );
    }
}

/// A signal as strace shows it: `--- SIGCHLD {si_signo: SIGCHLD, si_code: CLD_EXITED, ...} ---`
/// (`name=value` in strace style).
pub(crate) fn signal(
    out: &mut String,
    name: &str,
    code: &Option<(i32, String)>,
    info: &[(&str, Value)],
    o: &TextOptions,
) {
    let s = sep(o);
    let _ = write!(out, "--- {name}");
    if let Some((_, code)) = code {
        let _ = write!(out, " {{si_signo{s}{name}, si_code{s}{code}");
        for (k, v) in info {
            let _ = write!(out, ", {k}{s}");
            value(out, v, o);
        }
        out.push('}');
    }
    out.push_str(" ---");
}

/// How a thread ended: `exited with 0`, `killed by SIGKILL (core dumped)`.
pub(crate) fn outcome(out: &mut String, outcome: &Outcome) {
    match outcome {
        Outcome::Exited(code) => {
            let _ = write!(out, "exited with {code}");
        }
        Outcome::Killed { signal, core } => {
            let _ = write!(out, "killed by {signal}");
            if *core {
                out.push_str(" (core dumped)");
            }
        }
    }
}

/// -y: `<what the fd refers to>` after an fd argument or the returned fd, C-escaped.
pub(crate) fn fd_desc(out: &mut String, e: &Event<'_>, name: &str) {
    if let Some((_, d)) = e.fds.iter().find(|(n, _)| *n == name) {
        out.push('<');
        escape_desc(out, &d.text);
        out.push('>');
    }
}

/// -k: one frame under its event's line: ` > inner+0x15 (prog.c:12) [/tmp/prog+0x1139]`.
pub fn frame(out: &mut String, f: &crate::model::event::Frame) {
    out.push_str(" > ");
    match &f.function {
        Some((name, off)) => {
            escape_into(out, name.as_bytes());
            let _ = write!(out, "+{off:#x}");
        }
        None => out.push('?'),
    }
    if let Some((file, line)) = &f.source {
        out.push_str(" (");
        escape_into(out, file.as_bytes());
        let _ = write!(out, ":{line})");
    }
    match &f.module {
        Some((path, off)) => {
            out.push_str(" [");
            escape_into(out, path.as_bytes());
            let _ = write!(out, "+{off:#x}]");
        }
        None => {
            let _ = write!(out, " [{:#x}]", f.addr);
        }
    }
}

/// Format one event as a line (without the newline).
pub fn line(e: &Event<'_>, o: &TextOptions) -> String {
    let mut out = String::with_capacity(128);
    append_line(&mut out, e, o);
    out
}

/// Append one event's line (without the newline) to `out`. A call reported pending earlier
/// shows as strace's `<... read resumed>` and the arguments read at exit; a call still in flight
/// (pending, or unfinished when tracing stopped) as its entry and `<unfinished ...>`.
pub fn append_line(out: &mut String, e: &Event<'_>, o: &TextOptions) {
    prefix(out, e.ts, &e.comm, e.pid, e.tid, e.ctx.as_deref(), o);
    let resumed = e.was_pending && e.phase == Phase::Done;
    if resumed {
        let _ = write!(out, "<... {} resumed>", e.syscall);
    } else {
        out.push_str(&e.syscall);
        out.push('(');
    }
    for (n, (i, (name, v))) in shown_args(e).enumerate() {
        if n > 0 {
            out.push_str(", ");
        } else if resumed {
            out.push(' ');
        }
        out.push_str(name);
        out.push_str(": ");
        match v {
            // the environment is long and rarely the point: its count, as strace shows it
            Value::Array { items, .. } if *name == "envp" && !o.env => {
                let _ = write!(out, "[/* {} vars */]", items.len());
            }
            _ if (e.boxed_args >> i) & 1 != 0 => {
                out.push('[');
                value(out, v, o);
                out.push(']');
            }
            _ => value(out, v, o),
        }
        fd_desc(out, e, name);
    }
    match e.phase {
        Phase::Done => {}
        Phase::Pending => {
            out.push_str(") <unfinished ...>");
            if e.before_tracing {
                out.push_str(" (began before tracing)");
            }
            return;
        }
        Phase::Unfinished => {
            out.push_str(") <unfinished ...> (tracing stopped)");
            return;
        }
    }
    out.push_str(") = ");
    ret_value(out, e, o);
    after_values(out, e, o);
    if e.payload_truncated {
        out.push_str(" (arguments truncated)");
    }
    if e.before_tracing && !e.was_pending {
        out.push_str(" (began before tracing)");
    }
    if let (Some(b), Some(a)) = (&e.ctx, &e.ctx_exit) {
        context_change(out, b, a, o);
    }
    duration(out, e, o);
}

/// Format one lifecycle event as a line (without the newline), in strace's `+++ ... +++` style.
pub fn life_line(e: &LifeEvent<'_>, o: &TextOptions) -> String {
    let mut out = String::with_capacity(96);
    prefix(&mut out, e.ts, &e.comm, e.pid, e.tid, e.ctx.as_deref(), o);
    if let Life::Signal {
        name, code, info, ..
    } = &e.life
    {
        signal(&mut out, name, code, info, o);
        return out;
    }
    out.push_str("+++ ");
    match &e.life {
        Life::Fork {
            child_pid,
            child_tid,
            kind,
            via,
            clone_flags,
        } => {
            match kind {
                crate::model::event::ForkKind::Thread => {
                    let _ = write!(out, "fork: new thread {child_pid}/{child_tid}");
                }
                k => {
                    let _ = write!(out, "fork: new {} {child_pid}", k.name());
                }
            }
            if let Some(v) = via {
                let _ = write!(out, " ({v}");
                if let Some((_, name)) = clone_flags {
                    let _ = write!(out, " {name}");
                }
                out.push(')');
            }
        }
        Life::Exec {
            filename,
            old_comm,
            old_tid,
        } => {
            out.push_str("exec: \"");
            escape_into(&mut out, filename);
            out.push('"');
            if !old_comm.is_empty() && old_comm != &e.comm {
                out.push_str(" (was ");
                escape_into(&mut out, old_comm);
                out.push(')');
            }
            if *old_tid != e.tid {
                let _ = write!(out, " (by thread {old_tid})");
            }
        }
        Life::Exit {
            outcome,
            last_thread,
            ..
        } => {
            if !last_thread {
                out.push_str("thread ");
            }
            self::outcome(&mut out, outcome);
        }
        Life::Signal { .. } => {}
    }
    out.push_str(" +++");
    out
}

pub fn write_life(w: &mut dyn Write, e: &LifeEvent<'_>, o: &TextOptions) -> io::Result<()> {
    let mut l = match o.strace_style {
        true => match crate::render::strace::life_line(e, o) {
            Some(l) => l,
            None => return Ok(()),
        },
        false => life_line(e, o),
    };
    l.push('\n');
    w.write_all(l.as_bytes())
}

/// Write one event's line, formatted in `buf` (reused from line to line).
pub fn write_with(
    w: &mut dyn Write,
    buf: &mut String,
    e: &Event<'_>,
    o: &TextOptions,
) -> io::Result<()> {
    buf.clear();
    match o.strace_style {
        true => crate::render::strace::append_line(buf, e, o),
        false => append_line(buf, e, o),
    }
    buf.push('\n');
    for f in &e.stack {
        frame(buf, f);
        buf.push('\n');
    }
    w.write_all(buf.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::event::Comm;
    use std::borrow::Cow;

    fn ev(
        args: Vec<(&'static str, Value)>,
        ret: Option<i64>,
        errno: Option<&'static str>,
    ) -> Event<'static> {
        Event {
            syscall: Cow::Borrowed("openat"),
            nr: 257,
            pid: 10,
            tid: 10,
            ppid: Some(1),
            comm: Comm::from_slice(b"ca\x1bt"),
            ret,
            errno,
            args,
            ..Default::default()
        }
    }

    #[test]
    fn strace_like_line_with_escapes() {
        let o = TextOptions {
            bytes: 4,
            env: true,
            ..Default::default()
        };
        let e = ev(
            vec![
                ("dfd", Value::Int(-100)),
                (
                    "filename",
                    Value::Str {
                        bytes: b"/etc/\"h\"\n\x01\x7f1".to_vec(),
                        truncated: false,
                    },
                ),
                (
                    "buf",
                    Value::Bytes {
                        bytes: b"abcdef".to_vec(),
                        truncated: false,
                    },
                ),
                ("p", Value::Ptr(0)),
                ("q", Value::Unreadable(0x1000)),
            ],
            Some(-2),
            Some("ENOENT"),
        );
        assert_eq!(
            line(&e, &o),
            r#"ca\33t(10) openat(dfd: -100, filename: "/etc/\"h\"\n\1\1771", buf: "abcd"..., p: NULL, q: 0x1000 <unreadable>) = -2 ENOENT"#
        );
        let e = ev(vec![], None, None);
        assert!(line(&e, &o).ends_with("openat() = ?"));
    }

    #[test]
    fn errno_messages_restart_codes_and_calls_in_flight() {
        let o = TextOptions {
            bytes: 32,
            ..Default::default()
        };
        let mut e = ev(vec![("fd", Value::Int(0))], Some(-2), Some("ENOENT"));
        e.errno_desc = Some("No such file or directory");
        assert!(line(&e, &o).ends_with(") = -2 ENOENT (No such file or directory)"));
        // a restart code never reaches the program: `?`, as strace shows it
        e.ret = Some(-512);
        e.errno = Some("ERESTARTSYS");
        e.errno_desc = Some("To be restarted if SA_RESTART is set");
        assert!(line(&e, &o).ends_with(") = ? ERESTARTSYS (To be restarted if SA_RESTART is set)"));
        // in flight: the entry and <unfinished ...>
        let mut p = ev(
            vec![
                ("fd", Value::Int(0)),
                ("buf", Value::Ptr(0x10)),
                ("count", Value::UInt(8)),
            ],
            None,
            None,
        );
        p.syscall = Cow::Borrowed("read");
        p.phase = Phase::Pending;
        assert_eq!(
            line(&p, &o),
            "ca\\33t(10) read(fd: 0, buf: 0x10, count: 8) <unfinished ...>"
        );
        p.before_tracing = true;
        assert!(line(&p, &o).ends_with("<unfinished ...> (began before tracing)"));
        p.phase = Phase::Unfinished;
        assert!(line(&p, &o).ends_with("count: 8) <unfinished ...> (tracing stopped)"));
        // resumed: the arguments read at exit only
        let bytes = Value::Bytes {
            bytes: b"hi".to_vec(),
            truncated: false,
        };
        let mut r = ev(
            vec![
                ("fd", Value::Int(0)),
                ("buf", bytes),
                ("count", Value::UInt(8)),
            ],
            Some(2),
            None,
        );
        r.syscall = Cow::Borrowed("read");
        r.was_pending = true;
        r.out_args = 0b10;
        assert_eq!(
            line(&r, &o),
            "ca\\33t(10) <... read resumed> buf: \"hi\") = 2"
        );
        r.out_args = 0;
        assert_eq!(line(&r, &o), "ca\\33t(10) <... read resumed>) = 2");
    }

    #[test]
    fn long_arrays_are_cut_without_v_and_whole_with_it() {
        let items: Vec<Value> = (0..40).map(Value::Int).collect();
        let e = ev(
            vec![(
                "fds",
                Value::Array {
                    items,
                    truncated: false,
                },
            )],
            Some(0),
            None,
        );
        let short = line(&e, &TextOptions::default());
        assert!(short.contains("29, 30, 31, ...]"), "{short}");
        let long = line(
            &e,
            &TextOptions {
                verbose: true,
                ..Default::default()
            },
        );
        assert!(long.contains("38, 39]"), "{long}");
    }

    #[test]
    fn no_control_byte_survives() {
        let all: Vec<u8> = (0..=255u8).collect();
        let mut s = String::new();
        escape_into(&mut s, &all);
        assert!(s.bytes().all(|b| (0x20..0x7f).contains(&b)), "{s}");
    }

    #[test]
    fn names_replace_numbers_and_envp_is_counted() {
        let s = |v: i64, n: &str| Value::Sym {
            raw: Box::new(Value::Int(v)),
            name: n.into(),
        };
        let env = Value::Array {
            items: vec![
                Value::Str {
                    bytes: b"A=1".to_vec(),
                    truncated: false,
                },
                Value::Str {
                    bytes: b"B=2".to_vec(),
                    truncated: false,
                },
            ],
            truncated: false,
        };
        let e = ev(
            vec![
                ("dfd", s(-100, "AT_FDCWD")),
                ("flags", s(0x80000, "O_RDONLY|O_CLOEXEC")),
                ("envp", env),
            ],
            Some(3),
            None,
        );
        let o = TextOptions {
            bytes: 32,
            ..Default::default()
        };
        assert_eq!(
            line(&e, &o),
            "ca\\33t(10) openat(dfd: AT_FDCWD, flags: O_RDONLY|O_CLOEXEC, envp: [/* 2 vars */]) = 3"
        );
        let all = line(
            &e,
            &TextOptions {
                bytes: 32,
                env: true,
                ..Default::default()
            },
        );
        assert!(all.ends_with("envp: [\"A=1\", \"B=2\"]) = 3"), "{all}");
    }

    #[test]
    fn timestamps_and_durations() {
        let mut e = ev(vec![], Some(0), None);
        e.ts = 5_000_000_000; // 5 s after boot
        e.duration_ns = Some(1_234_567);
        let epoch = TextOptions {
            time: 3,
            realtime_offset_ns: 1_700_000_000_000_000_000 - 5_000_000_000 + 123_456_000,
            durations: true,
            ..Default::default()
        };
        let l = line(&e, &epoch);
        assert!(l.starts_with("1700000000.123456 ca"), "{l}");
        assert!(l.ends_with(" = 0 <0.001234>"), "{l}");
        let tt = line(&e, &TextOptions { time: 2, ..epoch });
        let stamp = tt.split(' ').next().unwrap();
        assert_eq!(stamp.len(), "hh:mm:ss.uuuuuu".len(), "{tt}");
        assert!(stamp.ends_with(".123456"), "{tt}");
        let t = line(&e, &TextOptions { time: 1, ..epoch });
        assert_eq!(t.split(' ').next().unwrap().len(), "hh:mm:ss".len(), "{t}");
        // -r: the time since the previous line, as strace's `     0.000123 `
        let r = TextOptions {
            relative: true,
            delta_ns: 1_234_567,
            ..Default::default()
        };
        assert!(
            line(&e, &r).starts_with("     0.001234 ca"),
            "{}",
            line(&e, &r)
        );
    }
}
