//! render_json: one JSON object per event (JSON Lines), following the contract in
//! ARCHITECTURE.md: `syscall`, `nr`, `pid`, `tid`, `ppid`, `comm`, `ts`, `args`, `ret`, plus
//! `errno`, `duration_ns`, `truncated`, `unreadable`, `ctx` and `ctx_exit` beside them; and the
//! lifecycle events, which have an `event` key (`fork`, `exec`, `exit`) instead of `syscall`.

use std::io::{self, Write};

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use crate::context::{Ctx, NS_NAMES};
use crate::decode_shapes::signal_name;
use crate::event::{Event, Life, LifeEvent, Value};
use crate::lifecycle::exit_status;
use crate::xlat::Xlat;

/// Serialize adapter for a process context: its JSON is made once per context and reused.
struct JsonCtx<'a>(&'a Ctx);

impl Serialize for JsonCtx<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let raw = self.0.json.0.get_or_init(|| {
            serde_json::value::to_raw_value(&CtxFields(self.0))
                .unwrap_or_else(|_| serde_json::value::RawValue::NULL.to_owned())
        });
        raw.serialize(s)
    }
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
            Value::Unreadable(_) => s.serialize_none(),
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

struct SymArgs<'a, 's>(&'a [(&'s str, Value)]);

impl Serialize for SymArgs<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for (k, v) in self.0.iter().filter(|(_, v)| has_sym(v)) {
            m.serialize_entry(k, &SymMirror(v))?;
        }
        m.end()
    }
}

struct Args<'a, 's>(&'a [(&'s str, Value)]);

impl Serialize for Args<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, &JsonValue(v))?;
        }
        m.end()
    }
}

/// Serialize adapter for an event.
pub struct JsonEvent<'a, 's>(pub &'a Event<'s>);

impl Serialize for JsonEvent<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let e = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("syscall", &e.syscall)?;
        m.serialize_entry("nr", &e.nr)?;
        let who = Who {
            pid: e.pid,
            tid: e.tid,
            ppid: e.ppid,
            comm: &e.comm,
            ts: e.ts,
            ctx: e.ctx.as_deref(),
        };
        who.entries(&mut m)?;
        if let Some(c) = &e.ctx_exit {
            m.serialize_entry("ctx_exit", &JsonCtx(c))?;
        }
        m.serialize_entry("args", &Args(&e.args))?;
        if e.args.iter().any(|(_, v)| has_sym(v)) {
            m.serialize_entry("sym", &SymArgs(&e.args))?;
        }
        m.serialize_entry("ret", &e.ret)?;
        if let Some(errno) = e.errno {
            m.serialize_entry("errno", errno)?;
        }
        if let Some(d) = e.duration_ns {
            m.serialize_entry("duration_ns", &d)?;
        }
        let truncated: Vec<&str> = e
            .args
            .iter()
            .filter(|(_, v)| v.is_truncated())
            .map(|(n, _)| *n)
            .collect();
        if !truncated.is_empty() {
            m.serialize_entry("truncated", &truncated)?;
        }
        let unreadable: Vec<&str> = e
            .args
            .iter()
            .filter(|(_, v)| matches!(v, Value::Unreadable(_)))
            .map(|(n, _)| *n)
            .collect();
        if !unreadable.is_empty() {
            m.serialize_entry("unreadable", &unreadable)?;
        }
        if e.payload_truncated {
            m.serialize_entry("payload_truncated", &true)?;
        }
        m.end()
    }
}

pub fn write(w: &mut dyn Write, e: &Event<'_>) -> io::Result<()> {
    serde_json::to_writer(&mut *w, &JsonEvent(e)).map_err(io::Error::other)?;
    w.write_all(b"\n")
}

/// Append the event's line to `out` (faster than many small writes through a `dyn Write`).
/// The keys every event has: whose it is, when, and the thread's context.
struct Who<'a> {
    pid: u32,
    tid: u32,
    ppid: Option<u32>,
    comm: &'a [u8],
    ts: u64,
    ctx: Option<&'a Ctx>,
}

impl Who<'_> {
    fn entries<M: SerializeMap>(&self, m: &mut M) -> Result<(), M::Error> {
        m.serialize_entry("pid", &self.pid)?;
        m.serialize_entry("tid", &self.tid)?;
        m.serialize_entry("ppid", &self.ppid)?;
        m.serialize_entry("comm", &String::from_utf8_lossy(self.comm))?;
        m.serialize_entry("ts", &self.ts)?;
        m.serialize_entry("ctx", &self.ctx.map(JsonCtx))
    }
}

/// Serialize adapter for a lifecycle event.
struct JsonLife<'a, 's>(&'a LifeEvent<'s>, &'a Xlat);

impl Serialize for JsonLife<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let e = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("event", e.life.name())?;
        let who = Who {
            pid: e.pid,
            tid: e.tid,
            ppid: e.ppid,
            comm: &e.comm,
            ts: e.ts,
            ctx: e.ctx.as_deref(),
        };
        who.entries(&mut m)?;
        match &e.life {
            Life::Fork {
                child_pid,
                child_tid,
                kind,
                via,
                clone_flags,
            } => {
                m.serialize_entry("child_pid", child_pid)?;
                m.serialize_entry("child_tid", child_tid)?;
                m.serialize_entry("kind", kind.name())?;
                m.serialize_entry("via", via)?;
                m.serialize_entry("clone_flags", &clone_flags.as_ref().map(|c| c.0))?;
                if let Some((_, name)) = clone_flags {
                    let mut sym = serde_json::Map::new();
                    sym.insert("clone_flags".into(), name.clone().into());
                    m.serialize_entry("sym", &sym)?;
                }
            }
            Life::Exec {
                filename,
                old_comm,
                old_tid,
            } => {
                m.serialize_entry("filename", &JsonBytes(filename))?;
                m.serialize_entry("old_comm", &String::from_utf8_lossy(old_comm))?;
                m.serialize_entry("old_tid", old_tid)?;
            }
            Life::Exit {
                status,
                last_thread,
            } => {
                m.serialize_entry("status", status)?;
                let (code, signal, core) = match exit_status(*status) {
                    Ok(code) => (Some(code), None, false),
                    Err((sig, core)) => (None, Some(signal_name(sig, self.1)), core),
                };
                m.serialize_entry("exit_code", &code)?;
                m.serialize_entry("signal", &signal)?;
                m.serialize_entry("core_dumped", &core)?;
                m.serialize_entry("last_thread", last_thread)?;
            }
        }
        m.end()
    }
}

/// Append one lifecycle event's line.
pub fn append_life(out: &mut Vec<u8>, e: &LifeEvent<'_>, xlat: &Xlat) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &JsonLife(e, xlat)).map_err(io::Error::other)?;
    out.push(b'\n');
    Ok(())
}

pub fn append(out: &mut Vec<u8>, e: &Event<'_>) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &JsonEvent(e)).map_err(io::Error::other)?;
    out.push(b'\n');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn contract_keys_and_types() {
        let e = Event {
            syscall: Cow::Borrowed("openat"),
            nr: 257,
            pid: 10,
            tid: 11,
            ppid: Some(1),
            ctx: None,
            ctx_exit: None,
            comm: b"cat".to_vec(),
            ts: 123,
            duration_ns: Some(7),
            ret: Some(-2),
            errno: Some("ENOENT"),
            ret_hex: false,
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
            payload_truncated: false,
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
            ctx: None,
            ctx_exit: None,
            comm: b"x".to_vec(),
            ts: 1,
            duration_ns: None,
            ret: Some(1),
            errno: None,
            ret_hex: false,
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
            payload_truncated: false,
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
