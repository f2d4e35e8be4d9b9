//! strace comparison: runs the programs of known calls in tests/progs (battery, argdep, procctl,
//! ids, netlink) and `ls -la` under `strace -ff -v` and under
//! `etrace --json`
//! (both with ASLR off, the same environment and the same scratch directory), pairs the syscalls
//! of each thread, compares every argument strace shows by meaning (flag sets as sets, numbers
//! as numbers, strings as bytes, structs member by member) and the return values, and asserts
//! that at least 97% of the events carry identical information. With ETRACE_WRITE_COMPAT=1 it
//! also writes docs/strace-compat.md (`make compat`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const ETRACE: &str = env!("CARGO_BIN_EXE_etrace");

extern "C" {
    fn geteuid() -> u32;
}

/// strace's names for syscalls whose kernel definition is named differently.
fn kernel_name(strace: &str) -> &str {
    match strace {
        "fstat" => "newfstat",
        "stat" => "newstat",
        "lstat" => "newlstat",
        "uname" => "newuname",
        "sendfile" => "sendfile64",
        "umount2" => "umount",
        n => n,
    }
}

/// strace's member names where etrace uses others (sockaddrs) or strace's named arguments.
fn member_alias(name: &str) -> &str {
    match name {
        "sa_family" => "family",
        "sin_port" | "sin6_port" => "port",
        "sin_addr" | "sin6_addr" => "addr",
        "sin6_flowinfo" => "flowinfo",
        "sin6_scope_id" => "scope_id",
        "sun_path" => "path",
        "nl_pid" => "pid",
        "nl_groups" => "groups",
        // pselect6's last argument, the kernel's struct sigset_argpack
        "sigmask" => "p",
        "sigsetsize" => "size",
        n => n,
    }
}

/// strace's names of clone's arguments.
fn arg_alias(name: &str) -> &str {
    match name {
        "child_stack" => "newsp",
        "flags" => "clone_flags",
        "parent_tid" => "parent_tidptr",
        n => n,
    }
}

/// Values that differ between two runs of the same program (times, inode numbers, ephemeral
/// ports, random bytes, resource usage): checked for presence, not compared.
fn volatile(syscall: &str, member: &str) -> bool {
    matches!(
        member,
        "st_ino"
            | "st_atime"
            | "st_atime_nsec"
            | "st_mtime"
            | "st_mtime_nsec"
            | "st_ctime"
            | "st_ctime_nsec"
            | "d_ino"
            | "d_off"
            | "port"
    ) || matches!(syscall, "sysinfo" | "getrusage" | "getrandom")
        // the time left of an interrupted sleep
        || (syscall == "clock_nanosleep" && matches!(member, "tv_sec" | "tv_nsec"))
}

// ---- strace's syntax -------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum S {
    Num(i128),
    Str(Vec<u8>, bool),
    /// a symbolic form: flags, a name, a signal set, a wait status
    Sym(String),
    Arr(Vec<S>),
    Obj(Vec<(String, S)>),
    /// `/* N vars */`: an array of N elements shown as a count
    Count(usize),
}

struct P<'a> {
    s: &'a [u8],
    i: usize,
}

fn c_number(t: &str) -> Option<i128> {
    let (neg, d) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t),
    };
    let v = if let Some(h) = d.strip_prefix("0x") {
        i128::from_str_radix(h, 16).ok()?
    } else if d.len() > 1 && d.starts_with('0') && d.bytes().all(|b| b.is_ascii_digit()) {
        i128::from_str_radix(&d[1..], 8).ok()?
    } else if d.bytes().all(|b| b.is_ascii_digit()) && !d.is_empty() {
        d.parse().ok()?
    } else {
        return None;
    };
    Some(if neg { -v } else { v })
}

impl P<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn ws(&mut self) {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
    }
    fn eat(&mut self, t: &str) -> bool {
        if self.s[self.i..].starts_with(t.as_bytes()) {
            self.i += t.len();
            true
        } else {
            false
        }
    }
    fn comment(&mut self) -> Option<String> {
        self.ws();
        if !self.eat("/*") {
            return None;
        }
        let start = self.i;
        while self.i < self.s.len() && !self.s[self.i..].starts_with(b"*/") {
            self.i += 1;
        }
        let c = String::from_utf8_lossy(&self.s[start..self.i])
            .trim()
            .to_string();
        self.eat("*/");
        Some(c)
    }
    fn string(&mut self) -> S {
        self.i += 1; // "
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = self.peek().unwrap_or(b'\\');
                    self.i += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'v' => out.push(0x0b),
                        b'f' => out.push(0x0c),
                        b'x' => {
                            let h = std::str::from_utf8(&self.s[self.i..self.i + 2]).unwrap_or("0");
                            out.push(u8::from_str_radix(h, 16).unwrap_or(0));
                            self.i += 2;
                        }
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.i += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push(v as u8);
                        }
                        other => out.push(other),
                    }
                }
                c => out.push(c),
            }
        }
        let cut = self.eat("...");
        S::Str(out, cut)
    }
    /// Up to the next `,`, `]`, `}` or `)` at depth 0.
    fn word(&mut self) -> String {
        let start = self.i;
        let mut depth = 0;
        while let Some(c) = self.peek() {
            match c {
                b'(' => depth += 1,
                b')' if depth > 0 => depth -= 1,
                b',' | b']' | b'}' | b')' if depth == 0 => break,
                b'/' if depth == 0 && self.s.get(self.i + 1) == Some(&b'*') => break,
                b'"' => {
                    self.string();
                    continue;
                }
                _ => {}
            }
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i])
            .trim()
            .to_string()
    }
    fn value(&mut self) -> S {
        self.ws();
        let v = match self.peek() {
            Some(b'"') => self.string(),
            Some(b'[') => self.list(),
            Some(b'~') if self.s.get(self.i + 1) == Some(&b'[') => {
                self.i += 1;
                match self.list() {
                    S::Sym(t) => S::Sym(format!("~{t}")),
                    // `~[]`: every signal
                    S::Arr(a) if a.is_empty() => S::Sym("~[]".into()),
                    other => other,
                }
            }
            Some(b'{') => self.object(),
            _ => {
                let w = self.word();
                word_value(&w)
            }
        };
        // `0x7ffd... /* 20 vars */`, `123 /* 2026-11-22 */`
        if let Some(c) = self.comment() {
            if let Some(n) = c.strip_suffix(" vars").or(c.strip_suffix(" var")) {
                if let Ok(n) = n.parse() {
                    return S::Count(n);
                }
            }
        }
        // clone3's `{...} => {...}`: the value before the call
        self.ws();
        if self.eat("=>") {
            self.value();
        }
        v
    }
    fn list(&mut self) -> S {
        self.i += 1; // [
        let start = self.i;
        // a signal set: names separated by spaces, no commas
        let mut j = self.i;
        while j < self.s.len() && self.s[j] != b']' {
            j += 1;
        }
        let inner = &self.s[start..j];
        if !inner.iter().any(|c| matches!(c, b',' | b'"' | b'{' | b'['))
            && inner.iter().any(|c| c.is_ascii_alphabetic())
            && !inner.starts_with(b"0x")
        {
            self.i = j + 1;
            return S::Sym(format!("[{}]", String::from_utf8_lossy(inner)));
        }
        let mut items = Vec::new();
        loop {
            self.ws();
            if self.eat("]") {
                break;
            }
            if self.eat("...") {
                continue;
            }
            // `[[VINTR]=0x3, [17]=0]`: a designated element, its designator left out
            if self.peek() == Some(b'[') {
                if let Some(k) = self.s[self.i..].iter().position(|&c| c == b']') {
                    if self.s.get(self.i + k + 1) == Some(&b'=') {
                        self.i += k + 2;
                    }
                }
            }
            items.push(self.value());
            self.ws();
            self.eat(",");
            if self.i >= self.s.len() {
                break;
            }
        }
        S::Arr(items)
    }
    fn object(&mut self) -> S {
        self.i += 1; // {
        let mut members = Vec::new();
        loop {
            self.ws();
            if self.eat("}") {
                break;
            }
            if self.eat("...") {
                continue;
            }
            let start = self.i;
            while let Some(c) = self.peek() {
                if matches!(c, b'=' | b',' | b'}' | b'(' | b' ') {
                    break;
                }
                self.i += 1;
            }
            let name = String::from_utf8_lossy(&self.s[start..self.i]).to_string();
            if self.eat("=") {
                let v = self.value();
                members.push((name, v));
            } else {
                // not `name=value`: a text such as a wait status
                self.i = start;
                let mut depth = 1;
                while let Some(c) = self.peek() {
                    match c {
                        b'{' => depth += 1,
                        b'}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    self.i += 1;
                }
                let t = String::from_utf8_lossy(&self.s[start..self.i]).to_string();
                self.i += 1;
                return S::Sym(format!("{{{t}}}"));
            }
            self.ws();
            self.eat(",");
            if self.i >= self.s.len() {
                break;
            }
        }
        S::Obj(members)
    }
}

fn word_value(w: &str) -> S {
    if w == "NULL" {
        return S::Num(0);
    }
    if let Some(n) = c_number(w) {
        return S::Num(n);
    }
    // 8192*1024
    if let Some((a, b)) = w.split_once('*') {
        if let (Some(a), Some(b)) = (c_number(a), c_number(b)) {
            return S::Num(a * b);
        }
    }
    let call = |f: &str| w.strip_prefix(f).and_then(|r| r.strip_suffix(')'));
    if let Some(inner) = call("htons(").or(call("htonl(")) {
        return c_number(inner).map_or(S::Sym(w.into()), S::Num);
    }
    if let Some(inner) = call("inet_addr(") {
        return S::Str(inner.trim_matches('"').as_bytes().to_vec(), false);
    }
    if let Some(inner) = call("inet_pton(") {
        let addr = inner
            .split(',')
            .nth(1)
            .unwrap_or("")
            .trim()
            .trim_matches('"');
        return S::Str(addr.as_bytes().to_vec(), false);
    }
    if let Some(inner) = call("makedev(") {
        let mut it = inner.split(',').map(|x| c_number(x.trim()).unwrap_or(0));
        let (ma, mi) = (it.next().unwrap_or(0), it.next().unwrap_or(0));
        let dev = ((ma & 0xfff) << 8) | (mi & 0xff) | ((mi & !0xff) << 12) | ((ma & !0xfff) << 32);
        return S::Num(dev);
    }
    S::Sym(w.to_string())
}

/// One strace line: (name, top-level arguments with their `name=` if any, return token).
type Line = (String, Vec<(Option<String>, S)>, String);

fn parse_line(l: &str) -> Option<Line> {
    let open = l.find('(')?;
    let name = &l[..open];
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return None;
    }
    // `close(3)                                = 0`: strace pads short lines to column 40
    let eq = l.rfind(" = ")?;
    let ret = l[eq + 3..].trim().to_string();
    let call = l[..eq].trim_end().strip_suffix(')')?;
    let inner = call.get(open + 1..)?;
    let mut p = P {
        s: inner.as_bytes(),
        i: 0,
    };
    let mut args = Vec::new();
    while p.i < p.s.len() {
        p.ws();
        // clone's `name=value` arguments
        let save = p.i;
        let mut label = None;
        let mut j = p.i;
        while j < p.s.len() && (p.s[j].is_ascii_alphanumeric() || p.s[j] == b'_') {
            j += 1;
        }
        if j > p.i && p.s.get(j) == Some(&b'=') && p.s.get(j + 1) != Some(&b'>') {
            label = Some(String::from_utf8_lossy(&p.s[p.i..j]).to_string());
            p.i = j + 1;
        } else {
            p.i = save;
        }
        let v = p.value();
        args.push((label, v));
        p.ws();
        if !p.eat(",") {
            break;
        }
    }
    Some((name.to_string(), args, ret))
}

// ---- comparison ------------------------------------------------------------------------

fn json_bytes(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Object(o) => {
            let h = o.get("hex")?.as_str()?;
            (0..h.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&h[i..i + 2], 16).ok())
                .collect()
        }
        _ => None,
    }
}

fn flag_set(t: &str) -> Vec<String> {
    let mut v: Vec<String> = t.split('|').map(|x| x.trim().to_string()).collect();
    v.sort();
    v
}

struct Cmp<'a> {
    syscall: &'a str,
    /// the traced processes' pids on this side, by order name
    pids: &'a BTreeMap<i128, String>,
    /// ... and on strace's side (a pid inside a struct: a netlink message's nlmsg_pid)
    theirs: &'a BTreeMap<i128, String>,
}

impl Cmp<'_> {
    fn num(&self, n: i128) -> String {
        self.pids.get(&n).cloned().unwrap_or_else(|| n.to_string())
    }

    /// Does etrace's `v` (with its symbolic mirror `sym`) say what strace's `s` says?
    fn same(&self, s: &S, v: &Value, sym: Option<&Value>, member: &str) -> Result<(), String> {
        if !member.is_empty() && volatile(self.syscall, member) {
            return Ok(());
        }
        // each side cut to a readable length: the table shows the reason, not the message
        let cut = |t: String| match t.char_indices().nth(120) {
            Some((i, _)) => format!("{}...", &t[..i]),
            None => t,
        };
        let what = |why: &str| {
            Err(format!(
                "{member}: strace {}, etrace {} ({why})",
                cut(format!("{s:?}")),
                cut(v.to_string())
            ))
        };
        match s {
            S::Num(n) => {
                let ours = v.as_i64().map(i128::from).or(v.as_u64().map(i128::from));
                let theirs = self.theirs.get(n).cloned().unwrap_or_else(|| n.to_string());
                match ours {
                    Some(o) if self.num(o) == theirs => Ok(()),
                    // strace prints `int` and `unsigned` alike; etrace the declared type
                    Some(o)
                        if (o as u32) == (*n as u32) && o.unsigned_abs() <= u32::MAX as u128 =>
                    {
                        Ok(())
                    }
                    _ => what("value"),
                }
            }
            S::Str(b, cut) => match json_bytes(v) {
                Some(ours) if (*cut && ours.starts_with(b)) || ours == *b => Ok(()),
                _ => what("bytes"),
            },
            S::Sym(t) if t == "[]" && v.as_array().is_some_and(|a| a.is_empty()) => Ok(()),
            S::Sym(t) => match sym.and_then(Value::as_str) {
                Some(ours) if ours == t || flag_set(ours) == flag_set(t) => Ok(()),
                // an int read behind a pointer: strace brackets it, `[ECONNREFUSED]`
                Some(ours) if *t == format!("[{ours}]") => Ok(()),
                // strace names a request two ways where two drivers share its number
                // (`SNDCTL_TMR_STOP or TCSETSW`); etrace names the one the kernel's tty layer
                // means
                Some(ours) if t.split(" or ").any(|alt| alt == ours) => Ok(()),
                Some(_) => what("names"),
                None => what("not decoded symbolically"),
            },
            S::Count(n) => match v.as_array() {
                Some(a) if a.len() == *n => Ok(()),
                _ => what("count"),
            },
            S::Arr(items) if items.is_empty() && sym.and_then(Value::as_str) == Some("[]") => {
                Ok(())
            }
            // an fd set or CPU mask: etrace lists its members in the symbolic form, `[3 4]`
            S::Arr(items)
                if v.as_array().is_none()
                    && sym
                        .and_then(Value::as_str)
                        .is_some_and(|t| t.starts_with('[')) =>
            {
                let t = sym.and_then(Value::as_str).unwrap_or_default();
                let ours: Vec<&str> = t
                    .trim_matches(|c| c == '[' || c == ']')
                    .split_whitespace()
                    .collect();
                let theirs: Vec<String> = items
                    .iter()
                    .map(|i| match i {
                        S::Num(n) => n.to_string(),
                        S::Sym(n) => n.clone(),
                        other => format!("{other:?}"),
                    })
                    .collect();
                match ours == theirs {
                    true => Ok(()),
                    false => what("members"),
                }
            }
            S::Arr(items) => {
                let Some(ours) = v.as_array() else {
                    // strace brackets what an int pointer points to: [16]
                    if let [one] = &items[..] {
                        return self.same(one, v, sym, member);
                    }
                    return what("not an array");
                };
                if ours.len() != items.len() {
                    return what("length");
                }
                for (k, (si, vi)) in items.iter().zip(ours).enumerate() {
                    let symi = sym.and_then(|m| m.get(k)).filter(|x| !x.is_null());
                    self.same(si, vi, symi, member)?;
                }
                Ok(())
            }
            S::Obj(members) => {
                let Some(ours) = v.as_object() else {
                    // epoll's `data={u32=3, u64=3}` is one 64-bit member in the kernel's struct
                    if members
                        .iter()
                        .any(|(_, m)| self.same(m, v, sym, "").is_ok())
                    {
                        return Ok(());
                    }
                    return what("not a struct");
                };
                for (name, sv) in members {
                    let key = member_alias(name);
                    let Some(vv) = ours.get(key) else {
                        return Err(format!("{member}.{name}: not decoded by etrace"));
                    };
                    self.same(sv, vv, sym.and_then(|m| m.get(key)), key)?;
                }
                Ok(())
            }
        }
    }
}

fn ret_of(tok: &str, errno: &BTreeMap<String, i128>) -> Option<i128> {
    let mut it = tok.split_whitespace();
    let first = it.next()?;
    if first == "?" {
        // a restart code, which the program never sees: `? ERESTARTSYS (...)`
        return it.next().and_then(|e| errno.get(e)).map(|n| -n);
    }
    if first == "-1" {
        if let Some(e) = it.next().filter(|e| e.starts_with('E')) {
            return errno.get(e).map(|n| -n);
        }
    }
    c_number(first)
}

#[derive(Default)]
pub struct Tally {
    events: usize,
    same: usize,
    reasons: BTreeMap<String, usize>,
}

/// tests/progs/NAME.c, compared one after the other: the families etrace decodes (battery),
/// arguments decoded by another's value (argdep, procctl), ids and masks (ids), a
/// NETLINK_ROUTE exchange (netlink).
const PROGRAMS: &[&str] = &["battery", "argdep", "procctl", "ids", "netlink"];

#[test]
fn battery_matches_strace() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(unsafe { geteuid() }, 0, "root needed (CI runs as root)");
    assert!(
        Command::new("strace").arg("-V").output().is_ok(),
        "strace is not installed (make test installs it)"
    );
    let tmp = tempfile::tempdir().unwrap();
    let scratch = tmp.path().join("scratch");
    let fresh = || {
        let _ = std::fs::remove_dir_all(&scratch);
        std::fs::create_dir(&scratch).unwrap();
    };
    let mut table: BTreeMap<String, Tally> = BTreeMap::new();
    let mut add = |t: BTreeMap<String, Tally>| {
        for (name, t) in t {
            let m = table.entry(name).or_default();
            m.events += t.events;
            m.same += t.same;
            for (r, n) in t.reasons {
                *m.reasons.entry(r).or_default() += n;
            }
        }
    };
    // the programs of known calls, each given the scratch directory (ids: a file in it)
    for name in PROGRAMS {
        let bin = tmp.path().join(name);
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/progs/{name}.c"));
        let st = Command::new("cc")
            .args(["-O1", "-pthread", "-w", "-o"])
            .arg(&bin)
            .arg(&src)
            .status()
            .unwrap();
        assert!(st.success());
        let arg = match *name {
            "ids" => scratch.join("f"),
            _ => scratch.clone(),
        };
        let prog = [
            "setarch",
            "x86_64",
            "-R",
            bin.to_str().unwrap(),
            arg.to_str().unwrap(),
        ];
        add(compare_runs(
            tmp.path(),
            &prog,
            bin.to_str().unwrap(),
            &fresh,
        ));
    }
    // and a real program: ls on a directory tree that does not change
    let ls = [
        "setarch",
        "x86_64",
        "-R",
        "/usr/bin/ls",
        "-la",
        "/usr/share/doc/bash",
        "/etc/ssh",
    ];
    add(compare_runs(tmp.path(), &ls, "/usr/bin/ls", &|| {}));
    let events: usize = table.values().map(|t| t.events).sum();
    let same: usize = table.values().map(|t| t.same).sum();
    let pct = 100.0 * same as f64 / events.max(1) as f64;
    let report = render(&table, events, same, pct);
    eprintln!("{report}");
    if std::env::var_os("ETRACE_WRITE_COMPAT").is_some() {
        let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/strace-compat.md");
        std::fs::create_dir_all(out.parent().unwrap()).unwrap();
        std::fs::write(out, report).unwrap();
    }
    assert!(events > 80, "only {events} events compared");
    assert!(
        pct >= 97.0,
        "{same} of {events} events identical ({pct:.1}%)"
    );
}

/// Trace `prog` under strace and under etrace and compare the syscalls made from the execve of
/// `exe` on, per thread. `fresh` resets what the program works on before each run.
fn compare_runs(tmp: &Path, prog: &[&str], exe: &str, fresh: &dyn Fn()) -> BTreeMap<String, Tally> {
    for e in std::fs::read_dir(tmp).unwrap() {
        let p = e.unwrap().path();
        if p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("strace."))
        {
            std::fs::remove_file(p).unwrap();
        }
    }
    fresh();
    let sprefix = tmp.join("strace");
    let o = Command::new("env")
        .args([
            "-i",
            "PATH=/usr/bin:/bin",
            "strace",
            "-ff",
            "-qq",
            "-v",
            "-s",
            "4096",
            "-o",
        ])
        .arg(&sprefix)
        .arg("--")
        .args(prog)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    fresh();
    let ejson = tmp.join("e.json");
    let _ = std::fs::remove_file(&ejson);
    let o = Command::new("env")
        .args([
            "-i",
            "PATH=/usr/bin:/bin",
            ETRACE,
            "--json",
            "--bytes",
            "4096",
            "-l",
            "warn",
        ])
        .args(["--stats=false", "-o", ejson.to_str().unwrap(), "--"])
        .args(prog)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // strace: one file per thread, strace.<tid>
    let mut strace_tids: Vec<(i128, PathBuf)> = std::fs::read_dir(tmp)
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            let tid = p
                .file_name()?
                .to_str()?
                .strip_prefix("strace.")?
                .parse()
                .ok()?;
            Some((tid, p))
        })
        .collect();
    strace_tids.sort();
    let mut ours: BTreeMap<i128, Vec<Value>> = BTreeMap::new();
    for l in std::fs::read_to_string(&ejson).unwrap().lines() {
        let v: Value = serde_json::from_str(l).unwrap();
        if v.get("syscall").is_none() {
            continue; // fork / exec / exit events: strace prints no line for them
        }
        ours.entry(v["tid"].as_i64().unwrap().into())
            .or_default()
            .push(v);
    }
    assert_eq!(
        strace_tids.len(),
        ours.len(),
        "threads: strace {} etrace {}",
        strace_tids.len(),
        ours.len()
    );
    // the same process/thread, in creation order, gets the same name on both sides
    let mut spids = BTreeMap::new();
    let mut epids = BTreeMap::new();
    for (k, ((st, _), et)) in strace_tids.iter().zip(ours.keys()).enumerate() {
        spids.insert(*st, format!("<P{k}>"));
        epids.insert(*et, format!("<P{k}>"));
    }
    let errno: BTreeMap<String, i128> =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("formats/errno.tbl"))
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| {
                let mut w = l.split_whitespace();
                let n = w.next()?.parse().ok()?;
                Some((w.next()?.to_string(), n))
            })
            .collect();

    let mut table: BTreeMap<String, Tally> = BTreeMap::new();
    for ((_, file), (_, evs)) in strace_tids.iter().zip(&ours) {
        let mut lines: Vec<Line> = std::fs::read_to_string(file)
            .unwrap()
            .lines()
            .filter_map(|l| {
                let l = l.replace(" <unfinished ...>", ") = ?");
                parse_line(&l)
            })
            .collect();
        // the battery's own syscalls: from its execve on (setarch's start-up runs with ASLR)
        let mut evs: &[Value] = evs;
        if let Some(k) = evs
            .iter()
            .position(|e| e["syscall"] == "execve" && e["args"]["filename"] == exe)
        {
            evs = &evs[k..];
        }
        if let Some(k) = lines.iter().position(|l| {
            l.0 == "execve" && matches!(&l.1[0].1, S::Str(b, _) if b == exe.as_bytes())
        }) {
            lines.drain(..k);
        }
        // pair by syscall name (longest common subsequence)
        let a: Vec<&str> = lines.iter().map(|l| kernel_name(&l.0)).collect();
        let b: Vec<&str> = evs.iter().map(|e| e["syscall"].as_str().unwrap()).collect();
        let mut dp = vec![vec![0u32; b.len() + 1]; a.len() + 1];
        for i in (0..a.len()).rev() {
            for j in (0..b.len()).rev() {
                dp[i][j] = if a[i] == b[j] {
                    dp[i + 1][j + 1] + 1
                } else {
                    dp[i + 1][j].max(dp[i][j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < a.len() {
            let t = table.entry(a[i].to_string()).or_default();
            if j < b.len() && a[i] == b[j] {
                t.events += 1;
                let verdict = compare(&lines[i], &evs[j], &spids, &epids, &errno);
                match verdict {
                    Ok(()) => t.same += 1,
                    Err(why) => {
                        if std::env::var_os("ETRACE_COMPAT_DEBUG").is_some() {
                            eprintln!("DIFF {}: {why}\n  {:?}\n  {}", a[i], lines[i], evs[j]);
                        }
                        *t.reasons.entry(why).or_default() += 1
                    }
                }
                i += 1;
                j += 1;
            } else if j < b.len() && dp[i][j + 1] >= dp[i + 1][j] {
                j += 1; // an etrace event strace does not show
            } else {
                t.events += 1;
                if std::env::var_os("ETRACE_COMPAT_DEBUG").is_some() {
                    eprintln!("MISSING {:?}", lines[i]);
                }
                *t.reasons.entry("not traced by etrace".into()).or_default() += 1;
                i += 1;
            }
        }
    }
    table
}

fn compare(
    line: &Line,
    ev: &Value,
    spids: &BTreeMap<i128, String>,
    epids: &BTreeMap<i128, String>,
    errno: &BTreeMap<String, i128>,
) -> Result<(), String> {
    let (name, args, ret) = line;
    let sys = ev["syscall"].as_str().unwrap();
    // return value (getppid: the tracer's own pid differs)
    let sret = ret_of(ret, errno);
    let eret = ev["ret"].as_i64().map(i128::from);
    let sret = sret.map(|r| spids.get(&r).cloned().unwrap_or(r.to_string()));
    let eret = eret.map(|r| epids.get(&r).cloned().unwrap_or(r.to_string()));
    if sret != eret && name != "getppid" {
        return Err(format!("return value: strace {ret}, etrace {}", ev["ret"]));
    }
    let eargs = ev["args"].as_object().unwrap();
    let names: Vec<&String> = eargs.keys().collect();
    let sym = ev.get("sym");
    // strace's pid values and etrace's map to the same names
    let cmp_s = Cmp {
        syscall: sys,
        pids: spids,
        theirs: spids,
    };
    let cmp_e = Cmp {
        syscall: sys,
        pids: epids,
        theirs: spids,
    };
    // the tracefs parameter order (serde_json's preserve_order keeps it)
    let ordered: Vec<&str> = names.iter().map(|k| k.as_str()).collect();
    if args.len() > ordered.len() {
        return Err(format!(
            "strace shows {} arguments, the kernel's tracefs declares {}",
            args.len(),
            ordered.len()
        ));
    }
    for (k, (label, s)) in args.iter().enumerate() {
        let key = match label {
            Some(l) => arg_alias(l).to_string(),
            // strace leaves out futex's uaddr2 for the bitset operations
            None if sys == "futex" && args.len() == 5 && k == 4 => "val3".to_string(),
            None => ordered[k].to_string(),
        };
        let Some(v) = eargs.get(&key) else {
            return Err(format!("argument {key}: not decoded by etrace"));
        };
        let s = pid_mapped(s, &cmp_s);
        let v = match v.as_i64() {
            Some(n) => epids
                .get(&i128::from(n))
                .map_or(v.clone(), |p| Value::String(p.clone())),
            None => v.clone(),
        };
        let argsym = sym.and_then(|m| m.get(&key));
        match (&s, &v) {
            (S::Sym(p), Value::String(q)) if p.starts_with("<P") => {
                if p != q {
                    return Err(format!("argument {key}: pid {p} vs {q}"));
                }
            }
            _ => cmp_e
                .same(&s, &v, argsym, &key)
                .map_err(|e| format!("argument {e}"))?,
        }
    }
    Ok(())
}

/// A number that is a traced process's pid, as its order name.
fn pid_mapped(s: &S, c: &Cmp<'_>) -> S {
    match s {
        S::Num(n) if c.pids.contains_key(n) => S::Sym(c.pids[n].clone()),
        other => other.clone(),
    }
}

fn render(table: &BTreeMap<String, Tally>, events: usize, same: usize, pct: f64) -> String {
    let mut out = String::new();
    out.push_str("# etrace vs strace: decoding compatibility\n\n");
    out.push_str(
        "Generated by `make compat` (tests/strace_compat.rs): `tests/progs/battery.c` (files, \
         directories, stat, memory, signals, processes and threads, TCP on 127.0.0.1, AF_UNIX \
         with SCM_RIGHTS, pipes, poll/epoll, eventfd, timerfd), `argdep.c` (fcntl locks, \
         terminal ioctls on a pty, socket options with a refused connection's SO_ERROR, \
         select/pselect6 timeouts, utimensat, an interrupted sleep), `procctl.c` (futex \
         commands, prctl options, CPU affinity, socket protocols by family, fadvise, a signal \
         stack, sched_setattr, NUMA memory policies, siginfo_t from rt_sigtimedwait and \
         waitid), `ids.c` \
         (umask, fchown -1, arguments a call does not use), `netlink.c` (a NETLINK_ROUTE \
         error and address dump) and `ls -la /usr/share/doc/bash /etc/ssh` run under \
         `strace -ff -v -s 4096` and under `etrace --json --bytes 4096`, both with ASLR off \
         (`setarch -R`), the same environment and the same scratch directory. The syscalls of \
         each thread are paired in order, and every argument strace shows is compared by \
         meaning with etrace's: numbers as numbers, flags as sets of names, strings and buffers \
         as bytes, structs member by member, arrays element by element. Values that differ \
         between two runs (times, inode numbers, ephemeral ports, random bytes, resource usage) \
         are checked for presence only.\n\n",
    );
    out.push_str(&format!(
        "**{same} of {events} events carry identical information ({pct:.1}%).**\n\n"
    ));
    out.push_str(
        "| syscall | events | identical | differs: how (count) |\n| --- | ---: | ---: | --- |\n",
    );
    for (name, t) in table {
        let how: Vec<String> = t
            .reasons
            .iter()
            .map(|(r, n)| format!("{} ({n})", r.replace('|', "\\|")))
            .collect();
        out.push_str(&format!(
            "| {name} | {} | {} | {} |\n",
            t.events,
            t.same,
            if how.is_empty() {
                "—".to_string()
            } else {
                how.join("; ")
            }
        ));
    }
    out.push_str(KNOWN);
    out
}

/// Why the differences above exist, and the differences of style the comparison ignores.
const KNOWN: &str = "
## Why etrace differs where it does

- **rt_sigreturn** (argdep's SIGALRM, battery's SIGCHLD handler): strace reads the signal
  frame on the user stack and shows the mask it restores (`{mask=[]}`); the kernel's tracefs
  declares no parameters, and etrace reads nothing the call's arguments do not point to.
- **recvmsg of a netlink dump** (netlink's RTM_NEWADDR messages): etrace decodes each
  message's header, its fixed header (`ifaddrmsg`) and its attributes' headers (`nla_len`,
  `nla_type` by name), but an attribute's value stays bytes; strace decodes the values by
  attribute type (`inet_addr(\"127.0.0.1\")`, `\"lo\"`, `IFA_F_PERMANENT`,
  `{ifa_prefered=...}`) and shows an interface index as `if_nametoindex(\"lo\")`.

## Differences the comparison above does not see (text only, or outside the battery)

- **pselect6's last argument** is the kernel's `struct sigset_argpack` (`{p=NULL, size=8}`,
  members named as the kernel names them); strace names them `sigmask`, `sigsetsize` and
  follows `sigmask` to the set. Kernels without that type in BTF (before 5.17) show the pointer.
- **poll and ppoll** show each pollfd read at exit, `revents` included, as the argument; strace
  shows `events` in the argument and the `revents` after the result
  (`= 1 ([{fd=3, revents=POLLIN}])`). JSON has both.
- **ioctl's request** is named as the kernel's tty layer means it (`TCSETSW`); strace names the
  two requests that share the number (`SNDCTL_TMR_STOP or TCSETSW`). termios' `c_cc` is a
  list of numbers; strace names each slot (`[VINTR]=0x3`).
- **prctl(PR_GET_DUMPABLE)** shows `= 1`; strace adds the name, `= 1 (SUID_DUMP_USER)`.
- **clone3** shows every member of struct clone_args (`pidfd`, `set_tid`, `cgroup` when zero
  or unused); strace shows the ones the flags use.
- **bpf(2)** reads `union bpf_attr` as the command's own member (BPF_PROG_LOAD's struct for
  BPF_PROG_LOAD), but its members stay numbers (`prog_type: 1`; strace names them), an inner
  union shows every alternative (`start_id`, `prog_id`, `map_id`...), and the member is read
  whole even when the call's `size` is smaller. The ioctls of devices other than terminals,
  sockets and files show by their `_IOC` fields, their argument read at the size the request
  encodes, where strace may know the device's structs.
- **NUMA node masks** (`set_mempolicy`, `mbind`, `get_mempolicy`) show their first word in hex
  (`[0x1]`); strace shows every word the node count covers, zero-padded
  (`[0x00000000000001]`).
- **Results strace annotates**: `rt_sigtimedwait` `= 10` (strace: `= 10 (SIGUSR1)`), and
  `sched_getscheduler`'s policy, are shown as numbers.
- **Signals a process ignores** (SIGCHLD with the default action): strace shows
  `--- SIGCHLD ... ---` because its ptrace makes the kernel queue the signal; untraced, the
  kernel drops it when it is sent, and etrace, which does not ptrace, sees no delivery.

## Differences of style (not counted as differences)

- etrace names every argument (`dfd: AT_FDCWD`); `--style strace` writes strace's positional
  form. Both leave out what a call does not use, as strace does (openat's `mode` without
  `O_CREAT`, fcntl's `arg` for F_GET*, futex's and prctl's arguments by command and option);
  JSON keeps every argument.
- Flags are the same names; their order can differ (`SIGCHLD|CLONE_CHILD_SETTID` vs
  `CLONE_CHILD_SETTID|SIGCHLD`).
- Socket addresses are `{family: AF_INET, addr: \"127.0.0.1\", port: 8080}` where strace
  writes `{sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr(\"127.0.0.1\")}`.
- Numbers strace writes in hex or as products (`8192*1024`, `makedev(0xfe, 0)`) are decimal
  in etrace; addresses are hex in both.
- A failed call shows the kernel's return value (`-2 ENOENT`); strace shows libc's (`-1
  ENOENT`), as `--style strace` does.
- etrace's `execve` shows the comm before the exec; `epoll_event.data` is one 64-bit member
  (the kernel's definition), strace splits it into `{u32=..., u64=...}`.
";

#[test]
fn strace_syntax_parses() {
    let (n, a, r) = parse_line(
        r#"openat(AT_FDCWD, "/x\n\1", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)"#,
    )
    .unwrap();
    assert_eq!(n, "openat");
    assert_eq!(r, "-1 ENOENT (No such file or directory)");
    assert_eq!(a[0].1, S::Sym("AT_FDCWD".into()));
    assert_eq!(a[1].1, S::Str(b"/x\n\x01".to_vec(), false));
    let (_, a, _) = parse_line(
        r#"bind(3, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("127.0.0.1")}, 16) = 0"#,
    )
    .unwrap();
    assert_eq!(
        a[1].1,
        S::Obj(vec![
            ("sa_family".into(), S::Sym("AF_INET".into())),
            ("sin_port".into(), S::Num(80)),
            ("sin_addr".into(), S::Str(b"127.0.0.1".to_vec(), false)),
        ])
    );
    let (_, a, _) = parse_line(r#"rt_sigprocmask(SIG_BLOCK, ~[RTMIN RT_1], [], 8) = 0"#).unwrap();
    assert_eq!(a[1].1, S::Sym("~[RTMIN RT_1]".into()));
    assert_eq!(a[2].1, S::Arr(vec![]));
    let (_, a, _) =
        parse_line(r#"execve("/bin/true", ["true"], 0x7ffc /* 3 vars */) = 0"#).unwrap();
    assert_eq!(a[2].1, S::Count(3));
    let (_, a, _) = parse_line(
        "clone(child_stack=NULL, flags=CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x10) = 5",
    )
    .unwrap();
    assert_eq!(a[1].0.as_deref(), Some("flags"));
    let (_, a, _) = parse_line(
        "prlimit64(0, RLIMIT_STACK, NULL, {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}) = 0",
    )
    .unwrap();
    assert_eq!(
        a[3].1,
        S::Obj(vec![
            ("rlim_cur".into(), S::Num(8192 * 1024)),
            ("rlim_max".into(), S::Sym("RLIM64_INFINITY".into()))
        ])
    );
    let (_, a, _) =
        parse_line("wait4(5, [{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, NULL) = 5").unwrap();
    assert_eq!(
        a[1].1,
        S::Arr(vec![S::Sym("{WIFEXITED(s) && WEXITSTATUS(s) == 3}".into())])
    );
}
