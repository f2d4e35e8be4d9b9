//! printer: turns records into output: decodes each record against the schema and writes it
//! through the text or JSON renderer to its sink, keeping each thread's context from the context
//! records. Live tracing and dump decoding share it, so a
//! dump decodes to exactly what the live run printed.

use std::io::{self, Write};

use crate::decode::Decoder;
use crate::model::context::Contexts;
use crate::model::record::{self, AnyRecord, Phase, Record, RecordError};
use crate::render::sink::Sink;
use crate::render::text::TextOptions;
use crate::render::{json, text};
use crate::schema::Schema;
use crate::tables::Formats;

/// Most calls shown pending at once (one per thread): pid_max's largest value.
const MAX_PENDING: usize = 1 << 22;

pub struct Printer<'s> {
    pub sink: Sink,
    decoder: Decoder<'s>,
    json: bool,
    text: TextOptions,
    /// Events written.
    pub events: u64,
    /// Records whose decoding panicked (a bug in etrace): skipped, so that a traced program
    /// that found such a bug cannot stop the tracer.
    pub failed: u64,
    /// The line being rendered, reused: JSON, text.
    line: Vec<u8>,
    text_line: String,
    contexts: Contexts,
    /// Threads whose call in flight was reported pending: tid -> that call's entry time. Its
    /// event, when it comes, is the `<... resumed>` half.
    pending: rustc_hash::FxHashMap<u32, u64>,
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
            failed: 0,
            line: Vec::with_capacity(4096),
            text_line: String::with_capacity(4096),
            contexts: Contexts::default(),
            pending: Default::default(),
        }
    }

    /// Calls reported pending whose event has not come (yet).
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Record a cgroup id's path (found on this machine, or in a dump's cgroup frame).
    pub fn cgroup_path(&mut self, id: u64, path: &str) {
        self.contexts.cgroup_path(id, path);
    }

    /// Decode and write one parsed syscall record.
    pub fn print(&mut self, rec: &Record<'_>) -> io::Result<()> {
        let ctx = self.contexts.for_syscall(rec.hdr.tid, rec.ctx_changed());
        let (tid, ts) = (rec.hdr.tid, rec.hdr.ts_enter);
        let phase = rec.phase();
        let was_pending = match phase {
            Phase::Pending => {
                // a pending entry is shown once; JSON shows nothing until the call's event.
                // A dump is untrusted: past MAX_PENDING threads, the next events are whole lines
                let known = self.pending.get(&tid) == Some(&ts);
                if !known && self.pending.len() < MAX_PENDING {
                    self.pending.insert(tid, ts);
                }
                if known || self.json {
                    return Ok(());
                }
                false
            }
            _ if self.pending.is_empty() => false,
            Phase::Done => self.pending.remove(&tid) == Some(ts),
            Phase::Unfinished => self.pending.get(&tid) == Some(&ts),
        };
        let mut ev = self.decoder.decode(rec, ctx);
        ev.was_pending = was_pending;
        if phase != Phase::Pending {
            self.events += 1;
        }
        if self.json {
            self.line.clear();
            json::append(&mut self.line, &ev)?;
            self.sink.w.write_all(&self.line)
        } else {
            text::write_with(&mut self.sink.w, &mut self.text_line, &ev, &self.text)
        }
    }

    /// Decode and write a parsed record of any type: a context record updates its thread's
    /// context and writes nothing. Decoding reads what traced programs wrote: should it panic
    /// (a bug), the record is skipped and counted in `failed`, and tracing goes on.
    pub fn handle(&mut self, rec: &AnyRecord<'_>) -> io::Result<()> {
        let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.write(rec)));
        done.unwrap_or_else(|_| {
            self.failed += 1;
            Ok(())
        })
    }

    fn write(&mut self, rec: &AnyRecord<'_>) -> io::Result<()> {
        if let AnyRecord::Syscall(r) = rec {
            return self.print(r);
        }
        // a context record updates its thread's context and writes nothing
        let Some(ev) = self.decoder.life(rec, &self.contexts) else {
            if let AnyRecord::Ctx(c) = rec {
                self.contexts.update(c);
            }
            return Ok(());
        };
        if let AnyRecord::Exit(e) = rec {
            self.contexts.forget(e.tid);
            self.pending.remove(&e.tid);
        }
        self.events += 1;
        if self.json {
            self.line.clear();
            json::append_life(&mut self.line, &ev)?;
            self.sink.w.write_all(&self.line)
        } else {
            text::write_life(&mut self.sink.w, &ev, &self.text)
        }
    }

    /// Parse, decode and write one record's bytes. Ok(Err) is a malformed record, not written.
    pub fn record(&mut self, bytes: &[u8]) -> io::Result<Result<(), RecordError>> {
        match record::parse_any(bytes) {
            Ok(rec) => self.handle(&rec).map(Ok),
            Err(e) => Ok(Err(e)),
        }
    }
}
