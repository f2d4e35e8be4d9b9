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
        sudo etrace --json -o out.json -- make -j2"
)]
pub struct Cli {
    /// Trace only processes with this comm (repeatable); empty: every process
    #[arg(short = 'c', long = "comm", value_name = "COMM")]
    pub comm: Vec<String>,

    /// Trace only this syscall (repeatable), by its kernel name (openat, newfstatat, ...)
    #[arg(short = 's', long = "syscall", value_name = "NAME")]
    pub syscall: Vec<String>,

    /// Print one strace-like line per syscall on standard output (the default output)
    #[arg(long)]
    pub stdout: bool,

    /// Write JSON Lines, to -o FILE or to a new /tmp/etrace-<random>.json
    #[arg(long)]
    pub json: bool,

    /// Write to FILE (created, never overwritten; mode 0600) instead of standard output
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Bytes of each buffer to capture and show [default: 32 for text, 4096 for JSON]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=8192))]
    pub bytes: Option<u32>,

    /// Print the per-syscall Sent/Lost table when tracing ends
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
    pub fn bytes(&self) -> u32 {
        self.bytes.unwrap_or(if self.json {
            DEFAULT_BYTES_JSON
        } else {
            DEFAULT_BYTES_TEXT
        })
    }
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
    }
}
