//! The benchmark floor: attaches bpf/floor.bpf.c's two empty programs to the syscall
//! tracepoints, runs COMMAND, and exits with its status. What a tracer attached there pays
//! before doing anything; `make bench` measures it beside etrace. Root.
//!   target/release/examples/floor -- COMMAND...

use std::mem::MaybeUninit;
use std::process::Command;

use libbpf_rs::skel::{OpenSkel, Skel, SkelBuilder};

mod floor {
    include!(concat!(env!("OUT_DIR"), "/floor.skel.rs"));
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).skip_while(|a| a == "--").collect();
    let Some((cmd, rest)) = args.split_first() else {
        eprintln!("usage: floor -- COMMAND...");
        std::process::exit(2);
    };
    let mut obj = MaybeUninit::uninit();
    let open = floor::FloorSkelBuilder::default()
        .open(&mut obj)
        .expect("opening the floor programs");
    let mut skel = open.load().expect("loading the floor programs (root?)");
    skel.attach().expect("attaching the floor programs");
    eprintln!("Tracing started (empty programs)");
    let status = Command::new(cmd)
        .args(rest)
        .status()
        .unwrap_or_else(|e| panic!("running {cmd}: {e}"));
    std::process::exit(status.code().unwrap_or(1));
}
