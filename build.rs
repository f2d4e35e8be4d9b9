//! Build script: compiles bpf/etrace.bpf.c and generates its libbpf-rs skeleton in OUT_DIR, for
//! the target's architecture; and compiles it for the other supported architecture too (x86_64
//! and arm64), not embedded, so that the per-architecture code (bpf/arch.h) is checked on
//! every build; and bpf/floor.bpf.c, the benchmark floor examples/floor.rs loads.
use std::env;
use std::path::PathBuf;

use libbpf_cargo::SkeletonBuilder;

const SRC: &str = "bpf/etrace.bpf.c";
const ARGS: [&str; 4] = ["-Wall", "-Wno-unused-function", "-O2", "-Ibpf"];

fn main() {
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    if let Err(err) = SkeletonBuilder::new()
        .source(SRC)
        .clang_args(ARGS)
        .build_and_generate(out_dir.join("etrace.skel.rs"))
    {
        panic!(
            "building the BPF program failed: {err:#}\n\
             (it needs clang and libelf-dev: run `make deps` or see README.md)"
        );
    }
    // the benchmark floor (examples/floor.rs): two empty programs
    if let Err(err) = SkeletonBuilder::new()
        .source("bpf/floor.bpf.c")
        .clang_args(ARGS)
        .build_and_generate(out_dir.join("floor.skel.rs"))
    {
        panic!("building bpf/floor.bpf.c failed: {err:#}");
    }
    let other = match env::var("CARGO_CFG_TARGET_ARCH").as_deref() {
        Ok("aarch64") => "x86",
        _ => "arm64",
    };
    if let Err(err) = SkeletonBuilder::new()
        .source(SRC)
        .obj(out_dir.join(format!("etrace-{other}.bpf.o")))
        .clang_args(
            ARGS.iter()
                .map(|a| a.to_string())
                .chain([format!("-D__TARGET_ARCH_{other}")]),
        )
        .build()
    {
        panic!("building the BPF program for {other} failed: {err:#}");
    }
    println!("cargo:rerun-if-changed=bpf");
    if let Ok(dir) = std::fs::read_dir("bpf") {
        for f in dir.flatten() {
            println!("cargo:rerun-if-changed={}", f.path().display());
        }
    }
}
