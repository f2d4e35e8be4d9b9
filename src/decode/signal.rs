//! signal: turns the kernel's signal records into signal events: the signal and its si_code by
//! name, and the siginfo members strace shows for that code (formats/siginfo.tbl).

use crate::decode::read_uint;
use crate::decode::shapes::signal_name;
use crate::model::context::Contexts;
use crate::model::event::{Life, LifeEvent, Value};
use crate::model::record::comm_bytes;
use crate::skel::types::{etrace_signal, etrace_signal_flags as SF};
use crate::tables::siginfo::{Kind, Member, Siginfo};
use crate::tables::xlat::{Num, Xlat};

/// si_code of a signal the kernel sent for its own reasons.
const SI_KERNEL: i32 = 0x80;
/// SIGCHLD's si_code when the child exited (si_status is its exit code, else a signal).
const CLD_EXITED: i32 = 1;

/// The 32-bit and 64-bit words at `off` (offsets from formats/siginfo.tbl, checked against the
/// siginfo's size when it is parsed; 0 past the end all the same).
fn int_at(b: &[u8], off: usize) -> i32 {
    b.get(off..).and_then(|w| read_uint(w, 4)).unwrap_or(0) as u32 as i32
}

fn long_at(b: &[u8], off: usize) -> i64 {
    b.get(off..).and_then(|w| read_uint(w, 8)).unwrap_or(0) as i64
}

fn named(xlat: &Xlat, table: &str, v: i64) -> Option<String> {
    xlat.table(table)?.format(Num::from_i64(v), xlat)
}

fn member_value(
    info: &[u8],
    m: &Member,
    code: i32,
    xlat: &Xlat,
    errno: &dyn Fn(i64) -> Option<String>,
) -> Value {
    // the table's offsets are checked against the siginfo's size when it is parsed
    match m.kind {
        Kind::Int => Value::Int(i64::from(int_at(info, m.offset))),
        Kind::UInt => Value::UInt(u64::from(int_at(info, m.offset) as u32)),
        Kind::Long => Value::Int(long_at(info, m.offset)),
        Kind::Ptr => Value::Ptr(long_at(info, m.offset) as u64),
        Kind::Status => {
            let s = int_at(info, m.offset);
            match code {
                CLD_EXITED => Value::Int(i64::from(s)),
                _ => Value::Sym {
                    raw: Box::new(Value::Int(i64::from(s))),
                    name: signal_name(s as u32, xlat),
                },
            }
        }
        Kind::Errno => {
            let e = i64::from(int_at(info, m.offset));
            match errno(e) {
                Some(name) => Value::Sym {
                    raw: Box::new(Value::Int(e)),
                    name,
                },
                None => Value::Int(e),
            }
        }
    }
}

/// The members a siginfo shows, by name.
type Members<'s> = Vec<(&'s str, Value)>;

/// A siginfo's si_code by name and the members strace shows for it (formats/siginfo.tbl).
fn members_of<'s>(
    info: &[u8],
    sig: i32,
    siginfo: &'s Siginfo,
    xlat: &Xlat,
    errno: &dyn Fn(i64) -> Option<String>,
) -> (Option<(i32, String)>, Members<'s>) {
    let (code, members) = {
        let code = int_at(info, 8);
        let by_signal = siginfo.by_signal.get(&sig);
        // a positive code other than SI_KERNEL is the signal's own (CLD_EXITED, SEGV_MAPERR)
        let (name, members) = match (code > 0 && code != SI_KERNEL, by_signal) {
            (true, Some((table, m))) => (named(xlat, table, i64::from(code)), &m[..]),
            (true, None) => (None, &[][..]),
            (false, _) => {
                let m = match (code, by_signal) {
                    // the kernel's own fault signals still say where
                    (SI_KERNEL, Some((_, m))) if m.iter().any(|m| m.kind == Kind::Ptr) => &m[..],
                    _ => siginfo.by_code.get(&code).map_or(&[][..], |m| &m[..]),
                };
                (named(xlat, "si_code", i64::from(code)), m)
            }
        };
        let name = name.unwrap_or_else(|| code.to_string());
        (Some((code, name)), members)
    };
    let shown = members
        .iter()
        .map(|m| {
            let v = member_value(info, m, code.as_ref().map_or(0, |c| c.0), xlat, errno);
            (m.name.as_str(), v)
        })
        .collect();
    (code, shown)
}

/// A siginfo_t a call reads or fills (rt_sigtimedwait, waitid), as strace shows it:
/// `{si_signo: SIGUSR1, si_code: SI_USER, si_pid: 1234, si_uid: 0}`.
pub fn siginfo_value(info: &[u8], siginfo: &Siginfo, xlat: &Xlat) -> Value {
    let sig = int_at(info, 0);
    let errno_table = xlat.table_index("errno");
    let errno = |e: i64| errno_table.and_then(|t| xlat.format(t, Num::from_i64(e)));
    let (code, members) = members_of(info, sig, siginfo, xlat, &errno);
    let mut fields: Vec<(std::sync::Arc<str>, Value)> = vec![(
        "si_signo".into(),
        Value::Sym {
            raw: Box::new(Value::Int(i64::from(sig))),
            name: signal_name(sig as u32, xlat),
        },
    )];
    if let Some((c, name)) = code {
        fields.push((
            "si_code".into(),
            Value::Sym {
                raw: Box::new(Value::Int(i64::from(c))),
                name,
            },
        ));
    }
    fields.extend(members.into_iter().map(|(n, v)| (n.into(), v)));
    Value::Struct(fields)
}

/// The signal event of a signal record, with the thread's latest context.
pub fn signal<'s>(
    s: &etrace_signal,
    siginfo: &'s Siginfo,
    xlat: &Xlat,
    errno: &dyn Fn(i64) -> Option<String>,
    contexts: &Contexts,
) -> LifeEvent<'s> {
    let info = &s.info[..];
    let (code, shown) = match u32::from(s.flags) & SF::ETRACE_SIG_NOINFO.0 != 0 {
        true => (None, Vec::new()),
        false => members_of(info, s.sig, siginfo, xlat, errno),
    };
    let ctx = contexts.current(s.tid);
    LifeEvent {
        ts: s.ts,
        pid: s.pid,
        tid: s.tid,
        ppid: ctx.as_ref().map(|c| c.ppid),
        comm: comm_bytes(&s.comm),
        ctx,
        life: Life::Signal {
            signo: s.sig,
            name: signal_name(s.sig as u32, xlat),
            code,
            info: shown,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::Formats;

    fn record(sig: i32, code: i32, words: &[(usize, i64, usize)]) -> etrace_signal {
        let mut s = etrace_signal {
            sig,
            pid: 7,
            tid: 7,
            ..Default::default()
        };
        s.info[..4].copy_from_slice(&sig.to_ne_bytes());
        s.info[8..12].copy_from_slice(&code.to_ne_bytes());
        for &(off, v, size) in words {
            s.info[off..off + size].copy_from_slice(&v.to_ne_bytes()[..size]);
        }
        s
    }

    fn shown(e: &LifeEvent<'_>) -> (String, Vec<(String, Value)>) {
        let Life::Signal { code, info, .. } = &e.life else {
            panic!("not a signal")
        };
        let code = code.as_ref().map_or("-".into(), |c| c.1.clone());
        (
            code,
            info.iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn sigchld_sigusr1_and_sigsegv_show_strace_members() {
        let f = Formats::embedded().unwrap();
        let errno = |_: i64| None;
        let c = Contexts::default();
        // SIGCHLD, CLD_EXITED, pid 11810, uid 0, status 3
        let r = record(17, 1, &[(16, 11810, 4), (24, 3, 4), (32, 5, 8)]);
        let (code, m) = shown(&signal(&r, &f.siginfo, &f.xlat, &errno, &c));
        assert_eq!(code, "CLD_EXITED");
        assert_eq!(m[0], ("si_pid".into(), Value::Int(11810)));
        assert_eq!(m[2], ("si_status".into(), Value::Int(3)));
        assert_eq!(m[3], ("si_utime".into(), Value::Int(5)));
        // killed: si_status is a signal
        let r = record(17, 2, &[(24, 9, 4)]);
        let (code, m) = shown(&signal(&r, &f.siginfo, &f.xlat, &errno, &c));
        assert_eq!(code, "CLD_KILLED");
        assert!(matches!(&m[2].1, Value::Sym { name, .. } if name == "SIGKILL"));
        // kill(2): SI_USER with the sender
        let r = record(10, 0, &[(16, 123, 4), (20, 1000, 4)]);
        let (code, m) = shown(&signal(&r, &f.siginfo, &f.xlat, &errno, &c));
        assert_eq!(code, "SI_USER");
        assert_eq!(
            m,
            [
                ("si_pid".into(), Value::Int(123)),
                ("si_uid".into(), Value::UInt(1000))
            ]
        );
        // tgkill: SI_TKILL (-6)
        assert_eq!(
            shown(&signal(
                &record(10, -6, &[]),
                &f.siginfo,
                &f.xlat,
                &errno,
                &c
            ))
            .0,
            "SI_TKILL"
        );
        // a fault: the address
        let r = record(11, 1, &[(16, 0xdead, 8)]);
        let (code, m) = shown(&signal(&r, &f.siginfo, &f.xlat, &errno, &c));
        assert_eq!(
            (code.as_str(), &m[0].1),
            ("SEGV_MAPERR", &Value::Ptr(0xdead))
        );
        // an unknown code stays a number, and no siginfo shows none
        assert_eq!(
            shown(&signal(
                &record(10, 77, &[]),
                &f.siginfo,
                &f.xlat,
                &errno,
                &c
            ))
            .0,
            "77"
        );
        let mut r = record(9, 0, &[]);
        r.flags = SF::ETRACE_SIG_NOINFO.0 as u16;
        assert_eq!(
            shown(&signal(&r, &f.siginfo, &f.xlat, &errno, &c)),
            ("-".into(), vec![])
        );
    }
}
