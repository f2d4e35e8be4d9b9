//! netlink: formats/netlink parsed: how the messages of a netlink socket are read (the header,
//! the fixed header of each message type, the names of its types, flags and attributes).

use std::collections::HashMap;

use crate::tables::xlat::Xlat;
use crate::tables::{data_lines, FormatError};

pub const NETLINK: &str = include_str!("../../formats/netlink");

/// A message type's payload: the fixed header's struct, then attributes named by a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsgShape {
    pub fixed: String,
    /// index of the attribute-type table
    pub attrs: Option<usize>,
}

#[derive(Debug, Clone, Default)]
pub struct Netlink {
    /// struct names: every message's header, an attribute's header, NLMSG_ERROR's payload
    pub header: String,
    pub attr: String,
    pub error: String,
    /// protocol -> index of its message-type table
    pub types: HashMap<u16, usize>,
    /// (protocol, message type) -> its payload
    pub msgs: HashMap<(u16, u16), MsgShape>,
    /// (protocol, message type) -> index of its flag table
    pub flags: HashMap<(u16, u16), usize>,
    /// index of the flag table of the other messages
    pub default_flags: Option<usize>,
}

impl Netlink {
    /// Every struct the messages are read with: the schema resolves them in BTF.
    pub fn structs(&self) -> impl Iterator<Item = &str> {
        [
            self.header.as_str(),
            self.attr.as_str(),
            self.error.as_str(),
        ]
        .into_iter()
        .chain(self.msgs.values().map(|m| m.fixed.as_str()))
        .filter(|s| !s.is_empty())
    }
}

pub fn parse(text: &str, xlat: &Xlat) -> Result<Netlink, FormatError> {
    let mut out = Netlink {
        default_flags: xlat.table_index("nlmsg_flags"),
        ..Netlink::default()
    };
    let proto_table = xlat.table("netlink_proto");
    for (line, l) in data_lines(text) {
        let err = |msg: String| FormatError {
            file: "netlink",
            line,
            msg,
        };
        let table = |name: &str| {
            xlat.table_index(name)
                .ok_or_else(|| err(format!("no table `{name}`")))
        };
        let proto = |name: &str| {
            proto_table
                .and_then(|t| t.number_of(name))
                .and_then(|n| u16::try_from(n).ok())
                .ok_or_else(|| err(format!("`{name}` is no netlink protocol")))
        };
        // the message types a line names, in the protocol's own table
        let types = |p: u16, names: &str, out: &Netlink| -> Result<Vec<u16>, FormatError> {
            let t = out
                .types
                .get(&p)
                .and_then(|&t| xlat.table_at(t))
                .ok_or_else(|| err("a `types` line for the protocol must come first".into()))?;
            names
                .split(',')
                .map(|n| {
                    t.number_of(n)
                        .and_then(|v| u16::try_from(v).ok())
                        .ok_or_else(|| err(format!("`{n}` is no message type of the protocol")))
                })
                .collect()
        };
        let words: Vec<&str> = l.split_whitespace().collect();
        match words[..] {
            ["header", s] => out.header = s.to_string(),
            ["attr", s] => out.attr = s.to_string(),
            ["error", s] => out.error = s.to_string(),
            ["types", p, t] => {
                let (p, t) = (proto(p)?, table(t)?);
                out.types.insert(p, t);
            }
            ["msg", p, names, fixed] | ["msg", p, names, fixed, _] => {
                let p = proto(p)?;
                let attrs = match words.get(4) {
                    Some(t) => Some(table(t)?),
                    None => None,
                };
                for ty in types(p, names, &out)? {
                    let shape = MsgShape {
                        fixed: fixed.to_string(),
                        attrs,
                    };
                    out.msgs.insert((p, ty), shape);
                }
            }
            ["flags", p, names, t] => {
                let (p, t) = (proto(p)?, table(t)?);
                for ty in types(p, names, &out)? {
                    out.flags.insert((p, ty), t);
                }
            }
            _ => return Err(err(format!("cannot parse `{l}`"))),
        }
    }
    if out.header.is_empty() || out.attr.is_empty() {
        return Err(FormatError {
            file: "netlink",
            line: 0,
            msg: "no `header` or `attr` line".into(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_messages_have_their_fixed_headers_and_attributes() {
        let x = Xlat::embedded().unwrap();
        let n = parse(NETLINK, &x).unwrap();
        assert_eq!(n.header, "nlmsghdr");
        // NETLINK_ROUTE is 0, RTM_GETLINK 18, RTM_NEWADDR 20
        assert_eq!(n.msgs[&(0, 18)].fixed, "ifinfomsg");
        assert_eq!(n.msgs[&(0, 20)].fixed, "ifaddrmsg");
        let flags = x.table_at(n.flags[&(0, 18)]).unwrap();
        assert_eq!(flags.number_of("NLM_F_DUMP"), Some(0x300));
        assert!(n.structs().any(|s| s == "nlmsgerr"));
        let e = parse(
            "header nlmsghdr\nattr nlattr\nmsg NETLINK_ROUTE RTM_GETLINK ifinfomsg\n",
            &x,
        )
        .unwrap_err();
        assert!(e.to_string().contains("`types` line"), "{e}");
        let e = parse("types NETLINK_NOPE x\n", &x).unwrap_err();
        assert!(e.to_string().contains("no netlink protocol"), "{e}");
    }
}
