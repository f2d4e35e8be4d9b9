//! -k: the user stack of each call, symbolized live and from a dump.

use super::*;

/// tests/progs/stack.c built with frame pointers and line information.
fn stack_prog(dir: &Path) -> PathBuf {
    compile_prog_with(dir, "stack", &["-O0", "-g", "-fno-omit-frame-pointer"])
}

/// The function names of the getppid event's stack.
fn functions(evs: &[Value]) -> Vec<String> {
    let call = find(evs, |e| is(e, "getppid"));
    assert_eq!(call.len(), 1, "{evs:?}");
    call[0]["stack"]
        .as_array()
        .unwrap_or_else(|| panic!("no stack: {}", call[0]))
        .iter()
        .map(|f| f["function"].as_str().unwrap_or("?").to_string())
        .collect()
}

#[test]
fn k_shows_the_programs_own_functions_in_order_live_and_from_the_dump() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let prog = stack_prog(tmp.path());
    let out = tmp.path().join("out.json");
    let dump = tmp.path().join("d.raw");
    let text = tmp.path().join("out.txt");
    let o = run(&[
        "-k",
        "-s",
        "getppid",
        "--json",
        "-o",
        out.to_str().unwrap(),
        "--also-raw",
        dump.to_str().unwrap(),
        "--",
        prog.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let live = json_lines(&out);
    let names = functions(&live);
    assert_eq!(
        names[..3],
        ["inner_frame", "outer_frame", "main"],
        "{names:?}"
    );
    let top = &find(&live, |e| is(e, "getppid"))[0]["stack"][0];
    assert_eq!(top["module"], prog.to_str().unwrap());
    assert_eq!(top["file"], "stack.c");
    assert!(top["line"].as_u64().is_some_and(|l| l > 0), "{top}");
    // the dump symbolizes the same frames, here or wherever the binaries are
    let replay = tmp.path().join("replay.json");
    let o = run(&[
        "--input",
        dump.to_str().unwrap(),
        "-k",
        "--json",
        "-o",
        replay.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let offline = json_lines(&replay);
    assert_eq!(
        find(&offline, |e| is(e, "getppid"))[0]["stack"],
        find(&live, |e| is(e, "getppid"))[0]["stack"]
    );
    // text: one frame a line under the call
    let o = run(&[
        "--input",
        dump.to_str().unwrap(),
        "-k",
        "-o",
        text.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let text = std::fs::read_to_string(&text).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("getppid() = "))
        .unwrap();
    assert!(lines[at + 1].starts_with(" > inner_frame+0x"), "{text}");
    assert!(lines[at + 2].starts_with(" > outer_frame+0x"), "{text}");
    assert!(lines[at + 3].starts_with(" > main+0x"), "{text}");
    // without -k, no stacks
    let plain = run_json(&["-s", "getppid", "--", prog.to_str().unwrap()]);
    assert!(plain.iter().all(|e| e.get("stack").is_none()));
}
