//! printer: turns records into output: decodes each record against the schema and writes it
//! through the text or JSON renderer to its sink. Live tracing and dump decoding share it, so a
//! dump decodes to exactly what the live run printed.

use std::io::{self, Write};

use crate::decode::Decoder;
use crate::formats::Formats;
use crate::output::Sink;
use crate::record::{self, Record, RecordError};
use crate::render_text::TextOptions;
use crate::schema::Schema;
use crate::{render_json, render_text};

pub struct Printer<'s> {
    pub sink: Sink,
    decoder: Decoder<'s>,
    json: bool,
    text: TextOptions,
    /// Events written.
    pub events: u64,
    /// The line being rendered, reused.
    line: Vec<u8>,
}

impl<'s> Printer<'s> {
    pub fn new(
        sink: Sink,
        schema: &'s Schema,
        formats: &'s Formats,
        json: bool,
        text: TextOptions,
    ) -> Self {
        Printer {
            sink,
            decoder: Decoder::new(schema, formats),
            json,
            text,
            events: 0,
            line: Vec::with_capacity(4096),
        }
    }

    /// Decode and write one parsed record.
    pub fn print(&mut self, rec: &Record<'_>) -> io::Result<()> {
        let ev = self.decoder.decode(rec);
        self.events += 1;
        if self.json {
            self.line.clear();
            render_json::append(&mut self.line, &ev)?;
            self.sink.w.write_all(&self.line)
        } else {
            render_text::write(&mut self.sink.w, &ev, &self.text)
        }
    }

    /// Parse, decode and write one record's bytes. Ok(Err) is a malformed record, not written.
    pub fn record(&mut self, bytes: &[u8]) -> io::Result<Result<(), RecordError>> {
        match record::parse(bytes) {
            Ok(rec) => self.print(&rec).map(Ok),
            Err(e) => Ok(Err(e)),
        }
    }
}
