//! etrace: an strace-like syscall tracer powered by eBPF, driven by the kernel's own metadata
//! (tracefs formats for parameters, BTF for layouts). See ARCHITECTURE in shared docs and
//! README.md for the data flow.

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

pub mod bpf;
pub mod btf;
pub mod cgroup_path;
pub mod cli;
pub mod context;
pub mod decode;
pub mod decode_shapes;
pub mod dump;
pub mod event;
pub mod formats;
pub mod fuzzing;
pub mod kernel_features;
pub mod launch;
pub mod lifecycle;
pub mod live;
pub mod output;
pub mod printer;
pub mod record;
pub mod render_json;
pub mod render_text;
pub mod replay;
pub mod ring;
pub mod schema;
pub mod schema_wire;
pub mod stats;
pub mod stop;
pub mod summary;
pub mod tracefs;
pub mod xlat;
