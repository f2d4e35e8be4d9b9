//! Fuzz the record parser and decoder: any bytes as one ring-buffer record, decoded against
//! the schema of a real kernel and rendered as text and JSON.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| etrace::fuzzing::record(data));
