//! strace: text as `strace -f -o FILE` writes it (`--style strace`), for diffing against
//! strace: the thread id first, positional arguments, `name=value` members, libc's `-1` for a
//! failed call, `--- SIG... {...} ---` and `+++ exited with N +++`. Bytes from traced
//! processes are C-escaped as in the default text.

use std::fmt::Write as _;

use crate::model::event::{Event, Life, LifeEvent, Outcome, Phase, Value};
use crate::render::text::{escape_into, TextOptions};
use crate::tables::abbrev::MAX_ELEMENTS;

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

fn value(out: &mut String, v: &Value, o: &TextOptions) {
    match v {
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::UInt(u) => {
            let _ = write!(out, "{u}");
        }
        Value::Ptr(0) => out.push_str("NULL"),
        Value::Ptr(p) | Value::Unreadable(p) => {
            let _ = write!(out, "{p:#x}");
        }
        Value::Str { bytes, truncated } => quoted(out, bytes, None, *truncated),
        Value::Bytes { bytes, truncated } => quoted(out, bytes, Some(o.bytes), *truncated),
        Value::Struct(fields) => {
            out.push('{');
            for (i, (name, v)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                if !matches!(v, Value::Elided) {
                    out.push_str(name);
                    out.push('=');
                }
                value(out, v, o);
            }
            out.push('}');
        }
        Value::Array { items, truncated } => {
            let n = if o.verbose {
                items.len()
            } else {
                items.len().min(MAX_ELEMENTS)
            };
            out.push('[');
            for (i, v) in items[..n].iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                match v {
                    Value::Str { bytes, truncated } => {
                        quoted(out, bytes, Some(o.bytes), *truncated)
                    }
                    _ => value(out, v, o),
                }
            }
            if *truncated || n < items.len() {
                out.push_str(if n == 0 { "..." } else { ", ..." });
            }
            out.push(']');
        }
        Value::Sym { name, .. } => out.push_str(name),
        Value::Elided => out.push_str("..."),
        Value::Omitted => {}
        Value::Count(n) => {
            let _ = write!(out, "/* {n} entries */");
        }
    }
}

fn fd_desc(out: &mut String, e: &Event<'_>, name: &str) {
    if let Some((_, d)) = e.fds.iter().find(|(n, _)| *n == name) {
        out.push('<');
        crate::render::text::escape_desc(out, &d.text);
        out.push('>');
    }
}

/// One event's line (without the newline).
pub fn append_line(out: &mut String, e: &Event<'_>, o: &TextOptions) {
    let _ = write!(out, "{:<5} ", e.tid);
    let resumed = e.was_pending && e.phase == Phase::Done;
    if resumed {
        let _ = write!(out, "<... {} resumed>", e.syscall);
    } else {
        out.push_str(&e.syscall);
        out.push('(');
    }
    let shown = e
        .args
        .iter()
        .enumerate()
        .filter(|(i, _)| !resumed || (e.out_args >> i) & 1 != 0)
        .filter(|(_, (_, v))| !matches!(v, Value::Omitted));
    for (n, (i, (name, v))) in shown.enumerate() {
        if n > 0 {
            out.push_str(", ");
        }
        // a list shown by its count: strace gives its address too
        let raw = e.raw_args.get(i).copied().unwrap_or(0);
        match v {
            Value::Array { items, .. } if *name == "envp" && !o.env => {
                let _ = write!(out, "{raw:#x} /* {} vars */", items.len());
            }
            Value::Count(c) => {
                let _ = write!(out, "{raw:#x} /* {c} entries */");
            }
            _ => value(out, v, o),
        }
        fd_desc(out, e, name);
    }
    match e.phase {
        Phase::Done => {}
        Phase::Pending | Phase::Unfinished => {
            out.push_str(" <unfinished ...>");
            return;
        }
    }
    // strace's return column: `= ` at column 40, or after a space on a longer line
    out.push(')');
    let col = out.rfind('\n').map_or(out.len(), |nl| out.len() - nl - 1);
    let pad = 40usize.saturating_sub(col).max(1);
    out.extend(std::iter::repeat_n(' ', pad));
    out.push_str("= ");
    match (e.ret, e.errno) {
        (None, _) => out.push('?'),
        (Some(r), Some(name)) => {
            // libc's view: -1 and errno; a restart code never reaches the program
            match r {
                -516 | -514 | -513 | -512 => out.push('?'),
                _ => out.push_str("-1"),
            }
            let _ = write!(out, " {name}");
            if let Some(d) = e.errno_desc {
                let _ = write!(out, " ({d})");
            }
        }
        (Some(r), None) if e.ret_hex => {
            let _ = write!(out, "{:#x}", r as u64);
        }
        (Some(_), None) if e.ret_sym.is_some() => {
            out.push_str(e.ret_sym.as_deref().unwrap_or_default());
        }
        (Some(r), None) => {
            let _ = write!(out, "{r}");
            fd_desc(out, e, "ret");
        }
    }
    if let (true, Some(d)) = (o.durations, e.duration_ns) {
        let _ = write!(
            out,
            " <{}.{:06}>",
            d / 1_000_000_000,
            d % 1_000_000_000 / 1000
        );
    }
}

/// A lifecycle or signal line as strace writes it; None for what strace does not show (forks
/// and execs).
pub fn life_line(e: &LifeEvent<'_>) -> Option<String> {
    let mut out = format!("{:<5} ", e.tid);
    match &e.life {
        Life::Fork { .. } | Life::Exec { .. } => return None,
        Life::Signal {
            name, code, info, ..
        } => {
            let _ = write!(out, "--- {name}");
            if let Some((_, code)) = code {
                let _ = write!(out, " {{si_signo={name}, si_code={code}");
                let o = TextOptions::default();
                for (k, v) in info {
                    let _ = write!(out, ", {k}=");
                    value(&mut out, v, &o);
                }
                out.push('}');
            }
            out.push_str(" ---");
        }
        Life::Exit { outcome, .. } => match outcome {
            Outcome::Exited(code) => {
                let _ = write!(out, "+++ exited with {code} +++");
            }
            Outcome::Killed { signal, core } => {
                let _ = write!(out, "+++ killed by {signal}");
                if *core {
                    out.push_str(" (core dumped)");
                }
                out.push_str(" +++");
            }
        },
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::event::Comm;
    use std::borrow::Cow;

    #[test]
    fn lines_as_strace_writes_them() {
        let mut e = Event {
            syscall: Cow::Borrowed("openat"),
            nr: 257,
            pid: 4095,
            tid: 4095,
            ppid: None,
            comm: Comm::new(),
            ctx: None,
            ctx_exit: None,
            ts: 0,
            duration_ns: None,
            ret: Some(-2),
            errno: Some("ENOENT"),
            errno_desc: Some("No such file or directory"),
            ret_hex: false,
            ret_sym: None,
            args: vec![
                (
                    "dfd",
                    Value::Sym {
                        raw: Box::new(Value::Int(-100)),
                        name: "AT_FDCWD".into(),
                    },
                ),
                (
                    "filename",
                    Value::Str {
                        bytes: b"/nope".to_vec(),
                        truncated: false,
                    },
                ),
            ],
            payload_truncated: false,
            raw_args: [0; 6],
            phase: Phase::Done,
            before_tracing: false,
            was_pending: false,
            out_args: 0,
            fds: vec![],
            stack: vec![],
        };
        let o = TextOptions {
            bytes: 32,
            ..Default::default()
        };
        let mut s = String::new();
        append_line(&mut s, &e, &o);
        assert_eq!(
            s,
            "4095  openat(AT_FDCWD, \"/nope\")         = -1 ENOENT (No such file or directory)"
        );
        e.args = vec![(
            "statbuf",
            Value::Struct(vec![
                ("st_mode".into(), Value::UInt(0o644)),
                ("...".into(), Value::Elided),
            ]),
        )];
        e.ret = Some(0);
        e.errno = None;
        s.clear();
        append_line(&mut s, &e, &o);
        assert_eq!(s, "4095  openat({st_mode=420, ...})        = 0");
    }
}
