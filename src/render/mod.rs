//! render: events to output: strace-like text, JSON Lines, the end-of-run tables, and the
//! sinks they are written to.

pub mod folded;
pub mod json;
pub mod sink;
pub mod strace;
pub mod text;
pub mod totals;
