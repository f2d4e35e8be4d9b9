//! Checks of the running kernel's schema that load no BPF: every rule in formats/ names a
//! real parameter or member, mapped BTF gives what BTF parsed whole gives, and every syscall
//! of this kernel decodes and renders from a synthetic record.

mod common;

use std::path::Path;

use common::live::*;
use serde_json::Value;

#[test]
fn symbol_rules_name_real_parameters_and_members_of_this_kernel() {
    require_root();
    let formats = etrace::tables::Formats::embedded().unwrap();
    let schema = etrace::app::live::kernel_schema(&formats, None).unwrap();
    let x = &formats.xlat;
    for (sys, param) in x.named_args() {
        let sc = schema
            .by_name(sys)
            .unwrap_or_else(|| panic!("symbols.rules: no syscall `{sys}`"));
        assert!(
            param == "ret" || sc.args.iter().any(|a| &a.name == param),
            "symbols.rules: {sys} has no parameter `{param}`"
        );
    }
    for p in x.any_syscall_params() {
        assert!(
            schema
                .syscalls
                .values()
                .any(|s| s.args.iter().any(|a| &a.name == p)),
            "symbols.rules: no syscall has a parameter `{p}`"
        );
    }
    for (sys, param) in formats.fds.named() {
        let sc = schema
            .by_name(sys)
            .unwrap_or_else(|| panic!("fds: no syscall `{sys}`"));
        if let Some(p) = param {
            assert!(
                sc.args.iter().any(|a| a.name == p),
                "fds: {sys} has no parameter `{p}`"
            );
        }
    }
    let btf =
        etrace::kernel::btf::KernelBtf::open(Path::new(etrace::kernel::btf::VMLINUX)).unwrap();
    for (st, member) in x.named_members() {
        let r = btf.resolve(&format!("struct {st} *")).unwrap();
        let Some(etrace::kernel::btf::Layout::Struct { members, .. }) = r.pointee else {
            panic!("struct {st} is not a struct")
        };
        assert!(
            members.iter().any(|m| *m.name == **member),
            "symbols.rules: struct {st} has no member `{member}`"
        );
    }
}

#[test]
fn mapped_kernel_btf_gives_the_schema_that_btf_parsed_whole_gives() {
    require_root();
    let formats = etrace::tables::Formats::embedded().unwrap();
    let root = etrace::kernel::tracefs::find_or_mount().unwrap();
    let events = etrace::kernel::tracefs::syscall_events(&root).unwrap();
    // the way a trace opens it: mapped, every name found in one scan
    let mapped =
        etrace::kernel::btf::KernelBtf::open(Path::new(etrace::kernel::btf::VMLINUX)).unwrap();
    let fast = etrace::schema::Schema::build(&events, &mapped, &formats).unwrap();
    // btf-rs's other backend: every type parsed up front, every name looked up on its own
    let bytes = std::fs::read(etrace::kernel::btf::VMLINUX).unwrap();
    let whole = etrace::kernel::btf::KernelBtf::from_bytes(&bytes).unwrap();
    let slow = etrace::schema::Schema::build(&events, &whole, &formats).unwrap();
    assert!(fast.syscalls.len() > 300, "{}", fast.syscalls.len());
    for (nr, sc) in &slow.syscalls {
        assert_eq!(fast.syscalls.get(nr), Some(sc), "syscall {}", sc.name);
    }
    assert_eq!(fast.syscalls.len(), slow.syscalls.len());
    // and the layouts are real ones: struct stat as the uapi header has it
    let st = fast.by_name("newfstatat").unwrap();
    let statbuf = st.args.iter().find(|a| a.name == "statbuf").unwrap();
    assert!(
        format!("{:?}", statbuf.capture).contains("size: 144"),
        "{statbuf:?}"
    );
}

#[test]
fn every_syscall_of_this_kernel_decodes_and_renders() {
    require_root();
    let formats = etrace::tables::Formats::embedded().unwrap();
    let schema = etrace::app::live::kernel_schema(&formats, None).unwrap();
    assert!(schema.syscalls.len() > 300, "{}", schema.syscalls.len());
    let d = etrace::decode::Decoder::new(&schema, &formats);
    let data: Vec<u8> = (0..=255u8).cycle().take(512).collect();
    for sc in schema.syscalls.values() {
        // every argument 0x...ff-ish and a 512-byte chunk behind each one
        let chunks: Vec<(u8, u8, &[u8])> = (0..sc.args.len().min(6) as u8)
            .map(|i| (i, 0u8, &data[..]))
            .collect();
        let args = [u64::MAX, 1, 0x7fff_0000, 2, 3, 4];
        for ret in [Some(0), Some(-2), None] {
            let bytes = etrace::model::record::build(sc.nr, args, ret, &chunks);
            let rec = etrace::model::record::parse(&bytes).unwrap();
            let ev = d.decode(&rec, (None, None));
            assert_eq!(ev.syscall, sc.name);
            let names: Vec<&str> = ev.args.iter().map(|a| a.0).collect();
            let want: Vec<&str> = sc.args.iter().map(|a| a.name.as_str()).collect();
            assert_eq!(names, want, "{}", sc.name);
            let mut out = Vec::new();
            etrace::render::json::write(&mut out, &ev).unwrap();
            let v: Value = serde_json::from_slice(&out).unwrap();
            assert_eq!(v["syscall"], sc.name.as_str());
            assert_eq!(
                v["args"].as_object().unwrap().len(),
                want.len(),
                "{}",
                sc.name
            );
            let line = etrace::render::text::line(
                &ev,
                &etrace::render::text::TextOptions {
                    bytes: 32,
                    ..Default::default()
                },
            );
            assert!(line.contains(&format!(" {}(", sc.name)), "{line}");
            assert!(!line.bytes().any(|b| b < 0x20), "control byte in {line:?}");
        }
    }
}
