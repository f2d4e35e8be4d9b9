//! abbrev: formats/abbrev.rules parsed: what text output shows of an argument without -v
//! (a struct's key members, or a list's number of entries), as strace does.

use std::collections::HashMap;

use crate::tables::{data_lines, FormatError};

pub const ABBREV: &str = include_str!("../../formats/abbrev.rules");
/// Most array elements text shows without -v.
pub const MAX_ELEMENTS: usize = 32;

/// When an argument is left out: it depends on another parameter's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hide {
    /// The other parameter.
    pub other: String,
    /// true: left out unless `other` has one of the bits `names` name; false: left out when
    /// `other` is one of the values `names` name.
    pub unless_bits: bool,
    pub names: Vec<String>,
    /// Only this member of the argument (a struct) is left out, not the argument.
    pub member: Option<String>,
}

/// How an argument is shortened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Abbrev {
    /// These members of the struct, then `...`.
    Members(Vec<String>),
    /// The number of entries.
    Count,
}

/// Rules by syscall, then by parameter: looked up for every event, without allocating.
type BySyscall<T> = HashMap<String, HashMap<String, T>>;

#[derive(Debug, Clone, Default)]
pub struct Abbrevs {
    any: HashMap<String, Abbrev>,
    args: BySyscall<Abbrev>,
    /// -v: members that are seconds since the epoch, by parameter (as the rules above)
    dates_any: HashMap<String, Vec<String>>,
    dates: BySyscall<Vec<String>>,
    hides: BySyscall<Vec<Hide>>,
    /// what the call wrote back (Event::after) shows under this label
    afters: BySyscall<String>,
    /// syscall -> the word a result of 0 shows as (`Timeout`)
    zeros: HashMap<String, String>,
    /// syscalls whose symbolic result strace writes as `0x8002 (flags ...)`
    ret_flags: std::collections::HashSet<String>,
}

fn by_syscall<'a, T>(m: &'a BySyscall<T>, syscall: &str, param: &str) -> Option<&'a T> {
    m.get(syscall)?.get(param)
}

fn insert<T>(m: &mut BySyscall<T>, syscall: &str, param: &str, v: T) {
    m.entry(syscall.to_string())
        .or_default()
        .insert(param.to_string(), v);
}

impl Abbrevs {
    /// How `param` of `syscall` is shortened, if it is.
    pub fn get(&self, syscall: &str, param: &str) -> Option<&Abbrev> {
        by_syscall(&self.args, syscall, param).or_else(|| self.any.get(param))
    }

    /// When `param` of `syscall` (or a member of it) is left out.
    pub fn hides(&self, syscall: &str, param: &str) -> &[Hide] {
        by_syscall(&self.hides, syscall, param).map_or(&[], Vec::as_slice)
    }

    /// The label of what `syscall` wrote back into `param` (`left`).
    pub fn after(&self, syscall: &str, param: &str) -> Option<&str> {
        by_syscall(&self.afters, syscall, param).map(String::as_str)
    }

    /// Whether `--style strace` writes the symbolic result of `syscall` as `0x.. (flags ...)`.
    pub fn ret_flags(&self, syscall: &str) -> bool {
        self.ret_flags.contains(syscall)
    }

    /// The word a result of 0 shows as (`Timeout`).
    pub fn zero(&self, syscall: &str) -> Option<&str> {
        self.zeros.get(syscall).map(String::as_str)
    }

    /// Whether any rule names `syscall` for itself (not through `*`).
    pub fn names_syscall(&self, syscall: &str) -> bool {
        self.args.contains_key(syscall)
            || self.hides.contains_key(syscall)
            || self.dates.contains_key(syscall)
            || self.afters.contains_key(syscall)
            || self.zeros.contains_key(syscall)
            || self.ret_flags.contains(syscall)
    }

    /// -v: which members of `param` of `syscall` are seconds since the epoch.
    pub fn dates(&self, syscall: &str, param: &str) -> Option<&[String]> {
        by_syscall(&self.dates, syscall, param)
            .or_else(|| self.dates_any.get(param))
            .map(Vec::as_slice)
    }
}

pub fn parse(text: &str) -> Result<Abbrevs, FormatError> {
    let mut out = Abbrevs::default();
    for (line, l) in data_lines(text) {
        let err = |msg: String| FormatError {
            file: "abbrev.rules",
            line,
            msg,
        };
        let mut words = l.split_whitespace();
        let target = words.next().unwrap_or_default();
        let (sys, param) = target
            .split_once('.')
            .filter(|(s, p)| !s.is_empty() && !p.is_empty())
            .ok_or_else(|| {
                err(format!(
                    "expected `syscall.param` or `*.param`, got `{target}`"
                ))
            })?;
        let rest: Vec<String> = words.map(String::from).collect();
        match (param, rest.as_slice()) {
            ("ret", [f]) if f == "flags" && sys != "*" => {
                out.ret_flags.insert(sys.to_string());
                continue;
            }
            ("ret", [z, word]) if z == "zero" && sys != "*" => {
                out.zeros.insert(sys.to_string(), word.clone());
                continue;
            }
            (_, [a, label]) if a == "after" && sys != "*" => {
                insert(&mut out.afters, sys, param, label.clone());
                continue;
            }
            ("ret", _) | (_, [_, _]) if rest[0] == "after" || rest[0] == "zero" => {
                return Err(err(format!("cannot parse `{l}`")));
            }
            _ => {}
        }
        if rest.first().is_some_and(|w| w == "hide") {
            // `hide member M ...`: that member of the struct, not the argument
            let words: Vec<&str> = rest.iter().map(String::as_str).collect();
            let (member, cond) = match words[..] {
                ["hide", "member", m, ref cond @ ..] => (Some(m.to_string()), cond),
                ["hide", ref cond @ ..] => (None, cond),
                _ => (None, &[][..]),
            };
            let hide = match cond {
                ["unless", other, "&", names @ ..] if !names.is_empty() => Hide {
                    other: other.to_string(),
                    unless_bits: true,
                    names: names.iter().map(|n| n.to_string()).collect(),
                    member,
                },
                ["when", other, names @ ..] if !names.is_empty() => Hide {
                    other: other.to_string(),
                    unless_bits: false,
                    names: names.iter().map(|n| n.to_string()).collect(),
                    member,
                },
                _ => return Err(err(format!("cannot parse `{l}`"))),
            };
            if sys == "*" {
                return Err(err(format!("`{target}`: hide rules name their syscall")));
            }
            out.hides
                .entry(sys.to_string())
                .or_default()
                .entry(param.to_string())
                .or_default()
                .push(hide);
            continue;
        }
        if let Some((_, members)) = rest.split_first().filter(|(f, _)| *f == "date") {
            if members.is_empty() {
                return Err(err(format!("`{target}`: date of which members?")));
            }
            match sys {
                "*" => {
                    out.dates_any.insert(param.to_string(), members.to_vec());
                }
                s => insert(&mut out.dates, s, param, members.to_vec()),
            }
            continue;
        }
        let how = match rest.as_slice() {
            [] => return Err(err(format!("`{target}`: which members, or `count`?"))),
            [c] if c == "count" => Abbrev::Count,
            m => Abbrev::Members(m.to_vec()),
        };
        match sys {
            "*" => {
                out.any.insert(param.to_string(), how);
            }
            s => insert(&mut out.args, s, param, how),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_by_syscall_and_for_every_syscall() {
        let a = parse(ABBREV).unwrap();
        let members = |s, p| match a.get(s, p) {
            Some(Abbrev::Members(m)) => m.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(members("newfstatat", "statbuf")[0], "st_mode");
        assert_eq!(members("statx", "buffer")[3], "stx_size");
        assert_eq!(a.get("getdents64", "dirent"), Some(&Abbrev::Count));
        assert!(a.get("read", "buf").is_none());
        assert_eq!(a.dates("newstat", "statbuf").unwrap()[0], "st_atime");
        let h = &a.hides("openat", "mode")[0];
        assert_eq!((h.other.as_str(), h.unless_bits), ("flags", true));
        assert_eq!(h.names, ["O_CREAT", "O_TMPFILE"]);
        let f = a.hides("fcntl", "arg");
        assert!(f.iter().any(|h| !h.unless_bits && h.member.is_none()));
        assert!(f.iter().any(|h| h.member.as_deref() == Some("l_pid")));
        assert!(parse("openat.mode hide unless flags O_CREAT").is_err());
        assert!(parse("*.mode hide when flags X").is_err());
        assert!(parse("read.buf").is_err());
        assert!(parse("readbuf count").is_err());
    }
}
