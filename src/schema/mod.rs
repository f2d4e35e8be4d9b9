//! schema: joins tracefs parameters, BTF layouts and formats/ rules into, for every syscall,
//! each argument's name, declared type, value layout and capture rule. It is what the BPF plan
//! and the decoder are built from, and (serializable) what a raw dump carries.

pub mod wire;

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::kernel::btf::{KernelBtf, Layout};
use crate::kernel::tracefs::SyscallEvent;
use crate::tables::{Dir, Formats, RuleKind, Shape, SizeSrc};

#[derive(Debug, Error)]
pub enum SchemaError {
    #[error("formats/capture.rules: {0}")]
    Rule(String),
    #[error("unknown syscall `{0}`{1}")]
    UnknownSyscall(String, String),
}

/// Where a captured length comes from, resolved to an argument index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SizeRef {
    Ret,
    Arg(u8),
    Fixed(u32),
    /// What argument i points to (a value-result length), read with the buffer.
    ArgPtr(u8),
    /// The size ioctl request argument i encodes, moved the way it says.
    Ioc(u8),
}

/// What is read behind an argument, and when. `L` is how a type is given: a Layout in the
/// schema, an index into the type table in a dump header (schema::wire), whose postcard form
/// follows the variant order below: keep it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Capture<L = Layout> {
    None,
    Str {
        dir: Dir,
    },
    Bytes {
        dir: Dir,
        size: SizeRef,
    },
    /// The pointee, whose size BTF gives.
    Fixed {
        dir: Dir,
        layout: L,
    },
    Array {
        dir: Dir,
        count: SizeRef,
        elem: L,
    },
    StrArray {
        dir: Dir,
    },
    /// A buffer decoded by its shape (a socket address, directory entries).
    Shaped {
        dir: Dir,
        size: SizeRef,
        shape: Shape,
        /// The argument holding the meaningful length (a value-result length), if any.
        len: Option<u8>,
    },
    /// An iovec array (`elem`: struct iovec) with the buffers it points to.
    Iovec {
        dir: Dir,
        count: SizeRef,
        elem: L,
    },
    /// A struct user_msghdr (`layout`) with its name, iovecs and control data.
    Msghdr {
        dir: Dir,
        layout: L,
    },
}

impl<L> Capture<L> {
    /// When it is read (None: never).
    pub fn dir(&self) -> Option<Dir> {
        match self {
            Capture::None => None,
            Capture::Str { dir }
            | Capture::Bytes { dir, .. }
            | Capture::Fixed { dir, .. }
            | Capture::Array { dir, .. }
            | Capture::StrArray { dir }
            | Capture::Shaped { dir, .. }
            | Capture::Iovec { dir, .. }
            | Capture::Msghdr { dir, .. } => Some(*dir),
        }
    }

    /// The same capture with each type given another way (a layout interned to a table index,
    /// an index resolved to its layout).
    pub fn map<M, E>(&self, mut f: impl FnMut(&L) -> Result<M, E>) -> Result<Capture<M>, E> {
        Ok(match self {
            Capture::None => Capture::None,
            Capture::Str { dir } => Capture::Str { dir: *dir },
            Capture::StrArray { dir } => Capture::StrArray { dir: *dir },
            Capture::Bytes { dir, size } => Capture::Bytes {
                dir: *dir,
                size: size.clone(),
            },
            Capture::Shaped {
                dir,
                size,
                shape,
                len,
            } => Capture::Shaped {
                dir: *dir,
                size: size.clone(),
                shape: *shape,
                len: *len,
            },
            Capture::Fixed { dir, layout } => Capture::Fixed {
                dir: *dir,
                layout: f(layout)?,
            },
            Capture::Array { dir, count, elem } => Capture::Array {
                dir: *dir,
                count: count.clone(),
                elem: f(elem)?,
            },
            Capture::Iovec { dir, count, elem } => Capture::Iovec {
                dir: *dir,
                count: count.clone(),
                elem: f(elem)?,
            },
            Capture::Msghdr { dir, layout } => Capture::Msghdr {
                dir: *dir,
                layout: f(layout)?,
            },
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arg {
    /// tracefs parameter name
    pub name: String,
    /// declared C type, as tracefs writes it
    pub ctype: String,
    /// the register value: an integer (size, signedness) or a pointer
    pub value: Layout,
    pub capture: Capture,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Syscall {
    pub nr: u32,
    pub name: String,
    pub args: Vec<Arg>,
    pub noreturn: bool,
    pub ret_hex: bool,
    /// The arguments whose values choose among `variants` (one or two), each with the bits
    /// of it that count (futex's op & 127).
    pub select: Vec<Selector>,
    /// What is read behind an argument for given values of the `select` arguments, in place of
    /// its capture: fcntl's arg by cmd, ioctl's by request, getsockopt's optval by level and
    /// optname.
    pub variants: Vec<Variant>,
}

/// An argument that chooses among capture variants: its index, and the bits of it that count.
pub type Selector = (u8, u32);

/// An argument's capture when the selecting arguments have the values `key` (their low 32
/// bits, in `select` order; 0 where there is no second one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    pub key: [u32; 2],
    pub arg: u8,
    pub capture: Capture,
}

impl Syscall {
    /// execve and execveat: they replace the caller's image.
    pub fn is_exec(&self) -> bool {
        self.name == "execve" || self.name == "execveat"
    }

    /// The key the selecting arguments make of the register values `args`.
    pub fn variant_key(&self, args: &[u64; 6]) -> [u32; 2] {
        let mut key = [0; 2];
        for (k, &(i, mask)) in key.iter_mut().zip(&self.select) {
            *k = args.get(usize::from(i)).map_or(0, |v| *v as u32 & mask);
        }
        key
    }

    /// What was read behind argument `i` of a call with the register values `args`.
    pub fn capture_of(&self, i: usize, args: &[u64; 6]) -> &Capture {
        let base = &self.args[i].capture;
        if self.variants.is_empty() {
            return base;
        }
        let key = self.variant_key(args);
        self.variants
            .iter()
            .find(|v| usize::from(v.arg) == i && v.key == key)
            .map_or(base, |v| &v.capture)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    pub syscalls: BTreeMap<u32, Syscall>,
    /// Structs read inside buffers rather than behind an argument (netlink's headers), by
    /// name: what formats/netlink names and this kernel's BTF has.
    #[serde(default)]
    pub structs: BTreeMap<String, Layout>,
}

impl Schema {
    pub fn get(&self, nr: u32) -> Option<&Syscall> {
        self.syscalls.get(&nr)
    }

    /// The name of syscall `nr`, or `syscall_<nr>` when the schema lacks it.
    pub fn name_of(&self, nr: u32) -> std::borrow::Cow<'_, str> {
        match self.get(nr) {
            Some(sc) => std::borrow::Cow::Borrowed(&sc.name),
            None => std::borrow::Cow::Owned(format!("syscall_{nr}")),
        }
    }

    pub fn by_name(&self, name: &str) -> Option<&Syscall> {
        self.syscalls.values().find(|s| s.name == name)
    }

    /// The numbers of the syscalls `-s` selects; None when nothing is given (all of them).
    /// Each selector is a syscall name or a `%class` (formats/syscall-classes), optionally
    /// negated with `!`: the result is the union of the positive ones (all syscalls when there
    /// are none) minus the negated ones, as strace's `-e trace=`. An unknown name is an error
    /// that suggests the closest known names.
    pub fn select(
        &self,
        selectors: &[String],
        classes: &BTreeMap<String, Vec<String>>,
    ) -> Result<Option<HashSet<u32>>, SchemaError> {
        if selectors.is_empty() {
            return Ok(None);
        }
        let (mut pos, mut neg, mut any_pos) = (HashSet::new(), HashSet::new(), false);
        // `-s open,read` lists several, as strace's -e trace= does
        for sel in selectors.iter().flat_map(|s| s.split(',')) {
            let (negated, body) = match sel.strip_prefix('!') {
                Some(b) => (true, b),
                None => (false, sel),
            };
            let set: HashSet<u32> = if body.starts_with('%') {
                let members = classes.get(body).ok_or_else(|| {
                    let known: Vec<&str> = classes.keys().map(String::as_str).collect();
                    SchemaError::UnknownSyscall(
                        body.to_string(),
                        format!("; classes are {}", known.join(", ")),
                    )
                })?;
                members
                    .iter()
                    .filter_map(|n| self.by_name(n).map(|s| s.nr))
                    .collect()
            } else {
                HashSet::from([self.nr_of(body)?])
            };
            if negated {
                neg.extend(set);
            } else {
                any_pos = true;
                pos.extend(set);
            }
        }
        if !any_pos {
            pos = self.syscalls.keys().copied().collect();
        }
        Ok(Some(pos.difference(&neg).copied().collect()))
    }

    fn nr_of(&self, n: &str) -> Result<u32, SchemaError> {
        if let Some(sc) = self.by_name(n) {
            return Ok(sc.nr);
        }
        let mut close: Vec<(f64, &str)> = self
            .syscalls
            .values()
            .map(|s| (strsim::jaro_winkler(n, &s.name), s.name.as_str()))
            .filter(|(score, _)| *score > 0.8)
            .collect();
        close.sort_by(|a, b| b.0.total_cmp(&a.0));
        let close: Vec<&str> = close.iter().take(4).map(|c| c.1).collect();
        let hint = match close.is_empty() {
            true => String::new(),
            false => format!("; did you mean {}?", close.join(", ")),
        };
        Err(SchemaError::UnknownSyscall(n.to_string(), hint))
    }

    /// Build the schema from tracefs events, BTF and the formats tables. A type BTF does not
    /// know degrades that argument to a plain integer (logged), never the whole schema; a
    /// rule that names a parameter the syscall does not have is an error.
    pub fn build(
        events: &[SyscallEvent],
        btf: &KernelBtf,
        formats: &Formats,
    ) -> Result<Schema, SchemaError> {
        let numbers: HashMap<&str, u32> = formats
            .syscalls
            .iter()
            .map(|(nr, n)| (n.as_str(), *nr))
            .collect();
        btf.preload(
            events
                .iter()
                .flat_map(|ev| ev.params.iter().map(|p| p.ctype.as_str())),
        );
        let mut syscalls = BTreeMap::new();
        for ev in events {
            let Some(&nr) = numbers.get(ev.name.as_str()) else {
                log::debug!(
                    "tracefs syscall `{}` has no number in formats/; skipped",
                    ev.name
                );
                continue;
            };
            let attrs = formats.rules.attrs(&ev.name);
            let mut args = Vec::with_capacity(ev.params.len());
            for p in &ev.params {
                args.push(build_arg(&ev.name, p, &ev.params, btf, formats)?);
            }
            let (select, variants) = build_variants(&ev.name, &ev.params, btf, formats)?;
            syscalls.insert(
                nr,
                Syscall {
                    nr,
                    name: ev.name.clone(),
                    args,
                    noreturn: attrs.noreturn,
                    ret_hex: attrs.ret_hex,
                    select,
                    variants,
                },
            );
        }
        let structs = formats
            .netlink
            .structs()
            .filter_map(|name| {
                let layout = sized_pointee(btf, &format!("struct {name} *"));
                if layout.is_none() {
                    log::debug!("this kernel's BTF has no `struct {name}`");
                }
                Some((name.to_string(), layout?))
            })
            .collect();
        Ok(Schema { syscalls, structs })
    }
}

fn size_ref(
    sys: &str,
    src: &SizeSrc,
    params: &[crate::kernel::tracefs::Param],
) -> Result<SizeRef, SchemaError> {
    Ok(match src {
        SizeSrc::Ret => SizeRef::Ret,
        SizeSrc::Fixed(n) => SizeRef::Fixed(*n),
        SizeSrc::Param(p) => SizeRef::Arg(param_index(sys, p, params)?),
        SizeSrc::ParamPtr(p) => SizeRef::ArgPtr(param_index(sys, p, params)?),
        SizeSrc::Ioc(p) => SizeRef::Ioc(param_index(sys, p, params)?),
    })
}

fn param_index(
    sys: &str,
    p: &str,
    params: &[crate::kernel::tracefs::Param],
) -> Result<u8, SchemaError> {
    let i = params
        .iter()
        .position(|q| q.name == p)
        .ok_or_else(|| SchemaError::Rule(format!("{sys} has no parameter `{p}`")))?;
    Ok(i as u8)
}

/// The conditional rules of one syscall (`... when P = V [and Q = W]`): the selecting
/// arguments and each variant. A rule whose type this kernel's BTF lacks is left out (logged):
/// that argument is then read as its plain rule says.
fn build_variants(
    sys: &str,
    params: &[crate::kernel::tracefs::Param],
    btf: &KernelBtf,
    formats: &Formats,
) -> Result<(Vec<Selector>, Vec<Variant>), SchemaError> {
    let mut select: Vec<Selector> = Vec::new();
    let mut variants = Vec::new();
    for v in formats.rules.variants.iter().filter(|v| v.syscall == sys) {
        let at =
            |msg: String| SchemaError::Rule(format!("line {}: {sys}.{}: {msg}", v.line, v.param));
        let arg = param_index(sys, &v.param, params)?;
        let p = &params[usize::from(arg)];
        // the selecting parameters (with their masks) and the values this rule wants
        let (mut sel, mut key) = (Vec::<Selector>::new(), [0u32; 2]);
        for (k, (q, name)) in v.when.iter().enumerate() {
            let (bare, mask) = crate::tables::split_mask(q).map_err(at)?;
            sel.push((param_index(sys, bare, params)?, mask));
            let value = formats
                .xlat
                .cond_value(sys, bare, &v.when[..k], name)
                .ok_or_else(|| at(format!("`{name}` is no value of {bare}")))?;
            key[k] = value as u32 & mask;
        }
        if select.is_empty() {
            select = sel;
        } else if select != sel {
            return Err(at(format!(
                "its `when` names other parameters than the rules before it ({:?})",
                v.when.iter().map(|w| &w.0).collect::<Vec<_>>()
            )));
        }
        let pointee = sized_pointee(btf, &p.ctype);
        let capture = match rule_capture(sys, p, params, &v.rule, pointee, btf) {
            Ok(c) => c,
            Err(e) => {
                log::debug!("{e}; that variant is left out");
                continue;
            }
        };
        if variants
            .iter()
            .any(|o: &Variant| o.key == key && o.arg == arg)
        {
            return Err(at(format!("two rules for the same values {:?}", v.when)));
        }
        variants.push(Variant { key, arg, capture });
    }
    Ok((select, variants))
}

/// What a pointer of C type `ctype` points to, when BTF gives it a size.
fn sized_pointee(btf: &KernelBtf, ctype: &str) -> Option<Layout> {
    btf.resolve(ctype)
        .ok()
        .and_then(|r| r.pointee)
        .filter(|l| l.size().is_some_and(|s| s > 0))
}

fn build_arg(
    sys: &str,
    p: &crate::kernel::tracefs::Param,
    params: &[crate::kernel::tracefs::Param],
    btf: &KernelBtf,
    formats: &Formats,
) -> Result<Arg, SchemaError> {
    let resolved = match btf.resolve(&p.ctype) {
        Ok(r) => Some(r),
        Err(e) => {
            log::debug!("{sys}.{}: {e}; shown as a plain value", p.name);
            None
        }
    };
    let is_ptr = p.ctype.contains('*') || resolved.as_ref().is_some_and(|r| r.depth > 0);
    let value = match &resolved {
        Some(r) => r.value.clone(),
        None if is_ptr => Layout::Ptr,
        None => Layout::Int {
            size: 8,
            signed: false,
            is_char: false,
            is_bool: false,
        },
    };
    let pointee = resolved
        .as_ref()
        .and_then(|r| r.pointee.clone())
        .filter(|l| l.size().is_some_and(|s| s > 0));
    let capture = match formats.rules.arg(sys, &p.name) {
        Some(rule) => rule_capture(sys, p, params, rule, pointee, btf)?,
        None => default_capture(resolved.as_ref(), pointee),
    };
    Ok(Arg {
        name: p.name.clone(),
        ctype: p.ctype.clone(),
        value,
        capture,
    })
}

/// The capture a formats/capture.rules rule gives a parameter (`pointee`: its sized pointee,
/// from BTF).
fn rule_capture(
    sys: &str,
    p: &crate::kernel::tracefs::Param,
    params: &[crate::kernel::tracefs::Param],
    rule: &crate::tables::ArgRule,
    mut pointee: Option<Layout>,
    btf: &KernelBtf,
) -> Result<Capture, SchemaError> {
    let dir = rule.dir;
    // the rules that read a type need one with a size
    let mut sized = |rule: &str, what: &str| {
        pointee.take().ok_or_else(|| {
            SchemaError::Rule(format!(
                "{sys}.{}: `{rule}` rule, but `{}` has no sized {what}",
                p.name, p.ctype
            ))
        })
    };
    Ok(match &rule.kind {
        RuleKind::None => Capture::None,
        RuleKind::String => Capture::Str { dir },
        RuleKind::StrArray => Capture::StrArray { dir },
        RuleKind::Bytes(s) => Capture::Bytes {
            dir,
            size: size_ref(sys, s, params)?,
        },
        RuleKind::Shaped(shape, s, len) => Capture::Shaped {
            dir,
            size: size_ref(sys, s, params)?,
            shape: *shape,
            len: match len {
                Some(l) => match size_ref(sys, &SizeSrc::Param(l.clone()), params)? {
                    SizeRef::Arg(i) => Some(i),
                    _ => None,
                },
                None => None,
            },
        },
        RuleKind::Struct => Capture::Fixed {
            dir,
            layout: sized("struct", "pointee")?,
        },
        RuleKind::Msghdr => Capture::Msghdr {
            dir,
            layout: sized("msghdr", "pointee")?,
        },
        RuleKind::UnionMember(union, member) => {
            let picked = sized_pointee(btf, &format!("union {union} *"))
                .and_then(|l| union_member(&l, member));
            match picked {
                Some(layout) => Capture::Fixed { dir, layout },
                None => {
                    log::debug!("{sys}.{}: union {union} has no member {member}", p.name);
                    Capture::None
                }
            }
        }
        RuleKind::Typed(ctype) => {
            // a type an older kernel lacks (sigset_argpack): the pointer is shown
            match sized_pointee(btf, &format!("{ctype} *")) {
                Some(layout) => Capture::Fixed { dir, layout },
                None => {
                    log::debug!("{sys}.{}: this kernel's BTF has no sized `{ctype}`", p.name);
                    Capture::None
                }
            }
        }
        RuleKind::Iovec(s) => Capture::Iovec {
            dir,
            count: size_ref(sys, s, params)?,
            elem: sized("iovec", "element type")?,
        },
        RuleKind::Array(s) => Capture::Array {
            dir,
            count: size_ref(sys, s, params)?,
            elem: sized("array", "element type")?,
        },
    })
}

/// The member of union `u` named `name`, or the anonymous struct in it with a member of that
/// name (looked for in its anonymous members too).
fn union_member(u: &Layout, name: &str) -> Option<Layout> {
    fn has(l: &Layout, name: &str) -> bool {
        match l {
            Layout::Struct { members, .. } => members
                .iter()
                .any(|m| &*m.name == name || (m.name.is_empty() && has(&m.layout, name))),
            _ => false,
        }
    }
    let Layout::Struct { members, .. } = u else {
        return None;
    };
    members
        .iter()
        .find(|m| &*m.name == name || (m.name.is_empty() && has(&m.layout, name)))
        .map(|m| m.layout.clone())
        .filter(|l| l.size().is_some_and(|s| s > 0))
}

/// The defaults from the declared type alone (see the head of formats/capture.rules).
fn default_capture(r: Option<&crate::kernel::btf::Resolved>, pointee: Option<Layout>) -> Capture {
    let Some(r) = r else { return Capture::None };
    match r.depth {
        0 => Capture::None,
        1 if r.char_pointee => {
            if r.const_pointee {
                Capture::Str { dir: Dir::In }
            } else {
                Capture::None
            }
        }
        1 => match pointee {
            Some(layout) if !matches!(layout, Layout::Void | Layout::Opaque { .. }) => {
                let dir = if r.const_pointee { Dir::In } else { Dir::Out };
                Capture::Fixed { dir, layout }
            }
            _ => Capture::None,
        },
        2 if r.string_array => Capture::StrArray { dir: Dir::In },
        _ => Capture::None,
    }
}

/// Rules in formats/capture.rules that name a syscall or parameter tracefs does not list.
pub fn unmatched_rules(formats: &Formats, events: &[SyscallEvent]) -> Vec<String> {
    let mut out = Vec::new();
    for (sys, param) in formats.rules.args.keys() {
        match events.iter().find(|e| &e.name == sys) {
            None => out.push(format!("{sys}.{param}: no such syscall")),
            Some(e) if !e.params.iter().any(|p| &p.name == param) => {
                out.push(format!("{sys}.{param}: no such parameter"))
            }
            _ => {}
        }
    }
    for sys in formats.rules.syscalls.keys() {
        if !events.iter().any(|e| &e.name == sys) {
            out.push(format!("{sys}: no such syscall"));
        }
    }
    out.sort();
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::kernel::tracefs;
    use std::path::Path;

    /// The schema of the tracefs and BTF snapshots in testdata/.
    pub(crate) fn snapshot_schema() -> Schema {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/tracefs");
        let events = tracefs::syscall_events(&root).unwrap();
        let btf = KernelBtf::from_bytes(
            &std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/btf/types.btf"))
                .unwrap(),
        )
        .unwrap();
        Schema::build(&events, &btf, &Formats::embedded().unwrap()).unwrap()
    }

    #[test]
    fn capture_plan_rules_from_snapshots() {
        let s = snapshot_schema();
        let openat = s.by_name("openat").unwrap();
        assert_eq!(openat.nr, 257);
        assert_eq!(
            openat.args[0].value,
            Layout::Int {
                size: 4,
                signed: true,
                is_char: false,
                is_bool: false
            }
        );
        assert_eq!(openat.args[1].capture, Capture::Str { dir: Dir::In });
        assert_eq!(
            openat.args[3].value,
            Layout::Int {
                size: 2,
                signed: false,
                is_char: false,
                is_bool: false
            }
        );
        let read = s.by_name("read").unwrap();
        assert_eq!(
            read.args[1].capture,
            Capture::Bytes {
                dir: Dir::Out,
                size: SizeRef::Ret
            }
        );
        let write = s.by_name("write").unwrap();
        assert_eq!(
            write.args[1].capture,
            Capture::Bytes {
                dir: Dir::In,
                size: SizeRef::Arg(2)
            }
        );
        let stat = s.by_name("newfstatat").unwrap();
        match &stat.args[2].capture {
            Capture::Fixed {
                dir: Dir::Out,
                layout,
            } => assert_eq!(layout.size(), Some(144)),
            c => panic!("{c:?}"),
        }
        let execve = s.by_name("execve").unwrap();
        assert!(execve.is_exec());
        assert_eq!(execve.args[0].capture, Capture::Str { dir: Dir::In });
        assert_eq!(execve.args[1].capture, Capture::StrArray { dir: Dir::In });
        let writev = s.by_name("writev").unwrap();
        match &writev.args[1].capture {
            Capture::Iovec {
                dir: Dir::In,
                count: SizeRef::Arg(2),
                elem,
            } => assert_eq!(elem.size(), Some(16)),
            c => panic!("{c:?}"),
        }
        let pipe2 = s.by_name("pipe2").unwrap();
        assert!(matches!(
            &pipe2.args[0].capture,
            Capture::Array {
                dir: Dir::Out,
                count: SizeRef::Fixed(2),
                ..
            }
        ));
        assert!(s.by_name("exit_group").unwrap().noreturn);
        let poll = s.by_name("poll").unwrap();
        match &poll.args[0].capture {
            Capture::Array {
                dir: Dir::InOut,
                count: SizeRef::Arg(1),
                elem,
            } => assert_eq!(elem.size(), Some(8)),
            c => panic!("{c:?}"),
        }
    }

    #[test]
    fn schema_round_trips_through_serde() {
        let s = snapshot_schema();
        let json = serde_json::to_string(&s).unwrap();
        let back: Schema = serde_json::from_str(&json).unwrap();
        assert_eq!(s, back);
    }

    #[test]
    fn selectors_names_classes_and_negation() {
        let mut s = Schema::default();
        for (nr, n) in [(0, "read"), (42, "connect"), (41, "socket"), (202, "futex")] {
            s.syscalls.insert(
                nr,
                Syscall {
                    nr,
                    name: n.into(),
                    args: vec![],
                    noreturn: false,
                    ret_hex: false,
                    select: Vec::new(),
                    variants: Vec::new(),
                },
            );
        }
        let classes = BTreeMap::from([(
            "%net".to_string(),
            vec![
                "socket".to_string(),
                "connect".to_string(),
                "accept".to_string(),
            ],
        )]);
        let sel = |v: &[&str]| {
            let v: Vec<String> = v.iter().map(|x| x.to_string()).collect();
            s.select(&v, &classes).map(|o| {
                let mut v: Vec<u32> = o.unwrap().into_iter().collect();
                v.sort();
                v
            })
        };
        assert_eq!(
            sel(&["%net"]).unwrap(),
            [41, 42],
            "accept is not on this kernel: skipped"
        );
        assert_eq!(
            sel(&["!futex"]).unwrap(),
            [0, 41, 42],
            "only negations: all but those"
        );
        assert_eq!(sel(&["%net", "!connect", "read"]).unwrap(), [0, 41]);
        assert_eq!(sel(&["!%net"]).unwrap(), [0, 202]);
        assert_eq!(sel(&["read,futex", "!futex"]).unwrap(), [0], "comma lists");
        let e = sel(&["%nett"]).unwrap_err().to_string();
        assert!(
            e.contains("unknown syscall `%nett`; classes are %net"),
            "{e}"
        );
        assert!(sel(&["conect"])
            .unwrap_err()
            .to_string()
            .contains("did you mean connect"));
        assert!(s.select(&[], &classes).unwrap().is_none());
    }
}
