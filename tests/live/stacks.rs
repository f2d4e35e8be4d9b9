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

/// The `<title>` inferno gives a frame: (count, percent) of the first frame named `name`.
fn svg_frame(svg: &str, name: &str, unit: &str) -> (u64, f64) {
    let start = format!("<title>{name} (");
    let at = svg
        .find(&start)
        .unwrap_or_else(|| panic!("no frame {name} in the SVG"));
    let rest = &svg[at + start.len()..];
    let inner = &rest[..rest.find(")</title>").unwrap()];
    let (count, pct) = inner.split_once(&format!(" {unit}, ")).unwrap();
    (
        count.replace(',', "").parse().unwrap(),
        pct.trim_end_matches('%').parse().unwrap(),
    )
}

#[test]
fn flamegraph_and_folded_stacks_weigh_the_known_call_paths() {
    require_root();
    let tmp = tempfile::tempdir().unwrap();
    let prog = compile_prog_with(
        tmp.path(),
        "flame",
        &["-O0", "-g", "-fno-omit-frame-pointer"],
    );
    let (svg, folded, dump) = (
        tmp.path().join("count.svg"),
        tmp.path().join("count.folded"),
        tmp.path().join("d.raw"),
    );
    // by count; no -k needed: the flamegraph turns the stacks on, and the events go nowhere
    let o = run(&[
        "-s",
        "getppid,nanosleep",
        "--flamegraph",
        svg.to_str().unwrap(),
        "--folded",
        folded.to_str().unwrap(),
        "--flamegraph-by",
        "count",
        "--also-raw",
        dump.to_str().unwrap(),
        "--",
        prog.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let lines = std::fs::read_to_string(&folded).unwrap();
    // comm first, then the stack outermost first, the call's name as the leaf
    for want in [
        ";main;path_a;leaf;getppid 30",
        ";main;path_b;leaf;getppid 10",
    ] {
        assert!(
            lines
                .lines()
                .any(|l| l.starts_with("etrace-flame;") && l.ends_with(want)),
            "no `{want}` in {lines}"
        );
    }
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&svg).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    let svg = std::fs::read_to_string(&svg).unwrap();
    assert!(svg.starts_with("<?xml"), "{}", &svg[..svg.len().min(200)]);
    let (a, pa) = svg_frame(&svg, "path_a", "calls");
    let (b, pb) = svg_frame(&svg, "path_b", "calls");
    assert_eq!((a, b), (31, 11), "30 and 10 getppid, one nanosleep each");
    assert!((pa / pb - 31.0 / 11.0).abs() < 0.01, "{pa} {pb}");

    // by time, from the dump: path_a slept 60 ms and path_b 20 ms
    let timed = tmp.path().join("time.svg");
    let o = run(&[
        "--input",
        dump.to_str().unwrap(),
        "--flamegraph",
        timed.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        o.stdout.is_empty(),
        "the events go nowhere without an output"
    );
    let timed = std::fs::read_to_string(&timed).unwrap();
    let (ta, _) = svg_frame(&timed, "path_a", "ns");
    let (tb, _) = svg_frame(&timed, "path_b", "ns");
    assert!(ta >= 60_000_000 && tb >= 20_000_000, "{ta} {tb}");
    let ratio = ta as f64 / tb as f64;
    assert!((2.0..4.0).contains(&ratio), "path_a/path_b time {ratio}");
}
