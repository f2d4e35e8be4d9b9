//! model: the data that flows between the stages: the kernel's records as they arrive, the
//! typed events decoding makes of them, each thread's process context, and the counters.

pub mod context;
pub mod counters;
pub mod event;
pub mod fds;
pub mod record;
pub mod stacks;
pub mod summary;
