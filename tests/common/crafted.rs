//! Crafted hostile dumps: the generator of the files under testdata/hostile (a test checks
//! that the checked-in files are what it makes) and of the large ones made at test time.

use etrace::dump::{CaptureOptions, Header, Trailer, Writer, FORMAT_VERSION, MAGIC};
use etrace::model::counters::KernelStats;
use etrace::schema::wire::{WireArg, WireCapture, WireMember, WireSchema, WireSyscall, WireType};
use etrace::tables::Dir;

/// A header like a real one, with fixed values so that the files are reproducible.
pub fn header(schema: WireSchema) -> Header {
    Header {
        writer: "etrace 0.2.0".into(),
        kernel_release: "6.18.0".into(),
        arch: "x86_64".into(),
        little_endian: true,
        record_size: etrace::model::record::HEADER_LEN as u32,
        realtime_offset_ns: 0,
        host_ns: [0; 8],
        tables_version: "0".into(),
        options: CaptureOptions::default(),
        schema,
    }
}

pub fn dump(h: &Header, trailer: Option<&Trailer>) -> Vec<u8> {
    let mut w = Writer::new(Vec::new(), h).unwrap();
    if let Some(t) = trailer {
        w.trailer(t).unwrap();
    }
    std::mem::take(w.get_mut())
}

fn int() -> WireType {
    WireType::Int {
        size: 8,
        signed: true,
        is_char: false,
        is_bool: false,
    }
}

fn syscall(nr: u32, name: &str, args: Vec<WireArg>) -> WireSyscall {
    WireSyscall {
        nr,
        name: name.into(),
        args,
        noreturn: false,
        ret_hex: false,
    }
}

fn arg(name: &str, value: u32, capture: WireCapture) -> WireArg {
    WireArg {
        name: name.into(),
        ctype: "long".into(),
        value,
        capture,
    }
}

/// A few kilobytes of type table that, copied out type by type, is gigabytes: a struct near the
/// per-type node limit, then thousands of arrays of it (each a distinct type), and syscalls
/// whose arguments all point at the biggest.
pub fn header_blowup() -> Vec<u8> {
    let mut types = vec![int()];
    // 16 ints, then 16 of those, then 16 of those: 4,369 nodes; 14 of them: 61,167
    for fanout in [16u32, 16, 16, 14] {
        let prev = types.len() as u32 - 1;
        types.push(WireType::Struct {
            name: String::new(),
            size: 8,
            union: true,
            members: (0..fanout)
                .map(|_| WireMember {
                    name: String::new(),
                    bit_offset: 0,
                    bit_size: 0,
                    ty: prev,
                })
                .collect(),
        });
    }
    let big = types.len() as u32 - 1;
    for len in 1..3000 {
        types.push(WireType::Array { elem: big, len });
    }
    let last = types.len() as u32 - 1;
    let syscalls = (0..200)
        .map(|nr| {
            let a = |n: &str| {
                let capture = WireCapture::Fixed {
                    dir: Dir::In,
                    layout: last,
                };
                arg(n, last, capture)
            };
            syscall(nr, &format!("s{nr}"), vec![a("a"), a("b"), a("c")])
        })
        .collect();
    dump(
        &header(WireSchema {
            types,
            syscalls,
            ..Default::default()
        }),
        None,
    )
}

/// The largest header accepted, all of it one-byte `Void` entries.
pub fn header_voids() -> Vec<u8> {
    let n = etrace::dump::MAX_HEADER as usize - 64;
    dump(
        &header(WireSchema {
            types: vec![WireType::Void; n],
            syscalls: vec![],
            ..Default::default()
        }),
        None,
    )
}

/// Long enumerator names, multiplied by structs of structs: few layout nodes (each type is far
/// below the node limit), but every copy of the enum carries its names: 64 MiB by the third
/// level, and arrays of that after it.
pub fn header_enum_names() -> Vec<u8> {
    let values = (0..2)
        .map(|i| (i, format!("E{i}{}", "x".repeat(8_000))))
        .collect();
    let mut types = vec![WireType::Enum {
        size: 4,
        signed: false,
        values,
    }];
    for _ in 0..3 {
        let prev = types.len() as u32 - 1;
        types.push(WireType::Struct {
            name: String::new(),
            size: 4,
            union: true,
            members: (0..16)
                .map(|_| WireMember {
                    name: String::new(),
                    bit_offset: 0,
                    bit_size: 0,
                    ty: prev,
                })
                .collect(),
        });
    }
    let top = types.len() as u32 - 1;
    for len in 1..200 {
        types.push(WireType::Array { elem: top, len });
    }
    dump(
        &header(WireSchema {
            types,
            syscalls: vec![],
            ..Default::default()
        }),
        None,
    )
}

/// A valid header and trailer, then `size` bytes of fake frame headers, each claiming a
/// megabyte-long trailer: every one is a resynchronisation candidate.
pub fn resync_storm(size: usize) -> Vec<u8> {
    let mut out = dump(&header(WireSchema::default()), None);
    let fake: [u8; 12] = [0xe7, 0x7e, 2, 0, 0, 0, 0x10, 0, 0, 0, 0, 0];
    while out.len() < size {
        out.extend_from_slice(&fake);
    }
    out
}

fn read_write() -> Vec<WireSyscall> {
    vec![syscall(0, "read", vec![]), syscall(1, "write", vec![])]
}

/// A trailer whose counters add up past 2^64.
pub fn trailer_wrap() -> Vec<u8> {
    let t = Trailer {
        counts: vec![(0, u64::MAX, u64::MAX), (1, 5, 1)],
        reads: KernelStats::default(),
        summary: vec![],
    };
    let schema = WireSchema {
        types: vec![],
        syscalls: read_write(),
        ..Default::default()
    };
    dump(&header(schema), Some(&t))
}

/// Clears the screen and sets the terminal's title, if printed raw.
pub const INJECTION: &str = "\x1b]0;pwned\x07\x1b[2J\x1b[H";

/// A syscall named with terminal escape sequences.
pub fn terminal_syscall_name() -> Vec<u8> {
    let mut syscalls = read_write();
    syscalls[0].name = format!("read{INJECTION}");
    dump(
        &header(WireSchema {
            types: vec![],
            syscalls,
            ..Default::default()
        }),
        None,
    )
}

/// A writer string with terminal escape sequences, in a dump of another format version (so
/// that only the writer is read, unchecked, for the message).
pub fn terminal_writer_other_version() -> Vec<u8> {
    let mut h = header(WireSchema::default());
    h.writer = format!("etrace 9{INJECTION}");
    let mut d = dump(&h, None);
    d[MAGIC.len()..MAGIC.len() + 4].copy_from_slice(&(FORMAT_VERSION + 5).to_le_bytes());
    d
}

/// An argument whose type is not in the table.
pub fn bad_type_ref() -> Vec<u8> {
    let syscalls = vec![syscall(
        0,
        "read",
        vec![arg("fd", u32::MAX, WireCapture::None)],
    )];
    dump(
        &header(WireSchema {
            types: vec![int()],
            syscalls,
            ..Default::default()
        }),
        None,
    )
}

/// The small crafted files checked in under testdata/hostile, by name.
pub fn checked_in() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("header-blowup.raw", header_blowup()),
        ("header-enum-names.raw", header_enum_names()),
        ("trailer-wrap.raw", trailer_wrap()),
        ("terminal-syscall-name.raw", terminal_syscall_name()),
        ("terminal-writer.raw", terminal_writer_other_version()),
        ("bad-type-ref.raw", bad_type_ref()),
    ]
}
