//! replay: decodes a raw dump (--input). The schema comes from the dump's header, never from the
//! local kernel; records are filtered (-s, --comm), decoded and rendered like live ones, with a
//! progress bar on a terminal, and the end says how the dump ended and what the capture lost.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use crate::app::printer::Printer;
use crate::app::report;
use crate::cli::Cli;
use crate::dump::{DumpError, Reader};
use crate::model::counters::KernelStats;
use crate::model::record::{self, AnyRecord, Phase, Record};
use crate::model::summary::Summary;
use crate::render::json::CtxLines;
use crate::render::sink::{self, Sink};
use crate::skel::types::etrace_limits as L;
use crate::tables::Formats;

/// A syscall name the dump's schema lacks although this etrace knows it: the dump does not
/// contain it (it was recorded with -s), which is what the user needs to hear.
fn not_in_dump(
    e: impl Into<anyhow::Error>,
    names: &[String],
    formats: &Formats,
    options: &crate::dump::CaptureOptions,
) -> anyhow::Error {
    let e = e.into();
    let known = |n: &str| formats.syscalls.iter().any(|(_, s)| s == n);
    let missing = names
        .iter()
        .flat_map(|s| s.split(','))
        .map(|s| s.trim_start_matches('!'))
        .find(|n| !n.starts_with('%') && known(n) && e.to_string().contains(&format!("`{n}`")));
    match (missing, options.syscalls.is_empty()) {
        (Some(n), false) => anyhow!(
            "the dump does not contain {n}: it was recorded with -s {}",
            options.syscalls.join(",")
        ),
        (Some(n), true) => anyhow!("the dump's schema has no syscall {n}"),
        (None, _) => e,
    }
}

/// Dumps at least this large get a progress bar (on a terminal).
const PROGRESS_MIN_BYTES: u64 = 8 << 20;
pub(crate) const PROGRESS_EVERY: u64 = 4096;

/// Which records to keep (the same filters live tracing applies in the kernel).
#[derive(Debug, Default)]
pub struct Filter {
    pub syscalls: Option<HashSet<u32>>,
    /// comms, cut to the kernel's 15 bytes
    pub comms: Vec<Vec<u8>>,
    /// only calls that returned an error
    pub failed: bool,
    /// the signals shown (bit n - 1: signal n)
    pub signals: u64,
}

impl Filter {
    pub fn new(syscalls: Option<HashSet<u32>>, comms: &[String], failed: bool) -> Filter {
        let max = L::ETRACE_COMM_LEN.0 as usize - 1;
        Filter {
            syscalls,
            comms: comms
                .iter()
                .map(|c| c.as_bytes()[..c.len().min(max)].to_vec())
                .collect(),
            failed,
            signals: u64::MAX,
        }
    }

    /// Whether a record of any type is kept: context and fd records always are (later events
    /// need them); fork, exec and exit records pass the comm filter alone, as in the kernel.
    pub fn keeps_any(&self, rec: &AnyRecord<'_>) -> bool {
        let comm = |c: &[i8]| self.comm_passes(c);
        match rec {
            AnyRecord::Syscall(r) => self.keeps(r),
            AnyRecord::Ctx(_) | AnyRecord::Fd { .. } => true,
            AnyRecord::Fork(f) => comm(&f.comm),
            AnyRecord::Exec { hdr, .. } => comm(&hdr.comm),
            AnyRecord::Exit(e) => comm(&e.comm),
            AnyRecord::Signal(s) => {
                let bit = s
                    .sig
                    .checked_sub(1)
                    .and_then(|b| u32::try_from(b).ok())
                    .filter(|b| *b < 64);
                comm(&s.comm) && bit.is_some_and(|b| self.signals >> b & 1 != 0)
            }
        }
    }

    /// Whether a kernel comm field passes --comm (no comm is built when none is set).
    fn comm_passes(&self, comm: &[i8]) -> bool {
        self.comms.is_empty() || {
            let comm = record::comm_bytes(comm);
            self.comms.iter().any(|k| k[..] == *comm)
        }
    }

    pub fn keeps(&self, rec: &Record<'_>) -> bool {
        self.syscalls
            .as_ref()
            .is_none_or(|s| s.contains(&rec.hdr.nr))
            && self.comm_passes(&rec.hdr.comm)
            && (!self.failed || (rec.exited() && record::is_errno(rec.hdr.ret)))
    }
}

/// What decoding a dump found.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Records whose frame was intact.
    pub records: u64,
    /// Records that did not parse (intact frame, impossible contents).
    pub malformed: u64,
    /// Records read per syscall number (the table when the dump has no trailer).
    pub per_syscall: rustc_hash::FxHashMap<u32, u64>,
    /// --summary counters of the kept records, when asked for.
    pub summaries: BTreeMap<u32, Summary>,
}

impl Outcome {
    /// Add what another thread took in (app::parallel).
    pub(crate) fn merge(&mut self, o: Outcome) {
        self.records += o.records;
        self.malformed += o.malformed;
        for (nr, n) in o.per_syscall {
            *self.per_syscall.entry(nr).or_default() += n;
        }
        for (nr, s) in &o.summaries {
            self.summaries.entry(*nr).or_default().merge(s);
        }
    }
}

/// What decode_all does with the records it keeps.
#[derive(Debug, Clone, Copy)]
pub struct Wanted {
    /// Print each one.
    pub events: bool,
    /// Count them per syscall (--summary, --histogram).
    pub summary: bool,
}

/// Take in one record's bytes: count it (per syscall, and for --summary when kept); the
/// parsed record when it is kept and events are wanted.
pub(crate) fn take_in<'r>(
    out: &mut Outcome,
    offset: u64,
    bytes: &'r [u8],
    filter: &Filter,
    wanted: Wanted,
) -> Option<AnyRecord<'r>> {
    let rec = match record::parse_any(bytes) {
        Ok(r) => r,
        Err(e) => {
            if out.malformed < 10 {
                log::warn!("record at byte {offset}: {e}; skipped");
            }
            out.malformed += 1;
            return None;
        }
    };
    out.records += 1;
    // a copy of a call in flight is not a call: its event, if any, comes on its own
    let call = match &rec {
        AnyRecord::Syscall(r) if r.phase() == Phase::Done => Some(r),
        _ => None,
    };
    if let Some(r) = call {
        *out.per_syscall.entry(r.hdr.nr).or_default() += 1;
    }
    if !filter.keeps_any(&rec) {
        return None;
    }
    if let (true, Some(r)) = (wanted.summary, call) {
        let h = &r.hdr;
        out.summaries.entry(h.nr).or_default().add(
            r.exited().then_some(h.ret),
            h.ts_exit.saturating_sub(h.ts_enter),
        );
    }
    wanted.events.then_some(rec)
}

/// Read every record of `reader`, keep those `filter` accepts and print them.
pub fn decode_all<R: Read>(
    reader: &mut Reader<R>,
    printer: &mut Printer<'_>,
    filter: &Filter,
    wanted: Wanted,
    progress: Option<&ProgressBar>,
) -> Result<Outcome> {
    let mut out = Outcome::default();
    while let Some(frame) = reader.next_record().context("reading the dump")? {
        let offset = frame.offset;
        for (id, path) in &frame.cgroups {
            printer.cgroup_path(*id, path);
        }
        for (pid, maps) in &frame.maps {
            printer.set_maps(*pid, maps.clone());
        }
        if let Some(rec) = take_in(&mut out, offset, frame.record, filter, wanted) {
            printer.handle(&rec).map_err(|e| {
                anyhow!(WriteError(e)).context(format!("writing to {}", printer.failed_output()))
            })?;
        }
        if let Some(pb) = progress {
            if out.records % PROGRESS_EVERY == 0 {
                pb.set_position(offset);
                let secs = pb.elapsed().as_secs_f64().max(1e-3);
                pb.set_message(format!(
                    "{} events, {:.0}/s",
                    printer.events,
                    printer.events as f64 / secs
                ));
            }
        }
    }
    Ok(out)
}

/// A write to the output failed (as opposed to the dump being unreadable).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct WriteError(pub(crate) std::io::Error);

/// Decode a whole dump held in memory to nowhere: what the fuzz targets and the corpus test run.
pub fn decode_bytes(data: &[u8], formats: &Formats, json: bool) -> Result<Outcome, DumpError> {
    let mut reader = Reader::open(data)?;
    let schema = std::mem::take(&mut reader.schema);
    let text = crate::render::text::TextOptions {
        bytes: 64,
        ..Default::default()
    };
    let mut printer = Printer::new(Sink::discard(), &schema, formats, json, text);
    let wanted = Wanted {
        events: true,
        summary: true,
    };
    decode_all(&mut reader, &mut printer, &Filter::default(), wanted, None)
        .map_err(|e| DumpError::Io(std::io::Error::other(e.to_string())))
}

/// The --summary counters of a dump: the kernel's, from the trailer, when the capture counted
/// and the filters here select whole syscalls (those counters are exact even where the capture
/// lost events); else those counted from the dump's records.
fn summaries<R: Read>(
    reader: &Reader<R>,
    filter: &Filter,
    from_records: BTreeMap<u32, Summary>,
) -> BTreeMap<u32, Summary> {
    let kernel = reader.trailer.as_ref().map(|t| &t.summary);
    let usable = filter.comms.is_empty() && (!filter.failed || reader.header.options.failed);
    match kernel {
        Some(k) if usable && !k.is_empty() => {
            log::info!("summary: the kernel's counters, from the dump's trailer");
            k.iter()
                .filter(|s| {
                    filter
                        .syscalls
                        .as_ref()
                        .is_none_or(|set| set.contains(&s.nr))
                })
                .map(|s| (s.nr, s.summary()))
                .collect()
        }
        _ => {
            let lost = reader.trailer.as_ref().map_or(0, |t| {
                crate::model::counters::total(t.counts.iter().map(|c| c.2)).0
            });
            if lost > 0 {
                log::warn!(
                    "summary: counted from the dump's records; the capture lost {lost} events \
                     (record with --raw --summary for the kernel's exact counters)"
                );
            }
            from_records
        }
    }
}

fn progress_bar(size: Option<u64>) -> Option<ProgressBar> {
    let size = size.filter(|s| *s >= PROGRESS_MIN_BYTES)?;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let style = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta} {msg}",
    )
    .ok()?
    .progress_chars("=> ");
    let pb = ProgressBar::new(size).with_style(style);
    pb.enable_steady_tick(Duration::from_millis(200));
    Some(pb)
}

/// Open a dump and read its header, saying who wrote it where; its size, when it is a file.
fn open_dump(input: &Path, name: &str) -> Result<(Reader<File>, Option<u64>)> {
    let file = File::open(input).with_context(|| format!("cannot open {name}"))?;
    let size = file
        .metadata()
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len());
    let reader = Reader::open(file).map_err(|e| match e {
        DumpError::Io(e) => anyhow!("cannot read {name}: {e}"),
        e => anyhow!("{name}: {e}"),
    })?;
    let h = &reader.header;
    log::debug!(
        "{name}: written by {} on Linux {} ({}), {} syscalls in its schema",
        h.writer,
        h.kernel_release,
        h.arch,
        reader.schema.syscalls.len()
    );
    if h.tables_version != Formats::tables_version() {
        log::info!(
            "{name} was recorded by {} with other symbolic tables ({}); names come from this \
             etrace's ({})",
            h.writer,
            h.tables_version,
            Formats::tables_version()
        );
    }
    // the symbolic tables of the machine that recorded the dump (open flags differ by arch)
    if !crate::tables::ARCHES.contains(&h.arch.as_str()) {
        log::warn!(
            "{name} was recorded on {}: this etrace has tables for {}; names come from \
             x86_64's and may be wrong",
            h.arch,
            crate::tables::ARCHES.join(" and ")
        );
    }
    Ok((reader, size))
}

/// Printers like the main one, and how many decode at once (app::parallel).
type Parallel<'a, 's> = Option<(&'a (dyn Fn(Sink) -> Printer<'s> + Sync), usize)>;

/// Decode every record to the printer (its sink, and with `parallel`, on several threads);
/// Err(code) when the output was closed (said in one line).
fn decode_to<R: Read>(
    reader: &mut Reader<R>,
    printer: &mut Printer<'_>,
    filter: &Filter,
    wanted: Wanted,
    size: Option<u64>,
    parallel: Parallel<'_, '_>,
) -> Result<Result<Outcome, i32>> {
    let pb = progress_bar(size);
    let res = match parallel {
        None => decode_all(reader, printer, filter, wanted, pb.as_ref()),
        Some((make, n)) => {
            let sink = &mut printer.sink;
            crate::app::parallel::decode_all(reader, make, sink, filter, wanted, pb.as_ref(), n)
                .map(|(out, events, failed)| {
                    printer.events += events;
                    printer.failed += failed;
                    out
                })
        }
    };
    if let Some(pb) = &pb {
        pb.finish_and_clear();
    }
    let flushed = printer.sink.flush();
    // a closed pipe (`| head`) stops decoding, in one line, with SIGPIPE's status
    let closed = |io: &std::io::Error| io.kind() == std::io::ErrorKind::BrokenPipe;
    let said_closed = |e: &dyn std::fmt::Display| {
        eprintln!(
            "etrace: {} was closed ({e}); decoding stopped",
            printer.failed_output()
        );
        Ok(Err(128 + libc::SIGPIPE))
    };
    let outcome = match res {
        Ok(o) => o,
        Err(e) => match e.downcast_ref::<WriteError>().filter(|w| closed(&w.0)) {
            Some(WriteError(io)) => return said_closed(io),
            None => return Err(e),
        },
    };
    match flushed {
        Err(e) if closed(&e) => said_closed(&e),
        Err(e) => bail!("writing to {} failed: {e}", printer.failed_output()),
        Ok(()) => Ok(Ok(outcome)),
    }
}

/// What the dump says of how it ended: damaged places, a missing trailer.
fn report_problems<R: Read>(reader: &Reader<R>, name: &str) {
    for p in &reader.problems {
        log::warn!("{name}: {p}");
    }
    let unlisted = reader.problem_count - reader.problems.len() as u64;
    if unlisted > 0 {
        log::warn!("{name}: and {unlisted} more damaged places");
    }
    if reader.trailer.is_none() && !reader.truncated {
        log::warn!(
            "{name} has no trailer: the capture did not end normally (etrace was killed, or \
             the disk filled), so its sent/lost counters are unknown"
        );
    }
}

/// The Sent/Lost counters of a dump: its trailer's, else the records it holds (losses
/// unknown), for the syscalls the filter keeps.
fn counts<R: Read>(
    reader: &Reader<R>,
    filter: &Filter,
    outcome: &Outcome,
) -> (BTreeMap<u32, (u64, u64)>, KernelStats) {
    let (counts, reads): (Vec<(u32, (u64, u64))>, _) = match &reader.trailer {
        Some(t) => (
            t.counts.iter().map(|(nr, s, l)| (*nr, (*s, *l))).collect(),
            t.reads,
        ),
        None => (
            outcome
                .per_syscall
                .iter()
                .map(|(nr, n)| (*nr, (*n, 0)))
                .collect(),
            KernelStats::default(),
        ),
    };
    let counts = counts
        .into_iter()
        .filter(|(nr, _)| filter.syscalls.as_ref().is_none_or(|s| s.contains(nr)))
        .collect();
    (counts, reads)
}

/// `etrace --input DUMP`: decode a dump; the exit code.
pub fn run(cli: &Cli, input: &Path) -> Result<i32> {
    let started = Instant::now();
    let name = input.display().to_string();
    let (mut reader, size) = open_dump(input, &name)?;
    let formats = Formats::for_arch(&reader.header.arch)?;
    let schema = std::mem::take(&mut reader.schema);
    cli.warn_long_comms();
    let options = &reader.header.options;
    let selected = schema
        .select(&cli.syscall, &formats.classes)
        .map_err(|e| not_in_dump(e, &cli.syscall, &formats, options))?;
    let mut filter = Filter::new(selected, &cli.comm, cli.failed);
    filter.signals = cli.signal_mask(&formats.xlat)?;
    let histograms = report::histogram_syscalls(&schema, &cli.histogram)
        .map_err(|e| not_in_dump(e, &cli.histogram, &formats, options))?;
    let temp = (cli.json && !cli.stdout).then_some(".json");
    let sink = match cli.no_lines() {
        true => Sink::discard(),
        false => sink::open(cli.output.as_deref(), temp)?,
    };
    let mut created = crate::render::sink::NewFiles::default();
    let (svg, folded) = crate::app::live::open_folded(cli, &mut created)?;
    let h = &reader.header;
    let parquet = crate::app::live::open_parquet(cli, &mut created, h.realtime_offset_ns, false)?;
    created.keep();
    let text = cli.text_options(h.realtime_offset_ns, h.host_ns);
    // every printer is made alike; the folded stacks and Parquet rows are one printer's
    let make = |sink: Sink| {
        Printer::new(sink, &schema, &formats, cli.json, text)
            .without_lines(cli.no_lines())
            .with_fds(cli.show_fds(), cli.path_filter())
            .with_stacks(cli.stacks)
            .with_ctx_lines(cli.ctx)
    };
    // -r and --ctx changes write what the line before had
    let sequential = cli.relative || cli.ctx == CtxLines::Changes || cli.files_only_outputs();
    let mut printer = make(sink)
        .with_folded(cli.flamegraph_by, svg, folded)
        .with_parquet(parquet);
    let wanted = Wanted {
        events: !cli.summary_only(),
        summary: cli.counting(),
    };
    let workers = match sequential || !wanted.events {
        true => 1,
        false => crate::app::parallel::workers(),
    };
    let parallel: Parallel = (workers > 1).then_some((&make, workers));
    let outcome = match decode_to(&mut reader, &mut printer, &filter, wanted, size, parallel)? {
        Ok(o) => o,
        Err(code) => return Ok(code),
    };
    report_problems(&reader, &name);
    let (counts, reads) = counts(&reader, &filter, &outcome);
    let sums = summaries(&reader, &filter, outcome.summaries);
    let tables = report::Tables {
        stats: cli.stats && !cli.summary_only(),
        summary: cli.summary,
        histograms: &histograms,
    };
    tables.print(&schema, &counts, &reads, reader.trailer.is_some(), &sums);
    for file in printer.write_folded().context("writing the flamegraph")? {
        log::info!("stacks written to {file}");
    }
    if let Some((file, n)) = printer
        .finish_parquet()
        .with_context(|| format!("writing {}", printer.failed_output()))?
    {
        log::info!("{n} events written to {file}");
    }
    let lost = reader
        .trailer
        .as_ref()
        .map(|t| crate::model::counters::total(t.counts.iter().map(|c| c.2)).0);
    log::info!(
        "{}: {} events decoded from {} records in {:.2} s; events lost at capture: {}",
        printer.sink.name(),
        printer.events,
        outcome.records,
        started.elapsed().as_secs_f64(),
        lost.map_or("unknown (no trailer)".into(), |l| l.to_string()),
    );
    if outcome.malformed > 0 {
        log::warn!("{name}: {} malformed records skipped", outcome.malformed);
    }
    if printer.failed > 0 {
        log::warn!(
            "{name}: {} records could not be decoded (an etrace bug) and were skipped",
            printer.failed
        );
    }
    let damaged = reader.problem_count > 0 || outcome.malformed > 0 || reader.trailer.is_none();
    if cli.strict && damaged {
        log::error!("{name} is incomplete or damaged (--strict)");
        return Ok(1);
    }
    Ok(0)
}
