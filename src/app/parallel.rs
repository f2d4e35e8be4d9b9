//! parallel: decodes a dump's records on several threads, written in the dump's order. The
//! reading thread cuts the records into chunks; every worker sees every chunk, takes in
//! (parses, counts, filters) and writes the chunks that are its turn and only tracks what the
//! others change (thread contexts, calls pending, fds: `Printer::track`), so each writes
//! exactly what one printer would have. A worker warns of the first 10 malformed records of
//! its own chunks.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::rc::Rc;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::Arc;

use anyhow::{Context, Result};
use indicatif::ProgressBar;

use crate::app::printer::Printer;
use crate::app::replay::{take_in, Filter, Outcome, Wanted, WriteError, PROGRESS_EVERY};
use crate::dump::{Mapping, Reader};
use crate::model::record;
use crate::render::sink::Sink;

/// Records per chunk; ETRACE_DECODE_CHUNK sets another (the tests cut small dumps fine).
const CHUNK_RECORDS: usize = 2048;

/// ... and at most about this many bytes (a dump of the largest records stays in bounds).
const CHUNK_BYTES: usize = 4 << 20;

fn chunk_records() -> usize {
    let env = std::env::var("ETRACE_DECODE_CHUNK").ok();
    env.and_then(|v| v.parse().ok())
        .unwrap_or(CHUNK_RECORDS)
        .max(1)
}
/// Chunks in flight to each worker: with CHUNK_BYTES, what bounds memory.
const QUEUE: usize = 4;

/// One record of a chunk: where its bytes are, and where it was in the dump.
struct Item {
    start: u32,
    end: u32,
    offset: u64,
}

/// The frames the dump gave before item `at`: cgroup paths and mappings (most records have
/// none, so they are kept apart from the items).
struct Before {
    at: usize,
    cgroups: Vec<(u64, String)>,
    maps: Vec<(u32, Vec<Mapping>)>,
}

#[derive(Default)]
struct Chunk {
    bytes: Vec<u8>,
    items: Vec<Item>,
    before: Vec<Before>,
    /// About how many bytes the items' cgroup paths and mappings hold (a crafted dump can give
    /// thousands before every record): they count toward CHUNK_BYTES too.
    meta: usize,
}

impl Chunk {
    /// Emptied for the next chunk, its buffers kept.
    fn reuse(mut self) -> Chunk {
        self.bytes.clear();
        self.items.clear();
        self.before.clear();
        self.meta = 0;
        self
    }
}

/// What a worker's printer writes into, with no buffer between (its lines come whole): taken
/// after each chunk it writes.
#[derive(Clone, Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A worker's output for chunk n, and which worker wrote it.
type Done = (usize, usize, io::Result<Vec<u8>>);

/// The decoding threads worth starting: one per CPU, at most 4 (ETRACE_DECODE_THREADS sets
/// another number); 1 means decode in this thread.
pub fn workers() -> usize {
    let env = std::env::var("ETRACE_DECODE_THREADS").ok();
    match env.and_then(|v| v.parse::<usize>().ok()) {
        Some(n) => n.clamp(1, 16),
        None => std::thread::available_parallelism().map_or(1, |n| n.get().min(4)),
    }
}

/// What the workers are told once: what to keep of the records, and what to do with them.
#[derive(Clone, Copy)]
struct Task<'f> {
    filter: &'f Filter,
    wanted: Wanted,
}

/// What a worker returns: the records it took in (its chunks'), the events it wrote, the
/// records whose decoding failed.
type Worked = (Outcome, u64, u64);

/// One worker: every chunk in order; takes in (counts, filters) and writes chunk n when
/// n % of == me.
#[allow(clippy::too_many_arguments)]
fn work<'s>(
    me: usize,
    of: usize,
    task: Task<'_>,
    mut printer: Printer<'s>,
    out: Shared,
    chunks: Receiver<(usize, Arc<Chunk>)>,
    done: Sender<Done>,
    (spent, reuse): (Receiver<Vec<u8>>, Sender<Chunk>),
) -> Worked {
    let mut taken = Outcome::default();
    for (n, chunk) in chunks {
        let mine = n % of == me;
        let mut written = Ok(());
        let mut before = chunk.before.iter().peekable();
        for (at, item) in chunk.items.iter().enumerate() {
            while let Some(b) = before.next_if(|b| b.at == at) {
                for (id, path) in &b.cgroups {
                    printer.cgroup_path(*id, path);
                }
                for (pid, maps) in &b.maps {
                    printer.set_maps(*pid, maps.clone());
                }
            }
            let bytes = &chunk.bytes[item.start as usize..item.end as usize];
            if mine {
                let rec = take_in(&mut taken, item.offset, bytes, task.filter, task.wanted);
                if let (Some(rec), true) = (rec, written.is_ok()) {
                    written = printer.handle(&rec);
                }
                continue;
            }
            // another worker's record that changes nothing here: not parsed
            if !printer.tracks(bytes) {
                continue;
            }
            match record::parse_any(bytes) {
                Ok(rec) if task.filter.keeps_any(&rec) => printer.track(&rec),
                _ => {}
            }
        }
        // the last worker done with a chunk hands its buffers back to the reading thread
        if let Ok(c) = Arc::try_unwrap(chunk) {
            let _ = reuse.send(c.reuse());
        }
        if mine {
            let bytes = written.and_then(|()| printer.sink.flush()).map(|()| {
                // the next chunk's output goes into a buffer written already (no new pages)
                let mut next = spent.try_recv().unwrap_or_default();
                next.clear();
                std::mem::replace(&mut *out.0.borrow_mut(), next)
            });
            if done.send((n, me, bytes)).is_err() {
                break;
            }
        }
    }
    (taken, printer.events, printer.failed)
}

/// Decode every record of `reader` on `of` workers, each with a printer `make` builds (to the
/// sink it is given), into `sink`, in order. The events written and the records that failed.
pub fn decode_all<'s, R: Read>(
    reader: &mut Reader<R>,
    make: &(dyn Fn(Sink) -> Printer<'s> + Sync),
    sink: &mut Sink,
    filter: &Filter,
    wanted: Wanted,
    progress: Option<&ProgressBar>,
    of: usize,
) -> Result<(Outcome, u64, u64)> {
    std::thread::scope(|scope| {
        // unbounded: what waits there is bounded by the chunks in flight
        let (done_tx, done_rx) = mpsc::channel::<Done>();
        // chunks every worker is done with, back to be filled again (no new pages)
        let (reuse_tx, reuse_rx) = mpsc::channel::<Chunk>();
        let mut senders = Vec::new();
        let mut handles = Vec::new();
        let mut returns = Vec::new();
        for me in 0..of {
            let (tx, rx) = mpsc::sync_channel::<(usize, Arc<Chunk>)>(QUEUE);
            senders.push(tx);
            let (back, spent) = mpsc::channel::<Vec<u8>>();
            returns.push(back);
            let done = done_tx.clone();
            let reuse = reuse_tx.clone();
            let task = Task { filter, wanted };
            // made in its thread: a printer holds thread-local state (Rc)
            handles.push(scope.spawn(move || {
                let out = Shared::default();
                let printer = make(Sink {
                    w: io::BufWriter::with_capacity(0, Box::new(out.clone())),
                    path: None,
                    created: false,
                });
                work(me, of, task, printer, out, rx, done, (spent, reuse))
            }));
        }
        drop(done_tx);
        drop(reuse_tx);
        let mut writer = InOrder {
            returns,
            ..Default::default()
        };
        let mut chunk = Chunk::default();
        let mut sent = 0;
        let mut records = 0u64;
        let per_chunk = chunk_records();
        // the records go to the workers as they are: each takes in (parses, counts, filters)
        // those of its chunks
        let result = (|| -> Result<()> {
            while let Some(frame) = reader.next_record().context("reading the dump")? {
                let (cgroups, maps) = (frame.cgroups, frame.maps);
                if !cgroups.is_empty() || !maps.is_empty() {
                    chunk.meta += cgroups.iter().map(|(_, p)| p.len() + 32).sum::<usize>();
                    chunk.meta += maps
                        .iter()
                        .flat_map(|(_, m)| m)
                        .map(|m| m.path.len() + m.build_id.len() + 64)
                        .sum::<usize>();
                    let at = chunk.items.len();
                    chunk.before.push(Before { at, cgroups, maps });
                }
                let start = chunk.bytes.len();
                chunk.bytes.extend_from_slice(frame.record);
                chunk.items.push(Item {
                    start: start as u32,
                    end: chunk.bytes.len() as u32,
                    offset: frame.offset,
                });
                if chunk.items.len() >= per_chunk || chunk.bytes.len() + chunk.meta >= CHUNK_BYTES {
                    let next = reuse_rx.try_recv().unwrap_or_default();
                    send(&senders, sent, std::mem::replace(&mut chunk, next))?;
                    sent += 1;
                    writer.write_ready(&done_rx, sink, false)?;
                }
                records += 1;
                if let Some(pb) = progress {
                    if records % PROGRESS_EVERY == 0 {
                        pb.set_position(frame.offset);
                        pb.set_message(format!("{records} records"));
                    }
                }
            }
            if !chunk.items.is_empty() {
                send(&senders, sent, std::mem::take(&mut chunk))?;
                sent += 1;
            }
            Ok(())
        })();
        drop(senders);
        // the chunks sent are written (or the first error said), whatever stopped reading
        let written = result.and_then(|()| {
            while writer.next < sent {
                writer.write_ready(&done_rx, sink, true)?;
            }
            Ok(())
        });
        drop(done_rx);
        let (mut out, mut events, mut failed) = (Outcome::default(), 0, 0);
        for h in handles {
            let (o, e, f) = h
                .join()
                .map_err(|_| anyhow::anyhow!("a decoding thread panicked"))?;
            out.merge(o);
            events += e;
            failed += f;
        }
        written.map(|()| (out, events, failed))
    })
}

/// Hand chunk `n` to every worker.
fn send(senders: &[SyncSender<(usize, Arc<Chunk>)>], n: usize, chunk: Chunk) -> Result<()> {
    let chunk = Arc::new(chunk);
    for s in senders {
        s.send((n, chunk.clone()))
            .map_err(|_| anyhow::anyhow!("a decoding thread stopped"))?;
    }
    Ok(())
}

/// The workers' outputs, written in chunk order; each buffer goes back to its worker.
#[derive(Default)]
struct InOrder {
    next: usize,
    waiting: BTreeMap<usize, (usize, Vec<u8>)>,
    returns: Vec<Sender<Vec<u8>>>,
}

impl InOrder {
    /// Write what has come in order; with `wait`, wait for one output first.
    fn write_ready(&mut self, done: &Receiver<Done>, sink: &mut Sink, wait: bool) -> Result<()> {
        let mut first = wait;
        loop {
            let got = match first {
                true => done
                    .recv()
                    .map_err(|_| anyhow::anyhow!("a decoding thread stopped")),
                false => match done.try_recv() {
                    Ok(d) => Ok(d),
                    Err(_) => break,
                },
            };
            first = false;
            let (n, who, bytes) = got?;
            let name = sink.name();
            let failed = |e| anyhow::anyhow!(WriteError(e)).context(format!("writing to {name}"));
            self.waiting.insert(n, (who, bytes.map_err(failed)?));
            while let Some((who, bytes)) = self.waiting.remove(&self.next) {
                sink.w.write_all(&bytes).map_err(failed)?;
                self.next += 1;
                // a worker that has ended no longer takes it
                let _ = self.returns[who].send(bytes);
            }
        }
        Ok(())
    }
}
