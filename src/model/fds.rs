//! fds: what each process's file descriptors refer to (-y), from the kernel's fd records,
//! described as strace -y / -yy writes them: `/etc/hosts`, `pipe:[1234]`,
//! `TCP:[127.0.0.1:5000->127.0.0.1:41230]`, `anon_inode:[eventfd]`.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::rc::Rc;

use rustc_hash::FxHashMap;

use crate::skel::types::{etrace_fd, etrace_fd_flags as FF, etrace_fd_kind as K};

const AF_UNIX: u16 = 1;
const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;
const AF_NETLINK: u16 = 16;
/// AT_FDCWD: a dfd that means the working directory.
pub const AT_FDCWD: i32 = -100;
/// Most descriptors remembered: a dump is untrusted input.
const MAX_FDS: usize = 1 << 20;

/// A description, and whether it is a filesystem path (what -P compares).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdDesc {
    pub text: Rc<[u8]>,
    pub is_path: bool,
}

/// The latest description of every (pid, fd) the kernel described.
#[derive(Debug, Default)]
pub struct FdTable {
    fds: FxHashMap<(u32, i32), FdDesc>,
    /// -yy: sockets with their protocol and endpoints
    pub sockets: bool,
}

fn sock_proto(f: &etrace_fd) -> String {
    match (f.family, f.sock_type, f.protocol) {
        (AF_INET | AF_INET6, _, 6) => "TCP".into(),
        (AF_INET | AF_INET6, _, 17) => "UDP".into(),
        (AF_INET | AF_INET6, _, 136) => "UDPLITE".into(),
        (AF_INET | AF_INET6, _, 132) => "SCTP".into(),
        (AF_INET | AF_INET6, _, 1 | 58) => "PING".into(),
        (AF_INET | AF_INET6, 3, _) => "RAW".into(),
        (AF_UNIX, 1, _) => "UNIX-STREAM".into(),
        (AF_UNIX, 2, _) => "UNIX-DGRAM".into(),
        (AF_UNIX, 5, _) => "UNIX-SEQPACKET".into(),
        (AF_NETLINK, _, _) => "NETLINK".into(),
        (fam, _, _) => format!("AF_{fam}"),
    }
}

/// `127.0.0.1:5000`, `[::1]:5000`.
fn endpoint(family: u16, addr: &[u8; 16], port: u16) -> String {
    match family {
        AF_INET => format!(
            "{}:{port}",
            Ipv4Addr::new(addr[0], addr[1], addr[2], addr[3])
        ),
        _ => format!("[{}]:{port}", Ipv6Addr::from(*addr)),
    }
}

/// strace -yy's unix socket: `UNIX-STREAM:[ino,"/path"]` when bound (`@name` for an abstract
/// one), `UNIX-STREAM:[ino->peer]` when connected, else `UNIX-STREAM:[ino]`.
fn unix_endpoint(proto: &str, f: &etrace_fd, name: &[u8]) -> String {
    let peer = u64::from_ne_bytes(f.raddr[..8].try_into().unwrap_or_default());
    let path = name.split(|b| *b == 0).next().unwrap_or_default();
    match (name.first(), peer) {
        (Some(0), _) => {
            let abs = &name[1..];
            let abs = &abs[..abs.iter().position(|b| *b == 0).unwrap_or(abs.len())];
            format!("{proto}:[{},\"@{}\"]", f.ino, String::from_utf8_lossy(abs))
        }
        (Some(_), _) => format!("{proto}:[{},\"{}\"]", f.ino, String::from_utf8_lossy(path)),
        (None, 0) => format!("{proto}:[{}]", f.ino),
        (None, p) => format!("{proto}:[{}->{p}]", f.ino),
    }
}

/// How strace -y (-yy with `sockets`) shows what an fd record describes; None for a closed fd.
pub fn describe(f: &etrace_fd, name: &[u8], sockets: bool) -> Option<FdDesc> {
    let text = |s: String| s.into_bytes();
    let (bytes, is_path) = match K(u32::from(f.kind)) {
        K::ETRACE_FD_PATH => {
            let mut b = Vec::with_capacity(name.len() + 3);
            if u32::from(f.flags) & FF::ETRACE_FDF_TRUNC.0 != 0 {
                b.extend_from_slice(b"...");
            }
            b.extend_from_slice(name);
            (b, true)
        }
        K::ETRACE_FD_PIPE => (text(format!("pipe:[{}]", f.ino)), false),
        K::ETRACE_FD_ANON => {
            let mut b = b"anon_inode:".to_vec();
            b.extend_from_slice(name);
            (b, false)
        }
        K::ETRACE_FD_SOCKET if sockets => {
            let proto = sock_proto(f);
            let inet = matches!(f.family, AF_INET | AF_INET6);
            let s = match (inet, f.rport) {
                // neither bound nor connected: the inode, as strace shows it
                (true, 0) if f.lport == 0 => format!("{proto}:[{}]", f.ino),
                (true, 0) => format!("{proto}:[{}]", endpoint(f.family, &f.laddr, f.lport)),
                (true, _) => format!(
                    "{proto}:[{}->{}]",
                    endpoint(f.family, &f.laddr, f.lport),
                    endpoint(f.family, &f.raddr, f.rport)
                ),
                (false, _) if f.family == AF_UNIX => unix_endpoint(&proto, f, name),
                (false, _) => format!("{proto}:[{}]", f.ino),
            };
            let s = match (f.family, inet) {
                (AF_INET6, true) => s.replacen(':', "v6:", 1),
                _ => s,
            };
            (text(s), false)
        }
        K::ETRACE_FD_SOCKET => (text(format!("socket:[{}]", f.ino)), false),
        _ => return None,
    };
    Some(FdDesc {
        text: bytes.into(),
        is_path,
    })
}

impl FdTable {
    pub fn new(sockets: bool) -> FdTable {
        FdTable {
            fds: FxHashMap::default(),
            sockets,
        }
    }

    /// An fd record: the latest description of (pid, fd).
    pub fn update(&mut self, f: &etrace_fd, name: &[u8]) {
        let key = (f.pid, f.fd);
        match describe(f, name, self.sockets) {
            Some(d) if self.fds.len() < MAX_FDS || self.fds.contains_key(&key) => {
                self.fds.insert(key, d);
            }
            Some(_) => {}
            None => {
                self.fds.remove(&key);
            }
        }
    }

    pub fn get(&self, pid: u32, fd: i32) -> Option<&FdDesc> {
        self.fds.get(&(pid, fd))
    }

    /// A process has ended: its descriptors with it.
    pub fn forget_process(&mut self, pid: u32) {
        self.fds.retain(|(p, _), _| *p != pid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(kind: K, family: u16, proto: u16) -> etrace_fd {
        etrace_fd {
            kind: kind.0 as u8,
            family,
            protocol: proto,
            sock_type: 1,
            ino: 1234,
            pid: 7,
            fd: 3,
            ..Default::default()
        }
    }

    fn text(d: Option<FdDesc>) -> String {
        String::from_utf8(d.unwrap().text.to_vec()).unwrap()
    }

    #[test]
    fn descriptions_as_strace_writes_them() {
        assert_eq!(
            text(describe(
                &rec(K::ETRACE_FD_PATH, 0, 0),
                b"/etc/hosts",
                false
            )),
            "/etc/hosts"
        );
        assert_eq!(
            text(describe(&rec(K::ETRACE_FD_PIPE, 0, 0), b"", false)),
            "pipe:[1234]"
        );
        assert_eq!(
            text(describe(&rec(K::ETRACE_FD_ANON, 0, 0), b"[eventfd]", false)),
            "anon_inode:[eventfd]"
        );
        let mut tcp = rec(K::ETRACE_FD_SOCKET, AF_INET, 6);
        assert_eq!(text(describe(&tcp, b"", false)), "socket:[1234]");
        assert_eq!(text(describe(&tcp, b"", true)), "TCP:[1234]");
        tcp.laddr[..4].copy_from_slice(&[127, 0, 0, 1]);
        tcp.lport = 41230;
        assert_eq!(text(describe(&tcp, b"", true)), "TCP:[127.0.0.1:41230]");
        tcp.raddr[..4].copy_from_slice(&[127, 0, 0, 1]);
        tcp.rport = 5000;
        assert_eq!(
            text(describe(&tcp, b"", true)),
            "TCP:[127.0.0.1:41230->127.0.0.1:5000]"
        );
        let mut v6 = rec(K::ETRACE_FD_SOCKET, AF_INET6, 17);
        v6.laddr[15] = 1;
        v6.lport = 53;
        assert_eq!(text(describe(&v6, b"", true)), "UDPv6:[[::1]:53]");
        assert_eq!(
            text(describe(&rec(K::ETRACE_FD_SOCKET, AF_UNIX, 0), b"", true)),
            "UNIX-STREAM:[1234]"
        );
        assert!(describe(&rec(K::ETRACE_FD_CLOSED, 0, 0), b"", true).is_none());
        let mut cut = rec(K::ETRACE_FD_PATH, 0, 0);
        cut.flags = FF::ETRACE_FDF_TRUNC.0 as u8;
        assert_eq!(text(describe(&cut, b"/deep/path", false)), ".../deep/path");
    }

    #[test]
    fn the_table_keeps_the_latest_and_forgets_a_process() {
        let mut t = FdTable::new(false);
        let r = rec(K::ETRACE_FD_PATH, 0, 0);
        t.update(&r, b"/a");
        t.update(&r, b"/b");
        assert_eq!(&*t.get(7, 3).unwrap().text, b"/b");
        t.update(&rec(K::ETRACE_FD_CLOSED, 0, 0), b"");
        assert!(t.get(7, 3).is_none());
        t.update(&r, b"/c");
        t.forget_process(7);
        assert!(t.get(7, 3).is_none());
    }
}
