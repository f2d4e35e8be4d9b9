//! wire: the schema as a dump header carries it: every type once, in a flat table whose
//! entries refer only to earlier entries, so that reading it back needs no recursion and a
//! damaged or hostile header cannot nest deeper, or expand larger, than the limits below.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::kernel::btf::{Layout, Member};
use crate::schema::{Arg, Capture, Schema, Syscall};

/// Deepest type nesting accepted (BTF resolution stops at 16).
pub const MAX_TYPE_DEPTH: u32 = 32;
/// Most layout nodes one type may expand to.
pub const MAX_TYPE_NODES: u64 = 1 << 16;
/// Most layout nodes the whole schema may expand to (the running kernel's is a few thousand).
pub const MAX_SCHEMA_NODES: u64 = 1 << 21;
/// Most bytes the whole expanded schema may take in memory, whatever the header's shape: every
/// entry of the type table is expanded (children copied in), and so is every argument's type.
/// The running kernel's full schema takes about 3 MiB.
pub const MAX_SCHEMA_BYTES: u64 = 64 << 20;
/// Most entries of the type table (the running kernel's full schema has a few hundred).
pub const MAX_TYPES: usize = 1 << 16;
/// Most arguments a syscall has.
const MAX_ARGS: usize = 6;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum WireError {
    #[error("type {0} refers to type {1}, which is not defined before it")]
    BadRef(u32, u32),
    #[error("type {0} nests deeper than {MAX_TYPE_DEPTH} levels")]
    TooDeep(u32),
    #[error("type {0} expands to more than {MAX_TYPE_NODES} layout nodes")]
    TooLarge(u32),
    #[error("the schema expands to more than {MAX_SCHEMA_NODES} layout nodes")]
    SchemaTooLarge,
    #[error("syscall {0} is listed twice")]
    Duplicate(u32),
    #[error("syscall {0} has more than {MAX_ARGS} arguments")]
    TooManyArgs(u32),
    #[error("the type table has {0} entries, more than {MAX_TYPES}")]
    TooManyTypes(usize),
    #[error("the schema expands to more than {} MiB in memory", MAX_SCHEMA_BYTES >> 20)]
    SchemaTooBig,
    #[error(
        "syscall {nr} argument {arg} refers to type {id}, which the type table does not define"
    )]
    BadArgRef { nr: u32, arg: usize, id: u32 },
    #[error("{what} {name:?} is not a plain name (only printable ASCII is)")]
    BadName { what: &'static str, name: String },
    #[error("the capture variants of syscall {0} do not fit it")]
    BadVariants(u32),
    #[error("more than {MAX_VARIANTS} capture variants")]
    TooManyVariants,
    #[error("more than {MAX_STRUCTS} named structs")]
    TooManyStructs,
}

/// Most capture variants in all (the kernel's map holds 512).
const MAX_VARIANTS: usize = 512;

/// A name from the header must be printable ASCII: every name a kernel gives (C identifiers,
/// C types) is, and such a name can reach a terminal as it is.
fn plain(what: &'static str, name: &str) -> Result<(), WireError> {
    match crate::kernel::btf::is_plain_name(name) {
        true => Ok(()),
        false => Err(WireError::BadName {
            what,
            name: name.chars().take(64).collect(),
        }),
    }
}

/// What an expanded layout costs in memory, roughly: its nodes, the names it owns.
fn node_bytes(extra: usize) -> u64 {
    (std::mem::size_of::<Layout>() + extra) as u64
}

/// A type of the table expanded: its layout, depth, layout nodes and bytes in memory.
type Built = (Layout, u32, u64, u64);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WireType {
    Void,
    Int {
        size: u32,
        signed: bool,
        is_char: bool,
        is_bool: bool,
    },
    Float {
        size: u32,
    },
    Enum {
        size: u32,
        signed: bool,
        values: Vec<(i64, String)>,
    },
    Ptr,
    Array {
        elem: u32,
        len: u32,
    },
    Struct {
        name: String,
        size: u32,
        union: bool,
        members: Vec<WireMember>,
    },
    Opaque {
        name: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireMember {
    pub name: String,
    pub bit_offset: u32,
    pub bit_size: u32,
    pub ty: u32,
}

/// A capture rule as a header carries it: each type an index into the type table.
pub type WireCapture = Capture<u32>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireArg {
    pub name: String,
    pub ctype: String,
    pub value: u32,
    pub capture: WireCapture,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireSyscall {
    pub nr: u32,
    pub name: String,
    pub args: Vec<WireArg>,
    pub noreturn: bool,
    pub ret_hex: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireSchema {
    pub types: Vec<WireType>,
    pub syscalls: Vec<WireSyscall>,
    /// The syscalls' capture variants (Syscall::variants). Not part of the header's own
    /// postcard value: a dump of format 4 carries them right after it (dump::Writer), so that
    /// a header of format 2 or 3, which ends where the header value ends, still reads.
    #[serde(skip)]
    pub variants: Vec<WireVariants>,
    /// Schema::structs, each a type of the table: carried after the header value, as
    /// `variants` are.
    #[serde(skip)]
    pub structs: Vec<(String, u32)>,
}

/// Most named structs a header may carry.
const MAX_STRUCTS: usize = 256;

/// One syscall's capture variants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireVariants {
    pub nr: u32,
    pub select: Vec<(u8, u32)>,
    pub variants: Vec<WireVariant>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireVariant {
    pub key: [u32; 2],
    pub arg: u8,
    pub capture: WireCapture,
}

/// Builds the type table, each distinct layout once.
#[derive(Default)]
struct Interner {
    types: Vec<WireType>,
    ids: HashMap<Layout, u32>,
}

impl Interner {
    fn capture(&mut self, c: &Capture) -> WireCapture {
        match c.map(|l| Ok::<_, Infallible>(self.intern(l))) {
            Ok(c) => c,
            Err(never) => match never {},
        }
    }

    fn intern(&mut self, l: &Layout) -> u32 {
        if let Some(&id) = self.ids.get(l) {
            return id;
        }
        let node = match l {
            Layout::Void => WireType::Void,
            Layout::Int {
                size,
                signed,
                is_char,
                is_bool,
            } => WireType::Int {
                size: *size,
                signed: *signed,
                is_char: *is_char,
                is_bool: *is_bool,
            },
            Layout::Float { size } => WireType::Float { size: *size },
            Layout::Enum {
                size,
                signed,
                values,
            } => WireType::Enum {
                size: *size,
                signed: *signed,
                values: values.clone(),
            },
            Layout::Ptr => WireType::Ptr,
            Layout::Array { elem, len } => WireType::Array {
                elem: self.intern(elem),
                len: *len,
            },
            Layout::Struct {
                name,
                size,
                union,
                members,
            } => WireType::Struct {
                name: name.clone(),
                size: *size,
                union: *union,
                members: members
                    .iter()
                    .map(|m| WireMember {
                        name: m.name.to_string(),
                        bit_offset: m.bit_offset,
                        bit_size: m.bit_size,
                        ty: self.intern(&m.layout),
                    })
                    .collect(),
            },
            Layout::Opaque { name } => WireType::Opaque { name: name.clone() },
        };
        let id = self.types.len() as u32;
        self.types.push(node);
        self.ids.insert(l.clone(), id);
        id
    }
}

impl WireSchema {
    /// The wire form of `schema`, keeping only the syscalls `keep` accepts.
    pub fn from_schema(schema: &Schema, keep: &dyn Fn(&Syscall) -> bool) -> WireSchema {
        let mut t = Interner::default();
        let (mut syscalls, mut variants) = (Vec::new(), Vec::new());
        for s in schema.syscalls.values().filter(|s| keep(s)) {
            let args = s
                .args
                .iter()
                .map(|a| WireArg {
                    name: a.name.clone(),
                    ctype: a.ctype.clone(),
                    value: t.intern(&a.value),
                    capture: t.capture(&a.capture),
                })
                .collect();
            syscalls.push(WireSyscall {
                nr: s.nr,
                name: s.name.clone(),
                noreturn: s.noreturn,
                ret_hex: s.ret_hex,
                args,
            });
            if !s.variants.is_empty() {
                variants.push(WireVariants {
                    nr: s.nr,
                    select: s.select.clone(),
                    variants: s
                        .variants
                        .iter()
                        .map(|v| WireVariant {
                            key: v.key,
                            arg: v.arg,
                            capture: t.capture(&v.capture),
                        })
                        .collect(),
                });
            }
        }
        let structs = schema
            .structs
            .iter()
            .map(|(name, l)| (name.clone(), t.intern(l)))
            .collect();
        WireSchema {
            types: t.types,
            syscalls,
            variants,
            structs,
        }
    }

    /// The schema back, after checking every reference and size limit.
    pub fn to_schema(&self) -> Result<Schema, WireError> {
        if self.types.len() > MAX_TYPES {
            return Err(WireError::TooManyTypes(self.types.len()));
        }
        let mut x = Expander {
            built: Vec::with_capacity(self.types.len()),
            ..Expander::default()
        };
        for (i, t) in self.types.iter().enumerate() {
            let b = x.expand(i as u32, t)?;
            x.add(i as u32, b)?;
        }
        let mut syscalls = BTreeMap::new();
        for s in &self.syscalls {
            if syscalls.insert(s.nr, x.syscall(s)?).is_some() {
                return Err(WireError::Duplicate(s.nr));
            }
        }
        let total: usize = self.variants.iter().map(|v| v.variants.len()).sum();
        if total > MAX_VARIANTS {
            return Err(WireError::TooManyVariants);
        }
        for v in &self.variants {
            let bad = || WireError::BadVariants(v.nr);
            let sc: &mut Syscall = syscalls.get_mut(&v.nr).ok_or_else(bad)?;
            let nargs = sc.args.len();
            if !sc.variants.is_empty()
                || v.select.is_empty()
                || v.select.len() > 2
                || v.select.iter().any(|&(i, _)| usize::from(i) >= nargs)
            {
                return Err(bad());
            }
            sc.select = v.select.clone();
            for w in &v.variants {
                if usize::from(w.arg) >= nargs {
                    return Err(bad());
                }
                let capture = w.capture.map(|&id| x.take(v.nr, w.arg.into(), id))?;
                sc.variants.push(crate::schema::Variant {
                    key: w.key,
                    arg: w.arg,
                    capture,
                });
            }
        }
        if self.structs.len() > MAX_STRUCTS {
            return Err(WireError::TooManyStructs);
        }
        let mut structs = BTreeMap::new();
        for (name, id) in &self.structs {
            plain("a struct name", name)?;
            structs.insert(name.clone(), x.take(0, 0, *id)?);
        }
        Ok(Schema { syscalls, structs })
    }
}

/// Expands a type table, in order, each type from earlier ones only; `spent` adds up the bytes
/// of every expansion made (the table's and the arguments'), against MAX_SCHEMA_BYTES.
#[derive(Default)]
struct Expander {
    built: Vec<Built>,
    spent: u64,
    /// Layout nodes given to arguments, against MAX_SCHEMA_NODES.
    nodes: u64,
}

impl Expander {
    fn spend(&mut self, bytes: u64) -> Result<(), WireError> {
        self.spent = self.spent.saturating_add(bytes);
        match self.spent > MAX_SCHEMA_BYTES {
            true => Err(WireError::SchemaTooBig),
            false => Ok(()),
        }
    }

    /// Type `i`, expanded.
    fn expand(&self, i: u32, t: &WireType) -> Result<Built, WireError> {
        let leaf = |l: Layout, extra: usize| Ok((l, 1, 1, node_bytes(extra)));
        match t {
            WireType::Void => leaf(Layout::Void, 0),
            WireType::Ptr => leaf(Layout::Ptr, 0),
            WireType::Float { size } => leaf(Layout::Float { size: *size }, 0),
            &WireType::Int {
                size,
                signed,
                is_char,
                is_bool,
            } => leaf(
                Layout::Int {
                    size,
                    signed,
                    is_char,
                    is_bool,
                },
                0,
            ),
            WireType::Opaque { name } => {
                plain("a type name", name)?;
                leaf(Layout::Opaque { name: name.clone() }, name.len())
            }
            WireType::Enum {
                size,
                signed,
                values,
            } => {
                let mut bytes = node_bytes(0);
                for (_, name) in values {
                    plain("an enumerator", name)?;
                    bytes += (std::mem::size_of::<(i64, String)>() + name.len()) as u64;
                }
                let layout = Layout::Enum {
                    size: *size,
                    signed: *signed,
                    values: values.clone(),
                };
                Ok((layout, 1, values.len() as u64 + 1, bytes))
            }
            WireType::Array { elem, len } => {
                let (l, d, n, b) = self.child(i, *elem)?;
                let layout = Layout::Array {
                    elem: Box::new(l.clone()),
                    len: *len,
                };
                Ok((layout, d + 1, n + 1, node_bytes(0) + b))
            }
            WireType::Struct {
                name,
                size,
                union,
                members,
            } => self.expand_struct(i, name, *size, *union, members),
        }
    }

    fn expand_struct(
        &self,
        i: u32,
        name: &str,
        size: u32,
        union: bool,
        members: &[WireMember],
    ) -> Result<Built, WireError> {
        plain("a struct name", name)?;
        let (mut depth, mut nodes) = (0u32, 1u64);
        let mut bytes = node_bytes(name.len());
        let mut ms = Vec::with_capacity(members.len());
        for m in members {
            plain("a struct member", &m.name)?;
            let (l, d, n, b) = self.child(i, m.ty)?;
            depth = depth.max(*d);
            nodes = nodes.saturating_add(*n);
            if nodes > MAX_TYPE_NODES {
                return Err(WireError::TooLarge(i));
            }
            bytes = bytes.saturating_add((std::mem::size_of::<Member>() + m.name.len()) as u64 + b);
            ms.push(Member {
                name: m.name.as_str().into(),
                bit_offset: m.bit_offset,
                bit_size: m.bit_size,
                layout: l.clone(),
            });
        }
        let layout = Layout::Struct {
            name: name.to_string(),
            size,
            union,
            members: ms,
        };
        Ok((layout, depth + 1, nodes, bytes))
    }

    /// An earlier type, for type `i`.
    fn child(&self, i: u32, id: u32) -> Result<&Built, WireError> {
        self.built.get(id as usize).ok_or(WireError::BadRef(i, id))
    }

    /// Keep type `i`, within the limits.
    fn add(&mut self, i: u32, b: Built) -> Result<(), WireError> {
        if b.1 > MAX_TYPE_DEPTH {
            return Err(WireError::TooDeep(i));
        }
        if b.2 > MAX_TYPE_NODES {
            return Err(WireError::TooLarge(i));
        }
        self.spend(b.3)?;
        self.built.push(b);
        Ok(())
    }

    /// A copy of type `id` for argument `arg` of syscall `nr`.
    fn take(&mut self, nr: u32, arg: usize, id: u32) -> Result<Layout, WireError> {
        let (l, _, n, b) =
            self.built
                .get(id as usize)
                .ok_or(WireError::BadArgRef { nr, arg, id })?;
        let (l, n, b) = (l.clone(), *n, *b);
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_SCHEMA_NODES {
            return Err(WireError::SchemaTooLarge);
        }
        self.spend(b)?;
        Ok(l)
    }

    fn syscall(&mut self, s: &WireSyscall) -> Result<Syscall, WireError> {
        if s.args.len() > MAX_ARGS {
            return Err(WireError::TooManyArgs(s.nr));
        }
        plain("a syscall name", &s.name)?;
        let mut args = Vec::with_capacity(s.args.len());
        for (k, a) in s.args.iter().enumerate() {
            plain("a parameter name", &a.name)?;
            plain("a parameter type", &a.ctype)?;
            let capture = a.capture.map(|&id| self.take(s.nr, k, id))?;
            args.push(Arg {
                name: a.name.clone(),
                ctype: a.ctype.clone(),
                value: self.take(s.nr, k, a.value)?,
                capture,
            });
        }
        Ok(Syscall {
            nr: s.nr,
            name: s.name.clone(),
            args,
            noreturn: s.noreturn,
            ret_hex: s.ret_hex,
            select: Vec::new(),
            variants: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::SizeRef;
    use crate::tables::Dir;

    fn int(size: u32) -> Layout {
        Layout::Int {
            size,
            signed: true,
            is_char: false,
            is_bool: false,
        }
    }

    fn sample() -> Schema {
        let ts = Layout::Struct {
            name: "timespec".into(),
            size: 16,
            union: false,
            members: vec![
                Member {
                    name: "tv_sec".into(),
                    bit_offset: 0,
                    bit_size: 0,
                    layout: int(8),
                },
                Member {
                    name: "tv_nsec".into(),
                    bit_offset: 64,
                    bit_size: 0,
                    layout: int(8),
                },
            ],
        };
        let arg = |name: &str, value: Layout, capture| Arg {
            name: name.into(),
            ctype: "x".into(),
            value,
            capture,
        };
        let mut s = Schema::default();
        for (nr, name) in [(35, "nanosleep"), (230, "clock_nanosleep")] {
            s.syscalls.insert(
                nr,
                Syscall {
                    nr,
                    name: name.into(),
                    args: vec![
                        arg("which", int(4), Capture::None),
                        arg(
                            "rqtp",
                            Layout::Ptr,
                            Capture::Fixed {
                                dir: Dir::In,
                                layout: ts.clone(),
                            },
                        ),
                        arg(
                            "arr",
                            Layout::Ptr,
                            Capture::Array {
                                dir: Dir::Out,
                                count: SizeRef::Arg(0),
                                elem: Layout::Array {
                                    elem: Box::new(ts.clone()),
                                    len: 2,
                                },
                            },
                        ),
                    ],
                    noreturn: false,
                    ret_hex: nr == 35,
                    select: Vec::new(),
                    variants: Vec::new(),
                },
            );
        }
        s
    }

    #[test]
    fn round_trips_and_stores_each_type_once() {
        let s = sample();
        let w = WireSchema::from_schema(&s, &|_| true);
        // int(8), timespec, ptr, int(4), timespec[2]: each once although used four times
        assert_eq!(w.types.len(), 5);
        let bytes = postcard::to_stdvec(&w).unwrap();
        let back: WireSchema = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back.to_schema().unwrap(), s);
        let only = WireSchema::from_schema(&s, &|sc| sc.nr == 35);
        assert_eq!(only.to_schema().unwrap().syscalls.len(), 1);
    }

    #[test]
    fn rejects_forward_refs_deep_nesting_and_blowup() {
        let fwd = WireSchema {
            types: vec![WireType::Array { elem: 0, len: 1 }],
            syscalls: vec![],
            variants: vec![],
            structs: vec![],
        };
        assert_eq!(fwd.to_schema().unwrap_err(), WireError::BadRef(0, 0));

        let mut deep = vec![WireType::Ptr];
        for i in 0..MAX_TYPE_DEPTH {
            deep.push(WireType::Array { elem: i, len: 1 });
        }
        let w = WireSchema {
            types: deep,
            syscalls: vec![],
            variants: vec![],
            structs: vec![],
        };
        assert_eq!(
            w.to_schema().unwrap_err(),
            WireError::TooDeep(MAX_TYPE_DEPTH)
        );

        // each struct holds the previous one twice: 2^n nodes from n entries
        let mut blow = vec![WireType::Ptr];
        for i in 0..20u32 {
            let m = |name: &str| WireMember {
                name: name.into(),
                bit_offset: 0,
                bit_size: 0,
                ty: i,
            };
            blow.push(WireType::Struct {
                name: String::new(),
                size: 8,
                union: true,
                members: vec![m("a"), m("b")],
            });
        }
        let w = WireSchema {
            types: blow,
            syscalls: vec![],
            variants: vec![],
            structs: vec![],
        };
        assert!(matches!(w.to_schema(), Err(WireError::TooLarge(_))));
    }
}
