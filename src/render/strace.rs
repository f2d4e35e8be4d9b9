//! strace: text as `strace -f -o FILE` writes it (`--style strace`), for diffing against
//! strace: the thread id first, positional arguments, `name=value` members, libc's `-1` for a
//! failed call, `--- SIG... {...} ---` and `+++ exited with N +++`. Bytes from traced
//! processes are C-escaped as in the default text.

use std::fmt::Write as _;

use crate::model::event::{Event, Life, LifeEvent, Phase, Value};
use crate::render::text::{
    after_values, duration, fd_desc, outcome, ret_value, shown_args, signal, value, TextOptions,
};

/// One event's line (without the newline). The values are written by render::text, which
/// takes strace's forms when `o.strace_style` is set.
pub fn append_line(out: &mut String, e: &Event<'_>, o: &TextOptions) {
    let _ = write!(out, "{:<5} ", e.tid);
    if e.was_pending && e.phase == Phase::Done {
        let _ = write!(out, "<... {} resumed>", e.syscall);
    } else {
        out.push_str(&e.syscall);
        out.push('(');
    }
    for (n, (i, (name, v))) in shown_args(e).enumerate() {
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
            _ if (e.boxed_args >> i) & 1 != 0 => {
                out.push('[');
                value(out, v, o);
                out.push(']');
            }
            _ => value(out, v, o),
        }
        fd_desc(out, e, name);
    }
    if e.phase != Phase::Done {
        out.push_str(" <unfinished ...>");
        return;
    }
    // strace's return column: `= ` at column 40, or after a space on a longer line
    out.push(')');
    let col = out.rfind('\n').map_or(out.len(), |nl| out.len() - nl - 1);
    let pad = 40usize.saturating_sub(col).max(1);
    out.extend(std::iter::repeat_n(' ', pad));
    out.push_str("= ");
    ret_value(out, e, o);
    after_values(out, e, o);
    duration(out, e, o);
}

/// A lifecycle or signal line as strace writes it; None for what strace does not show (forks
/// and execs).
pub fn life_line(e: &LifeEvent<'_>, o: &TextOptions) -> Option<String> {
    let mut out = format!("{:<5} ", e.tid);
    match &e.life {
        Life::Fork { .. } | Life::Exec { .. } => return None,
        Life::Signal {
            name, code, info, ..
        } => signal(&mut out, name, code, info, o),
        Life::Exit { outcome: how, .. } => {
            out.push_str("+++ ");
            outcome(&mut out, how);
            out.push_str(" +++");
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn lines_as_strace_writes_them() {
        let mut e = Event {
            syscall: Cow::Borrowed("openat"),
            nr: 257,
            pid: 4095,
            tid: 4095,
            ret: Some(-2),
            errno: Some("ENOENT"),
            errno_desc: Some("No such file or directory"),
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
            ..Default::default()
        };
        let o = TextOptions {
            bytes: 32,
            strace_style: true,
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
