//! shapes: decoders for data whose layout depends on its contents: socket addresses by
//! family (AF_UNIX, AF_INET, AF_INET6, AF_NETLINK), getdents64 records, and signal sets.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::model::event::Value;
use crate::tables::xlat::{Num, Xlat};

const AF_UNIX: u16 = 1;
const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;
const AF_NETLINK: u16 = 16;

fn named(xlat: &Xlat, table: &str, v: u64) -> Value {
    let raw = Value::UInt(v);
    match xlat
        .table(table)
        .and_then(|t| t.format(Num::from_u64(v), xlat))
    {
        Some(name) => Value::Sym {
            raw: Box::new(raw),
            name,
        },
        None => raw,
    }
}

fn u16_at(b: &[u8], at: usize, big_endian: bool) -> Option<u64> {
    let s: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
    Some(u64::from(if big_endian {
        u16::from_be_bytes(s)
    } else {
        u16::from_le_bytes(s)
    }))
}

fn u32_at(b: &[u8], at: usize, big_endian: bool) -> Option<u64> {
    let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(u64::from(if big_endian {
        u32::from_be_bytes(s)
    } else {
        u32::from_le_bytes(s)
    }))
}

fn text(s: String) -> Value {
    Value::Str {
        bytes: s.into_bytes(),
        truncated: false,
    }
}

/// A socket address: `{family, ...}` with the family's own fields (`addr` and `port` for IP,
/// `path` for AF_UNIX, an abstract name starting with `@`).
pub fn sockaddr(b: &[u8], truncated: bool, xlat: &Xlat) -> Value {
    let Some(family) = u16_at(b, 0, false) else {
        return Value::Bytes {
            bytes: b.to_vec(),
            truncated,
        };
    };
    let mut f: Vec<(std::sync::Arc<str>, Value)> =
        vec![("family".into(), named(xlat, "address_family", family))];
    let short = || Value::Bytes {
        bytes: b.to_vec(),
        truncated: true,
    };
    match family as u16 {
        AF_UNIX => {
            let path = &b[2..];
            let (abstract_, name) = match path.first() {
                Some(0) => (true, &path[1..]),
                _ => (false, path),
            };
            // a pathname ends at its NUL; an abstract name is as long as the address says
            let name = match abstract_ {
                true => name,
                false => &name[..name.iter().position(|&c| c == 0).unwrap_or(name.len())],
            };
            let mut bytes = Vec::with_capacity(name.len() + 1);
            if abstract_ {
                bytes.push(b'@');
            }
            bytes.extend_from_slice(name);
            f.push(("path".into(), Value::Str { bytes, truncated }));
        }
        AF_INET => {
            let (Some(port), Some(addr)) = (u16_at(b, 2, true), b.get(4..8)) else {
                return short();
            };
            let ip = Ipv4Addr::new(addr[0], addr[1], addr[2], addr[3]);
            f.push(("addr".into(), text(ip.to_string())));
            f.push(("port".into(), Value::UInt(port)));
        }
        AF_INET6 => {
            let (Some(port), Some(flow), Some(addr)) =
                (u16_at(b, 2, true), u32_at(b, 4, true), b.get(8..24))
            else {
                return short();
            };
            let mut a = [0u8; 16];
            a.copy_from_slice(addr);
            f.push(("addr".into(), text(Ipv6Addr::from(a).to_string())));
            f.push(("port".into(), Value::UInt(port)));
            f.push(("flowinfo".into(), Value::UInt(flow)));
            if let Some(scope) = u32_at(b, 24, false) {
                f.push(("scope_id".into(), Value::UInt(scope)));
            }
        }
        AF_NETLINK => {
            let (Some(pid), Some(groups)) = (u32_at(b, 4, false), u32_at(b, 8, false)) else {
                return short();
            };
            f.push(("pid".into(), Value::UInt(pid)));
            f.push(("groups".into(), Value::UInt(groups)));
        }
        _ => f.push((
            "data".into(),
            Value::Bytes {
                bytes: b[2..].to_vec(),
                truncated,
            },
        )),
    }
    Value::Struct(f)
}

/// getdents64 records: `[{d_ino, d_off, d_reclen, d_type, d_name}, ...]`.
pub fn dirents(b: &[u8], truncated: bool, xlat: &Xlat) -> Value {
    const FIXED: usize = 19; // d_ino 8, d_off 8, d_reclen 2, d_type 1
    let mut items = Vec::new();
    let mut off = 0;
    let mut cut = truncated;
    while off < b.len() {
        let rec = &b[off..];
        let reclen = match u16_at(rec, 16, false) {
            Some(r) if r as usize >= FIXED && r as usize <= rec.len() => r as usize,
            _ => {
                cut = true;
                break;
            }
        };
        let name = &rec[FIXED..reclen];
        let name = &name[..name.iter().position(|&c| c == 0).unwrap_or(name.len())];
        let le64 = |at: usize| {
            rec.get(at..at + 8)
                .and_then(|s| s.try_into().ok())
                .map_or(0, u64::from_le_bytes)
        };
        items.push(Value::Struct(vec![
            ("d_ino".into(), Value::UInt(le64(0))),
            ("d_off".into(), Value::Int(le64(8) as i64)),
            ("d_reclen".into(), Value::UInt(reclen as u64)),
            (
                "d_type".into(),
                named(xlat, "dirent_type", u64::from(rec[18])),
            ),
            (
                "d_name".into(),
                Value::Str {
                    bytes: name.to_vec(),
                    truncated: false,
                },
            ),
        ]));
        off += reclen;
    }
    Value::Array {
        items,
        truncated: cut,
    }
}

/// The size of a user `struct iovec` (base, len) in a record: bpf/etrace.h says it.
const IOVEC: usize = crate::skel::types::etrace_limits::ETRACE_UIOVEC_SIZE.0 as usize;

/// An iovec array (`struct iovec`: base, len, as bpf/etrace.h lays it out) with the buffers
/// read behind it, in order: `[{iov_base: "...", iov_len: N}, ...]`.
pub fn iovecs(array: &[u8], array_truncated: bool, bufs: &[(&[u8], bool, bool)]) -> Value {
    let mut items = Vec::new();
    for (k, e) in array.chunks_exact(IOVEC).enumerate() {
        let word = |at: usize| u64::from_le_bytes(e[at..at + 8].try_into().unwrap_or([0; 8]));
        let (base, len) = (word(0), word(8));
        let base = match bufs.get(k) {
            // NULL, as strace shows it (a zero-length MSG_PEEK), not an empty buffer
            _ if base == 0 => Value::Ptr(0),
            Some((_, _, true)) => Value::Unreadable(base),
            Some((data, truncated, false)) => Value::Bytes {
                bytes: data.to_vec(),
                truncated: *truncated,
            },
            None => Value::Ptr(base),
        };
        items.push(Value::Struct(vec![
            ("iov_base".into(), base),
            ("iov_len".into(), Value::UInt(len)),
        ]));
    }
    Value::Array {
        items,
        truncated: array_truncated || array.len() % IOVEC != 0,
    }
}

/// Control messages (struct cmsghdr, 8-byte aligned): `[{cmsg_len, cmsg_level, cmsg_type,
/// cmsg_data}]`; SCM_RIGHTS data as its file descriptors, SCM_CREDENTIALS as pid, uid, gid.
pub fn cmsgs(b: &[u8], truncated: bool, xlat: &Xlat) -> Value {
    const HDR: usize = 16;
    let mut items = Vec::new();
    let mut off = 0;
    let mut cut = truncated;
    // every length below is the traced program's: a message may claim more than was captured
    // (or than exists), so each step is bounded by the bytes at hand and always moves forward
    while let Some(m) = b.get(off..).filter(|m| m.len() >= HDR) {
        let len = u64::from_le_bytes(m[..8].try_into().unwrap_or([0; 8]));
        let level = u32_at(m, 8, false).unwrap_or(0);
        let ty = u32_at(m, 12, false).unwrap_or(0);
        if len < HDR as u64 {
            cut = true;
            break;
        }
        let end = usize::try_from(len).map_or(m.len(), |l| l.min(m.len()));
        let past_end = (end as u64) < len;
        cut |= past_end;
        let data = &m[HDR..end];
        let sol_socket = level == 1;
        let data_v = match (sol_socket, ty) {
            (true, 1) => Value::Array {
                items: data
                    .chunks_exact(4)
                    .map(|f| Value::Int(i64::from(i32::from_le_bytes([f[0], f[1], f[2], f[3]]))))
                    .collect(),
                truncated: data.len() % 4 != 0,
            },
            (true, 2) if data.len() >= 12 => Value::Struct(vec![
                (
                    "pid".into(),
                    Value::UInt(u32_at(data, 0, false).unwrap_or(0)),
                ),
                (
                    "uid".into(),
                    Value::UInt(u32_at(data, 4, false).unwrap_or(0)),
                ),
                (
                    "gid".into(),
                    Value::UInt(u32_at(data, 8, false).unwrap_or(0)),
                ),
            ]),
            _ => Value::Bytes {
                bytes: data.to_vec(),
                truncated: false,
            },
        };
        items.push(Value::Struct(vec![
            ("cmsg_len".into(), Value::UInt(len)),
            ("cmsg_level".into(), named(xlat, "cmsg_level", level)),
            (
                "cmsg_type".into(),
                match sol_socket {
                    true => named(xlat, "scm_type", ty),
                    false => Value::UInt(ty),
                },
            ),
            ("cmsg_data".into(), data_v),
        ]));
        // the next header is 8-byte aligned after this message, which lies within `m` here
        if past_end {
            break;
        }
        off += end.next_multiple_of(8);
    }
    Value::Array {
        items,
        truncated: cut,
    }
}

/// A signal's name (`SIGKILL`), or its number when the tables lack it.
pub fn signal_name(sig: u32, xlat: &Xlat) -> String {
    xlat.table("signals")
        .and_then(|t| t.format(Num::from_u64(u64::from(sig)), xlat))
        .unwrap_or_else(|| sig.to_string())
}

/// A wait status in strace's style: `{WIFEXITED(s) && WEXITSTATUS(s) == 3}`.
pub fn wstatus_name(s: u32, xlat: &Xlat) -> String {
    let sig = |n: u32| signal_name(n, xlat);
    let inner = if s & 0x7f == 0 {
        format!("WIFEXITED(s) && WEXITSTATUS(s) == {}", (s >> 8) & 0xff)
    } else if s & 0xff == 0x7f {
        format!("WIFSTOPPED(s) && WSTOPSIG(s) == {}", sig((s >> 8) & 0xff))
    } else if s == 0xffff {
        "WIFCONTINUED(s)".to_string()
    } else {
        let core = if s & 0x80 != 0 {
            " && WCOREDUMP(s)"
        } else {
            ""
        };
        format!("WIFSIGNALED(s) && WTERMSIG(s) == {}{core}", sig(s & 0x7f))
    };
    format!("{{{inner}}}")
}

/// A signal set (sigset_t: 64 bits, bit n-1 for signal n) in strace's style: `[CHLD TERM]`, or
/// `~[...]` naming the signals *not* in it when most are.
pub fn sigset_name(words: &[u64], xlat: &Xlat) -> String {
    let bits = words.first().copied().unwrap_or(0);
    let inverted = bits.count_ones() > 32;
    let shown = if inverted { !bits } else { bits };
    let names: Vec<String> = (0..64u64)
        .filter(|i| shown & (1 << i) != 0)
        .map(|i| {
            let name = xlat
                .table("signals")
                .and_then(|t| t.format(Num::from_u64(i + 1), xlat))
                .unwrap_or_else(|| (i + 1).to_string());
            name.strip_prefix("SIG").map(String::from).unwrap_or(name)
        })
        .collect();
    format!("{}[{}]", if inverted { "~" } else { "" }, names.join(" "))
}

/// A number as C's `%#x` writes it, as strace does: hex, and 0 as `0`.
pub fn c_hex(v: u64) -> String {
    match v {
        0 => "0".into(),
        v => format!("{v:#x}"),
    }
}

/// An ioctl request no table names, by its fields as strace shows them:
/// `_IOC(_IOC_READ, 0x55, 0x1, 0x8)` (direction, type, number, size).
pub fn ioc_name(req: u32) -> String {
    let dir = match req >> 30 {
        0 => "_IOC_NONE",
        1 => "_IOC_WRITE",
        2 => "_IOC_READ",
        _ => "_IOC_READ|_IOC_WRITE",
    };
    let (ty, nr, size) = ((req >> 8) & 0xff, req & 0xff, (req >> 16) & 0x3fff);
    let x = |v: u32| c_hex(v.into());
    format!("_IOC({dir}, {}, {}, {})", x(ty), x(nr), x(size))
}

/// The fds an fd_set holds, below `nfds` (what the kernel looks at), as strace lists them:
/// `[3 4]`. `words`: the set's 64-bit words, as decoded.
pub fn fdset_name(words: &[u64], nfds: u64) -> String {
    let mut out = String::from("[");
    // a dump's layout could make the set huge: at most 65536 fds are looked at
    let limit = nfds.min(words.len() as u64 * 64).min(1 << 16);
    for fd in 0..limit {
        if words[(fd / 64) as usize] >> (fd % 64) & 1 != 0 {
            if out.len() > 1 {
                out.push(' ');
            }
            out.push_str(&fd.to_string());
        }
    }
    out.push(']');
    out
}

/// The CPUs a CPU mask holds, as strace lists them: `[0 1]`.
pub fn cpuset_name(bytes: &[u8]) -> String {
    let mut out = String::from("[");
    for (i, b) in bytes.iter().enumerate() {
        for bit in 0..8 {
            if b >> bit & 1 != 0 {
                if out.len() > 1 {
                    out.push(' ');
                }
                out.push_str(&(i * 8 + bit).to_string());
            }
        }
    }
    out.push(']');
    out
}

/// FUTEX_WAKE_OP's val3 as strace shows it: `FUTEX_OP_SET<<28|0<<12|FUTEX_OP_CMP_GT<<24|0x1`
/// (`name`: the futex_wake_op table, operations at 0..4 and comparisons at 0x10..).
pub fn futex_wake_op_name(v: u32, name: impl Fn(u64) -> Option<String>) -> String {
    let x = |v: u32| c_hex(v.into());
    let mut out = String::new();
    if (v >> 28) & 8 != 0 {
        out.push_str("FUTEX_OP_OPARG_SHIFT<<28|");
    }
    let op = (v >> 28) & 7;
    let cmp = (v >> 24) & 0xf;
    let named = |k: u32, raw: u32| name(u64::from(k)).unwrap_or_else(|| raw.to_string());
    out.push_str(&format!(
        "{}<<28|{}<<12|{}<<24|{}",
        named(op, op),
        x((v >> 12) & 0xfff),
        named(0x10 + cmp, cmp),
        x(v & 0xfff)
    ));
    out
}

/// A device number as stat gives it (the kernel's new_encode_dev), as strace writes it:
/// `makedev(0x1, 0x3)`.
pub fn makedev_name(dev: u64) -> String {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & 0xffff_ff00);
    format!("makedev({}, {})", c_hex(major), c_hex(minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x() -> Xlat {
        Xlat::embedded().unwrap()
    }

    fn field<'a>(v: &'a Value, k: &str) -> &'a Value {
        let Value::Struct(f) = v else { panic!("{v:?}") };
        &f.iter().find(|(n, _)| &**n == k).unwrap().1
    }

    fn s(v: &str) -> Value {
        text(v.into())
    }

    #[test]
    fn inet_and_inet6_addresses() {
        let x = x();
        // sockaddr_in { AF_INET, htons(8080), 127.0.0.1 }
        let b = [2, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        let v = sockaddr(&b, false, &x);
        assert!(matches!(field(&v, "family"), Value::Sym { name, .. } if name == "AF_INET"));
        assert_eq!(field(&v, "addr"), &s("127.0.0.1"));
        assert_eq!(field(&v, "port"), &Value::UInt(8080));
        let mut b6 = vec![10, 0, 0x01, 0xbb, 0, 0, 0, 0];
        b6.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        b6.extend_from_slice(&3u32.to_le_bytes());
        let v = sockaddr(&b6, false, &x);
        assert_eq!(field(&v, "addr"), &s("::1"));
        assert_eq!(field(&v, "port"), &Value::UInt(443));
        assert_eq!(field(&v, "scope_id"), &Value::UInt(3));
        // cut short: no panic, the bytes are kept
        assert!(matches!(
            sockaddr(&b[..6], false, &x),
            Value::Bytes {
                truncated: true,
                ..
            }
        ));
        assert!(matches!(sockaddr(&[2], false, &x), Value::Bytes { .. }));
    }

    #[test]
    fn unix_paths_abstract_names_and_netlink() {
        let x = x();
        let mut b = vec![1, 0];
        b.extend_from_slice(b"/run/x.sock\0\0\0");
        assert_eq!(field(&sockaddr(&b, false, &x), "path"), &s("/run/x.sock"));
        let mut a = vec![1, 0, 0];
        a.extend_from_slice(b"etrace\0x");
        let Value::Str { bytes, .. } = field(&sockaddr(&a, false, &x), "path").clone() else {
            panic!()
        };
        assert_eq!(bytes, b"@etrace\0x", "an abstract name keeps every byte");
        let mut n = vec![16, 0, 0, 0];
        n.extend_from_slice(&1234u32.to_le_bytes());
        n.extend_from_slice(&5u32.to_le_bytes());
        let v = sockaddr(&n, false, &x);
        assert_eq!(field(&v, "pid"), &Value::UInt(1234));
        assert_eq!(field(&v, "groups"), &Value::UInt(5));
    }

    #[test]
    fn dirent_records() {
        let x = x();
        let mut b = Vec::new();
        for (ino, name, ty) in [(11u64, ".", 4u8), (12, "file.txt", 8)] {
            let reclen = (19 + name.len() + 1).div_ceil(8) * 8;
            let start = b.len();
            b.extend_from_slice(&ino.to_le_bytes());
            b.extend_from_slice(&(start as i64 + reclen as i64).to_le_bytes());
            b.extend_from_slice(&(reclen as u16).to_le_bytes());
            b.push(ty);
            b.extend_from_slice(name.as_bytes());
            b.resize(start + reclen, 0);
        }
        let Value::Array { items, truncated } = dirents(&b, false, &x) else {
            panic!()
        };
        assert!(!truncated);
        assert_eq!(items.len(), 2);
        assert_eq!(field(&items[1], "d_name"), &s("file.txt"));
        assert_eq!(field(&items[1], "d_ino"), &Value::UInt(12));
        assert!(matches!(field(&items[1], "d_type"), Value::Sym { name, .. } if name == "DT_REG"));
        assert!(matches!(field(&items[0], "d_type"), Value::Sym { name, .. } if name == "DT_DIR"));
        // a record cut in the middle ends the list, marked truncated
        let Value::Array { items, truncated } = dirents(&b[..30], false, &x) else {
            panic!()
        };
        assert_eq!((items.len(), truncated), (1, true));
    }

    #[test]
    fn iovecs_with_their_buffers_and_scm_rights() {
        let mut arr = Vec::new();
        for (base, len) in [(0x1000u64, 5u64), (0x2000, 3), (0x3000, 9)] {
            arr.extend_from_slice(&base.to_le_bytes());
            arr.extend_from_slice(&len.to_le_bytes());
        }
        let bufs: [(&[u8], bool, bool); 2] = [(b"hello", false, false), (b"abc", false, true)];
        let Value::Array { items, truncated } = iovecs(&arr, false, &bufs) else {
            panic!()
        };
        assert!(!truncated);
        assert_eq!(
            field(&items[0], "iov_base"),
            &Value::Bytes {
                bytes: b"hello".to_vec(),
                truncated: false
            }
        );
        assert_eq!(field(&items[0], "iov_len"), &Value::UInt(5));
        assert_eq!(field(&items[1], "iov_base"), &Value::Unreadable(0x2000));
        assert_eq!(
            field(&items[2], "iov_base"),
            &Value::Ptr(0x3000),
            "no buffer read: the pointer"
        );
        // one SCM_RIGHTS message carrying fds 5 and 7
        let mut c = Vec::new();
        c.extend_from_slice(&24u64.to_le_bytes());
        c.extend_from_slice(&1u32.to_le_bytes());
        c.extend_from_slice(&1u32.to_le_bytes());
        c.extend_from_slice(&5i32.to_le_bytes());
        c.extend_from_slice(&7i32.to_le_bytes());
        let x = x();
        let Value::Array { items, .. } = cmsgs(&c, false, &x) else {
            panic!()
        };
        assert_eq!(items.len(), 1);
        assert!(
            matches!(field(&items[0], "cmsg_type"), Value::Sym { name, .. } if name == "SCM_RIGHTS")
        );
        assert!(
            matches!(field(&items[0], "cmsg_level"), Value::Sym { name, .. } if name == "SOL_SOCKET")
        );
        assert_eq!(
            field(&items[0], "cmsg_data"),
            &Value::Array {
                items: vec![Value::Int(5), Value::Int(7)],
                truncated: false
            }
        );
        // a length shorter than the header ends the list
        c[..8].copy_from_slice(&3u64.to_le_bytes());
        let Value::Array { items, truncated } = cmsgs(&c, false, &x) else {
            panic!()
        };
        assert!(items.is_empty() && truncated);
    }

    #[test]
    fn cmsg_lengths_the_traced_program_chose_never_overflow_or_stall() {
        let x = x();
        // lengths near u64::MAX used to wrap the step (a panic) or make it 0 (a loop without end)
        for len in [u64::MAX, u64::MAX - 7, u64::MAX - 15, 1 << 63, 17, 25, 4096] {
            let mut c = Vec::new();
            c.extend_from_slice(&len.to_le_bytes());
            c.extend_from_slice(&1u32.to_le_bytes());
            c.extend_from_slice(&1u32.to_le_bytes());
            c.extend_from_slice(&[5, 0, 0, 0, 7, 0, 0, 0]);
            let Value::Array { items, truncated } = cmsgs(&c, false, &x) else {
                panic!()
            };
            assert_eq!(items.len(), 1, "len {len}");
            assert_eq!(field(&items[0], "cmsg_len"), &Value::UInt(len));
            // 17 fits in the 24 bytes captured; the others claim more
            assert_eq!(truncated, len != 17, "len {len}");
        }
        // two messages back to back, the first with a length that is not a multiple of 8
        let mut c = Vec::new();
        for fd in [3i32, 4] {
            c.extend_from_slice(&20u64.to_le_bytes());
            c.extend_from_slice(&1u32.to_le_bytes());
            c.extend_from_slice(&1u32.to_le_bytes());
            c.extend_from_slice(&fd.to_le_bytes());
            c.extend_from_slice(&[0; 4]);
        }
        let Value::Array { items, truncated } = cmsgs(&c, false, &x) else {
            panic!()
        };
        assert_eq!((items.len(), truncated), (2, false));
        assert_eq!(
            field(&items[1], "cmsg_data"),
            &Value::Array {
                items: vec![Value::Int(4)],
                truncated: false
            }
        );
    }

    #[test]
    fn wait_statuses_in_strace_style() {
        let x = x();
        assert_eq!(
            wstatus_name(3 << 8, &x),
            "{WIFEXITED(s) && WEXITSTATUS(s) == 3}"
        );
        assert_eq!(
            wstatus_name(9, &x),
            "{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}"
        );
        assert_eq!(
            wstatus_name(11 | 0x80, &x),
            "{WIFSIGNALED(s) && WTERMSIG(s) == SIGSEGV && WCOREDUMP(s)}"
        );
        assert_eq!(
            wstatus_name((19 << 8) | 0x7f, &x),
            "{WIFSTOPPED(s) && WSTOPSIG(s) == SIGSTOP}"
        );
    }

    #[test]
    fn signal_sets_in_strace_style() {
        let x = x();
        assert_eq!(sigset_name(&[0], &x), "[]");
        assert_eq!(sigset_name(&[1 << 16], &x), "[CHLD]");
        assert_eq!(sigset_name(&[(1 << 16) | (1 << 14)], &x), "[TERM CHLD]");
        assert_eq!(sigset_name(&[u64::MAX], &x), "~[]");
        assert_eq!(sigset_name(&[!(3u64 << 31)], &x), "~[RTMIN RT_1]");
    }

    #[test]
    fn argument_forms_strace_writes_from_their_abi_values() {
        // what strace printed for the same values (tests/progs/argdep.c, ls -la, procctl.c)
        assert_eq!(ioc_name(0x8008_5501), "_IOC(_IOC_READ, 0x55, 0x1, 0x8)");
        assert_eq!(ioc_name(0x5499), "_IOC(_IOC_NONE, 0x54, 0x99, 0)");
        assert_eq!(makedev_name(0x103), "makedev(0x1, 0x3)"); // /dev/null
                                                              // glibc's makedev(0x8800, 0x3): the high major bits above bit 32
        assert_eq!(makedev_name(0x8000_0008_0003), "makedev(0x8800, 0x3)");
        // an fd_set: only the fds below nfds count
        assert_eq!(fdset_name(&[0b1000_1000], 8), "[3 7]");
        assert_eq!(fdset_name(&[0b1000_1000], 4), "[3]");
        assert_eq!(fdset_name(&[0, 1], 128), "[64]");
        assert_eq!(cpuset_name(&[1, 0x80]), "[0 15]");
        // FUTEX_OP(FUTEX_OP_SET, 0, FUTEX_OP_CMP_GT, 1)
        let names = |k: u64| match k {
            0 => Some("FUTEX_OP_SET".to_string()),
            0x14 => Some("FUTEX_OP_CMP_GT".to_string()),
            _ => None,
        };
        assert_eq!(
            futex_wake_op_name(0x0400_0001, names),
            "FUTEX_OP_SET<<28|0<<12|FUTEX_OP_CMP_GT<<24|0x1"
        );
        assert_eq!(
            futex_wake_op_name(0x8700_2003, names),
            "FUTEX_OP_OPARG_SHIFT<<28|FUTEX_OP_SET<<28|0x2<<12|7<<24|0x3"
        );
    }
}
