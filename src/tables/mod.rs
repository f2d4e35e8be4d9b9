//! tables: the data files under formats/ (syscall numbers, errno names, capture rules), embedded
//! in the binary and parsed once.

pub mod abbrev;
pub mod fds;
pub mod netlink;
pub mod siginfo;
pub mod xlat;

use std::collections::{BTreeMap, HashMap};

use thiserror::Error;

/// The x86_64 syscall table: `<number> <name>`.
pub const SYSCALLS_X86_64: &str = include_str!("../../formats/syscalls-x86_64.tbl");
/// The aarch64 syscall table (generated from the kernel's generic unistd.h).
pub const SYSCALLS_AARCH64: &str = include_str!("../../formats/syscalls-aarch64.tbl");
/// The architectures etrace has tables for, as `uname -m` names them.
pub const ARCHES: &[&str] = &["x86_64", "aarch64"];
/// errno values: `<number> <NAME> <description>`.
pub const ERRNO: &str = include_str!("../../formats/errno.tbl");
/// Capture rules: see the head of the file for its syntax.
pub const CAPTURE_RULES: &str = include_str!("../../formats/capture.rules");
/// Syscall classes for -s (`%file`, `%net` ...).
pub const SYSCALL_CLASSES: &str = include_str!("../../formats/syscall-classes");

#[derive(Debug, Error)]
#[error("formats/{file}:{line}: {msg}")]
pub struct FormatError {
    pub file: &'static str,
    pub line: usize,
    pub msg: String,
}

/// Where a captured length comes from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SizeSrc {
    /// The syscall's return value.
    Ret,
    /// Another parameter, by its tracefs name.
    Param(String),
    /// A constant.
    Fixed(u32),
    /// What another parameter points to (a value-result length, `*optlen`), when read.
    ParamPtr(String),
    /// The size an ioctl request encodes (`_IOC_SIZE(cmd)`), moved the way it says.
    Ioc(String),
}

/// When an argument is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Dir {
    In,
    Out,
    /// Read at entry and at exit; shown as read at exit.
    InOut,
    /// Read at entry and at exit; shown as passed, and what the call wrote back shown beside
    /// the result (a timeout's time left, select's ready sets): Event::after.
    Updated,
    /// Read at exit only when the call failed (clock_nanosleep's time left, written only
    /// when a signal interrupted it).
    OnError,
}

impl Dir {
    pub fn at_entry(self) -> bool {
        matches!(self, Dir::In | Dir::InOut | Dir::Updated)
    }
    /// Read at exit when the call succeeded.
    pub fn at_exit(self) -> bool {
        matches!(self, Dir::Out | Dir::InOut | Dir::Updated)
    }
}

/// A buffer whose contents say how to decode them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Shape {
    /// A socket address, decoded by its family (up to 128 bytes).
    Sockaddr,
    /// getdents64 records (struct linux_dirent64).
    Dirents,
    /// A siginfo_t (rt_sigtimedwait, waitid): its members by si_code (formats/siginfo.tbl).
    Siginfo,
}

impl Shape {
    /// Most bytes captured, whatever --bytes says.
    pub fn max_len(self) -> u32 {
        match self {
            Shape::Sockaddr => 128,
            Shape::Dirents => 8192,
            Shape::Siginfo => 128,
        }
    }
}

/// What a rule says to read behind a parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleKind {
    String,
    Bytes(SizeSrc),
    Struct,
    Array(SizeSrc),
    StrArray,
    /// A buffer of S bytes decoded by its shape; the parameter named second (a value-result
    /// length, captured as an integer) says how many of them are meaningful.
    Shaped(Shape, SizeSrc, Option<String>),
    /// An iovec array of S entries, with the buffers behind it.
    Iovec(SizeSrc),
    /// A struct user_msghdr with its name, iovecs and control data.
    Msghdr,
    /// The pointee read as the named C type, whatever the parameter is declared as
    /// (`struct(flock)`: fcntl's `unsigned long arg`).
    Typed(String),
    /// The pointee read as one member of a union: the member of that name, or the anonymous
    /// struct that has a member of that name (`union(bpf_attr/prog_type)`: BPF_PROG_LOAD's).
    UnionMember(String, String),
    None,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgRule {
    pub kind: RuleKind,
    pub dir: Dir,
}

/// Whole-syscall attributes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyscallAttrs {
    pub noreturn: bool,
    pub ret_hex: bool,
    /// the call can change its caller's process context: compared again at its exit
    pub ctx: bool,
    /// its first argument is a socket whose data is read by its family (netlink)
    pub sock: bool,
}

/// A rule that applies only when other parameters have given values (`... when cmd =
/// F_SETLK`): the kernel chooses it at entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantRule {
    pub syscall: String,
    pub param: String,
    pub rule: ArgRule,
    /// (parameter, value): a name of the parameter's symbolic table, or a number; at most two
    pub when: Vec<(String, String)>,
    /// the line in capture.rules, for errors
    pub line: usize,
}

/// The parsed capture rules.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// (syscall, parameter) -> rule
    pub args: HashMap<(String, String), ArgRule>,
    pub syscalls: HashMap<String, SyscallAttrs>,
    /// the conditional rules, in file order
    pub variants: Vec<VariantRule>,
}

impl Rules {
    pub fn arg(&self, syscall: &str, param: &str) -> Option<&ArgRule> {
        self.args.get(&(syscall.to_string(), param.to_string()))
    }
    pub fn attrs(&self, syscall: &str) -> SyscallAttrs {
        self.syscalls.get(syscall).cloned().unwrap_or_default()
    }
}

/// Lines that carry data: comments and blank lines removed, with their 1-based numbers.
pub(crate) fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter_map(|(i, l)| {
        let l = l.split('#').next().unwrap_or("").trim();
        (!l.is_empty()).then_some((i + 1, l))
    })
}

/// Parse a syscall table: number -> name.
pub fn parse_syscall_table(text: &str) -> Result<BTreeMap<u32, String>, FormatError> {
    let file = "syscalls-<arch>.tbl";
    let mut out = BTreeMap::new();
    for (line, l) in data_lines(text) {
        let err = |msg: String| FormatError { file, line, msg };
        let mut it = l.split_whitespace();
        let (Some(nr), Some(name), None) = (it.next(), it.next(), it.next()) else {
            return Err(err(format!("expected `<number> <name>`, got `{l}`")));
        };
        let nr: u32 = nr
            .parse()
            .map_err(|_| err(format!("`{nr}` is not a syscall number")))?;
        if out.insert(nr, name.to_string()).is_some() {
            return Err(err(format!("number {nr} listed twice")));
        }
    }
    Ok(out)
}

/// An errno value's name and description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Errno {
    pub name: String,
    pub desc: String,
}

/// Parse the errno table: value -> (name, description).
pub fn parse_errno(text: &str) -> Result<HashMap<i64, Errno>, FormatError> {
    let file = "errno.tbl";
    let mut out = HashMap::new();
    for (line, l) in data_lines(text) {
        let mut it = l.splitn(3, ' ');
        let (Some(nr), Some(name)) = (it.next(), it.next()) else {
            return Err(FormatError {
                file,
                line,
                msg: format!("expected `<number> <NAME> <description>`, got `{l}`"),
            });
        };
        let nr: i64 = nr.parse().map_err(|_| FormatError {
            file,
            line,
            msg: format!("`{nr}` is not a number"),
        })?;
        let desc = it.next().unwrap_or("").trim().to_string();
        out.insert(
            nr,
            Errno {
                name: name.to_string(),
                desc,
            },
        );
    }
    Ok(out)
}

fn parse_size(s: &str) -> SizeSrc {
    if let Some(p) = s.strip_prefix('*') {
        SizeSrc::ParamPtr(p.to_string())
    } else if let Some(p) = s
        .strip_prefix("_IOC_SIZE(")
        .and_then(|r| r.strip_suffix(')'))
    {
        SizeSrc::Ioc(p.to_string())
    } else if s == "ret" {
        SizeSrc::Ret
    } else if let Ok(n) = s.parse() {
        SizeSrc::Fixed(n)
    } else {
        SizeSrc::Param(s.to_string())
    }
}

fn parse_kind(s: &str) -> Option<RuleKind> {
    let call = |prefix: &str| {
        s.strip_prefix(prefix)
            .and_then(|r| r.strip_prefix('('))
            .and_then(|r| r.strip_suffix(')'))
            .filter(|inner| !inner.is_empty() && !inner.contains(char::is_whitespace))
    };
    Some(match s {
        "string" => RuleKind::String,
        "struct" => RuleKind::Struct,
        "strarray" => RuleKind::StrArray,
        "msghdr" => RuleKind::Msghdr,
        "none" => RuleKind::None,
        _ => {
            if let Some(inner) = call("bytes") {
                RuleKind::Bytes(parse_size(inner))
            } else if let Some(inner) = call("array") {
                RuleKind::Array(parse_size(inner))
            } else if let Some(inner) = call("iovec") {
                RuleKind::Iovec(parse_size(inner))
            } else if let Some(inner) = call("sockaddr") {
                let (size, len) = match inner.split_once(',') {
                    Some((s, l)) => (s, Some(l.to_string())),
                    None => (inner, None),
                };
                RuleKind::Shaped(Shape::Sockaddr, parse_size(size), len)
            } else if let Some(inner) = call("dirents") {
                RuleKind::Shaped(Shape::Dirents, parse_size(inner), None)
            } else if let Some(inner) = call("siginfo") {
                RuleKind::Shaped(Shape::Siginfo, parse_size(inner), None)
            } else if let Some(inner) = call("struct") {
                RuleKind::Typed(format!("struct {inner}"))
            } else if let Some(inner) = call("type") {
                RuleKind::Typed(inner.to_string())
            } else if let Some((u, m)) = call("union").and_then(|i| i.split_once('/')) {
                RuleKind::UnionMember(u.to_string(), m.to_string())
            } else {
                return None;
            }
        }
    })
}

/// A condition's parameter, `param` or `param&MASK` (futex's `op&0x7f`): the name and the
/// bits that count (all 32 without a mask).
pub fn split_mask(p: &str) -> Result<(&str, u32), String> {
    match p.split_once('&') {
        None => Ok((p, u32::MAX)),
        Some((name, m)) => crate::tables::xlat::parse_number(m)
            .and_then(|m| u32::try_from(m).ok())
            .filter(|m| *m != 0)
            .map(|m| (name, m))
            .ok_or_else(|| format!("bad mask in `{p}`")),
    }
}

/// The conditions after `when`: `P = V` or `P = V and Q = W`.
fn parse_when(words: &[&str]) -> Result<Vec<(String, String)>, String> {
    let bad = || {
        format!("expected `when <param> = <value> [and <param> = <value>]` after the rule, got `when {}`", words.join(" "))
    };
    let mut out = Vec::new();
    for (k, cond) in words.split(|w| *w == "and").enumerate() {
        match cond {
            [p, "=", v] if k < 2 => out.push((p.to_string(), v.to_string())),
            _ => return Err(bad()),
        }
    }
    Ok(out)
}

/// Parse the capture rules file.
pub fn parse_rules(text: &str) -> Result<Rules, FormatError> {
    let file = "capture.rules";
    let mut rules = Rules::default();
    for (line, l) in data_lines(text) {
        let err = |msg: String| FormatError { file, line, msg };
        let mut words = l.split_whitespace();
        let target = words.next().unwrap_or_default();
        let rest: Vec<&str> = words.collect();
        if let Some((sys, param)) = target.split_once('.') {
            // `... when P = V [and Q = W]`
            let (rest, when) = match rest.iter().position(|w| *w == "when") {
                Some(k) => (&rest[..k], parse_when(&rest[k + 1..]).map_err(err)?),
                None => (&rest[..], Vec::new()),
            };
            let (kind, dir) = match rest {
                [k] => (*k, None),
                [k, d] => (*k, Some(*d)),
                _ => {
                    return Err(err(format!(
                        "expected `<syscall>.<param> <kind> [in|out|inout] [when ...]`, got `{l}`"
                    )))
                }
            };
            let kind = parse_kind(kind).ok_or_else(|| err(format!("unknown kind `{kind}`")))?;
            let dir = match dir {
                Some("in") => Dir::In,
                Some("out") => Dir::Out,
                Some("inout") => Dir::InOut,
                Some("updated") => Dir::Updated,
                Some("onerror") => Dir::OnError,
                Some(d) => {
                    return Err(err(format!(
                        "unknown direction `{d}` (in, out, inout, updated or onerror)"
                    )))
                }
                None => match &kind {
                    RuleKind::Bytes(SizeSrc::Ret)
                    | RuleKind::Array(SizeSrc::Ret)
                    | RuleKind::Shaped(_, SizeSrc::Ret, _) => Dir::Out,
                    _ => Dir::In,
                },
            };
            if let Some(((last, values), first)) = when.split_last() {
                // `when cmd = A,B,C`: one rule per value
                for v in values.split(',') {
                    let mut w = first.to_vec();
                    w.push((last.clone(), v.to_string()));
                    rules.variants.push(VariantRule {
                        syscall: sys.to_string(),
                        param: param.to_string(),
                        rule: ArgRule {
                            kind: kind.clone(),
                            dir,
                        },
                        when: w,
                        line,
                    });
                }
                continue;
            }
            let key = (sys.to_string(), param.to_string());
            if rules.args.insert(key, ArgRule { kind, dir }).is_some() {
                return Err(err(format!("`{target}` has two rules")));
            }
        } else {
            if rest.is_empty() {
                return Err(err(format!(
                    "`{target}` needs an attribute (noreturn, ret=hex, ctx, sock)"
                )));
            }
            let attrs = rules.syscalls.entry(target.to_string()).or_default();
            for a in rest {
                match a {
                    "noreturn" => attrs.noreturn = true,
                    "ret=hex" => attrs.ret_hex = true,
                    "ctx" => attrs.ctx = true,
                    "sock" => attrs.sock = true,
                    _ => return Err(err(format!("unknown attribute `{a}`"))),
                }
            }
        }
    }
    Ok(rules)
}

/// Parse the syscall classes: `%class name name ...` lines, a class may span several.
pub fn parse_classes(text: &str) -> Result<BTreeMap<String, Vec<String>>, FormatError> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (line, l) in data_lines(text) {
        let mut words = l.split_whitespace();
        let class = words.next().unwrap_or_default();
        if !class.starts_with('%') || class.len() < 2 {
            return Err(FormatError {
                file: "syscall-classes",
                line,
                msg: format!("expected `%class name ...`, got `{l}`"),
            });
        }
        out.entry(class.to_string())
            .or_default()
            .extend(words.map(String::from));
    }
    Ok(out)
}

/// All of formats/, parsed.
#[derive(Debug, Clone)]
pub struct Formats {
    pub syscalls: BTreeMap<u32, String>,
    pub errno: HashMap<i64, Errno>,
    pub rules: Rules,
    /// Symbolic tables and the rules that attach them.
    pub xlat: crate::tables::xlat::Xlat,
    /// `%class` -> syscall names
    pub classes: BTreeMap<String, Vec<String>>,
    /// The siginfo members a signal event shows.
    pub siginfo: siginfo::Siginfo,
    /// Which parameters and return values are file descriptors (-y).
    pub fds: fds::Fds,
    /// What text shows of an argument without -v.
    pub abbrev: abbrev::Abbrevs,
    /// How a netlink socket's messages are read.
    pub netlink: netlink::Netlink,
}

impl Formats {
    /// Parse the tables embedded in the binary, for the machine etrace runs on.
    pub fn embedded() -> Result<Formats, FormatError> {
        Formats::for_arch(std::env::consts::ARCH)
    }

    /// The tables of `arch` (`x86_64`, `aarch64`: a dump's header names its arch): the syscall
    /// numbers and the symbolic tables that differ there. Another arch gets x86_64's, which
    /// the caller says.
    pub fn for_arch(arch: &str) -> Result<Formats, FormatError> {
        let table = match arch {
            "aarch64" => SYSCALLS_AARCH64,
            _ => SYSCALLS_X86_64,
        };
        let xlat = crate::tables::xlat::Xlat::for_arch(arch)?;
        Ok(Formats {
            syscalls: parse_syscall_table(table)?,
            errno: parse_errno(ERRNO)?,
            rules: parse_rules(CAPTURE_RULES)?,
            siginfo: siginfo::parse(siginfo::SIGINFO, &xlat)?,
            fds: fds::parse(fds::FDS)?,
            abbrev: abbrev::parse(abbrev::ABBREV)?,
            netlink: netlink::parse(netlink::NETLINK, &xlat)?,
            xlat,
            classes: parse_classes(SYSCALL_CLASSES)?,
        })
    }

    /// Version of the embedded tables, recorded in dumps: the CRC-32 of their text.
    pub fn tables_version() -> String {
        let mut h = crc32fast::Hasher::new();
        for t in [
            SYSCALLS_X86_64,
            SYSCALLS_AARCH64,
            ERRNO,
            CAPTURE_RULES,
            crate::tables::xlat::SYMBOL_RULES,
            siginfo::SIGINFO,
            fds::FDS,
            abbrev::ABBREV,
            netlink::NETLINK,
        ] {
            h.update(t.as_bytes());
        }
        for (name, text) in crate::tables::xlat::TABLES {
            h.update(name.as_bytes());
            h.update(text.as_bytes());
        }
        for (arch, name, text) in crate::tables::xlat::ARCH_TABLES {
            h.update(arch.as_bytes());
            h.update(name.as_bytes());
            h.update(text.as_bytes());
        }
        format!("{:08x}", h.finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_member_is_a_known_syscall() {
        let f = Formats::embedded().unwrap();
        let known: std::collections::HashSet<&str> =
            f.syscalls.values().map(String::as_str).collect();
        for c in [
            "%file", "%desc", "%net", "%process", "%memory", "%signal", "%ipc",
        ] {
            let members = &f.classes[c];
            assert!(members.len() >= 8, "{c}");
            for m in members {
                assert!(
                    known.contains(m.as_str()),
                    "{c}: `{m}` is not in the syscall table"
                );
            }
        }
        assert!(f.classes["%net"].contains(&"connect".to_string()));
        assert!(parse_classes("file open\n").is_err());
    }

    #[test]
    fn aarch64_has_its_own_numbers_and_open_flags() {
        let f = Formats::for_arch("aarch64").unwrap();
        let name = |nr| f.syscalls.get(&nr).map(String::as_str);
        assert_eq!(name(56), Some("openat"));
        assert_eq!(name(221), Some("execve"));
        assert_eq!(name(79), Some("newfstatat"));
        assert_eq!(name(63), Some("read"));
        assert!(
            !f.syscalls.values().any(|n| n == "open"),
            "aarch64 has no open(2)"
        );
        let flags = |arch: &str| {
            let x = crate::tables::xlat::Xlat::for_arch(arch).unwrap();
            let t = x.table("open_flags").unwrap();
            t.format(crate::tables::xlat::Num::from_u64(0o40000), &x)
        };
        assert_eq!(flags("aarch64").as_deref(), Some("O_RDONLY|O_DIRECTORY"));
        assert_eq!(flags("x86_64").as_deref(), Some("O_RDONLY|O_DIRECT"));
    }

    #[test]
    fn embedded_tables_parse_with_known_entries() {
        let f = Formats::embedded().unwrap();
        assert_eq!(f.syscalls.get(&0).map(String::as_str), Some("read"));
        assert_eq!(f.syscalls.get(&257).map(String::as_str), Some("openat"));
        assert_eq!(f.syscalls.get(&59).map(String::as_str), Some("execve"));
        // the definition's name, as tracefs calls it, not the uapi __NR_ name
        assert_eq!(f.syscalls.get(&4).map(String::as_str), Some("newstat"));
        assert_eq!(f.syscalls.get(&262).map(String::as_str), Some("newfstatat"));
        assert_eq!(f.syscalls.get(&462).map(String::as_str), Some("mseal"));
        assert_eq!(f.errno[&2].name, "ENOENT");
        assert_eq!(f.errno[&2].desc, "No such file or directory");
        assert_eq!(f.errno[&512].name, "ERESTARTSYS");
        let r = &f.rules;
        assert_eq!(
            r.arg("read", "buf"),
            Some(&ArgRule {
                kind: RuleKind::Bytes(SizeSrc::Ret),
                dir: Dir::Out
            })
        );
        assert_eq!(
            r.arg("write", "buf"),
            Some(&ArgRule {
                kind: RuleKind::Bytes(SizeSrc::Param("count".into())),
                dir: Dir::In
            })
        );
        assert_eq!(
            r.arg("poll", "ufds"),
            Some(&ArgRule {
                kind: RuleKind::Array(SizeSrc::Param("nfds".into())),
                dir: Dir::InOut
            })
        );
        assert_eq!(
            r.arg("pipe2", "fildes"),
            Some(&ArgRule {
                kind: RuleKind::Array(SizeSrc::Fixed(2)),
                dir: Dir::Out
            })
        );
        assert!(r.attrs("exit_group").noreturn);
        assert!(r.attrs("mmap").ret_hex);
        assert!(!r.attrs("read").noreturn);
        assert!(r.attrs("setresuid").ctx && r.attrs("unshare").ctx && r.attrs("execve").ctx);
        assert!(!r.attrs("read").ctx);
    }

    #[test]
    fn rule_direction_defaults_follow_the_size_source() {
        let r = parse_rules("a.b bytes(ret)\nc.d bytes(n)\ne.f array(ret)\n").unwrap();
        assert_eq!(r.arg("a", "b").unwrap().dir, Dir::Out);
        assert_eq!(r.arg("c", "d").unwrap().dir, Dir::In);
        assert_eq!(r.arg("e", "f").unwrap().dir, Dir::Out);
    }

    #[test]
    fn bad_rules_name_the_line() {
        let e = parse_rules("# c\nread.buf bytes(ret) out\nwrite.buf blob\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.to_string().contains("unknown kind `blob`"), "{e}");
        let e = parse_rules("read.buf bytes(ret) sideways\n").unwrap_err();
        assert!(e.to_string().contains("unknown direction"), "{e}");
        let e = parse_rules("read.buf bytes()\n").unwrap_err();
        assert!(e.to_string().contains("unknown kind"), "{e}");
        let e = parse_rules("read.buf string\nread.buf none\n").unwrap_err();
        assert!(e.to_string().contains("two rules"), "{e}");
        let e = parse_rules("exit\n").unwrap_err();
        assert!(e.to_string().contains("needs an attribute"), "{e}");
        let e = parse_syscall_table("0 read\n0 write\n").unwrap_err();
        assert!(e.to_string().contains("listed twice"), "{e}");
        let e = parse_syscall_table("x read\n").unwrap_err();
        assert!(e.to_string().contains("not a syscall number"), "{e}");
    }
}
