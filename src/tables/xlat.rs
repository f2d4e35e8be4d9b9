//! xlat: the symbolic tables (formats/xlat/*.xlat) and the rules that attach them to syscall
//! arguments and struct members (formats/symbols.rules): parsing, and turning a number into
//! its names (`O_RDONLY|O_CLOEXEC`, `AT_FDCWD`, `S_IFREG|0644`).

use std::collections::HashMap;

use crate::tables::FormatError;

/// The embedded tables: (name, text), one file each under formats/xlat.
macro_rules! tables {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../formats/xlat/", $name, ".xlat")))),*]
    };
}
pub const TABLES: &[(&str, &str)] = tables!(
    "access_mode",
    "address_family",
    "arch_prctl",
    "arphrd",
    "at_flags",
    "bpf_cmd",
    "bus_code",
    "capability",
    "cld_code",
    "clockid",
    "clone3_flags",
    "clone_flags",
    "cmsg_level",
    "dirent_type",
    "dirfd",
    "efd_flags",
    "epoll_events",
    "epoll_flags",
    "epoll_op",
    "fadvise_advice",
    "fcntl_cmd",
    "fcntl_fd_flags",
    "fd_flags",
    "flock_type",
    "fpe_code",
    "fs_magic",
    "futex_op",
    "futex_val3",
    "futex_wake_op",
    "get_mempolicy_flags",
    "getrandom_flags",
    "idtype",
    "ifa_attr",
    "ifa_flags",
    "iff_flags",
    "ifla_attr",
    "ill_code",
    "inotify_flags",
    "ioctl_request",
    "ip_proto",
    "itimer_which",
    "madvise",
    "mbind_flags",
    "mempolicy_mode",
    "mmap_flags",
    "mode",
    "mremap_flags",
    "msg_flags",
    "msync_flags",
    "nda_attr",
    "netlink_proto",
    "nlmsg_flags",
    "nlmsg_flags_get",
    "nlmsg_flags_new",
    "nlmsg_type",
    "nlmsg_type_route",
    "open_flags",
    "poll_code",
    "poll_events",
    "pr_dumpable",
    "prctl_option",
    "prot",
    "rlim",
    "rlim64",
    "rlimit_resource",
    "rt_scope",
    "rt_table",
    "rta_attr",
    "rtm_protocol",
    "rtm_type",
    "rusage_who",
    "sa_flags",
    "sa_handler",
    "sched_attr_flags",
    "sched_policy",
    "scm_type",
    "segv_code",
    "sfd_flags",
    "shutdown_how",
    "si_code",
    "sigaltstack_flags",
    "signals",
    "sigprocmask_how",
    "sock_flags",
    "socket_type",
    "sockopt_ip",
    "sockopt_ipv6",
    "sockopt_netlink",
    "sockopt_socket",
    "sockopt_tcp",
    "statfs_flags",
    "statx_attr",
    "statx_flags",
    "statx_mask",
    "sys_code",
    "termios_cflag",
    "termios_iflag",
    "termios_lflag",
    "termios_line",
    "termios_oflag",
    "tfd_flags",
    "tfd_settime_flags",
    "timer_flags",
    "trap_code",
    "utime_nsec",
    "wait_options",
    "whence",
);
/// Tables that differ on an architecture: (arch as `uname -m` names it, table, text), from
/// formats/xlat/<table>.<arch>.xlat; they replace the table of that name there.
pub const ARCH_TABLES: &[(&str, &str, &str)] = &[(
    "aarch64",
    "open_flags",
    include_str!("../../formats/xlat/open_flags.aarch64.xlat"),
)];
/// The rules: which table decodes which argument or member.
pub const SYMBOL_RULES: &str = include_str!("../../formats/symbols.rules");

/// A number to name: its value as declared (signed or not) and as bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Num {
    pub signed: i64,
    pub bits: u64,
}

impl Num {
    pub fn from_i64(i: i64) -> Num {
        // a negative 32-bit int holds 32 bits of flags, not 64
        let bits = match i32::try_from(i) {
            Ok(small) if small < 0 => u64::from(small as u32),
            _ => i as u64,
        };
        Num { signed: i, bits }
    }
    pub fn from_u64(u: u64) -> Num {
        Num {
            signed: u as i64,
            bits: u,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Section {
    /// Whole values.
    Values(Vec<(i64, String)>),
    /// The bits under `mask`: named values, or another table's decoding of them.
    Field {
        mask: u64,
        entries: Vec<(u64, String)>,
        sub: Option<usize>,
    },
    /// Bits OR-ed together.
    Flags(Vec<(u64, String)>),
}

/// One symbolic table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    sections: Vec<Section>,
    rest_octal: bool,
}

/// How an argument or member is shown besides its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symbolic {
    /// An address: in hex.
    Hex,
    /// The low 32 bits as a signed int.
    Int,
    /// A signal set: `[CHLD TERM]`.
    Sigset,
    /// A wait status: `{WIFEXITED(s) && WEXITSTATUS(s) == 3}`.
    Wstatus,
    /// Names from a table (index into the tables).
    Table(usize),
    /// An fd_set of as many fds as the call's first argument says: `[3 4]`.
    Fdset,
    /// A CPU mask (bytes): the CPUs in it, `[0 1]`.
    Cpuset,
    /// A char array member shown as its numbers, not a string (termios' c_cc).
    Numbers,
    /// An integer strace writes in hex (`%#x`: 0 stays 0): mmap's offset.
    Xint,
    /// A device number as the kernel encodes it for user space: `makedev(0x1, 0x3)`.
    Makedev,
    /// FUTEX_WAKE_OP's val3, its fields by the table:
    /// `FUTEX_OP_SET<<28|0<<12|FUTEX_OP_CMP_GT<<24|0x1`.
    FutexWakeOp(usize),
    /// An ioctl request: its name in the table, or its _IOC fields
    /// (`_IOC(_IOC_READ, 0x55, 0x1, 0x8)`).
    Ioctl(usize),
}

/// A rule that applies when another parameter has a value: `fcntl.ret open_flags when cmd =
/// F_GETFL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CondRule {
    /// The parameter it decodes, or `ret`.
    pub param: String,
    /// The parameters whose values choose it, and those values' names (each in its
    /// parameter's table, or a number): one, or two joined by `and`.
    pub conds: Vec<(String, String)>,
    pub how: Symbolic,
}

/// All tables and rules.
#[derive(Debug, Clone, Default)]
pub struct Xlat {
    tables: Vec<Table>,
    /// (syscall, parameter) -> how
    args: HashMap<(String, String), Symbolic>,
    /// parameter -> how, for every syscall
    any_syscall: HashMap<String, Symbolic>,
    /// struct name -> member -> how
    /// (FxHash: looked up for every struct decoded)
    members: rustc_hash::FxHashMap<String, rustc_hash::FxHashMap<String, Symbolic>>,
    /// syscall -> its conditional rules, in file order
    conds: HashMap<String, Vec<CondRule>>,
}

fn err(file: &'static str, line: usize, msg: impl Into<String>) -> FormatError {
    FormatError {
        file,
        line,
        msg: msg.into(),
    }
}

/// A number in C syntax: 0x1f, 0755, -100, 12.
pub fn parse_number(s: &str) -> Option<i64> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s),
    };
    let v = if let Some(h) = digits.strip_prefix("0x") {
        u64::from_str_radix(h, 16).ok()?
    } else if digits.len() > 1 && digits.starts_with('0') {
        u64::from_str_radix(&digits[1..], 8).ok()?
    } else {
        digits.parse::<u64>().ok()?
    };
    Some(if neg {
        (v as i64).checked_neg()?
    } else {
        v as i64
    })
}

impl Table {
    /// The number an entry of any section names (a value, a flag, a field's value).
    pub fn number_of(&self, name: &str) -> Option<u64> {
        self.sections.iter().find_map(|s| match s {
            Section::Values(v) => v.iter().find(|(_, n)| n == name).map(|(v, _)| *v as u64),
            Section::Field { entries, .. } | Section::Flags(entries) => {
                entries.iter().find(|(_, n)| n == name).map(|(v, _)| *v)
            }
        })
    }

    /// The value a `values` entry names.
    pub fn value_of(&self, name: &str) -> Option<i64> {
        self.sections.iter().find_map(|s| match s {
            Section::Values(v) => v.iter().find(|(_, n)| n == name).map(|(v, _)| *v),
            _ => None,
        })
    }

    /// Parse one table; `resolve` gives the index of a table a `field MASK TABLE` line names.
    fn parse(
        name: &str,
        text: &str,
        resolve: &dyn Fn(&str) -> Option<usize>,
    ) -> Result<Table, FormatError> {
        const FILE: &str = "xlat/*.xlat";
        let mut t = Table {
            name: name.to_string(),
            sections: Vec::new(),
            rest_octal: false,
        };
        for (n, line) in crate::tables::data_lines(text) {
            let words: Vec<&str> = line.split_whitespace().collect();
            let at = |msg: String| err(FILE, n, format!("{name}: {msg}"));
            match words[..] {
                ["values"] => t.sections.push(Section::Values(Vec::new())),
                ["flags"] => t.sections.push(Section::Flags(Vec::new())),
                ["rest", "octal"] => t.rest_octal = true,
                ["field", mask] | ["field", mask, _] => {
                    let mask = parse_number(mask)
                        .filter(|m| *m > 0)
                        .ok_or_else(|| at(format!("bad mask `{mask}`")))?;
                    let sub = match words.get(2) {
                        Some(s) => Some(resolve(s).ok_or_else(|| at(format!("no table `{s}`")))?),
                        None => None,
                    };
                    t.sections.push(Section::Field {
                        mask: mask as u64,
                        entries: Vec::new(),
                        sub,
                    });
                }
                [entry, number] => {
                    let v =
                        parse_number(number).ok_or_else(|| at(format!("bad number `{number}`")))?;
                    let entry = entry.to_string();
                    match t.sections.last_mut() {
                        Some(Section::Values(e)) => e.push((v, entry)),
                        Some(Section::Flags(e)) => e.push((v as u64, entry)),
                        Some(Section::Field { mask, entries, .. }) => {
                            if (v as u64) & !*mask != 0 {
                                return Err(at(format!("{entry} has bits outside its field")));
                            }
                            entries.push((v as u64, entry));
                        }
                        None => {
                            return Err(at(
                                "an entry before any `values`, `field` or `flags` line".into()
                            ))
                        }
                    }
                }
                _ => return Err(at(format!("cannot parse `{line}`"))),
            }
        }
        if t.sections.is_empty() {
            return Err(err(FILE, 0, format!("{name}: no entries")));
        }
        Ok(t)
    }

    /// The names of `n`; None when the table has only whole values and none is `n`.
    pub fn format(&self, n: Num, xlat: &Xlat) -> Option<String> {
        self.format_depth(n, xlat, 0)
    }

    fn format_depth(&self, n: Num, xlat: &Xlat, depth: u32) -> Option<String> {
        if let [Section::Values(values)] = &self.sections[..] {
            return values
                .iter()
                .find(|(v, _)| *v == n.signed)
                .map(|(_, name)| name.clone());
        }
        let mut bits = n.bits;
        let mut parts: Vec<String> = Vec::new();
        for s in &self.sections {
            match s {
                Section::Values(values) => {
                    if let Some((_, name)) = values.iter().find(|(v, _)| *v as u64 == bits) {
                        parts.push(name.clone());
                        bits = 0;
                    }
                }
                Section::Field { mask, entries, sub } => {
                    let f = bits & mask;
                    bits &= !mask;
                    if let Some(sub) = sub {
                        let shifted = f >> mask.trailing_zeros();
                        if shifted != 0 {
                            let named = (depth < 4)
                                .then(|| xlat.tables.get(*sub))
                                .flatten()
                                .and_then(|t| {
                                    t.format_depth(Num::from_u64(shifted), xlat, depth + 1)
                                });
                            parts.push(named.unwrap_or_else(|| format!("{f:#x}")));
                        }
                    } else if let Some((_, name)) = entries.iter().find(|(v, _)| *v == f) {
                        parts.push(name.clone());
                    } else if f != 0 {
                        parts.push(format!("{f:#x}"));
                    }
                }
                Section::Flags(flags) => {
                    if n.bits == 0 {
                        if let Some((_, zero)) = flags.iter().find(|(v, _)| *v == 0) {
                            parts.push(zero.clone());
                        }
                        continue;
                    }
                    for (v, name) in flags {
                        if *v != 0 && bits & v == *v {
                            parts.push(name.clone());
                            bits &= !v;
                        }
                    }
                }
            }
        }
        if bits != 0 {
            parts.push(match self.rest_octal {
                true => format!("0{bits:o}"),
                false => format!("{bits:#x}"),
            });
        }
        if parts.is_empty() {
            parts.push("0".into());
        }
        Some(parts.join("|"))
    }
}

impl Xlat {
    /// Parse the embedded tables and rules.
    pub fn embedded() -> Result<Xlat, FormatError> {
        Xlat::for_arch(std::env::consts::ARCH)
    }

    /// The tables as they are on `arch` (`x86_64`, `aarch64`): ARCH_TABLES replace their
    /// namesakes.
    pub fn for_arch(arch: &str) -> Result<Xlat, FormatError> {
        let tables: Vec<(&str, &str)> = TABLES
            .iter()
            .map(|&(name, text)| {
                let own = ARCH_TABLES
                    .iter()
                    .find(|(a, n, _)| *a == arch && *n == name);
                (name, own.map_or(text, |t| t.2))
            })
            .collect();
        // errno names, from formats/errno.tbl: a value such as SO_ERROR's shown by its name
        let errno: String = std::iter::once("values\n".to_string())
            .chain(
                crate::tables::data_lines(crate::tables::ERRNO).filter_map(|(_, l)| {
                    let mut w = l.split_whitespace();
                    let (n, name) = (w.next()?, w.next()?);
                    Some(format!("{name} {n}\n"))
                }),
            )
            .collect();
        let mut tables = tables;
        tables.push(("errno", &errno));
        Xlat::parse(&tables, SYMBOL_RULES)
    }

    pub fn parse(tables: &[(&str, &str)], rules: &str) -> Result<Xlat, FormatError> {
        let index: HashMap<&str, usize> =
            tables.iter().enumerate().map(|(i, t)| (t.0, i)).collect();
        let resolve = |n: &str| index.get(n).copied();
        let mut x = Xlat::default();
        for (name, text) in tables {
            x.tables.push(Table::parse(name, text, &resolve)?);
        }
        const FILE: &str = "symbols.rules";
        for (n, line) in crate::tables::data_lines(rules) {
            let words: Vec<&str> = line.split_whitespace().collect();
            let (target, table, is_struct, cond) = match words[..] {
                ["struct", target, table] => (target, table, true, None),
                [target, table] => (target, table, false, None),
                [target, table, "when", other, "=", name] => (
                    target,
                    table,
                    false,
                    Some(vec![(other.to_string(), name.to_string())]),
                ),
                [target, table, "when", o1, "=", n1, "and", o2, "=", n2] => (
                    target,
                    table,
                    false,
                    Some(vec![
                        (o1.to_string(), n1.to_string()),
                        (o2.to_string(), n2.to_string()),
                    ]),
                ),
                _ => return Err(err(FILE, n, format!("cannot parse `{line}`"))),
            };
            let how = match table {
                "hex" => Symbolic::Hex,
                "int" => Symbolic::Int,
                "sigset" => Symbolic::Sigset,
                "wstatus" => Symbolic::Wstatus,
                "fdset" => Symbolic::Fdset,
                "cpuset" => Symbolic::Cpuset,
                "numbers" => Symbolic::Numbers,
                "xint" => Symbolic::Xint,
                "makedev" => Symbolic::Makedev,
                "futex_wake_op" => {
                    Symbolic::FutexWakeOp(resolve("futex_wake_op").ok_or_else(|| {
                        err(FILE, n, "the `futex_wake_op` built-in needs its table")
                    })?)
                }
                "ioctl" => Symbolic::Ioctl(resolve("ioctl_request").ok_or_else(|| {
                    err(
                        FILE,
                        n,
                        "the `ioctl` built-in needs the table ioctl_request",
                    )
                })?),
                t => Symbolic::Table(
                    resolve(t).ok_or_else(|| err(FILE, n, format!("no table `{t}`")))?,
                ),
            };
            let (owner, field) = target
                .split_once('.')
                .ok_or_else(|| err(FILE, n, format!("`{target}` is not owner.field")))?;
            if let Some(conds) = cond {
                if owner == "*" {
                    return Err(err(FILE, n, "a `when` rule names its syscall"));
                }
                // `when op = A,B`: a rule per value
                let (last, first) = conds.split_last().expect("one condition at least");
                for value in last.1.split(',') {
                    let mut conds = first.to_vec();
                    conds.push((last.0.clone(), value.to_string()));
                    x.conds
                        .entry(owner.to_string())
                        .or_default()
                        .push(CondRule {
                            param: field.to_string(),
                            conds,
                            how,
                        });
                }
                continue;
            }
            let dup = match (is_struct, owner) {
                (true, _) => x
                    .members
                    .entry(owner.to_string())
                    .or_default()
                    .insert(field.to_string(), how),
                (false, "*") => x.any_syscall.insert(field.to_string(), how),
                (false, _) => x.args.insert((owner.to_string(), field.to_string()), how),
            };
            if dup.is_some() {
                return Err(err(FILE, n, format!("`{target}` is given twice")));
            }
        }
        Ok(x)
    }

    /// The table a Symbolic::Table names.
    pub fn table_at(&self, i: usize) -> Option<&Table> {
        self.tables.get(i)
    }

    /// The index of the table `name`, for Symbolic::Table.
    pub fn table_index(&self, name: &str) -> Option<usize> {
        self.tables.iter().position(|t| t.name == name)
    }

    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// How a syscall's parameter is shown.
    pub fn arg(&self, syscall: &str, param: &str) -> Option<Symbolic> {
        self.args
            .get(&(syscall.to_string(), param.to_string()))
            .or_else(|| self.any_syscall.get(param))
            .copied()
    }

    /// The conditional rules of a syscall (`... when OTHER = NAME`).
    pub fn cond_rules(&self, syscall: &str) -> &[CondRule] {
        self.conds.get(syscall).map_or(&[], Vec::as_slice)
    }

    /// The number `name` stands for as a value of `syscall`'s parameter `param`, where the
    /// conditions `prior` hold (optname's names depend on level): a number as it is, or a name
    /// of the table a conditional rule whose conditions are among `prior` gives the parameter,
    /// or of its plain table.
    pub fn cond_value(
        &self,
        syscall: &str,
        param: &str,
        prior: &[(String, String)],
        name: &str,
    ) -> Option<u64> {
        if let Some(n) = parse_number(name) {
            return Some(n as u64);
        }
        let in_table = |how: Symbolic| match how {
            Symbolic::Table(t) | Symbolic::Ioctl(t) => self.tables.get(t)?.number_of(name),
            _ => None,
        };
        self.cond_rules(syscall)
            .iter()
            .filter(|r| r.param == param && r.conds.iter().all(|c| prior.contains(c)))
            .find_map(|r| in_table(r.how))
            .or_else(|| in_table(self.arg(syscall, param)?))
    }

    /// How one syscall's parameter (or `ret`) is shown, from a rule naming that syscall only.
    pub fn arg_explicit(&self, syscall: &str, param: &str) -> Option<Symbolic> {
        self.args
            .get(&(syscall.to_string(), param.to_string()))
            .copied()
    }

    /// How each member of a struct is shown, when rules name any of them.
    pub fn member_rules(
        &self,
        struct_name: &str,
    ) -> Option<&rustc_hash::FxHashMap<String, Symbolic>> {
        self.members.get(struct_name)
    }

    /// The (syscall, parameter) pairs the rules name explicitly (for checking against tracefs).
    pub fn named_args(&self) -> impl Iterator<Item = &(String, String)> {
        self.args.keys()
    }

    /// The (struct, member) pairs the rules name.
    pub fn named_members(&self) -> impl Iterator<Item = (&String, &String)> {
        self.members
            .iter()
            .flat_map(|(s, ms)| ms.keys().map(move |m| (s, m)))
    }

    /// The parameter names the `*.` rules name.
    pub fn any_syscall_params(&self) -> impl Iterator<Item = &String> {
        self.any_syscall.keys()
    }

    /// Format `n` with table `t`.
    pub fn format(&self, t: usize, n: Num) -> Option<String> {
        self.tables.get(t)?.format(n, self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x() -> Xlat {
        Xlat::embedded().unwrap()
    }

    fn fmt(table: &str, n: Num) -> Option<String> {
        let x = x();
        x.table(table).unwrap().format(n, &x)
    }

    #[test]
    fn every_table_file_is_embedded_and_parses() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("formats/xlat");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| {
                let n = e.unwrap().file_name().into_string().unwrap();
                n.strip_suffix(".xlat").map(String::from)
            })
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = TABLES.iter().map(|t| t.0.to_string()).collect();
        embedded.extend(
            ARCH_TABLES
                .iter()
                .map(|(arch, name, _)| format!("{name}.{arch}")),
        );
        embedded.sort();
        assert_eq!(on_disk, embedded);
        x();
        for (arch, name, _) in ARCH_TABLES {
            assert!(
                TABLES.iter().any(|t| t.0 == *name),
                "{name}.{arch} replaces no table"
            );
            Xlat::for_arch(arch).unwrap();
        }
    }

    #[test]
    fn numbers_in_c_syntax() {
        assert_eq!(parse_number("0x1f"), Some(31));
        assert_eq!(parse_number("0755"), Some(0o755));
        assert_eq!(parse_number("-100"), Some(-100));
        assert_eq!(parse_number("0"), Some(0));
        assert_eq!(parse_number("0xffffffffffffffff"), Some(-1));
        assert_eq!(parse_number("09"), None);
    }

    #[test]
    fn strace_style_names() {
        let o = |v: u64| fmt("open_flags", Num::from_u64(v)).unwrap();
        assert_eq!(o(0), "O_RDONLY");
        assert_eq!(o(0o2000000), "O_RDONLY|O_CLOEXEC");
        assert_eq!(
            o(0o1 | 0o100 | 0o1000 | 0o2000000),
            "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC"
        );
        assert_eq!(o(0x8000_0000 | 2), "O_RDWR|0x80000000");
        assert_eq!(o(0o4010000), "O_RDONLY|O_SYNC");
        assert_eq!(o(0o10000), "O_RDONLY|O_DSYNC");
        // an int argument holding bit 31 is negative; its 32 bits are the flags
        assert_eq!(
            fmt("open_flags", Num::from_i64(i64::from(i32::MIN))).unwrap(),
            "O_RDONLY|0x80000000"
        );
        assert_eq!(fmt("dirfd", Num::from_i64(-100)).unwrap(), "AT_FDCWD");
        assert_eq!(fmt("dirfd", Num::from_i64(3)), None);
        let m = |v: u64| fmt("mode", Num::from_u64(v)).unwrap();
        assert_eq!(m(0o100644), "S_IFREG|0644");
        assert_eq!(m(0o40755 | 0o1000), "S_IFDIR|S_ISVTX|0755");
        assert_eq!(m(0o640), "0640");
        assert_eq!(m(0), "0");
        assert_eq!(fmt("access_mode", Num::from_u64(0)).unwrap(), "F_OK");
        assert_eq!(fmt("access_mode", Num::from_u64(6)).unwrap(), "R_OK|W_OK");
        assert_eq!(fmt("prot", Num::from_u64(0)).unwrap(), "PROT_NONE");
        assert_eq!(
            fmt("prot", Num::from_u64(3)).unwrap(),
            "PROT_READ|PROT_WRITE"
        );
        assert_eq!(
            fmt("mmap_flags", Num::from_u64(0x22)).unwrap(),
            "MAP_PRIVATE|MAP_ANONYMOUS"
        );
        assert_eq!(
            fmt("clone_flags", Num::from_u64(0x1200011)).unwrap(),
            "SIGCHLD|CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID"
        );
        assert_eq!(fmt("signals", Num::from_i64(33)).unwrap(), "SIGRT_1");
        assert_eq!(fmt("signals", Num::from_i64(0)), None);
        assert_eq!(
            fmt("futex_op", Num::from_i64(265)).unwrap(),
            "FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME"
        );
        assert_eq!(
            fmt("futex_op", Num::from_i64(129)).unwrap(),
            "FUTEX_WAKE_PRIVATE"
        );
        assert_eq!(
            fmt("socket_type", Num::from_i64(1 | 0o2000000)).unwrap(),
            "SOCK_STREAM|SOCK_CLOEXEC"
        );
        assert_eq!(fmt("fd_flags", Num::from_i64(0)).unwrap(), "0");
        assert_eq!(
            fmt("rlim", Num::from_u64(u64::MAX)).unwrap(),
            "RLIM_INFINITY"
        );
        assert_eq!(
            fmt("arch_prctl", Num::from_i64(0x1002)).unwrap(),
            "ARCH_SET_FS"
        );
    }

    #[test]
    fn rules_pick_the_syscall_line_over_the_wildcard() {
        let x = x();
        let t = |n: &str| Symbolic::Table(TABLES.iter().position(|t| t.0 == n).unwrap());
        assert_eq!(x.arg("openat", "flags"), Some(t("open_flags")));
        assert_eq!(x.arg("openat", "dfd"), Some(t("dirfd")));
        assert_eq!(x.arg("mmap", "addr"), Some(Symbolic::Hex));
        assert_eq!(x.arg("mmap", "fd"), Some(Symbolic::Int));
        assert_eq!(x.arg("read", "count"), None);
        let stat = x.member_rules("stat").unwrap();
        assert_eq!(stat.get("st_mode").copied(), Some(t("mode")));
        assert_eq!(stat.get("st_size"), None);
    }

    #[test]
    fn malformed_tables_and_rules_are_errors() {
        let bad = |text: &str| Xlat::parse(&[("t", text)], "").unwrap_err().to_string();
        assert!(bad("A 1\n").contains("before any"));
        assert!(bad("flags\nA zz\n").contains("bad number"));
        assert!(bad("field 0x3\nA 4\n").contains("outside its field"));
        assert!(bad("field 0xff nope\n").contains("no table `nope`"));
        let rules = |r: &str| {
            Xlat::parse(&[("t", "values\nA 1\n")], r)
                .unwrap_err()
                .to_string()
        };
        assert!(rules("open.flags nope\n").contains("no table"));
        assert!(rules("open.flags t\nopen.flags t\n").contains("given twice"));
        assert!(rules("openflags t\n").contains("owner.field"));
    }
}
