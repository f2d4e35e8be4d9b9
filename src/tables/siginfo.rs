//! siginfo: formats/siginfo.tbl parsed: which members of a delivered signal's siginfo are
//! shown, chosen by its si_code (who sent it) or, for a code the kernel filled in, by signal.

use std::collections::HashMap;

use crate::tables::xlat::Xlat;
use crate::tables::{data_lines, FormatError};

pub const SIGINFO: &str = include_str!("../../formats/siginfo.tbl");
const FILE: &str = "siginfo.tbl";
/// The siginfo bytes a signal record carries (bpf/etrace.h ETRACE_SIGINFO_SIZE).
pub const SIZE: usize = crate::skel::types::etrace_limits::ETRACE_SIGINFO_SIZE.0 as usize;

/// How a member is read and shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    UInt,
    Long,
    Ptr,
    /// SIGCHLD's si_status: an exit code (CLD_EXITED) or a signal.
    Status,
    Errno,
}

impl Kind {
    /// Its size in bytes.
    pub fn size(self) -> usize {
        match self {
            Kind::Long | Kind::Ptr => 8,
            _ => 4,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    pub offset: usize,
    pub kind: Kind,
}

/// The members shown per si_code, and per signal for the codes the kernel fills in.
#[derive(Debug, Clone, Default)]
pub struct Siginfo {
    pub by_code: HashMap<i32, Vec<Member>>,
    /// signal -> (the xlat table naming its positive si_codes, members)
    pub by_signal: HashMap<i32, (String, Vec<Member>)>,
}

fn member(word: &str) -> Option<Member> {
    let mut parts = word.split(':');
    let (name, offset, kind) = (parts.next()?, parts.next()?, parts.next()?);
    let kind = match kind {
        "int" => Kind::Int,
        "uint" => Kind::UInt,
        "long" => Kind::Long,
        "ptr" => Kind::Ptr,
        "status" => Kind::Status,
        "errno" => Kind::Errno,
        _ => return None,
    };
    let offset: usize = offset.parse().ok()?;
    (parts.next().is_none() && offset + kind.size() <= SIZE && !name.is_empty()).then(|| Member {
        name: name.to_string(),
        offset,
        kind,
    })
}

/// Parse siginfo.tbl, naming codes and signals through the xlat tables.
pub fn parse(text: &str, xlat: &Xlat) -> Result<Siginfo, FormatError> {
    let mut out = Siginfo::default();
    let value = |table: &str, name: &str| {
        xlat.table(table)
            .and_then(|t| t.value_of(name))
            .and_then(|v| i32::try_from(v).ok())
    };
    for (line, l) in data_lines(text) {
        let err = |msg: String| FormatError {
            file: FILE,
            line,
            msg,
        };
        let mut words = l.split_whitespace();
        let (what, name) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
        let table = match what {
            "signal" => Some(words.next().unwrap_or("").to_string()),
            _ => None,
        };
        let members = words
            .map(|w| member(w).ok_or_else(|| err(format!("bad member `{w}`"))))
            .collect::<Result<Vec<_>, _>>()?;
        match (what, table) {
            ("code", _) => {
                let code = value("si_code", name)
                    .ok_or_else(|| err(format!("`{name}` is not in si_code.xlat")))?;
                out.by_code.insert(code, members);
            }
            ("signal", Some(t)) => {
                let sig = value("signals", name)
                    .ok_or_else(|| err(format!("`{name}` is not in signals.xlat")))?;
                if xlat.table(&t).is_none() {
                    return Err(err(format!("no table `{t}`")));
                }
                out.by_signal.insert(sig, (t, members));
            }
            _ => return Err(err(format!("expected `code` or `signal`, got `{l}`"))),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_and_knows_sigchld_and_kill() {
        let xlat = Xlat::embedded().unwrap();
        let s = parse(SIGINFO, &xlat).unwrap();
        // SI_USER (0): kill(2) says who sent it
        let user: Vec<_> = s.by_code[&0].iter().map(|m| m.name.as_str()).collect();
        assert_eq!(user, ["si_pid", "si_uid"]);
        let (table, chld) = &s.by_signal[&17];
        assert_eq!(table, "cld_code");
        assert_eq!(chld[2].name, "si_status");
        assert_eq!(chld[2].kind, Kind::Status);
        assert_eq!((chld[3].offset, chld[3].kind), (32, Kind::Long));
    }

    #[test]
    fn members_past_the_siginfo_or_of_unknown_kind_are_refused() {
        let xlat = Xlat::embedded().unwrap();
        assert!(parse("code SI_USER si_pid:46:int", &xlat).is_err());
        assert!(parse("code SI_USER si_pid:16:float", &xlat).is_err());
        assert!(parse("code SI_NOPE si_pid:16:int", &xlat).is_err());
        assert!(parse("signal SIGCHLD nope si_pid:16:int", &xlat).is_err());
    }
}
