//! fuzzing: the entry points of the fuzz targets under fuzz/, which the test suite also runs over
//! the seed corpus in testdata/fuzz: a whole dump, and one record decoded against a real schema.

use std::sync::OnceLock;

use crate::app::printer::Printer;
use crate::app::replay;
use crate::decode::Decoder;
use crate::dump::Reader;
use crate::model::record;
use crate::render::sink::Sink;
use crate::render::{json, text};
use crate::schema::Schema;
use crate::tables::Formats;

/// A dump captured on a real kernel; its header gives the record target a real schema.
const KNOWN_DUMP: &[u8] = include_bytes!("../testdata/dumps/known.raw");
/// A dump of calls read by other arguments' values (tests/progs/argdep.c, netlink.c): its
/// syscalls, with their capture variants, and the netlink structs join that schema.
const DECODING_DUMP: &[u8] = include_bytes!("../testdata/dumps/decoding.raw");

/// Read a whole dump and decode every record (to JSON or text, by the last byte).
pub fn dump(data: &[u8]) {
    let json = data.last().is_some_and(|b| b & 1 == 1);
    let _ = replay::decode_bytes(data, &context().1, json);
}

fn context() -> &'static (Schema, Formats) {
    static CTX: OnceLock<(Schema, Formats)> = OnceLock::new();
    CTX.get_or_init(|| {
        let mut schema = Reader::open(KNOWN_DUMP)
            .map(|r| r.schema)
            .unwrap_or_default();
        if let Ok(r) = Reader::open(DECODING_DUMP) {
            schema.syscalls.extend(r.schema.syscalls);
            schema.structs = r.schema.structs;
        }
        let formats = Formats::embedded().expect("the embedded tables parse");
        (schema, formats)
    })
}

fn decoder() -> &'static Decoder<'static> {
    static DEC: OnceLock<Decoder<'static>> = OnceLock::new();
    DEC.get_or_init(|| {
        let (schema, formats) = context();
        Decoder::new(schema, formats)
    })
}

/// Parse one record of any type, decode it and render it both ways (syscall records straight
/// through the decoder; all types through a printer, which keeps thread contexts).
pub fn record(data: &[u8]) {
    let (schema, formats) = context();
    if let Ok(rec) = record::parse(data) {
        let ev = decoder().decode(&rec, (None, None));
        let mut out = Vec::new();
        let _ = json::write(&mut out, &ev);
    }
    for json in [false, true] {
        let text = text::TextOptions {
            bytes: 64,
            time: 2,
            durations: true,
            context: true,
            ..Default::default()
        };
        let mut p = Printer::new(Sink::discard(), schema, formats, json, text);
        // a context record first, so that the second pass has a context to use
        let _ = p.record(data);
        let _ = p.record(data);
    }
}
