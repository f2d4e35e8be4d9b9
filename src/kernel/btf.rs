//! btf: resolves the C types tracefs declares through kernel BTF (btf-rs) into sizes,
//! signedness and struct layouts, following typedefs, qualifiers, nested structs, unions,
//! arrays, enums and bitfields.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io::{Read, Seek};
use std::path::Path;

use btf_rs::{Backend, Btf, BtfType, Type};
use serde::{Deserialize, Serialize};
use thiserror::Error;

pub const VMLINUX: &str = "/sys/kernel/btf/vmlinux";

#[derive(Debug, Error)]
pub enum BtfError {
    #[error(
        "no kernel BTF at {0}: this kernel was built without CONFIG_DEBUG_INFO_BTF, which \
         etrace needs to size syscall structs"
    )]
    Missing(String),
    #[error("cannot read BTF from {0}: no such file")]
    NoFile(String),
    #[error("cannot read BTF from {path}: {msg}")]
    Read { path: String, msg: String },
    #[error("type `{0}` is not in the kernel's BTF")]
    Unknown(String),
    #[error("BTF lookup of `{ty}` failed: {msg}")]
    Lookup { ty: String, msg: String },
}

/// The shape of a kernel type, enough to decode bytes of it. Serializable: a dump carries it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Layout {
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
        /// The enumerators (value, name), for symbolic decoding; at most MAX_ENUM_VALUES.
        values: Vec<(i64, String)>,
    },
    Ptr,
    Array {
        elem: Box<Layout>,
        len: u32,
    },
    Struct {
        name: String,
        size: u32,
        union: bool,
        members: Vec<Member>,
    },
    /// A type BTF only declares (forward declaration) or one without a size.
    Opaque {
        name: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Member {
    /// Empty for an anonymous struct or union member. Shared: every decoded struct names its
    /// members with it.
    pub name: std::sync::Arc<str>,
    pub bit_offset: u32,
    /// Width of a bitfield; 0 for an ordinary member.
    pub bit_size: u32,
    pub layout: Layout,
}

impl Layout {
    /// Size in bytes, when the type has one.
    pub fn size(&self) -> Option<u32> {
        match self {
            Layout::Int { size, .. } | Layout::Float { size } | Layout::Enum { size, .. } => {
                Some(*size)
            }
            Layout::Ptr => Some(8),
            // a length from a hostile dump header can overflow: such an array has no usable size
            Layout::Array { elem, len } => elem.size().and_then(|s| s.checked_mul(*len)),
            Layout::Struct { size, .. } => Some(*size),
            Layout::Void | Layout::Opaque { .. } => None,
        }
    }
}

/// A declared parameter type, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The register value itself: an integer of this size and signedness, or a pointer.
    pub value: Layout,
    /// Number of `*` levels (a typedef to a pointer counts as one).
    pub depth: u32,
    /// What a one-level pointer points to.
    pub pointee: Option<Layout>,
    /// The pointee is declared const (an input).
    pub const_pointee: bool,
    /// `const char *const *`-style: a pointer to pointers to const char.
    pub string_array: bool,
    /// The pointee is `char`.
    pub char_pointee: bool,
}

/// Kernel BTF, opened once.
pub struct KernelBtf {
    btf: Btf,
    /// Type ids by name, for the names `preload` was given. Kernel BTF is read in place
    /// (mmap), where finding one name scans every type (~1.7 ms): `preload` finds all the
    /// names a schema needs in one scan.
    ids: RefCell<HashMap<String, Vec<u32>>>,
    /// Layout nodes the declared type being resolved may still expand to.
    nodes_left: Cell<u64>,
}

const MAX_DEPTH: u32 = 16;
/// Most enumerators kept of one enum (a dump carries them).
pub const MAX_ENUM_VALUES: usize = 512;
/// Most layout nodes one declared type may expand to (a dump accepts as many:
/// schema_wire::MAX_TYPE_NODES). The largest in a real kernel's syscalls has a few hundred.
pub const MAX_LAYOUT_NODES: u64 = 1 << 16;
/// Largest BTF accepted, raw or in an ELF file's section (vmlinux BTF is about 6 MiB).
pub const MAX_BTF_BYTES: u64 = 256 << 20;

/// The contents of an ELF file's `.BTF` section, at most MAX_BTF_BYTES once uncompressed.
fn btf_section(elf: &[u8]) -> Result<Vec<u8>, String> {
    use object::{Object, ObjectSection};
    let file = object::File::parse(elf).map_err(|e| format!("not a readable ELF file: {e}"))?;
    let section = file
        .section_by_name(".BTF")
        .ok_or("this ELF file has no .BTF section")?;
    let size = section
        .compressed_data()
        .map_or(section.size(), |c| c.uncompressed_size);
    if size > MAX_BTF_BYTES {
        return Err(format!(
            "its .BTF section has {size} bytes, more than the {} MiB etrace accepts",
            MAX_BTF_BYTES >> 20
        ));
    }
    let data = section
        .uncompressed_data()
        .map_err(|e| format!("cannot read its .BTF section: {e}"))?;
    Ok(data.into_owned())
}

/// A file's bytes from its start (wherever its position is), at most MAX_BTF_BYTES + 1: the
/// way raw BTF is read where it cannot be mapped (sysfs before Linux 6.16).
fn read_whole(mut file: &std::fs::File) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    file.seek(std::io::SeekFrom::Start(0))?;
    file.take(MAX_BTF_BYTES + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Whether a name is printable ASCII, as every name a kernel gives is (C identifiers, C types,
/// release strings): such a name can reach a terminal as it is.
pub fn is_plain_name(name: &str) -> bool {
    name.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// A name from BTF as it may be shown: a name with bytes no C identifier has (a crafted
/// `--btf` file) is escaped, so that it cannot reach a terminal raw.
fn shown_name(name: String) -> String {
    match is_plain_name(&name) {
        true => name,
        false => name.escape_debug().to_string(),
    }
}

impl KernelBtf {
    /// Open kernel BTF from a file: raw BTF (`/sys/kernel/btf/vmlinux`), or an ELF file (a
    /// vmlinux image, a BTF archive) whose `.BTF` section holds it. Raw BTF is mapped and read
    /// on demand: parsing all of vmlinux BTF up front takes ~150-200 ms, mapping it ~3 ms.
    pub fn open(path: &Path) -> Result<KernelBtf, BtfError> {
        let io_err = |e: std::io::Error| match e.kind() {
            std::io::ErrorKind::NotFound if path == Path::new(VMLINUX) => {
                BtfError::Missing(path.display().to_string())
            }
            std::io::ErrorKind::NotFound => BtfError::NoFile(path.display().to_string()),
            _ => BtfError::Read {
                path: path.display().to_string(),
                msg: e.to_string(),
            },
        };
        let read_err = |msg: String| BtfError::Read {
            path: path.display().to_string(),
            msg,
        };
        let file = std::fs::File::open(path).map_err(io_err)?;
        let meta = file.metadata().map_err(io_err)?;
        // a device or a FIFO (--btf /dev/zero) would be read without end
        if !meta.is_file() {
            return Err(read_err("not a regular file".into()));
        }
        let mut magic = Vec::with_capacity(4);
        (&file).take(4).read_to_end(&mut magic).map_err(io_err)?;
        if is_raw_btf(&magic) {
            // a kernel that cannot map its sysfs BTF (before 6.16) is read whole instead
            match Btf::from_file_with_backend(path, Backend::Mmap) {
                Ok(btf) => return Ok(Self::with(btf)),
                Err(e) => log::debug!("cannot map {}: {e}; reading it whole", path.display()),
            }
        }
        if magic.starts_with(b"\x7fELF") {
            // SAFETY: the mapping is read-only and private; a file changed under it while it
            // is parsed can give wrong BTF (which is checked), not undefined behaviour in Rust
            // code that only reads bytes through object's bounds-checked parser.
            let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io_err)?;
            let section = btf_section(&map).map_err(read_err)?;
            return Self::parse_bytes(&section).map_err(read_err);
        }
        if meta.len() > MAX_BTF_BYTES {
            return Err(read_err(format!(
                "{} bytes, more than the {} MiB etrace accepts",
                meta.len(),
                MAX_BTF_BYTES >> 20
            )));
        }
        let bytes = read_whole(&file).map_err(io_err)?;
        Self::parse_bytes(&bytes).map_err(read_err)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<KernelBtf, BtfError> {
        Self::parse_bytes(bytes).map_err(|msg| BtfError::Read {
            path: "<bytes>".into(),
            msg,
        })
    }

    fn parse_bytes(bytes: &[u8]) -> Result<KernelBtf, String> {
        if !is_raw_btf(bytes) {
            return Err("not BTF (no 0xeb9f magic) and not an ELF file with a .BTF section".into());
        }
        let btf = Btf::from_bytes(bytes).map_err(|e| e.to_string())?;
        Ok(Self::with(btf))
    }

    fn with(btf: Btf) -> KernelBtf {
        KernelBtf {
            btf,
            ids: RefCell::new(HashMap::new()),
            nodes_left: Cell::new(MAX_LAYOUT_NODES),
        }
    }

    /// Find the types of all these declared types (`const struct iovec *`, `umode_t`) in one
    /// pass over the BTF, for the lookups `resolve` makes next.
    pub fn preload<'a>(&self, ctypes: impl IntoIterator<Item = &'a str>) {
        let mut ids = self.ids.borrow_mut();
        let mut pattern = String::new();
        for ctype in ctypes {
            let base = Decl::parse(ctype).base;
            let bare = split_kind(&base).1;
            for name in [canonical_int_name(bare), bare.to_string()] {
                if let std::collections::hash_map::Entry::Vacant(e) = ids.entry(name) {
                    pattern.push_str(if pattern.is_empty() { "^(?:" } else { "|" });
                    pattern.push_str(&regex::escape(e.key()));
                    e.insert(Vec::new());
                }
            }
        }
        if pattern.is_empty() {
            return;
        }
        pattern.push_str(")$");
        let found = regex::Regex::new(&pattern)
            .map_err(|e| e.to_string())
            .and_then(|re| {
                self.btf
                    .resolve_ids_by_regex(&re)
                    .map_err(|e| e.to_string())
            });
        let found = match found {
            Ok(found) => found,
            Err(e) => {
                // resolve looks each name up on its own instead
                log::debug!("BTF name scan failed: {e}");
                ids.clear();
                return;
            }
        };
        for id in found {
            let name = self
                .btf
                .resolve_type_by_id(id)
                .ok()
                .and_then(|t| t.as_btf_type().and_then(|t| self.btf.resolve_name(t).ok()));
            if let Some(v) = name.and_then(|n| ids.get_mut(&n)) {
                v.push(id);
            }
        }
    }

    /// The types of one name: from what `preload` found, else by a scan of its own, kept
    /// (found or not: `unsigned long` is looked up for every such parameter, and BTF names it
    /// `long unsigned int`).
    fn types_named(&self, name: &str) -> Vec<Type> {
        let known = self.ids.borrow().get(name).cloned();
        let ids = match known {
            Some(ids) => ids,
            None => {
                let ids = self.btf.resolve_ids_by_name(name).unwrap_or_default();
                self.ids.borrow_mut().insert(name.to_string(), ids.clone());
                ids
            }
        };
        ids.into_iter()
            .filter_map(|id| self.btf.resolve_type_by_id(id).ok())
            .collect()
    }

    fn lookup_err(ty: &str, e: impl std::fmt::Display) -> BtfError {
        BtfError::Lookup {
            ty: ty.to_string(),
            msg: e.to_string(),
        }
    }

    /// Find a named type: `struct stat`, `union bpf_attr`, `enum x`, a typedef or a base type.
    pub fn named(&self, name: &str) -> Result<Type, BtfError> {
        let (kind, bare) = split_kind(name);
        if bare == "void" {
            return Ok(Type::Void);
        }
        // pahole writes `long unsigned int`, clang `unsigned long`: try both spellings
        let canonical = canonical_int_name(bare);
        let mut types = self.types_named(&canonical);
        if canonical != bare {
            types.extend(self.types_named(bare));
        }
        let pick = types.into_iter().find(|t| match (kind, t) {
            (Some("struct"), Type::Struct(_)) => true,
            (Some("union"), Type::Union(_)) => true,
            (Some("enum"), Type::Enum(_) | Type::Enum64(_)) => true,
            (Some(_), Type::Fwd(_)) => false,
            (None, Type::Int(_) | Type::Typedef(_) | Type::Float(_)) => true,
            _ => false,
        });
        pick.ok_or_else(|| BtfError::Unknown(name.to_string()))
    }

    /// Follow typedefs and qualifiers to the underlying type.
    fn strip(&self, mut t: Type, ctx: &str) -> Result<Type, BtfError> {
        for _ in 0..MAX_DEPTH * 4 {
            let link = match &t {
                Type::Typedef(_)
                | Type::Const(_)
                | Type::Volatile(_)
                | Type::Restrict(_)
                | Type::TypeTag(_) => t.as_btf_type(),
                _ => None,
            };
            let Some(link) = link else { return Ok(t) };
            t = self
                .btf
                .resolve_chained_type(link)
                .map_err(|e| Self::lookup_err(ctx, e))?;
        }
        Err(Self::lookup_err(ctx, "typedef chain too long"))
    }

    fn name_of(&self, t: &dyn BtfType) -> String {
        shown_name(self.btf.resolve_name(t).unwrap_or_default())
    }

    /// The layout of a BTF type, nested structs and arrays expanded, pointers not followed; at
    /// most MAX_LAYOUT_NODES nodes from depth 0 down.
    pub fn layout(&self, t: Type, ctx: &str, depth: u32) -> Result<Layout, BtfError> {
        if depth > MAX_DEPTH {
            return Err(Self::lookup_err(ctx, "types nested too deep"));
        }
        if depth == 0 {
            self.nodes_left.set(MAX_LAYOUT_NODES);
        }
        match self.nodes_left.get().checked_sub(1) {
            Some(left) => self.nodes_left.set(left),
            None => {
                return Err(Self::lookup_err(
                    ctx,
                    format!("the type expands to more than {MAX_LAYOUT_NODES} layout nodes"),
                ))
            }
        }
        let t = self.strip(t, ctx)?;
        Ok(match &t {
            Type::Void => Layout::Void,
            Type::Int(i) => Layout::Int {
                size: i.size() as u32,
                signed: i.is_signed(),
                is_char: i.is_char() || self.name_of(i).ends_with("char"),
                is_bool: i.is_bool(),
            },
            Type::Float(f) => Layout::Float {
                size: f.size() as u32,
            },
            Type::Enum(e) => self.enum_layout(e.is_signed(), e.size(), &e.members, |m| {
                match e.is_signed() {
                    true => i64::from(m.val() as i32),
                    false => i64::from(m.val()),
                }
            }),
            Type::Enum64(e) => {
                self.enum_layout(e.is_signed(), e.size(), &e.members, |m| m.val() as i64)
            }
            Type::Ptr(_) => Layout::Ptr,
            Type::Array(a) => {
                let elem = self
                    .btf
                    .resolve_chained_type(a)
                    .map_err(|e| Self::lookup_err(ctx, e))?;
                Layout::Array {
                    elem: Box::new(self.layout(elem, ctx, depth + 1)?),
                    len: a.len() as u32,
                }
            }
            Type::Struct(s) | Type::Union(s) => {
                self.struct_layout(s, matches!(t, Type::Union(_)), ctx, depth)?
            }
            Type::Fwd(f) => Layout::Opaque {
                name: self.name_of(f),
            },
            other => Layout::Opaque {
                name: other.name().to_string(),
            },
        })
    }

    /// An enum's layout: its enumerators (at most MAX_ENUM_VALUES) with their values.
    fn enum_layout<M: BtfType>(
        &self,
        signed: bool,
        size: usize,
        members: &[M],
        value: impl Fn(&M) -> i64,
    ) -> Layout {
        Layout::Enum {
            size: size as u32,
            signed,
            values: members
                .iter()
                .take(MAX_ENUM_VALUES)
                .map(|m| (value(m), self.name_of(m)))
                .collect(),
        }
    }

    /// A struct's or union's layout, each member expanded.
    fn struct_layout(
        &self,
        s: &btf_rs::Struct,
        union: bool,
        ctx: &str,
        depth: u32,
    ) -> Result<Layout, BtfError> {
        let mut members = Vec::with_capacity(s.members.len());
        for m in &s.members {
            let mt = self
                .btf
                .resolve_chained_type(m)
                .map_err(|e| Self::lookup_err(ctx, e))?;
            members.push(Member {
                name: self.name_of(m).into(),
                bit_offset: m.bit_offset(),
                bit_size: m.bitfield_size().unwrap_or(0),
                layout: self.layout(mt, ctx, depth + 1)?,
            });
        }
        Ok(Layout::Struct {
            name: self.name_of(s),
            size: s.size() as u32,
            union,
            members,
        })
    }

    /// Resolve a declared parameter type such as `const struct iovec *` or `unsigned long`.
    pub fn resolve(&self, ctype: &str) -> Result<Resolved, BtfError> {
        let decl = Decl::parse(ctype);
        let base = self.named(&decl.base)?;
        let base_layout = self.layout(base.clone(), ctype, 0)?;
        let char_base = matches!(base_layout, Layout::Int { is_char: true, .. });
        match decl.depth {
            0 => {
                // a typedef may itself be a pointer (cap_user_header_t)
                let stripped = self.strip(base, ctype)?;
                if let Type::Ptr(p) = &stripped {
                    let target = self
                        .btf
                        .resolve_chained_type(p)
                        .map_err(|e| Self::lookup_err(ctype, e))?;
                    let pointee = self.layout(target, ctype, 0)?;
                    return Ok(Resolved {
                        value: Layout::Ptr,
                        depth: 1,
                        char_pointee: matches!(pointee, Layout::Int { is_char: true, .. }),
                        pointee: Some(pointee),
                        const_pointee: false,
                        string_array: false,
                    });
                }
                Ok(Resolved {
                    value: base_layout,
                    depth: 0,
                    pointee: None,
                    const_pointee: false,
                    string_array: false,
                    char_pointee: false,
                })
            }
            1 => Ok(Resolved {
                value: Layout::Ptr,
                depth: 1,
                pointee: Some(base_layout),
                const_pointee: decl.const_base,
                string_array: false,
                char_pointee: char_base,
            }),
            d => Ok(Resolved {
                value: Layout::Ptr,
                depth: d,
                pointee: None,
                const_pointee: decl.const_base,
                string_array: d == 2 && char_base && decl.const_base,
                char_pointee: false,
            }),
        }
    }
}

/// A declared type split into its base name and pointer levels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decl {
    pub base: String,
    pub depth: u32,
    /// `const` qualifies the base type (before the first `*`).
    pub const_base: bool,
}

impl Decl {
    pub fn parse(ctype: &str) -> Decl {
        let spaced = ctype.replace('*', " * ");
        let mut base = Vec::new();
        let mut depth = 0;
        let mut const_base = false;
        for w in spaced.split_whitespace() {
            match w {
                "*" => depth += 1,
                "const" if depth == 0 => const_base = true,
                "const" | "volatile" | "restrict" | "__user" => {}
                _ if depth == 0 => base.push(w),
                _ => {}
            }
        }
        Decl {
            base: base.join(" "),
            depth,
            const_base,
        }
    }
}

/// `struct stat` -> (Some("struct"), "stat"); a name without struct, union or enum -> (None, it).
fn split_kind(name: &str) -> (Option<&str>, &str) {
    match name.split_once(' ') {
        Some((k @ ("struct" | "union" | "enum"), n)) => (Some(k), n),
        _ => (None, name),
    }
}

/// Raw BTF starts with its magic, 0xeb9f, in the file's byte order.
fn is_raw_btf(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x9f, 0xeb]) || bytes.starts_with(&[0xeb, 0x9f])
}

/// BTF spells base types the way the compiler does: `long unsigned int`, not `unsigned long`.
fn canonical_int_name(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    if !words.iter().all(|w| {
        matches!(
            *w,
            "unsigned" | "signed" | "long" | "short" | "int" | "char"
        )
    }) {
        return name.to_string();
    }
    let unsigned = words.contains(&"unsigned");
    let signed = words.contains(&"signed");
    let longs = words.iter().filter(|w| **w == "long").count();
    let short = words.contains(&"short");
    let char_ = words.contains(&"char");
    let core = if char_ {
        return match (unsigned, signed) {
            (true, _) => "unsigned char".into(),
            (_, true) => "signed char".into(),
            _ => "char".into(),
        };
    } else if short {
        "short"
    } else if longs >= 2 {
        "long long"
    } else if longs == 1 {
        "long"
    } else {
        ""
    };
    match (core, unsigned) {
        ("", true) => "unsigned int".into(),
        ("", false) => "int".into(),
        (c, true) => format!("{c} unsigned int"),
        (c, false) => format!("{c} int"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// BTF of testdata/btf/types.c, compiled with `clang -g -target bpf` (see testdata/README.md).
    fn snapshot() -> KernelBtf {
        let bytes = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/btf/types.btf"
        ))
        .unwrap();
        KernelBtf::from_bytes(&bytes).unwrap()
    }

    #[test]
    fn canonical_int_names() {
        assert_eq!(canonical_int_name("unsigned long"), "long unsigned int");
        assert_eq!(canonical_int_name("unsigned"), "unsigned int");
        assert_eq!(canonical_int_name("long long"), "long long int");
        assert_eq!(canonical_int_name("unsigned short"), "short unsigned int");
        assert_eq!(canonical_int_name("int"), "int");
        assert_eq!(canonical_int_name("unsigned char"), "unsigned char");
        assert_eq!(canonical_int_name("umode_t"), "umode_t");
    }

    #[test]
    fn decl_parse() {
        let d = Decl::parse("const char *const *");
        assert_eq!((d.base.as_str(), d.depth, d.const_base), ("char", 2, true));
        let d = Decl::parse("struct stat *");
        assert_eq!(
            (d.base.as_str(), d.depth, d.const_base),
            ("struct stat", 1, false)
        );
        let d = Decl::parse("unsigned long");
        assert_eq!((d.base.as_str(), d.depth), ("unsigned long", 0));
    }

    #[test]
    fn snapshot_resolves_scalars_with_signedness() {
        let b = snapshot();
        let r = b.resolve("int").unwrap();
        assert_eq!(
            r.value,
            Layout::Int {
                size: 4,
                signed: true,
                is_char: false,
                is_bool: false
            }
        );
        let r = b.resolve("unsigned long").unwrap();
        assert_eq!(
            r.value,
            Layout::Int {
                size: 8,
                signed: false,
                is_char: false,
                is_bool: false
            }
        );
        // typedef chain: umode_t -> unsigned short
        let r = b.resolve("umode_t").unwrap();
        assert_eq!(
            r.value,
            Layout::Int {
                size: 2,
                signed: false,
                is_char: false,
                is_bool: false
            }
        );
        let r = b.resolve("loff_t").unwrap();
        assert_eq!(
            r.value,
            Layout::Int {
                size: 8,
                signed: true,
                is_char: false,
                is_bool: false
            }
        );
    }

    #[test]
    fn snapshot_resolves_struct_layouts() {
        let b = snapshot();
        let r = b.resolve("struct stat *").unwrap();
        assert_eq!(r.depth, 1);
        assert!(!r.const_pointee);
        let Some(Layout::Struct { size, members, .. }) = &r.pointee else {
            panic!("{r:?}")
        };
        assert_eq!(*size, 144);
        let st_size = members.iter().find(|m| &*m.name == "st_size").unwrap();
        assert_eq!(st_size.bit_offset, 48 * 8);
        assert_eq!(
            st_size.layout,
            Layout::Int {
                size: 8,
                signed: true,
                is_char: false,
                is_bool: false
            }
        );
        let r = b.resolve("const struct iovec *").unwrap();
        assert!(r.const_pointee);
        assert_eq!(r.pointee.as_ref().and_then(Layout::size), Some(16));
        let r = b.resolve("const char *const *").unwrap();
        assert!(r.string_array);
        let r = b.resolve("const char *").unwrap();
        assert!(r.char_pointee && r.const_pointee);
    }

    #[test]
    fn snapshot_bitfields_unions_arrays_enums() {
        let b = snapshot();
        let r = b.resolve("struct etrace_test_bits *").unwrap();
        let Some(Layout::Struct { members, size, .. }) = r.pointee else {
            panic!()
        };
        assert_eq!(size, 16);
        let names: Vec<&str> = members.iter().map(|m| &*m.name).collect();
        assert_eq!(names, ["lo", "hi", "", "tag", "kind"]);
        assert_eq!(
            (
                members[0].bit_size,
                members[1].bit_size,
                members[1].bit_offset
            ),
            (3, 5, 3)
        );
        assert!(matches!(
            &members[2].layout,
            Layout::Struct { union: true, .. }
        ));
        assert_eq!(
            members[3].layout,
            Layout::Array {
                elem: Box::new(Layout::Int {
                    size: 1,
                    signed: true,
                    is_char: true,
                    is_bool: false
                }),
                len: 4
            }
        );
        let Layout::Enum { size, values, .. } = &members[4].layout else {
            panic!("{:?}", members[4].layout)
        };
        assert_eq!(*size, 4);
        assert_eq!(
            values,
            &[(0, "ETK_A".to_string()), (7, "ETK_B".to_string())]
        );
        // decoded, a kernel enum's value gets its enumerator's name
        let v = crate::decode::decode_layout(
            &7u32.to_le_bytes(),
            &members[4].layout,
            &mut crate::decode::Decoding::new(&crate::tables::xlat::Xlat::default()),
        );
        assert_eq!(
            v,
            crate::model::event::Value::Sym {
                raw: Box::new(crate::model::event::Value::UInt(7)),
                name: "ETK_B".into()
            }
        );
        // typedef to a pointer counts as one pointer level
        let r = b.resolve("cap_user_header_t").unwrap();
        assert_eq!((r.depth, r.value.clone()), (1, Layout::Ptr));
        assert_eq!(r.pointee.and_then(|p| p.size()), Some(8));
    }

    #[test]
    fn unknown_type_is_an_error() {
        let b = snapshot();
        assert!(matches!(
            b.resolve("struct no_such_thing *"),
            Err(BtfError::Unknown(_))
        ));
    }

    #[test]
    fn live_kernel_btf_sizes_struct_stat() {
        // This machine and CI have kernel BTF; the layout must match the uapi struct stat.
        let b = KernelBtf::open(Path::new(VMLINUX)).expect("kernel BTF at /sys/kernel/btf/vmlinux");
        let r = b.resolve("struct stat *").unwrap();
        let Some(Layout::Struct { size, members, .. }) = r.pointee else {
            panic!()
        };
        assert_eq!(size, 144);
        let off = |n: &str| members.iter().find(|m| &*m.name == n).unwrap().bit_offset / 8;
        assert_eq!(
            (off("st_mode"), off("st_size"), off("st_mtime")),
            (24, 48, 88)
        );
        assert_eq!(
            b.resolve("struct __kernel_timespec *")
                .unwrap()
                .pointee
                .unwrap()
                .size(),
            Some(16)
        );
    }

    #[test]
    fn raw_btf_read_whole_starts_at_the_beginning() {
        // as on a kernel that cannot map its sysfs BTF: the magic was read first
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/btf/types.btf");
        let mut f = std::fs::File::open(&p).unwrap();
        let mut magic = [0u8; 4];
        f.read_exact(&mut magic).unwrap();
        let bytes = read_whole(&f).unwrap();
        assert_eq!(bytes, std::fs::read(&p).unwrap());
        let b = KernelBtf::from_bytes(&bytes).unwrap();
        assert!(b.resolve("struct iovec *").is_ok());
    }

    #[test]
    fn a_type_that_fans_out_is_refused_quickly() {
        // an 8-way, 10-level tree of unions behind `struct stat`: 8^10 nodes if expanded
        let dir = tempfile::tempdir().unwrap();
        let mut c = String::from("union l0 { char a, b, c, d, e, f, g, h; };\n");
        for i in 1..10 {
            let p = i - 1;
            c += &format!("union l{i} {{ union l{p} a, b, c, d, e, f, g, h; }};\n");
        }
        c += "struct stat { union l9 a, b, c, d, e, f, g, h; };\nstruct stat s;\n";
        let src = dir.path().join("fan.c");
        std::fs::write(&src, c).unwrap();
        let obj = dir.path().join("fan.o");
        let st = std::process::Command::new("clang")
            .args(["-g", "-O2", "-target", "bpf", "-c"])
            .arg(&src)
            .arg("-o")
            .arg(&obj)
            .status()
            .expect("clang runs");
        assert!(st.success());
        let b = KernelBtf::open(&obj).unwrap();
        let t = std::time::Instant::now();
        let e = b.resolve("struct stat *").unwrap_err().to_string();
        assert!(e.contains("more than 65536 layout nodes"), "{e}");
        assert!(t.elapsed() < std::time::Duration::from_secs(2));
        // the budget is per declared type: a small one still resolves afterwards
        assert_eq!(
            b.resolve("union l0 *")
                .unwrap()
                .pointee
                .and_then(|p| p.size()),
            Some(1)
        );
    }

    #[test]
    fn btf_from_an_elf_section_and_clear_errors_otherwise() {
        let dir = tempfile::tempdir().unwrap();
        let raw = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/btf/types.btf");
        // an ELF image carrying the BTF in .BTF, as a vmlinux does
        let elf = dir.path().join("image.elf");
        let st = std::process::Command::new("objcopy")
            .arg(format!("--add-section=.BTF={}", raw.display()))
            .arg("/bin/true")
            .arg(&elf)
            .status()
            .expect("objcopy (binutils) runs");
        assert!(st.success());
        let b = KernelBtf::open(&elf).unwrap();
        let r = b.resolve("struct iovec *").unwrap();
        assert_eq!(r.pointee.and_then(|p| p.size()), Some(16));

        let plain = KernelBtf::open(Path::new("/bin/true"))
            .err()
            .unwrap()
            .to_string();
        assert!(plain.contains("no .BTF section"), "{plain}");
        let text = dir.path().join("text");
        std::fs::write(&text, "hello").unwrap();
        let e = KernelBtf::open(&text).err().unwrap().to_string();
        assert!(e.contains("not BTF"), "{e}");
        let missing = KernelBtf::open(&dir.path().join("nope")).err().unwrap();
        assert!(matches!(missing, BtfError::NoFile(_)), "{missing}");
        assert!(missing.to_string().ends_with("no such file"), "{missing}");
        let e = KernelBtf::open(Path::new("/dev/zero")).err().unwrap();
        assert!(e.to_string().ends_with("not a regular file"), "{e}");
    }
}
