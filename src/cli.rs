//! cli: etrace's command line (clap).

use std::path::PathBuf;

use clap::{ArgAction, Parser};

/// Default bytes of each buffer captured and shown on screen (strace's -s default).
pub const DEFAULT_BYTES_TEXT: u32 = 32;
/// Default bytes of each buffer captured into JSON.
pub const DEFAULT_BYTES_JSON: u32 = 4096;

#[derive(Debug, Parser)]
#[command(
    name = "etrace",
    version,
    about = "strace-like syscall tracer powered by eBPF, decoding from tracefs formats and kernel BTF",
    after_help = "Examples:\n  \
        sudo etrace --stdout -- cat /etc/hosts\n  \
        sudo etrace --comm cat --stdout\n  \
        sudo etrace -s openat -s read --stdout -- ls /\n  \
        sudo etrace --json -o out.json -- make -j2\n  \
        sudo etrace --raw -o dump.raw      then   etrace --input dump.raw --json -o out.json"
)]
pub struct Cli {
    /// Trace only processes with this comm (repeatable); empty: every process
    #[arg(short = 'c', long = "comm", value_name = "COMM")]
    pub comm: Vec<String>,

    /// Trace only this syscall (repeatable, or a comma list): a kernel name (openat, newfstatat,
    /// ...), a class
    /// (%file, %desc, %net, %process, %memory, %signal, %ipc), or either with `!` to exclude it
    #[arg(short = 's', long = "syscall", value_name = "NAME")]
    pub syscall: Vec<String>,

    /// Trace this running process and its threads (repeatable)
    #[arg(short = 'p', long = "pid", value_name = "PID")]
    pub pid: Vec<u32>,

    /// Also trace the processes the traced ones (-p, --comm matches) create from now on
    /// (always on with a COMMAND)
    #[arg(short = 'f', long)]
    pub follow: bool,

    /// When tracing stops before the COMMAND ends (a signal, a closed output), kill it and the
    /// processes traced with it instead of leaving them untraced
    #[arg(long, requires = "command")]
    pub kill_on_exit: bool,

    /// Run the COMMAND as this user (uid, gid and supplementary groups), as strace -u
    #[arg(short = 'u', long = "user", value_name = "USER", requires = "command")]
    pub user: Option<String>,

    /// Trace only tasks in this cgroup v2 directory or its descendants
    #[arg(long, value_name = "PATH")]
    pub cgroup: Option<PathBuf>,

    /// Trace only processes of this real uid (repeatable)
    #[arg(long = "uid", value_name = "UID")]
    pub uid: Vec<u32>,

    /// Trace only syscalls that returned an error (filtered in the kernel; on a dump: here)
    #[arg(long)]
    pub failed: bool,

    /// Show only these signals as they are delivered (repeatable, or a comma list), as strace
    /// -e signal=: names (SIGCHLD or CHLD), numbers, `all`, `none`, or `!` to exclude them
    /// [default: all]
    #[arg(long = "signal", value_name = "SET")]
    pub signal: Vec<String>,

    /// Report a call still in flight after this many milliseconds at once, as strace's
    /// `<unfinished ...>` (its event follows as `<... resumed>`); 0: only when it returns
    #[arg(long, value_name = "MS", default_value_t = 200)]
    pub pending_after: u64,

    /// Print one strace-like line per syscall on standard output (the default output)
    #[arg(long)]
    pub stdout: bool,

    /// Write JSON Lines, to -o FILE or to a new /tmp/etrace-<random>.json
    #[arg(long)]
    pub json: bool,

    /// JSON's `ctx` on every line, or only where it is not the thread's last line's
    #[arg(
        long = "ctx",
        value_name = "WHEN",
        value_enum,
        default_value = "every",
        requires = "json"
    )]
    pub ctx: crate::render::json::CtxLines,

    /// Write to FILE (created, never overwritten; mode 0600) instead of standard output
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Record a raw dump instead of decoding (to -o FILE, or a new /tmp/etrace-<random>.raw);
    /// decode it later, anywhere, with --input
    #[arg(long, conflicts_with_all = ["json", "stdout", "also_raw"])]
    pub raw: bool,

    /// While showing text or JSON, also record the raw dump to FILE
    #[arg(long, value_name = "FILE")]
    pub also_raw: Option<PathBuf>,

    /// Decode a raw dump instead of tracing (needs no root, reads nothing from this kernel)
    #[arg(long, value_name = "DUMP",
          conflicts_with_all = ["raw", "also_raw", "btf", "command", "pid", "follow", "uid", "cgroup",
                              "no_durations"])]
    pub input: Option<PathBuf>,

    /// With --input: exit non-zero when the dump is cut short, corrupt or has no trailer
    #[arg(long, requires = "input")]
    pub strict: bool,

    /// Kernel BTF from FILE (raw BTF, or an ELF file with a .BTF section) instead of
    /// /sys/kernel/btf/vmlinux
    #[arg(long, value_name = "FILE")]
    pub btf: Option<PathBuf>,

    /// Bytes of each buffer to capture and show [default: 32 for text, 4096 for JSON]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=8192))]
    pub bytes: Option<u32>,

    /// Prefix each line with the time: -t hh:mm:ss, -tt with microseconds, -ttt seconds since
    /// the epoch (text output)
    #[arg(short = 't', action = ArgAction::Count)]
    pub time: u8,

    /// Show how long each syscall took, as ` <seconds>` (text output; JSON has duration_ns)
    #[arg(short = 'T')]
    pub durations: bool,

    /// Do not time the calls (one clock read per call, not two: 9% less overhead on a syscall
    /// storm); no -T or duration_ns, also from a dump made so
    #[arg(long, conflicts_with = "durations")]
    pub no_durations: bool,

    /// Show what each file descriptor refers to, as strace -y: `fd: 3</etc/hosts>`; -yy also
    /// shows sockets' protocol and endpoints (JSON: `fds`)
    #[arg(short = 'y', action = ArgAction::Count)]
    pub fds: u8,

    /// Show the user stack of each call (up to 32 frames), symbolized, as strace -k (JSON:
    /// `stack`); code built without frame pointers shows fewer frames
    #[arg(short = 'k', long = "stack-trace")]
    pub stacks: bool,

    /// Write a flamegraph (SVG) of the calls' user stacks, each call as the leaf
    #[arg(long, value_name = "FILE")]
    pub flamegraph: Option<PathBuf>,

    /// Weigh the stacks by time spent in the calls, or by their number
    #[arg(long, value_name = "BY", value_enum, default_value = "time")]
    pub flamegraph_by: crate::render::folded::Weight,

    /// Write the stacks folded (`comm;frame;...;call weight`), for other tools
    #[arg(long, value_name = "FILE")]
    pub folded: Option<PathBuf>,

    /// Write the events to a Parquet file for SQL engines (its columns: docs/analysis.md)
    #[arg(long, value_name = "FILE")]
    pub parquet: Option<PathBuf>,

    /// Show only the calls that touch PATH (repeatable), as strace -P: as a path argument
    /// (a relative one taken from the call's dfd or the working directory) or through an fd
    /// that refers to it
    #[arg(short = 'P', long = "path", value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Prefix each line with the time since the previous line, as strace -r (text output)
    #[arg(short = 'r')]
    pub relative: bool,

    /// Show execve's whole environment in text output (default: its count, as strace does)
    #[arg(long)]
    pub env: bool,

    /// Text style: `etrace` (named arguments) or `strace` (as strace -f -o writes it:
    /// positional arguments, `name=value` members, -1 for failures; for diffing against strace)
    #[arg(long, value_name = "STYLE", default_value = "etrace", value_parser = ["etrace", "strace"])]
    pub style: String,

    /// Verbose text: every member of every struct, every array element and the whole
    /// environment (default: strace's abbreviations, formats/abbrev.rules; JSON is always whole)
    #[arg(short = 'v', long)]
    pub verbose: bool,

    /// Show each event's process context in text output: parent, ids, capabilities, cgroup,
    /// and the namespaces that differ from etrace's (JSON: `ctx`)
    #[arg(long)]
    pub context: bool,

    /// Write the man page (etrace.1) and bash, zsh and fish completions into DIR, then exit
    /// (`make install` uses it)
    #[arg(long, hide = true, value_name = "DIR")]
    pub generate: Option<PathBuf>,

    /// Do not read process contexts in the kernel (a benchmark knob: JSON `ctx` becomes null)
    #[arg(long, hide = true)]
    pub no_ctx: bool,

    /// Count calls, errors and time per syscall in the kernel and print strace -c's table
    /// (alone, no per-event output, unless --stdout, --json, -o or --raw asks for events too)
    #[arg(long)]
    pub summary: bool,

    /// Print a log2 latency histogram of this syscall (repeatable); implies the counting of
    /// --summary
    #[arg(long, value_name = "SYSCALL")]
    pub histogram: Vec<String>,

    /// Size of the kernel's ring buffer in bytes: a power of two, at least 4096 [default: 8 MiB
    /// per CPU, from 16 to 64 MiB]
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u32).range(4096..))]
    pub buffer_size: Option<u32>,

    /// Print the per-syscall Sent/Lost table when tracing ends (with --input: the dump's)
    #[arg(long, value_name = "BOOL", default_value_t = true, action = ArgAction::Set,
          num_args = 0..=1, default_missing_value = "true")]
    pub stats: bool,

    /// Log level: error, warn, info, debug or trace (RUST_LOG works too)
    #[arg(short = 'l', long = "log-level", value_name = "LEVEL",
          value_parser = ["off", "error", "warn", "info", "debug", "trace"])]
    pub log_level: Option<String>,

    /// Command to run and trace, with every thread and process it creates
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

impl Cli {
    /// The kernel keeps 15 bytes of a comm: a longer --comm matches by those, said once.
    pub fn warn_long_comms(&self) {
        let max = crate::skel::types::etrace_limits::ETRACE_COMM_LEN.0 as usize - 1;
        for c in self.comm.iter().filter(|c| c.len() > max) {
            let kept = String::from_utf8_lossy(&c.as_bytes()[..max]);
            log::warn!(
                "--comm {c:?} is longer than the {max} bytes the kernel keeps of a comm: it \
                 matches processes named {kept:?}"
            );
        }
    }

    /// Counting per syscall is wanted (--summary or --histogram).
    pub fn counting(&self) -> bool {
        self.summary || !self.histogram.is_empty()
    }

    /// Only the summary: no per-event output was asked for.
    pub fn summary_only(&self) -> bool {
        self.counting()
            && !self.stdout
            && !self.json
            && !self.raw
            && self.output.is_none()
            && self.also_raw.is_none()
            && !self.files_only_outputs()
    }

    /// How text output is shaped; `realtime_offset_ns` converts event times to wall-clock time,
    /// `host_ns` are the namespaces of the tracer.
    pub fn text_options(
        &self,
        realtime_offset_ns: i64,
        host_ns: [u32; 8],
    ) -> crate::render::text::TextOptions {
        crate::render::text::TextOptions {
            bytes: self.bytes() as usize,
            env: self.env || self.verbose,
            verbose: self.verbose,
            strace_style: self.style == "strace",
            time: self.time.min(3),
            realtime_offset_ns,
            durations: self.durations,
            relative: self.relative,
            delta_ns: 0,
            context: self.context,
            host_ns,
        }
    }

    /// The ring buffer's size: --buffer-size, or 8 MiB per CPU between 16 and 64 MiB (why:
    /// docs/architecture.md).
    pub fn ring_bytes(&self) -> u32 {
        self.buffer_size.unwrap_or_else(|| {
            let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as u32;
            (cpus.saturating_mul(8 << 20))
                .clamp(16 << 20, 64 << 20)
                .next_power_of_two()
        })
    }

    /// -y: 1, -yy: 2, none: 0.
    /// A flamegraph or folded stacks are asked for.
    pub fn folding(&self) -> bool {
        self.flamegraph.is_some() || self.folded.is_some()
    }

    /// Outputs written to their own files, not as lines: a flamegraph, folded stacks, Parquet.
    pub fn files_only_outputs(&self) -> bool {
        self.folding() || self.parquet.is_some()
    }

    /// ... and no other output: no lines are written.
    pub fn no_lines(&self) -> bool {
        self.files_only_outputs() && self.output.is_none() && !self.stdout && !self.json
    }

    pub fn show_fds(&self) -> u8 {
        self.fds.min(2)
    }

    /// What the kernel must describe: what -y asks for, and at least paths for -P.
    pub fn fd_records(&self) -> u8 {
        self.show_fds().max(u8::from(!self.paths.is_empty()))
    }

    /// -P's paths as bytes, made absolute against the working directory.
    pub fn path_filter(&self) -> Vec<Vec<u8>> {
        use std::os::unix::ffi::OsStrExt;
        let cwd = std::env::current_dir().unwrap_or_default();
        self.paths
            .iter()
            .map(|p| cwd.join(p).as_os_str().as_bytes().to_vec())
            .collect()
    }

    /// The signals --signal selects, as a mask (bit n - 1: signal n).
    pub fn signal_mask(&self, xlat: &crate::tables::xlat::Xlat) -> anyhow::Result<u64> {
        signal_mask(&self.signal, xlat)
    }

    pub fn bytes(&self) -> u32 {
        self.bytes.unwrap_or(if self.json {
            DEFAULT_BYTES_JSON
        } else {
            DEFAULT_BYTES_TEXT
        })
    }
}

/// Parse strace's signal sets: each spec a comma list of names (`SIGCHLD`, `CHLD`), numbers,
/// `all` or `none`, the whole spec negated by a leading `!`. No spec: all.
pub fn signal_mask(specs: &[String], xlat: &crate::tables::xlat::Xlat) -> anyhow::Result<u64> {
    let max = crate::skel::types::etrace_limits::ETRACE_MAX_SIGNAL.0;
    let all = u64::MAX >> (64 - max);
    if specs.is_empty() {
        return Ok(all);
    }
    let table = xlat.table("signals");
    let mut mask = 0u64;
    for spec in specs {
        let (neg, list) = match spec.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, spec.as_str()),
        };
        let mut set = 0u64;
        for word in list.split(',').map(str::trim) {
            let bits = match word {
                "all" => all,
                "none" => 0,
                w => {
                    let n = w.parse::<u32>().ok().or_else(|| {
                        let name = match w.to_ascii_uppercase() {
                            u if u.starts_with("SIG") => u,
                            u => format!("SIG{u}"),
                        };
                        table
                            .and_then(|t| t.value_of(&name))
                            .and_then(|v| u32::try_from(v).ok())
                    });
                    match n {
                        Some(n) if (1..=max).contains(&n) => 1u64 << (n - 1),
                        _ => anyhow::bail!(
                            "--signal: unknown signal `{w}` (a name such as SIGCHLD or CHLD, a \
                             number from 1 to {max}, all or none)"
                        ),
                    }
                }
            };
            set |= bits;
        }
        mask |= if neg { all & !set } else { set };
    }
    Ok(mask)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        let c = Cli::try_parse_from([
            "etrace", "-s", "openat", "-s", "read", "--stdout", "--", "ls", "-l", "/",
        ])
        .unwrap();
        assert_eq!(c.syscall, ["openat", "read"]);
        assert_eq!(c.command, ["ls", "-l", "/"]);
        assert!(c.stats && c.stdout && !c.json);
        assert_eq!(c.bytes(), 32);
        let c = Cli::try_parse_from(["etrace", "--json", "--stats=false", "-c", "cat"]).unwrap();
        assert_eq!(c.bytes(), 4096);
        assert!(!c.stats);
        assert_eq!(c.comm, ["cat"]);
        assert!(Cli::try_parse_from(["etrace", "--bytes", "0"]).is_err());
        assert!(Cli::try_parse_from(["etrace", "-l", "loud"]).is_err());
        let c = Cli::try_parse_from(["etrace", "--raw", "-o", "d.raw", "--", "true"]).unwrap();
        assert!(c.raw && c.output.is_some());
        assert!(Cli::try_parse_from(["etrace", "--raw", "--json"]).is_err());
        let c = Cli::try_parse_from(["etrace", "--input", "d.raw", "--json", "--strict"]).unwrap();
        assert!(c.strict && c.input.is_some());
        assert!(Cli::try_parse_from(["etrace", "--input", "d.raw", "--", "ls"]).is_err());
        assert!(Cli::try_parse_from(["etrace", "--strict"]).is_err());
    }

    #[test]
    fn signal_sets_as_strace_reads_them() {
        let x = crate::tables::xlat::Xlat::embedded().unwrap();
        let m = |s: &[&str]| signal_mask(&s.iter().map(|s| s.to_string()).collect::<Vec<_>>(), &x);
        assert_eq!(m(&[]).unwrap(), u64::MAX);
        assert_eq!(m(&["none"]).unwrap(), 0);
        assert_eq!(m(&["SIGUSR1,CHLD"]).unwrap(), 1 << 9 | 1 << 16);
        assert_eq!(m(&["usr1", "2"]).unwrap(), 1 << 9 | 1 << 1);
        assert_eq!(m(&["!SIGCHLD"]).unwrap(), !(1 << 16));
        assert!(m(&["SIGNOPE"]).is_err());
        assert!(m(&["65"]).is_err());
        assert!(m(&["0"]).is_err());
    }
}
