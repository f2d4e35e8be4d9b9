//! printer: turns records into output: decodes each record against the schema and writes it
//! through the text or JSON renderer to its sink, keeping each thread's context from the context
//! records. Live tracing and dump decoding share it, so a
//! dump decodes to exactly what the live run printed.

use std::io::{self, Write};

use crate::decode::stacks::StackSymbolizer;
use crate::decode::Decoder;
use crate::model::context::Contexts;
use crate::model::event::{Event, Value};
use crate::model::fds::{FdTable, AT_FDCWD};
use crate::model::record::{self, AnyRecord, Phase, Record, RecordError};
use crate::model::stacks::ProcessMaps;
use crate::render::folded::{Folded, Weight};
use crate::render::parquet::Writer as ParquetWriter;
use crate::render::sink::Sink;
use crate::render::text::TextOptions;
use crate::render::{json, text};
use crate::schema::Schema;
use crate::tables::abbrev::{Abbrev, Abbrevs};
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
    /// The last event's arguments, emptied: the next event's go there.
    spare_args: Vec<(&'s str, crate::model::event::Value)>,
    /// What JSON lines repeat from one to the next.
    repeats: json::Repeats,
    text_line: String,
    contexts: Contexts,
    /// Threads whose call in flight was reported pending: tid -> that call's entry time. Its
    /// event, when it comes, is the `<... resumed>` half.
    pending: rustc_hash::FxHashMap<u32, u64>,
    /// The time of the last text line (for -r).
    last_line_ts: Option<u64>,
    /// What the traced processes' fds refer to (-y, -P).
    fds: FdTable,
    /// -y: show the descriptions (1; 2 for -yy).
    show_fds: u8,
    /// -P: only the calls that touch one of these paths (none: every call).
    paths: Vec<Vec<u8>>,
    /// What text shows of an argument without -v.
    abbrev: &'s Abbrevs,
    /// The syscalls some rule of `abbrev` applies to (looked up for every text event).
    abbreviated: rustc_hash::FxHashSet<u32>,
    /// The `hide` rules, resolved.
    hides: rustc_hash::FxHashMap<u32, Vec<HideRule>>,
    /// -k: the processes' file mappings, and the symbolizer (None: stacks not shown).
    maps: ProcessMaps,
    stacks: Option<StackSymbolizer>,
    /// -k: events show their stacks
    show_stacks: bool,
    /// --flamegraph, --folded: the folded stacks, and where they go
    folded: Option<(Folded, Option<Sink>, Option<Sink>)>,
    /// --parquet: the writer and its file's name; whether the last write error was its own
    parquet: Option<(ParquetWriter, String)>,
    parquet_failed: bool,
    /// Events are rendered as lines (off when only files such as Parquet are written).
    lines: bool,
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
            repeats: json::Repeats::default(),
            spare_args: Vec::new(),
            text_line: String::with_capacity(4096),
            contexts: Contexts::default(),
            pending: Default::default(),
            last_line_ts: None,
            fds: FdTable::default(),
            show_fds: 0,
            paths: Vec::new(),
            abbrev: &formats.abbrev,
            abbreviated: schema
                .syscalls
                .values()
                .filter(|sc| {
                    let a = &formats.abbrev;
                    a.names_syscall(&sc.name)
                        || sc.args.iter().any(|p| {
                            a.get(&sc.name, &p.name).is_some()
                                || a.dates(&sc.name, &p.name).is_some()
                        })
                })
                .map(|sc| sc.nr)
                .collect(),
            hides: resolve_hides(schema, &formats.abbrev, &formats.xlat),
            maps: ProcessMaps::default(),
            stacks: None,
            show_stacks: false,
            folded: None,
            parquet: None,
            parquet_failed: false,
            lines: true,
        }
    }

    /// --ctx: which JSON lines have `ctx`.
    pub fn with_ctx_lines(mut self, lines: json::CtxLines) -> Self {
        self.repeats = json::Repeats::new(lines);
        self
    }

    /// Render no lines: the events go only to the file outputs (Parquet, flamegraph).
    pub fn without_lines(mut self, no_lines: bool) -> Self {
        self.lines = !no_lines;
        self
    }

    /// --parquet: every event (unabbreviated, whatever the text shows) also goes to this file.
    pub fn with_parquet(mut self, w: Option<(ParquetWriter, String)>) -> Self {
        self.parquet = w;
        self
    }

    /// The output a write error came from.
    pub fn failed_output(&self) -> String {
        match (&self.parquet, self.parquet_failed) {
            (Some((_, name)), true) => name.clone(),
            _ => self.sink.name(),
        }
    }

    /// A Parquet write's result, its error remembered as the Parquet file's.
    fn parquet_result(&mut self, r: io::Result<()>) -> io::Result<()> {
        self.parquet_failed = r.is_err();
        r
    }

    /// Live, now and then: write the Parquet rows that have waited long enough.
    pub fn tick(&mut self) -> io::Result<()> {
        let r = match &mut self.parquet {
            Some((w, _)) => w.tick(),
            None => return Ok(()),
        };
        self.parquet_result(r)
    }

    /// At the end: the Parquet file's last rows and footer; its name and events written.
    pub fn finish_parquet(&mut self) -> io::Result<Option<(String, u64)>> {
        let r = match &mut self.parquet {
            Some((w, name)) => w.finish().map(|n| Some((name.clone(), n))),
            None => return Ok(None),
        };
        self.parquet_failed = r.is_err();
        r
    }

    /// -y (1) or -yy (2): show what fds refer to; `paths` (-P): show only the calls that touch
    /// one of them, as a path argument or through an fd.
    pub fn with_fds(mut self, show: u8, paths: Vec<Vec<u8>>) -> Self {
        self.show_fds = show;
        self.fds = FdTable::new(show >= 2);
        self.paths = paths.iter().map(|p| normalize(p)).collect();
        self
    }

    /// -r: a text line for what happened at `ts` is this long after the previous line's (0 for
    /// the first, and for a line that reports something earlier).
    fn relative(&mut self, ts: u64) {
        if self.text.relative {
            self.text.delta_ns = self.last_line_ts.map_or(0, |l| ts.saturating_sub(l));
            self.last_line_ts = Some(self.last_line_ts.map_or(ts, |l| l.max(ts)));
        }
    }

    /// Calls reported pending whose event has not come (yet).
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// -k: show each event's user stack, symbolized.
    pub fn with_stacks(mut self, on: bool) -> Self {
        self.stacks = on.then(StackSymbolizer::default);
        self.show_stacks = on;
        self
    }

    /// --flamegraph, --folded: fold the calls' stacks (symbolized: stacks are turned on) into
    /// these outputs, written by `write_folded` at the end.
    pub fn with_folded(mut self, weight: Weight, svg: Option<Sink>, folded: Option<Sink>) -> Self {
        if svg.is_some() || folded.is_some() {
            self.stacks.get_or_insert_with(StackSymbolizer::default);
            self.folded = Some((Folded::new(weight), svg, folded));
        }
        self
    }

    /// Write the flamegraph and the folded stacks, when asked for; the files written.
    pub fn write_folded(&mut self) -> io::Result<Vec<String>> {
        let Some((stacks, svg, folded)) = &mut self.folded else {
            return Ok(Vec::new());
        };
        if stacks.is_empty() {
            log::warn!("no call had a user stack: the flamegraph is empty (trace with -k)");
        }
        let mut written = Vec::new();
        if let Some(s) = folded {
            stacks.write_folded(&mut s.w)?;
            s.w.flush()?;
            written.push(s.name());
        }
        if let Some(s) = svg {
            stacks.write_svg(&mut s.w)?;
            s.w.flush()?;
            written.push(s.name());
        }
        Ok(written)
    }

    /// A process's file mappings (read on this machine, or from a dump's maps frame).
    pub fn set_maps(&mut self, pid: u32, maps: Vec<crate::model::stacks::Mapping>) {
        self.maps.set(pid, maps);
    }

    /// Record a cgroup id's path (found on this machine, or in a dump's cgroup frame).
    pub fn cgroup_path(&mut self, id: u64, path: &str) {
        self.contexts.cgroup_path(id, path);
    }

    /// The pending calls' bookkeeping for a syscall record: (its entry was reported pending
    /// before, it is a pending entry shown already).
    fn pending_state(&mut self, rec: &Record<'_>) -> (bool, bool) {
        let (tid, ts) = (rec.hdr.tid, rec.hdr.ts_enter);
        match rec.phase() {
            Phase::Pending => {
                // a pending entry is shown once. A dump is untrusted: past MAX_PENDING
                // threads, the next events are whole lines
                let known = self.pending.get(&tid) == Some(&ts);
                if !known && self.pending.len() < MAX_PENDING {
                    self.pending.insert(tid, ts);
                }
                (false, known)
            }
            _ if self.pending.is_empty() => (false, false),
            Phase::Done => (self.pending.remove(&tid) == Some(ts), false),
            Phase::Unfinished => (self.pending.get(&tid) == Some(&ts), false),
        }
    }

    /// Whether [`Printer::track`] would take anything in from the record in `bytes`: not from a
    /// completed call while no call is pending (most records), which then need not be parsed.
    pub fn tracks(&self, bytes: &[u8]) -> bool {
        !(self.pending.is_empty() && record::is_completed_call(bytes))
    }

    /// Take in what a record changes (thread contexts, pending calls, fds) without decoding or
    /// writing it: another printer writes it (parallel decoding, app::replay).
    pub fn track(&mut self, rec: &AnyRecord<'_>) {
        match rec {
            AnyRecord::Syscall(r) => {
                self.pending_state(r);
            }
            AnyRecord::Fd { hdr, name } => self.fds.update(hdr, name),
            AnyRecord::Ctx(c) => self.contexts.update(c),
            AnyRecord::Exit(e) => self.exited(e),
            AnyRecord::Fork(_) | AnyRecord::Exec { .. } | AnyRecord::Signal(_) => {}
        }
    }

    /// A thread has ended: its context, pending call and (the last one's) fds go.
    fn exited(&mut self, e: &crate::skel::types::etrace_exit) {
        self.contexts.forget(e.tid);
        self.pending.remove(&e.tid);
        if u32::from(e.flags) & crate::skel::types::etrace_exit_flags::ETRACE_E_GROUP_DEAD.0 != 0 {
            self.fds.forget_process(e.pid);
        }
    }

    /// Decode and write one parsed syscall record.
    pub fn print(&mut self, rec: &Record<'_>) -> io::Result<()> {
        let ctx = self.contexts.for_syscall(rec.hdr.tid, rec.ctx_changed());
        let phase = rec.phase();
        let (was_pending, shown) = self.pending_state(rec);
        // JSON shows nothing of a pending call until its event
        if phase == Phase::Pending && (shown || self.json) {
            return Ok(());
        }
        let spare = std::mem::take(&mut self.spare_args);
        let mut ev = self.decoder.decode_into(rec, ctx, spare);
        ev.was_pending = was_pending;
        if self.show_fds > 0 || !self.paths.is_empty() {
            self.describe_fds(&mut ev);
            if !self.paths.is_empty() && !self.touches_paths(&ev) {
                return Ok(());
            }
            if self.show_fds == 0 {
                ev.fds.clear();
            }
        }
        if phase != Phase::Pending {
            self.events += 1;
        }
        if let Some(st) = &mut self.stacks {
            ev.stack = st.frames(&self.maps, ev.pid, &rec.stack());
        }
        // every value, before text abbreviates them
        if let Some((w, _)) = &mut self.parquet {
            let r = w.add(&ev, self.decoder.fd_positions(ev.nr).0);
            self.parquet_result(r)?;
        }
        if self.lines && !self.json && self.abbreviated.contains(&ev.nr) {
            if let Some(h) = self.hides.get(&ev.nr) {
                omit_unused(&mut ev, h);
            }
            match self.text.verbose {
                false => abbreviate(&mut ev, self.abbrev),
                true => with_dates(&mut ev, self.abbrev),
            }
            label_after(&mut ev, self.abbrev);
        }
        if let (Some((f, ..)), Phase::Done) = (&mut self.folded, phase) {
            f.add(&ev);
        }
        // symbolized for the flamegraph only, not shown without -k
        if !self.show_stacks {
            ev.stack.clear();
        }
        let written = self.emit(&ev);
        // the next event's arguments go there
        self.spare_args = std::mem::take(&mut ev.args);
        written
    }

    /// Write an event's line, if lines are written.
    fn emit(&mut self, ev: &Event<'s>) -> io::Result<()> {
        if !self.lines {
            return Ok(());
        }
        if self.json {
            self.line.clear();
            json::append(&mut self.line, &mut self.repeats, ev)?;
            self.sink.w.write_all(&self.line)
        } else {
            // a `<... resumed>` line reports the call's end
            let at = match (ev.was_pending, ev.phase, ev.duration_ns) {
                (true, Phase::Done, Some(d)) => ev.ts.saturating_add(d),
                _ => ev.ts,
            };
            self.relative(at);
            text::write_with(&mut self.sink.w, &mut self.text_line, ev, &self.text)
        }
    }

    /// Attach to an event what its fd arguments and returned fd refer to.
    fn describe_fds(&self, ev: &mut Event<'s>) {
        let (args, ret) = self.decoder.fd_positions(ev.nr);
        for (i, (name, v)) in ev.args.iter().enumerate().take(6) {
            if args >> i & 1 == 0 {
                continue;
            }
            let fd = match v.raw_int() {
                Some(n) => n as i32,
                None => continue,
            };
            if let Some(d) = self.fds.get(ev.pid, fd) {
                ev.fds.push((name, d.clone()));
            }
        }
        if let (true, Some(r)) = (
            ret,
            ev.ret.filter(|r| (0..=i64::from(i32::MAX)).contains(r)),
        ) {
            if let Some(d) = self.fds.get(ev.pid, r as i32) {
                ev.fds.push(("ret", d.clone()));
            }
        }
    }

    /// -P: whether the event names one of the paths: a path its fds refer to, or a string
    /// argument, relative ones taken from the call's dfd (or the working directory).
    fn touches_paths(&self, ev: &Event<'s>) -> bool {
        let wanted = |p: &[u8]| self.paths.iter().any(|w| w[..] == *p);
        if ev.fds.iter().any(|(_, d)| d.is_path && wanted(&d.text)) {
            return true;
        }
        let base = ev
            .fds
            .iter()
            .find(|(n, _)| n.ends_with("dfd"))
            .map(|(_, d)| d.clone())
            .or_else(|| self.fds.get(ev.pid, AT_FDCWD).cloned());
        ev.args.iter().any(|(_, v)| match v {
            Value::Str { bytes, .. } if bytes.first() == Some(&b'/') => wanted(&normalize(bytes)),
            Value::Str { bytes, .. } => base.as_ref().filter(|b| b.is_path).is_some_and(|b| {
                let mut full = b.text.to_vec();
                full.push(b'/');
                full.extend_from_slice(bytes);
                wanted(&normalize(&full))
            }),
            _ => false,
        })
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
        match rec {
            AnyRecord::Syscall(r) => return self.print(r),
            AnyRecord::Fd { hdr, name } => {
                self.fds.update(hdr, name);
                return Ok(());
            }
            _ => {}
        }
        // a context record updates its thread's context and writes nothing
        let Some(ev) = self.decoder.life(rec, &self.contexts) else {
            if let AnyRecord::Ctx(c) = rec {
                self.contexts.update(c);
            }
            return Ok(());
        };
        if let AnyRecord::Exit(e) = rec {
            self.exited(e);
        }
        self.events += 1;
        if let Some((w, _)) = &mut self.parquet {
            let r = w.add_life(&ev);
            self.parquet_result(r)?;
        }
        if !self.lines {
            return Ok(());
        }
        if self.json {
            self.line.clear();
            json::append_life(&mut self.line, &mut self.repeats, &ev)?;
            self.sink.w.write_all(&self.line)
        } else {
            self.relative(ev.ts);
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

/// Text: what the call wrote back under the labels formats/abbrev.rules gives it (`left`),
/// empty fd sets left out; a result of 0 as the rule's word (`Timeout`), as strace shows them.
fn label_after<'s>(ev: &mut Event<'s>, rules: &'s Abbrevs) {
    ev.ret_flags = rules.ret_flags(&ev.syscall);
    if ev.ret == Some(0) {
        if let Some(word) = rules.zero(&ev.syscall) {
            ev.after = vec![(word, Value::Omitted)];
            return;
        }
    }
    ev.after
        .retain(|(_, v)| !matches!(v, Value::Sym { name, .. } if name == "[]"));
    for (name, _) in ev.after.iter_mut() {
        if let Some(label) = rules.after(&ev.syscall, name) {
            *name = label;
        }
    }
}

/// Text without -v: the arguments formats/abbrev.rules shortens, shortened (JSON never is).
fn abbreviate(ev: &mut Event<'_>, rules: &Abbrevs) {
    for (name, v) in ev.args.iter_mut() {
        let Some(how) = rules.get(&ev.syscall, name) else {
            continue;
        };
        match (how, &mut *v) {
            (Abbrev::Count, Value::Array { items, .. }) => *v = Value::Count(items.len()),
            // a struct with none of the members is another type (ioctl's arg): as it is
            (Abbrev::Members(keep), Value::Struct(fields))
                if keep.iter().any(|k| {
                    let k = k.strip_suffix('?').unwrap_or(k);
                    fields.iter().any(|(n, _)| **n == *k)
                }) =>
            {
                let mut shown: Vec<_> = keep
                    .iter()
                    .filter_map(|k| {
                        // `member?`: only when it is not zero
                        let (k, optional) = match k.strip_suffix('?') {
                            Some(k) => (k, true),
                            None => (k.as_str(), false),
                        };
                        let (n, v) = fields.iter().find(|(n, _)| **n == *k)?;
                        (!optional || v.raw_int() != Some(0)).then(|| (n.clone(), v.clone()))
                    })
                    .collect();
                if shown.len() < fields.len() {
                    shown.push((std::sync::Arc::from("..."), Value::Elided));
                }
                *fields = shown;
            }
            _ => {}
        }
    }
}

/// A `hide` rule of formats/abbrev.rules resolved for one syscall: argument `target` is left
/// out unless argument `other` has all the bits of one of `values` (`unless_bits`), or when it
/// is one of them.
struct HideRule {
    target: usize,
    other: usize,
    /// the bits of the other argument that count
    mask: u64,
    /// only this member of the argument is left out
    member: Option<std::sync::Arc<str>>,
    unless_bits: bool,
    values: Vec<u64>,
}

/// The `hide` rules by syscall number, their names resolved in the other argument's table once.
fn resolve_hides(
    schema: &Schema,
    rules: &Abbrevs,
    xlat: &crate::tables::xlat::Xlat,
) -> rustc_hash::FxHashMap<u32, Vec<HideRule>> {
    let mut out: rustc_hash::FxHashMap<u32, Vec<HideRule>> = Default::default();
    for sc in schema.syscalls.values() {
        let idx = |p: &str| sc.args.iter().take(6).position(|a| a.name == p);
        for (target, a) in sc.args.iter().take(6).enumerate() {
            for hide in rules.hides(&sc.name, &a.name) {
                // `op&0x7f`: only those bits of the other argument count
                let Ok((bare, mask)) = crate::tables::split_mask(&hide.other) else {
                    continue;
                };
                let Some(other) = idx(bare) else {
                    continue;
                };
                let values = hide
                    .names
                    .iter()
                    .filter_map(|n| xlat.cond_value(&sc.name, bare, &[], n))
                    .map(|v| v & u64::from(mask))
                    .collect();
                out.entry(sc.nr).or_default().push(HideRule {
                    target,
                    other,
                    mask: u64::from(mask),
                    member: hide.member.as_deref().map(std::sync::Arc::from),
                    unless_bits: hide.unless_bits,
                    values,
                });
            }
        }
    }
    out
}

/// Text: the arguments a call does not use left out, as strace leaves them out (the `hide`
/// rules of formats/abbrev.rules: `openat.mode hide unless flags & O_CREAT O_TMPFILE`).
fn omit_unused(ev: &mut Event<'_>, hides: &[HideRule]) {
    for h in hides {
        let other = ev.raw_args[h.other] & h.mask;
        let omit = match h.unless_bits {
            // left out unless one of the flags (all of its bits) is set
            true => !h.values.iter().any(|&v| v != 0 && other & v == v),
            false => h.values.contains(&other),
        };
        match (omit, ev.args.get_mut(h.target), &h.member) {
            (true, Some((_, Value::Struct(fields))), Some(m)) => fields.retain(|(n, _)| n != m),
            (true, Some((_, v)), None) => *v = Value::Omitted,
            _ => {}
        }
    }
}

/// Text with -v: the members formats/abbrev.rules says are times, with their date, as strace
/// -v shows them: `st_atime: 1796135198 /* 2026-11-30T12:06:38.942625802+0000 */`.
fn with_dates(ev: &mut Event<'_>, rules: &Abbrevs) {
    use chrono::TimeZone;
    for (name, v) in ev.args.iter_mut() {
        let (Some(members), Value::Struct(fields)) = (rules.dates(&ev.syscall, name), &mut *v)
        else {
            continue;
        };
        for m in members {
            let nsec_name = format!("{m}_nsec");
            let nsec = fields
                .iter()
                .find(|(n, _)| **n == *nsec_name)
                .and_then(|(_, v)| v.raw_int())
                .filter(|n| (0..1_000_000_000).contains(n))
                .unwrap_or(0);
            let Some((_, secs_v)) = fields.iter_mut().find(|(n, _)| **n == **m) else {
                continue;
            };
            let Some(secs) = secs_v.raw_int() else {
                continue;
            };
            if let Some(t) = chrono::Local.timestamp_opt(secs, nsec as u32).single() {
                let date = t.format("%Y-%m-%dT%H:%M:%S.%f%z");
                *secs_v = Value::Sym {
                    raw: Box::new(secs_v.clone()),
                    name: format!("{secs} /* {date} */"),
                };
            }
        }
    }
}

/// A path with `.` and `x/..` components taken out, lexically (as -P compares paths).
fn normalize(p: &[u8]) -> Vec<u8> {
    let mut parts: Vec<&[u8]> = Vec::new();
    for c in p.split(|b| *b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let mut out = Vec::with_capacity(p.len());
    for c in parts {
        out.push(b'/');
        out.extend_from_slice(c);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn paths_are_normalized_lexically() {
        assert_eq!(normalize(b"/etc/./hosts"), b"/etc/hosts");
        assert_eq!(normalize(b"/tmp//a/../etc/hosts"), b"/tmp/etc/hosts");
        assert_eq!(normalize(b"/.."), b"/");
    }
}
