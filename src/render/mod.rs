//! render: events to output: strace-like text, JSON Lines, Parquet rows, folded stacks and
//! flamegraphs, the end-of-run tables, and the sinks they are written to.

pub mod folded;
pub mod json;
#[cfg(feature = "parquet")]
pub mod parquet;
#[cfg(not(feature = "parquet"))]
#[path = "parquet_off.rs"]
pub mod parquet;
pub mod sink;
pub mod strace;
pub mod text;
pub mod totals;
