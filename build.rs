//! Build script: compiles bpf/etrace.bpf.c and generates its libbpf-rs skeleton in OUT_DIR.
use std::env;
use std::path::PathBuf;

use libbpf_cargo::SkeletonBuilder;

const SRC: &str = "bpf/etrace.bpf.c";

fn main() {
    let out =
        PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("etrace.skel.rs");
    if let Err(err) = SkeletonBuilder::new()
        .source(SRC)
        .clang_args(["-Wall", "-Wno-unused-function", "-O2", "-Ibpf"])
        .build_and_generate(&out)
    {
        panic!(
            "building the BPF program failed: {err:#}\n\
             (it needs clang and libelf-dev: run `make deps` or see README.md)"
        );
    }
    for f in ["bpf/etrace.bpf.c", "bpf/etrace.h", "bpf/core_types.h"] {
        println!("cargo:rerun-if-changed={f}");
    }
}
