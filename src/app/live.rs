//! live: a live tracing session: builds the schema, loads and attaches the BPF program,
//! optionally launches the command, consumes the ring buffer into the printer and/or a raw dump
//! until Ctrl-C or the command's end, then drains, flushes and reports.

use std::cell::RefCell;
use std::collections::HashSet;
use std::io::Write;
use std::mem::MaybeUninit;
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::app::inflight::{self, Schedule};
use crate::app::launch;
use crate::app::printer::Printer;
use crate::app::report;
use crate::app::stop::{self, Signals, Targets, Unfit};
use crate::capture::program::{self, Config, ReadLimits, Scan, Scans};
use crate::capture::ring::{Next, Ring};
use crate::cli::Cli;
use crate::dump;
use crate::kernel::btf::{self, KernelBtf};
use crate::kernel::procmaps::MapsReader;
use crate::kernel::{cgroup_path, host, tracefs};
use crate::model::record;
use crate::model::stacks::ProcessMaps;
use crate::render::sink::{self, NewFiles, Sink};
use crate::schema::wire::WireSchema;
use crate::schema::Schema;
use crate::skel::types::etrace_rec_type;
use crate::tables::Formats;

const CTX_TYPE: u16 = etrace_rec_type::ETRACE_T_CTX.0 as u16;
const SYSCALL_TYPE: u16 = etrace_rec_type::ETRACE_T_SYSCALL.0 as u16;

const WAKEUP_BYTES: u64 = 2 << 20;
/// Room the throttle keeps free, for what the producers write before it takes hold: with 1 MiB
/// rings a two-thread storm overran 512 and 768 KiB at times; 1 MiB of a 2 MiB ring held.
const PACE_ROOM: u64 = 4 << 20;
/// Rings smaller than this lost events to a two-thread storm even with the throttle's wait
/// (`storm2 1500000 --json -o F`, 3M events: 512 KiB lost 1,944 to 9,907 in three runs, 256 KiB
/// 117,341; 1 MiB and larger lost none): --buffer-size warns.
const SMALL_RING: u32 = 1 << 20;

/// The ring's two marks: from how much waiting the consumer is woken (a quarter of the ring, at
/// most WAKEUP_BYTES), and from how much on every syscall record wakes it, slowing the traced
/// tasks to its pace: half the ring, so that a burst shorter than that runs at its own speed,
/// with at least PACE_ROOM left above it (a smaller ring throttles from the wake-up mark).
fn ring_marks(ring: u32) -> (u64, u64) {
    let ring = u64::from(ring);
    let wakeup = WAKEUP_BYTES.min(ring / 4);
    (
        wakeup,
        ring.saturating_sub((ring / 2).max(PACE_ROOM)).max(wakeup),
    )
}

/// How long the consumer waits for a wake-up while the ring buffer is quiet.
const POLL: Duration = Duration::from_millis(50);
/*
 * While records keep coming, the consumer looks again after this long instead of waiting to
 * be woken: the kernel side wakes it only once WAKEUP_BYTES are waiting (each CPU once per
 * 1/32 of that it writes), and once half the ring is taken on every record (an interrupt on the
 * traced task's CPU) until it has caught up. Draining every millisecond keeps a consumer that
 * can keep up below that mark, so the traced tasks pay no wake-ups at all.
 */
const BUSY_POLL: Duration = Duration::from_millis(1);

/// Build the schema of the running kernel; BTF from `btf_file` when given.
pub fn kernel_schema(formats: &Formats, btf_file: Option<&Path>) -> Result<Schema> {
    let t = std::time::Instant::now();
    let root = tracefs::find_or_mount()?;
    let events = tracefs::syscall_events(&root)?;
    let t_tracefs = t.elapsed();
    let btf = KernelBtf::open(btf_file.unwrap_or(Path::new(btf::VMLINUX)))?;
    let t_btf = t.elapsed();
    let schema = Schema::build(&events, &btf, formats)?;
    log::debug!(
        "schema: tracefs {t_tracefs:?}, BTF {:?}, join {:?}",
        t_btf - t_tracefs,
        t.elapsed() - t_btf
    );
    // BTF read whole (an ELF file, or a kernel that cannot map it) is a hundred thousand
    // allocations, as slow to free as to parse: not on the way to "tracing started"
    std::thread::spawn(move || {
        drop(btf);
        // and hand the freed heap back, before the ring buffer's pages fill up the peak
        // SAFETY: malloc_trim has no preconditions.
        unsafe { libc::malloc_trim(0) };
    });
    Ok(schema)
}

/// etrace's own CPU time and peak memory (its threads only, not the traced command's), for
/// benchmarks: `-l debug`.
fn log_own_usage() {
    use nix::sys::resource::{getrusage, UsageWho};
    if let Ok(ru) = getrusage(UsageWho::RUSAGE_SELF) {
        let secs = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
        log::debug!(
            "etrace used {:.3} s user, {:.3} s system, peak RSS {} KiB",
            secs(ru.user_time()),
            secs(ru.system_time()),
            ru.max_rss()
        );
    }
}

/// The thread-group ids of the processes `-p` names (a thread's id selects its process). A
/// kernel thread is refused (it makes no syscalls); a zombie is kept, and is seen as gone at
/// once.
fn thread_groups(pids: &[u32]) -> Result<Vec<u32>> {
    pids.iter()
        .map(|pid| {
            let no_such = || anyhow::anyhow!("no process {pid} (-p)");
            let stat =
                std::fs::read_to_string(format!("/proc/{pid}/stat")).map_err(|_| no_such())?;
            match stop::unfit(&stat) {
                Some(Unfit::KernelThread) => {
                    bail!("process {pid} is a kernel thread: it makes no syscalls to trace (-p)")
                }
                Some(Unfit::Zombie) => log::warn!(
                    "process {pid} has already exited (a zombie its parent has not reaped): \
                     nothing of it to trace"
                ),
                None => {}
            }
            let status =
                std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|_| no_such())?;
            status
                .lines()
                .find_map(|l| l.strip_prefix("Tgid:"))
                .and_then(|t| t.trim().parse().ok())
                .ok_or_else(|| anyhow::anyhow!("cannot read the thread group of process {pid}"))
        })
        .collect()
}

/// Why tracing ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// The launched command exited, with this shell exit code.
    Command(i32),
    /// Ctrl-C (twice with a command, which got the first one too).
    Interrupted,
    /// SIGTERM or SIGHUP.
    Signal(i32),
    /// Every process -p named is gone, and every one followed from it.
    TargetsGone,
    /// Writing the output failed (see Consumer::error).
    Output,
}

/// Where ring-buffer records go: decoded output, a raw dump, or both.
struct Consumer<'s> {
    printer: Option<Printer<'s>>,
    raw: Option<dump::Writer<Sink>>,
    /// Names the cgroup ids of context records, once each.
    cgroups: cgroup_path::Resolver,
    cgroups_seen: HashSet<u64>,
    /// The first write that failed, and where to.
    error: Option<(String, std::io::Error)>,
    malformed: u64,
    /// -k: the processes' file mappings read so far, and the reader.
    stack_maps: Option<(MapsReader, ProcessMaps)>,
}

impl Consumer<'_> {
    /// A context record's cgroup id is named before the record: in the dump (a cgroup frame)
    /// and for the printer.
    fn name_cgroup(&mut self, id: u64) -> Result<(), (String, std::io::Error)> {
        if !self.cgroups_seen.insert(id) {
            return Ok(());
        }
        let Some(path) = self.cgroups.path(id) else {
            return Ok(());
        };
        if let Some(w) = &mut self.raw {
            w.cgroup(id, path).map_err(|e| (w.get_mut().name(), e))?;
        }
        if let Some(p) = &mut self.printer {
            p.cgroup_path(id, path);
        }
        Ok(())
    }

    /// -k: a stack's process's file mappings, read from /proc when an address is not in those
    /// known, before the record: in the dump (a maps frame) and for the printer.
    fn map_stack(&mut self, pid: u32, stack: &[u64]) -> Result<(), (String, std::io::Error)> {
        let Some((reader, known)) = &mut self.stack_maps else {
            return Ok(());
        };
        if stack.is_empty() || known.covers(pid, stack) {
            return Ok(());
        }
        let Some(maps) = reader.read(pid) else {
            return Ok(());
        };
        known.set(pid, maps.clone());
        if let Some(w) = &mut self.raw {
            w.maps(pid, &maps).map_err(|e| (w.get_mut().name(), e))?;
        }
        if let Some(p) = &mut self.printer {
            p.set_maps(pid, maps);
        }
        Ok(())
    }

    fn handle(&mut self, data: &[u8]) -> Next {
        // parsed once, for the cgroup and the printer (raw alone parses context records only,
        // and with -k syscall records too)
        let ty = record::rec_type(data);
        let parse = self.printer.is_some()
            || ty == Some(CTX_TYPE)
            || (self.stack_maps.is_some() && ty == Some(SYSCALL_TYPE));
        let parsed = parse.then(|| record::parse_any(data));
        if let Some(Ok(record::AnyRecord::Ctx(c))) = &parsed {
            if let Err(e) = self.name_cgroup(c.cgroup_id) {
                self.error = Some(e);
                return Next::Stop;
            }
        }
        if let (Some(Ok(record::AnyRecord::Syscall(r))), true) =
            (&parsed, self.stack_maps.is_some())
        {
            if let Err(e) = self.map_stack(r.hdr.pid, &r.stack()) {
                self.error = Some(e);
                return Next::Stop;
            }
        }
        if let Some(w) = &mut self.raw {
            if let Err(e) = w.record(data) {
                self.error = Some((w.get_mut().name(), e));
                return Next::Stop;
            }
        }
        let (Some(p), Some(parsed)) = (&mut self.printer, parsed) else {
            return Next::Continue;
        };
        match parsed {
            Ok(rec) => {
                if let Err(e) = p.handle(&rec) {
                    self.error = Some((p.failed_output(), e));
                    return Next::Stop;
                }
            }
            Err(e) => {
                if self.malformed == 0 {
                    log::warn!("malformed record from the kernel: {e}");
                }
                self.malformed += 1;
            }
        }
        Next::Continue
    }

    /// Flush the outputs; the dump's batch only when it is due, unless `all`.
    fn flush(&mut self, all: bool) {
        if self.error.is_some() {
            return;
        }
        if let Some(w) = &mut self.raw {
            let done = match all {
                true => w.flush(),
                false => w.flush_due(),
            };
            if let Err(e) = done {
                self.error = Some((w.get_mut().name(), e));
                return;
            }
        }
        if let Some(p) = &mut self.printer {
            if let Err(e) = p.sink.flush() {
                self.error = Some((p.sink.name(), e));
            } else if let Err(e) = p.tick() {
                self.error = Some((p.failed_output(), e));
            }
        }
    }
}

/// The dump writer for --raw or --also-raw, its header written.
fn open_dump(
    cli: &Cli,
    schema: &Schema,
    selected: &Option<HashSet<u32>>,
) -> Result<Option<dump::Writer<Sink>>> {
    let sink = match (&cli.also_raw, cli.raw) {
        (Some(p), _) => sink::open(Some(p), None)?,
        (None, true) => sink::open(cli.output.as_deref(), Some(".raw"))?,
        (None, false) => return Ok(None),
    };
    let wire = WireSchema::from_schema(schema, &|sc| {
        selected.as_ref().is_none_or(|s| s.contains(&sc.nr))
    });
    let header = dump::header_for_this_machine(
        wire,
        dump::CaptureOptions {
            bytes: cli.bytes(),
            syscalls: cli.syscall.clone(),
            comms: cli.comm.clone(),
            command: cli.command.clone(),
            failed: cli.failed,
        },
        Formats::tables_version(),
    );
    let name = sink.name();
    // flushed at once: a capture killed before its first records still has its header
    let w = dump::Writer::new(sink, &header)
        .and_then(|mut w| w.flush().map(|()| w))
        .with_context(|| format!("writing the dump header to {name}"))?;
    Ok(Some(w))
}

/// What the command line asks for, checked before anything is created or loaded.
struct Checked {
    run_as: Option<launch::RunAs>,
    /// The launched command's program, resolved.
    program: Option<std::path::PathBuf>,
    ring: u32,
}

/// Everything the user gave that can be wrong, checked before any output file is created.
fn check(cli: &Cli) -> Result<Checked> {
    if !host::is_root() {
        bail!("etrace needs root to load its eBPF program and read tracefs: run it with sudo");
    }
    let run_as = cli.user.as_deref().map(launch::lookup_user).transpose()?;
    let program = match cli.command.is_empty() {
        true => None,
        false => Some(launch::resolve(&cli.command)?),
    };
    cli.warn_long_comms();
    let ring = cli.ring_bytes();
    if !ring.is_power_of_two() {
        bail!("--buffer-size must be a power of two (4096, 8192, ...)");
    }
    if ring < SMALL_RING {
        log::warn!(
            "--buffer-size {ring} is under {} MiB: a syscall storm on several CPUs can overrun it \
             and lose events (the Lost column counts them)",
            SMALL_RING >> 20
        );
    }
    Ok(Checked {
        run_as,
        program,
        ring,
    })
}

/// What the kernel side is told before loading.
fn config(cli: &Cli, formats: &Formats, ring: u32) -> Result<Config> {
    let nr_of = |name: &str| {
        formats
            .syscalls
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(nr, _)| *nr)
    };
    let (wakeup_bytes, pace_bytes) = ring_marks(ring);
    Ok(Config {
        self_tgid: std::process::id(),
        filter_pids: !cli.command.is_empty() || !cli.pid.is_empty(),
        comms: cli.comm.clone(),
        ringbuf_bytes: ring,
        wakeup_bytes,
        pace_bytes,
        failed_only: cli.failed,
        exit_time: !cli.no_durations,
        uids: cli.uid.clone(),
        attach: thread_groups(&cli.pid)?,
        follow: cli.follow || !cli.command.is_empty(),
        cgroup: cli.cgroup.clone(),
        summarize: cli.counting(),
        emit_events: !cli.summary_only(),
        capture_ctx: !cli.no_ctx,
        clone_nrs: (nr_of("clone"), nr_of("clone3")),
        features: crate::kernel::features::Features::probe(
            cli.btf.as_deref().unwrap_or(Path::new(btf::VMLINUX)),
        ),
        signal_mask: cli.signal_mask(&formats.xlat)?,
        pending_ns: cli.pending_after.saturating_mul(1_000_000),
        show_fds: cli.fd_records(),
        stack_depth: if cli.stacks || cli.folding() {
            crate::skel::types::etrace_limits::ETRACE_STACK_MAX.0
        } else {
            0
        },
    })
}

/// Load the BPF program while another thread builds the kernel's schema (tracefs, BTF):
/// neither needs the other until the capture plans are written.
fn load_with_schema<'o>(
    obj: &'o mut MaybeUninit<libbpf_rs::OpenObject>,
    cli: &Cli,
    formats: &Formats,
    cfg: &Config,
    started: std::time::Instant,
) -> Result<(Schema, crate::skel::EtraceSkel<'o>)> {
    std::thread::scope(|s| {
        let schema = s.spawn(|| {
            let sc = kernel_schema(formats, cli.btf.as_deref());
            log::debug!("schema built in {:?}", started.elapsed());
            sc
        });
        let skel = program::load(obj, cfg);
        log::debug!("eBPF program loaded in {:?}", started.elapsed());
        let schema = schema
            .join()
            .map_err(|_| anyhow::anyhow!("building the schema failed"))?;
        Ok((schema?, skel?))
    })
}

/// The consumer with its outputs open: the raw dump, the printer, or both. The files created
/// are added to `new_files`.
fn open_outputs<'s>(
    cli: &Cli,
    schema: &'s Schema,
    formats: &'s Formats,
    selected: &Option<HashSet<u32>>,
    new_files: &mut NewFiles,
) -> Result<Consumer<'s>> {
    let raw = open_dump(cli, schema, selected)?;
    if let Some(w) = &raw {
        new_files.add(w.get_ref());
    }
    let (svg, folded) = open_folded(cli, new_files)?;
    let text = cli.text_options(host::realtime_offset_ns(), host::own_namespaces());
    let parquet = open_parquet(cli, new_files, text.realtime_offset_ns, true)?;
    let printer = match (cli.raw || cli.summary_only(), cli.files_only_outputs()) {
        (true, false) => None,
        // a dump or the summary only, and a flamegraph or Parquet: a printer for those only
        (true, true) => {
            Some(Printer::new(Sink::discard(), schema, formats, true, text).without_lines(true))
        }
        (false, _) => {
            let temp = (cli.json && !cli.stdout).then_some(".json");
            let sink = match cli.no_lines() {
                true => Sink::discard(),
                false => sink::open(cli.output.as_deref(), temp)?,
            };
            new_files.add(&sink);
            Some(
                Printer::new(sink, schema, formats, cli.json, text)
                    .without_lines(cli.no_lines())
                    .with_fds(cli.show_fds(), cli.path_filter())
                    .with_stacks(cli.stacks)
                    .with_ctx_lines(cli.ctx),
            )
        }
    };
    let printer = printer.map(|p| {
        p.with_folded(cli.flamegraph_by, svg, folded)
            .with_parquet(parquet)
    });
    Ok(Consumer {
        printer,
        raw,
        cgroups: cgroup_path::Resolver::new(),
        cgroups_seen: HashSet::new(),
        error: None,
        malformed: 0,
        stack_maps: (cli.stacks || cli.folding()).then(Default::default),
    })
}

/// The --flamegraph and --folded files, created now (O_EXCL, 0600) so that a bad path fails
/// before tracing; written at the end.
pub fn open_folded(cli: &Cli, new_files: &mut NewFiles) -> Result<(Option<Sink>, Option<Sink>)> {
    let mut open = |p: &Option<std::path::PathBuf>| -> Result<Option<Sink>> {
        match p {
            Some(p) => {
                let s = sink::open(Some(p), None)?;
                new_files.add(&s);
                Ok(Some(s))
            }
            None => Ok(None),
        }
    };
    Ok((open(&cli.flamegraph)?, open(&cli.folded)?))
}

/// The --parquet file, created now (O_EXCL, 0600) and started; live, its rows are written
/// within ROW_GROUP_AGE of their event.
pub fn open_parquet(
    cli: &Cli,
    new_files: &mut NewFiles,
    realtime_offset_ns: i64,
    live: bool,
) -> Result<Option<(crate::render::parquet::Writer, String)>> {
    use crate::render::parquet;
    let Some(path) = &cli.parquet else {
        return Ok(None);
    };
    if path.as_os_str() == "-" {
        anyhow::bail!("--parquet needs a file: a Parquet file cannot be written to a pipe");
    }
    let file = sink::create_new(path)?;
    new_files.add_path(path);
    let name = path.display().to_string();
    let w = parquet::Writer::new(file, realtime_offset_ns)
        .with_context(|| format!("cannot write {name}"))?;
    let w = match live {
        true => w.with_max_age(parquet::ROW_GROUP_AGE),
        false => w,
    };
    Ok(Some((w, name)))
}

/// Consume the ring buffer until something ends tracing; why it ended.
fn consume(
    cli: &Cli,
    skel: &crate::skel::EtraceSkel<'_>,
    rb: &mut Ring,
    consumer: &RefCell<Consumer<'_>>,
    child: &mut Option<std::process::Child>,
    (signals, targets): (&Signals, &mut Targets),
    scans: &mut Option<(Scans, Schedule)>,
) -> Result<Ended> {
    let mut handle = |data: &[u8]| consumer.borrow_mut().handle(data);
    let mut busy = false;
    loop {
        // a failed write stops the consumer at that record
        let cap = if busy { BUSY_POLL } else { POLL };
        let waited = rb.wait(scans.as_ref().map_or(cap, |(_, s)| s.wait(cap)));
        let due = scans.as_mut().is_some_and(|(_, schedule)| schedule.due());
        if let (true, Some((sc, _))) = (due, scans.as_mut()) {
            if let Err(e) = sc.run(skel, Scan::Pending) {
                log::warn!("calls in flight can no longer be reported: {e:#}");
                *scans = None;
            }
        }
        busy = rb.consume(&mut handle) > 0;
        {
            let mut c = consumer.borrow_mut();
            c.flush(false);
            if c.error.is_some() {
                return Ok(Ended::Output);
            }
        }
        waited.context("waiting on the ring buffer")?;
        if let Some(sig) = signals.terminate() {
            return Ok(Ended::Signal(sig));
        }
        if let Some(ch) = child.as_mut() {
            if let Some(status) = ch.try_wait().context("waiting for the command")? {
                return Ok(Ended::Command(launch::exit_code(status)));
            }
            // the command got the terminal's Ctrl-C too; a second one stops etrace anyway
            if signals.interrupts() >= 2 {
                return Ok(Ended::Interrupted);
            }
            continue;
        }
        if signals.interrupts() >= 1 {
            return Ok(Ended::Interrupted);
        }
        // -p: a process that exited leaves the traced set (the kernel drops most as they
        // exit; not one that was a zombie already), and tracing stops once none is left
        for tgid in targets.exited() {
            program::untrace(skel, tgid);
        }
        if !cli.pid.is_empty() && program::traced_processes(skel) == 0 {
            log::info!("the traced processes have exited");
            return Ok(Ended::TargetsGone);
        }
    }
}

pub fn run(cli: &Cli) -> Result<i32> {
    let checked = check(cli)?;
    let formats = Formats::embedded()?;
    let cfg = config(cli, &formats, checked.ring)?;
    let mut obj = MaybeUninit::uninit();
    let started = std::time::Instant::now();
    let (schema, mut skel) = load_with_schema(&mut obj, cli, &formats, &cfg, started)?;
    let selected = schema.select(&cli.syscall, &formats.classes)?;
    let histograms = report::histogram_syscalls(&schema, &cli.histogram)?;
    // removed again if anything fails before tracing starts
    let mut new_files = NewFiles::default();
    let consumer = open_outputs(cli, &schema, &formats, &selected, &mut new_files)?;
    let keep = |sc: &crate::schema::Syscall| selected.as_ref().is_none_or(|s| s.contains(&sc.nr));
    let caps = ReadLimits { bytes: cli.bytes() };
    program::write_plans(&skel, &schema, &formats, &keep, caps)?;

    let signals = Signals::catch()?;
    let mut targets = Targets::watch(&cfg.attach);
    program::attach(&mut skel)?;
    let mut child = match &checked.program {
        None => None,
        Some(path) => Some(launch::spawn(
            path,
            &cli.command,
            program::pids_fd(&skel),
            program::PID_PENDING_EXEC,
            checked.run_as,
        )?),
    };
    new_files.keep();
    log::debug!("attached in {:?}", started.elapsed());
    log::info!("Tracing started ... (Ctrl + C to stop)");
    let mut scans = start_scans(cli, &cfg, &skel);

    let consumer = RefCell::new(consumer);
    let mut rb = Ring::new(&skel.maps.events, checked.ring).context("mapping the ring buffer")?;
    let ended = consume(
        cli,
        &skel,
        &mut rb,
        &consumer,
        &mut child,
        (&signals, &mut targets),
        &mut scans,
    )?;
    // the processes still traced, for --kill-on-exit (read before the program is detached)
    let still_traced = program::traced_tgids(&skel);
    // stop the probes (synchronously: no program runs after this), then report the calls
    // still in flight and drain what is left
    program::detach(&mut skel);
    if let Some((mut scans, _)) = scans {
        if let Err(e) = scans.run(&skel, Scan::Stop) {
            log::warn!("the calls still in flight could not be listed: {e:#}");
        }
        match program::scan_counts(&skel) {
            Ok((_, lost)) if lost > 0 => log::warn!(
                "{lost} reports of calls in flight (pending, unfinished) did not fit in the ring \
                 buffer"
            ),
            Ok((sent, _)) => log::debug!(
                "{sent} reports of calls in flight; {} scans took {:?} in all",
                scans.runs,
                scans.spent
            ),
            Err(_) => {}
        }
    }
    let mut handle = |data: &[u8]| consumer.borrow_mut().handle(data);
    while consumer.borrow().error.is_none() && rb.consume(&mut handle) > 0 {}
    drop(rb);
    let mut c = consumer.into_inner();
    finish(cli, &skel, &schema, &histograms, &mut c)?;
    let finished = exit_status(&mut child);
    let left_running = leave_command(cli, &mut child, &still_traced);
    Ok(exit_code(ended, &c, finished, &child, &left_running))
}

/// The scans of calls in flight, when events are wanted (not with --failed: a call in flight
/// has not failed yet). The attach scan runs at once: the threads already inside a syscall
/// that the filters select (none with a COMMAND, which starts after tracing).
fn start_scans(
    cli: &Cli,
    cfg: &Config,
    skel: &crate::skel::EtraceSkel<'_>,
) -> Option<(Scans, Schedule)> {
    if !cfg.emit_events || cli.failed {
        return None;
    }
    let mut scans = Scans::default();
    if cli.command.is_empty() {
        let cgroup = cfg
            .cgroup
            .as_ref()
            .map(|c| c.canonicalize().unwrap_or(c.clone()));
        let found = inflight::threads_in_syscalls(&inflight::Filters {
            tgids: &cfg.attach,
            comms: &cfg.comms,
            uids: &cfg.uids,
            cgroup,
            self_tgid: cfg.self_tgid,
        });
        log::debug!("{} threads inside a syscall at attach", found.len());
        let attached = match found.is_empty() {
            true => Ok(()),
            false => program::set_attach_candidates(skel, &found)
                .and_then(|()| scans.run(skel, Scan::Attach)),
        };
        if let Err(e) = attached {
            log::warn!("calls in flight cannot be reported on this kernel: {e:#}");
            return None;
        }
    }
    let schedule = Schedule::new(Duration::from_millis(cli.pending_after));
    Some((scans, schedule))
}

/// After the drain: the dump's trailer, the flush, the tables and the closing log lines.
fn finish(
    cli: &Cli,
    skel: &crate::skel::EtraceSkel<'_>,
    schema: &Schema,
    histograms: &[(u32, String)],
    c: &mut Consumer<'_>,
) -> Result<()> {
    let counts = program::counts(skel)?;
    let reads = program::read_stats(skel)?;
    let sums = match cli.counting() {
        true => program::summaries(skel)?,
        false => Default::default(),
    };
    if let (None, Some(w)) = (&c.error, &mut c.raw) {
        let trailer = dump::Trailer {
            counts: counts.iter().map(|(nr, (s, l))| (*nr, *s, *l)).collect(),
            reads,
            summary: sums
                .iter()
                .map(|(nr, s)| dump::TrailerSummary::new(*nr, s))
                .collect(),
        };
        if let Err(e) = w.trailer(&trailer) {
            c.error = Some((w.get_mut().name(), e));
        }
    }
    c.flush(true);
    if let Some(p) = &mut c.printer {
        for name in p.write_folded().context("writing the flamegraph")? {
            log::info!("stacks written to {name}");
        }
        if c.error.is_none() {
            match p.finish_parquet() {
                Ok(Some((name, n))) => log::info!("{n} events written to {name}"),
                Ok(None) => {}
                Err(e) => c.error = Some((p.failed_output(), e)),
            }
        }
    }
    let report = report::Tables {
        stats: cli.stats && !cli.summary_only(),
        summary: cli.summary,
        histograms,
    };
    report.print(schema, &counts, &reads, true, &sums);
    if c.malformed > 0 {
        log::warn!("{} malformed records skipped", c.malformed);
    }
    if let Ok(n @ 1..) = program::throttle_waits(skel) {
        log::info!(
            "the ring buffer was half full: traced threads waited for etrace after {n} calls \
             (a syscall storm ran at etrace's pace)"
        );
    }
    if let Some(p) = c.printer.as_ref().filter(|p| p.failed > 0) {
        log::warn!(
            "{} records could not be decoded (an etrace bug) and were skipped",
            p.failed
        );
    }
    log_own_usage();
    if let Some(path) = c.printer.as_ref().and_then(|p| p.sink.path.as_ref()) {
        let n = c.printer.as_ref().map_or(0, |p| p.events);
        log::info!("{n} events written to {}", path.display());
    }
    if let (Some(w), None) = (&mut c.raw, &c.error) {
        let n = w.records;
        log::info!("{n} records written to {}", w.get_mut().name());
    }
    Ok(())
}

/// etrace's exit code, and the line that says why tracing stopped when it was not the
/// command's own end: a failed or closed output, or a signal.
fn exit_code(
    ended: Ended,
    c: &Consumer<'_>,
    finished: Option<i32>,
    child: &Option<std::process::Child>,
    left_running: &str,
) -> i32 {
    if let Some((name, e)) = &c.error {
        let closed = e.kind() == std::io::ErrorKind::BrokenPipe;
        let mut msg = match closed {
            true => format!("{name} was closed; tracing stopped"),
            false => format!("writing to {name} failed: {e}; tracing stopped"),
        };
        if c.raw.is_some() && !closed {
            msg += " (what was written before the failure decodes with --input)";
        }
        eprintln!("etrace: {msg}{left_running}");
        // a closed pipe ends etrace as SIGPIPE would; the command's own status wins if known
        return match (closed, finished) {
            (true, Some(code)) => code,
            (true, None) => 128 + libc::SIGPIPE,
            (false, _) => 1,
        };
    }
    let sig = match ended {
        Ended::Command(code) => return code,
        Ended::TargetsGone => return 0,
        Ended::Signal(sig) => sig,
        Ended::Interrupted | Ended::Output => libc::SIGINT,
    };
    let name = match sig {
        libc::SIGTERM => "SIGTERM",
        libc::SIGHUP => "SIGHUP",
        _ => "Ctrl-C",
    };
    if child.is_some() || sig != libc::SIGINT {
        eprintln!("etrace: stopped by {name}{left_running}");
    }
    // a system-wide or -p trace is meant to end with Ctrl-C: that is a success
    match (sig, child) {
        (libc::SIGINT, None) => 0,
        _ => 128 + sig,
    }
}

/// The exit code of the launched command, if it has exited.
fn exit_status(child: &mut Option<std::process::Child>) -> Option<i32> {
    let status = child.as_mut()?.try_wait().ok()??;
    Some(launch::exit_code(status))
}

/// What becomes of a launched command still running when tracing stops: with
/// --kill-on-exit, the whole traced tree is killed (and the command reaped); else it goes on,
/// untraced, as after strace's detach. The words to add to the stop message.
fn leave_command(cli: &Cli, child: &mut Option<std::process::Child>, traced: &[u32]) -> String {
    let Some(ch) = child.as_mut() else {
        return String::new();
    };
    if !matches!(ch.try_wait(), Ok(None)) {
        return String::new();
    }
    let pid = ch.id();
    if cli.kill_on_exit {
        let tree: std::collections::BTreeSet<u32> = traced.iter().copied().chain([pid]).collect();
        let killed = launch::kill_all(tree);
        let _ = ch.wait();
        return format!(
            "; killed the command (pid {pid}) and its processes ({killed} killed, --kill-on-exit)"
        );
    }
    format!("; the command (pid {pid}) goes on running untraced")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_throttle_starts_at_half_a_large_ring_and_leaves_a_small_one_at_the_wakeup_mark() {
        const MIB: u32 = 1 << 20;
        assert_eq!(ring_marks(16 * MIB), (2 << 20, 8 << 20));
        assert_eq!(ring_marks(64 * MIB), (2 << 20, 32 << 20));
        assert_eq!(ring_marks(8 * MIB), (2 << 20, 4 << 20));
        // at most 4 MiB above half the ring: the throttle starts at the wake-up mark
        assert_eq!(ring_marks(4 * MIB), (1 << 20, 1 << 20));
        assert_eq!(ring_marks(4096), (1024, 1024));
    }
}
