//! app: the two ways etrace runs, live tracing and dump decoding, and what they share:
//! launching a command, deciding when to stop, and the printer that decodes and writes.

pub mod docs;
pub mod inflight;
pub mod launch;
pub mod live;
pub mod parallel;
pub mod printer;
pub mod replay;
pub mod report;
pub mod stop;
