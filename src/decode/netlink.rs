//! netlink: the messages in a netlink socket's buffer (sendto, sendmsg, recvfrom, recvmsg),
//! decoded as formats/netlink says: each header, the fixed header of its type, its attributes,
//! and NLMSG_ERROR's errno with the request it answers. Struct layouts come from the schema
//! (this kernel's BTF, or the dump's header).

use std::collections::BTreeMap;

use crate::kernel::btf::Layout;
use crate::model::event::Value;
use crate::tables::netlink::Netlink;
use crate::tables::xlat::{Num, Symbolic};

use super::{decode_layout, read_uint, symbolize, Decoding};

const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLA_F_NESTED: u16 = 0x8000;
const NLA_F_NET_BYTEORDER: u16 = 0x4000;
/// An NLMSG_ERROR's request is decoded once more; no deeper.
const MAX_DEPTH: u32 = 2;

/// What decoding netlink needs: its tables, the struct layouts, the socket's protocol.
pub struct Messages<'a> {
    pub tables: &'a Netlink,
    pub structs: &'a BTreeMap<String, Layout>,
    pub protocol: u16,
}

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

fn bytes(b: &[u8]) -> Value {
    Value::Bytes {
        bytes: b.to_vec(),
        truncated: false,
    }
}

/// A table's name for `n` as a member's symbolic form.
fn named(v: Value, table: Option<usize>, cx: &Decoding<'_>) -> Value {
    match table {
        Some(t) => symbolize(v, Symbolic::Table(t), cx.xlat),
        None => v,
    }
}

/// Replace member `name` of a struct value with `f` of it.
fn with_member(v: &mut Value, name: &str, f: impl FnOnce(Value) -> Value) {
    if let Value::Struct(fields) = v {
        if let Some((_, m)) = fields.iter_mut().find(|(n, _)| &**n == name) {
            *m = f(std::mem::replace(m, Value::UInt(0)));
        }
    }
}

impl Messages<'_> {
    /// The messages in `data`: one message as itself, several as a list (strace's forms);
    /// None when `data` holds no whole message header, or the header's layout is unknown.
    pub fn decode(&self, data: &[u8], cx: &mut Decoding<'_>) -> Option<Value> {
        self.decode_depth(data, cx, 0)
    }

    fn decode_depth(&self, data: &[u8], cx: &mut Decoding<'_>, depth: u32) -> Option<Value> {
        let hdr = self.structs.get(&self.tables.header)?;
        let hsize = hdr.size()? as usize;
        if data.len() < hsize || hsize < 16 {
            return None;
        }
        let mut msgs = Vec::new();
        let mut at = 0;
        while data.len() - at >= hsize && cx.budget > 0 {
            let b = &data[at..];
            let len = read_uint(b, 4).unwrap_or(0) as usize;
            let ty = read_uint(&b[4..], 2).unwrap_or(0) as u16;
            let end = len.clamp(hsize, b.len());
            msgs.push(Value::Array {
                items: vec![
                    self.header(&b[..hsize], ty, cx),
                    self.payload(ty, &b[hsize..end], cx, depth),
                ],
                truncated: len > b.len(),
            });
            if len < hsize {
                break; // a length that does not cover its header ends the walk
            }
            at += align4(len).min(b.len());
        }
        if at < data.len() && !msgs.is_empty() {
            msgs.push(bytes(&data[at..])); // what follows the last whole message
        }
        Some(match msgs.len() {
            1 => msgs.pop()?,
            _ => Value::Array {
                items: msgs,
                truncated: false,
            },
        })
    }

    /// A message header, its type and flags named by the protocol's tables.
    fn header(&self, b: &[u8], ty: u16, cx: &mut Decoding<'_>) -> Value {
        let key = (self.protocol, ty);
        let mut v = decode_layout(b, &self.structs[&self.tables.header], cx);
        let types = self.tables.types.get(&self.protocol).copied();
        let flags = self
            .tables
            .flags
            .get(&key)
            .copied()
            .or(self.tables.default_flags);
        with_member(&mut v, "nlmsg_type", |m| named(m, types, cx));
        with_member(&mut v, "nlmsg_flags", |m| named(m, flags, cx));
        v
    }

    fn payload(&self, ty: u16, p: &[u8], cx: &mut Decoding<'_>, depth: u32) -> Value {
        if ty == NLMSG_ERROR {
            if let Some(v) = self.error(p, cx, depth) {
                return v;
            }
        }
        if ty == NLMSG_DONE && p.len() == 4 {
            return Value::Int(i64::from(read_uint(p, 4).unwrap_or(0) as u32 as i32));
        }
        let Some(shape) = self.tables.msgs.get(&(self.protocol, ty)) else {
            return bytes(p);
        };
        let Some(fixed) = self.structs.get(&shape.fixed) else {
            return bytes(p);
        };
        let size = fixed.size().unwrap_or(0) as usize;
        let mut head = decode_layout(&p[..size.min(p.len())], fixed, cx);
        // padding (`__ifi_pad`) is not shown, as strace does not show it
        if let Value::Struct(fields) = &mut head {
            fields.retain(|(n, _)| !n.starts_with("__"));
        }
        let rest = p.get(align4(size)..).unwrap_or_default();
        if rest.is_empty() {
            return head;
        }
        Value::Array {
            items: vec![head, self.attributes(rest, shape.attrs, cx)],
            truncated: false,
        }
    }

    /// NLMSG_ERROR: the errno (negative, by name) and the request it answers.
    fn error(&self, p: &[u8], cx: &mut Decoding<'_>, depth: u32) -> Option<Value> {
        let layout = self.structs.get(&self.tables.error)?;
        let mut v = decode_layout(&p[..p.len().min(layout.size()? as usize)], layout, cx);
        let errno = cx.xlat.table_index("errno");
        with_member(&mut v, "error", |m| match m.raw_int() {
            Some(e) if e < 0 => match errno.and_then(|t| cx.xlat.format(t, Num::from_i64(-e))) {
                Some(name) => Value::Sym {
                    raw: Box::new(m),
                    name: format!("-{name}"),
                },
                None => m,
            },
            _ => m,
        });
        // the request: its header and, unless the socket caps acks, its payload
        if depth + 1 < MAX_DEPTH {
            if let Some(req) = p.get(4..).and_then(|r| self.decode_depth(r, cx, depth + 1)) {
                with_member(&mut v, "msg", |_| req);
            }
        }
        Some(v)
    }

    /// Attributes: each its header (length, type by the table) and its value as bytes.
    fn attributes(&self, mut b: &[u8], table: Option<usize>, cx: &mut Decoding<'_>) -> Value {
        let mut items = Vec::new();
        let layout = self.structs.get(&self.tables.attr);
        while b.len() >= 4 && cx.budget > 0 {
            let len = read_uint(b, 2).unwrap_or(0) as usize;
            let ty = read_uint(&b[2..], 2).unwrap_or(0) as u16;
            if len < 4 {
                break;
            }
            let end = len.min(b.len());
            let mut head = match layout {
                Some(l) => decode_layout(&b[..4], l, cx),
                None => bytes(&b[..4]),
            };
            with_member(&mut head, "nla_type", |m| {
                let base = named(Value::UInt(u64::from(ty & 0x3fff)), table, cx);
                let mut name = match &base {
                    Value::Sym { name, .. } => name.clone(),
                    _ => (ty & 0x3fff).to_string(),
                };
                if ty & NLA_F_NET_BYTEORDER != 0 {
                    name = format!("NLA_F_NET_BYTEORDER|{name}");
                }
                if ty & NLA_F_NESTED != 0 {
                    name = format!("NLA_F_NESTED|{name}");
                }
                Value::Sym {
                    raw: Box::new(m),
                    name,
                }
            });
            cx.budget = cx.budget.saturating_sub(1);
            items.push(Value::Array {
                items: vec![head, bytes(&b[4..end])],
                truncated: len > b.len(),
            });
            b = &b[align4(len).min(b.len())..];
        }
        if !b.is_empty() {
            items.push(bytes(b));
        }
        Value::Array {
            items,
            truncated: false,
        }
    }
}
