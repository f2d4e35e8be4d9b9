//! capture: the only user of libbpf: loads and attaches the BPF program, writes its capture
//! plans and filters, reads its counters, and consumes its ring buffer.

pub mod program;
pub mod ring;
