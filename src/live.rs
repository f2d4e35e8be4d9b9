//! live: a live tracing session: builds the schema, loads and attaches the BPF program,
//! optionally launches the command, consumes the ring buffer into the renderers until Ctrl-C
//! or the command's end, then drains, flushes and reports.

use std::cell::RefCell;
use std::collections::HashSet;
use std::io::Write;
use std::mem::MaybeUninit;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use libbpf_rs::RingBufferBuilder;

use crate::bpf::{self, Caps, Config};
use crate::btf::{self, KernelBtf};
use crate::cli::Cli;
use crate::decode::Decoder;
use crate::formats::Formats;
use crate::output::{self, Sink};
use crate::render_text::TextOptions;
use crate::schema::Schema;
use crate::{launch, record, render_json, render_text, stats, tracefs};

const RINGBUF_BYTES: u32 = 16 << 20;
const WAKEUP_BYTES: u64 = 2 << 20;
const POLL: Duration = Duration::from_millis(50);

/// Build the schema of the running kernel.
pub fn kernel_schema(formats: &Formats) -> Result<Schema> {
    let root = tracefs::find_or_mount()?;
    let events = tracefs::syscall_events(&root)?;
    let btf = KernelBtf::open(Path::new(btf::VMLINUX))?;
    Ok(Schema::build(&events, &btf, formats)?)
}

/// The syscall numbers named by -s; None when every syscall is traced.
pub fn select_syscalls(schema: &Schema, names: &[String]) -> Result<Option<HashSet<u32>>> {
    if names.is_empty() {
        return Ok(None);
    }
    let mut set = HashSet::new();
    for n in names {
        match schema.by_name(n) {
            Some(sc) => {
                set.insert(sc.nr);
            }
            None => {
                let mut close: Vec<(f64, &str)> = schema
                    .syscalls
                    .values()
                    .map(|s| (strsim::jaro_winkler(n, &s.name), s.name.as_str()))
                    .filter(|(score, _)| *score > 0.8)
                    .collect();
                close.sort_by(|a, b| b.0.total_cmp(&a.0));
                let close: Vec<&str> = close.iter().take(4).map(|c| c.1).collect();
                if close.is_empty() {
                    bail!("unknown syscall `{n}`");
                }
                bail!("unknown syscall `{n}`; did you mean {}?", close.join(", "));
            }
        }
    }
    Ok(Some(set))
}

/// Turns ring-buffer records into output.
struct Consumer<'s> {
    sink: Sink,
    decoder: Decoder<'s>,
    json: bool,
    text: TextOptions,
    error: Option<std::io::Error>,
    bad_records: u64,
    events: u64,
}

impl Consumer<'_> {
    fn handle(&mut self, data: &[u8]) -> i32 {
        let rec = match record::parse(data) {
            Ok(r) => r,
            Err(e) => {
                if self.bad_records == 0 {
                    log::warn!("malformed record from the kernel: {e}");
                }
                self.bad_records += 1;
                return 0;
            }
        };
        let ev = self.decoder.decode(&rec);
        let res = if self.json {
            render_json::write(&mut self.sink.w, &ev)
        } else {
            render_text::write(&mut self.sink.w, &ev, &self.text)
        };
        self.events += 1;
        match res {
            Ok(()) => 0,
            Err(e) => {
                self.error = Some(e);
                -1
            }
        }
    }
}

fn open_sink(cli: &Cli) -> Result<Sink> {
    Ok(match (&cli.output, cli.json && !cli.stdout) {
        (Some(p), _) => Sink::file(output::create_new(p)?, p.clone()),
        (None, true) => {
            let (f, p) = output::create_temp(".json")?;
            log::info!("output file: {}", p.display());
            Sink::file(f, p)
        }
        (None, false) => Sink::stdout(),
    })
}

pub fn run(cli: &Cli) -> Result<i32> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        bail!("etrace needs root to load its eBPF program and read tracefs: run it with sudo");
    }
    let formats = Formats::embedded()?;
    let schema = kernel_schema(&formats)?;
    let selected = select_syscalls(&schema, &cli.syscall)?;
    let sink = open_sink(cli)?;

    let cfg = Config {
        self_tgid: std::process::id(),
        filter_pids: !cli.command.is_empty(),
        comms: cli.comm.clone(),
        ringbuf_bytes: RINGBUF_BYTES,
        wakeup_bytes: WAKEUP_BYTES,
    };
    let mut obj = MaybeUninit::uninit();
    let mut skel = bpf::load(&mut obj, &cfg)?;
    let caps = Caps { bytes: cli.bytes() };
    bpf::write_plans(
        &skel,
        &schema,
        &|sc| selected.as_ref().is_none_or(|s| s.contains(&sc.nr)),
        caps,
    )?;

    let stop = Arc::new(AtomicUsize::new(0));
    {
        let stop = stop.clone();
        ctrlc::set_handler(move || {
            stop.fetch_add(1, Ordering::SeqCst);
        })
        .context("installing the signal handler")?;
    }

    bpf::attach(&mut skel)?;
    let mut child = match cli.command.is_empty() {
        true => None,
        false => Some(launch::spawn(
            &cli.command,
            bpf::pids_fd(&skel),
            bpf::PID_PENDING_EXEC,
        )?),
    };
    log::info!("Tracing started ... (Ctrl + C to stop)");

    let consumer = RefCell::new(Consumer {
        sink,
        decoder: Decoder::new(&schema, &formats.errno),
        json: cli.json,
        text: TextOptions {
            bytes: cli.bytes() as usize,
        },
        error: None,
        bad_records: 0,
        events: 0,
    });
    let mut builder = RingBufferBuilder::new();
    builder.add(&skel.maps.events, |data: &[u8]| {
        consumer.borrow_mut().handle(data)
    })?;
    let rb = builder.build()?;

    let mut exit_code = 0;
    loop {
        if let Err(e) = rb.poll(POLL) {
            if e.kind() != libbpf_rs::ErrorKind::Interrupted {
                return Err(anyhow::Error::new(e).context("polling the ring buffer"));
            }
        }
        let _ = rb.consume();
        {
            let mut c = consumer.borrow_mut();
            if c.error.is_none() {
                if let Err(e) = c.sink.w.flush() {
                    c.error = Some(e);
                }
            }
            if c.error.is_some() {
                break;
            }
        }
        match &mut child {
            Some(ch) => {
                if let Some(status) = ch.try_wait().context("waiting for the command")? {
                    exit_code = launch::exit_code(status);
                    break;
                }
                // the command got the terminal's Ctrl-C too; a second one stops etrace anyway
                if stop.load(Ordering::SeqCst) >= 2 {
                    break;
                }
            }
            None => {
                if stop.load(Ordering::SeqCst) >= 1 {
                    break;
                }
            }
        }
    }

    // stop the probes (synchronously: no program runs after this), then drain what is left
    skel.links = Default::default();
    let _ = rb.consume();
    drop(rb);
    let mut c = consumer.into_inner();
    let write_err = c.error.take().or_else(|| c.sink.w.flush().err());
    if cli.stats {
        let counts = bpf::counts(&skel)?;
        let reads = bpf::read_stats(&skel)?;
        eprint!("{}", stats::table(&schema, &counts, &reads));
    }
    if c.bad_records > 0 {
        log::warn!("{} malformed records skipped", c.bad_records);
    }
    if let Some(p) = &c.sink.path {
        log::info!("{} events written to {}", c.events, p.display());
    }
    if let Some(e) = write_err {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Ok(exit_code);
        }
        bail!("writing to {} failed: {e}", c.sink.name());
    }
    Ok(exit_code)
}
