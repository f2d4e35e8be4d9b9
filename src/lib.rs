//! etrace: an strace-like syscall tracer powered by eBPF, driven by the kernel's own metadata.
//! The modules, in the order data flows through them (docs/architecture.md has the map):
//!
//! ```text
//! kernel   tracefs formats ─┐
//!          kernel BTF ──────┼─► schema ─┬─► capture (BPF plans, filters) ─► ring ─┐
//! tables   formats/ files ──┘           │                                         ▼
//!                                       └─► decode ◄──────────── model::record ◄──┤
//!                                              │                                  │
//!                                              ▼                                  ▼
//!                                            render (text, JSON, tables)     dump (raw file)
//!                                              ▲                                  │
//!                                              └────── decode ◄── model::record ◄─┘
//! app      live tracing and dump replay drive the stages; cli is the command line
//! ```
//!
//! A module may use the modules above it in this list, never one below: kernel and tables
//! (the inputs), schema, model, capture, decode, render, dump, app, cli. tests/layers.rs checks
//! it.

#[allow(
    clippy::all,
    dead_code,
    non_camel_case_types,
    non_snake_case,
    non_upper_case_globals,
    unused
)]
pub mod skel {
    include!(concat!(env!("OUT_DIR"), "/etrace.skel.rs"));
}

pub mod app;
pub mod capture;
pub mod cli;
pub mod decode;
pub mod dump;
#[cfg(feature = "fixtures")]
pub mod fuzzing;
pub mod kernel;
pub mod model;
pub mod render;
pub mod schema;
pub mod tables;
