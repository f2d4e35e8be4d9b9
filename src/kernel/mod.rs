//! kernel: what etrace learns from the machine it runs on: the syscall tracepoints' format
//! files (tracefs), the kernel's BTF, its BPF features, cgroup paths, and the tracer's own
//! clocks and namespaces. Upstream of everything; reads nothing of the rest of etrace.

pub mod btf;
pub mod cgroup_path;
pub mod features;
pub mod host;
pub mod procmaps;
pub mod tracefs;
