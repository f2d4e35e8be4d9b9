//! Fuzz the dump reader and the decoder behind it: any bytes given to `etrace --input`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| etrace::fuzzing::dump(data));
