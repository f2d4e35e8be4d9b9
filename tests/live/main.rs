//! Live tests: load the real BPF program (root required; CI runs as root) and trace programs
//! whose syscalls are known in advance, asserting decoded values. One test binary, a module
//! per capability; the helpers are in tests/common/live.rs.

#[path = "../common/mod.rs"]
mod common;

pub use std::path::{Path, PathBuf};
pub use std::process::{Command, Output, Stdio};
pub use std::time::{Duration, Instant};

pub use common::live::*;
pub use common::{analysis, check_known, decode_dump, summary_calls};
pub use serde_json::Value;

mod capture;
mod context;
mod decoding;
mod dump;
mod fds;
mod filters;
mod inflight;
mod parquet;
mod process;
mod ring;
mod stacks;
mod style;
mod summary;
