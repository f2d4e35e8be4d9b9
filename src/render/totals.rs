//! totals: the tables printed when tracing or decoding ends: the per-syscall Sent/Lost table,
//! `--summary`'s (strace -c: calls, errors, time, max and log2 p50/p99 latency) and
//! `--histogram`'s log2 latency histogram.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::model::counters::{total, KernelStats};
use crate::model::summary::{Summary, BUCKETS};
use crate::schema::Schema;

/// Render the table: one row per syscall that sent or lost anything, then the totals.
/// `lost_known` is false for a dump without a trailer: its losses were never recorded.
pub fn sent_lost(
    schema: &Schema,
    counts: &BTreeMap<u32, (u64, u64)>,
    reads: &KernelStats,
    lost_known: bool,
) -> String {
    let mut rows: Vec<(String, u64, u64)> = counts
        .iter()
        .map(|(nr, (s, l))| (schema.name_of(*nr).into_owned(), *s, *l))
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let w = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(12);
    let mut out = String::new();
    let _ = writeln!(out, "{:>w$}  {:>10}  {:>10}", "syscall", "sent", "lost");
    for (name, s, l) in &rows {
        match lost_known {
            true => writeln!(out, "{name:>w$}  {s:>10}  {l:>10}"),
            false => writeln!(out, "{name:>w$}  {s:>10}  {:>10}", "?"),
        }
        .ok();
    }
    let (sent, sent_over) = total(rows.iter().map(|r| r.1));
    let (lost, lost_over) = total(rows.iter().map(|r| r.2));
    let _ = writeln!(out, "Total events: {sent}");
    match lost_known {
        true => writeln!(out, "Total lost: {lost}"),
        false => writeln!(
            out,
            "Total lost: unknown (no trailer: the capture did not end)"
        ),
    }
    .ok();
    if sent_over || lost_over {
        let _ = writeln!(
            out,
            "The counters add up to more than 2^64: implausible (a damaged or forged trailer); \
             the totals are saturated"
        );
    }
    if reads.entry_fault > 0 {
        let _ = writeln!(
            out,
            "Input reads that faulted at entry: {} (re-read at exit: {} ok, {} failed; supplied at exec: {})",
            reads.entry_fault, reads.reread_ok, reads.reread_fail, reads.exec_reread
        );
    }
    if reads.ctx_sent + reads.life_sent + reads.ctx_lost + reads.life_lost > 0 {
        let _ = writeln!(
            out,
            "Context records: {} sent, {} lost; fork/exec/exit/signal events: {} sent, {} lost",
            reads.ctx_sent, reads.ctx_lost, reads.life_sent, reads.life_lost
        );
    }
    if reads.no_storage > 0 {
        let _ = writeln!(
            out,
            "Events dropped for lack of in-flight storage: {}",
            reads.no_storage
        );
    }
    out
}

fn us(ns: u64) -> String {
    format!("{:.1}", ns as f64 / 1000.0)
}

/// strace -c's table, sorted by total time, with max and log2 p50/p99 latencies.
pub fn summary(schema: &Schema, sums: &BTreeMap<u32, Summary>) -> String {
    let mut rows: Vec<(String, &Summary)> = sums
        .iter()
        .filter(|(_, s)| s.calls > 0)
        .map(|(nr, s)| (schema.name_of(*nr).into_owned(), s))
        .collect();
    rows.sort_by(|a, b| b.1.total_ns.cmp(&a.1.total_ns).then(a.0.cmp(&b.0)));
    let total_ns = total(rows.iter().map(|r| r.1.total_ns)).0;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>6} {:>11} {:>11} {:>9} {:>9} {:>10} {:>10} {:>10} syscall",
        "% time", "seconds", "usecs/call", "calls", "errors", "max us", "p50 us<=", "p99 us<="
    );
    let line = "-".repeat(90);
    let _ = writeln!(out, "{line}");
    let q = |s: &Summary, q: f64| s.quantile_ns(q).map_or("-".into(), us);
    for (n, s) in &rows {
        let pct = 100.0 * s.total_ns as f64 / total_ns.max(1) as f64;
        let per = s.total_ns / s.calls.max(1);
        let _ = writeln!(
            out,
            "{pct:>6.2} {:>11.6} {:>11} {:>9} {:>9} {:>10} {:>10} {:>10} {n}",
            s.total_ns as f64 / 1e9,
            per / 1000,
            s.calls,
            s.errors,
            us(s.max_ns),
            q(s, 0.5),
            q(s, 0.99),
        );
    }
    let calls = total(rows.iter().map(|r| r.1.calls)).0;
    let errors = total(rows.iter().map(|r| r.1.errors)).0;
    let _ = writeln!(out, "{line}");
    let _ = writeln!(
        out,
        "{:>6.2} {:>11.6} {:>11} {calls:>9} {errors:>9} {:>10} {:>10} {:>10} total",
        100.0,
        total_ns as f64 / 1e9,
        total_ns / calls.max(1) / 1000,
        "",
        "",
        ""
    );
    out
}

fn human_ns(ns: u64) -> String {
    match ns {
        n if n >= 1 << 30 => format!("{}G", n >> 30),
        n if n >= 1 << 20 => format!("{}M", n >> 20),
        n if n >= 1 << 10 => format!("{}K", n >> 10),
        n => n.to_string(),
    }
}

/// A log2 histogram of one syscall's latencies, as bpftrace's hist() prints it.
pub fn histogram(syscall: &str, s: &Summary) -> String {
    let mut out = format!("@{syscall} latency (ns):\n");
    let used: Vec<usize> = (0..BUCKETS).filter(|&i| s.hist[i] > 0).collect();
    let (Some(&lo), Some(&hi)) = (used.first(), used.last()) else {
        out.push_str("(no calls)\n");
        return out;
    };
    let peak = s.hist.iter().copied().max().unwrap_or(1).max(1);
    for i in lo..=hi {
        let n = s.hist[i];
        let bar = (u128::from(n) * 52).div_ceil(u128::from(peak)) as usize;
        let label = format!("[{}, {})", human_ns(1 << i), human_ns(1 << (i + 1)));
        let _ = writeln!(out, "{label:<16} {n:>8} |{:<52}|", "@".repeat(bar));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Syscall;

    #[test]
    fn table_sorts_by_count_and_totals() {
        let mut s = Schema::default();
        for (nr, n) in [(0, "read"), (1, "write")] {
            s.syscalls.insert(
                nr,
                Syscall {
                    nr,
                    name: n.into(),
                    args: vec![],
                    noreturn: false,
                    ret_hex: false,
                    select: Vec::new(),
                    variants: Vec::new(),
                },
            );
        }
        let counts = BTreeMap::from([(0, (3, 1)), (1, (10, 0)), (999, (1, 0))]);
        let t = sent_lost(
            &s,
            &counts,
            &KernelStats {
                entry_fault: 2,
                reread_ok: 2,
                ..Default::default()
            },
            true,
        );
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[1].trim_start().starts_with("write"));
        assert!(lines[2].trim_start().starts_with("read"));
        assert!(lines[3].trim_start().starts_with("syscall_999"));
        assert!(t.contains("Total events: 14\nTotal lost: 1\n"));
        assert!(t.contains("faulted at entry: 2 (re-read at exit: 2 ok"));
        assert!(!t.contains("implausible"));
        let none = sent_lost(&s, &counts, &KernelStats::default(), false);
        assert!(none.contains("Total lost: unknown"), "{none}");
    }

    #[test]
    fn counters_that_overflow_saturate_and_are_called_implausible() {
        let s = Schema::default();
        let counts = BTreeMap::from([(0, (u64::MAX, u64::MAX)), (1, (5, 1))]);
        let t = sent_lost(&s, &counts, &KernelStats::default(), true);
        assert!(t.contains(&format!("Total events: {}\n", u64::MAX)), "{t}");
        assert!(t.contains(&format!("Total lost: {}\n", u64::MAX)), "{t}");
        assert!(t.contains("implausible"), "{t}");
        assert_eq!(total([u64::MAX, 1]), (u64::MAX, true));
        assert_eq!(total([2, 3]), (5, false));
    }

    #[test]
    fn summary_table_and_histogram() {
        let mut s = Summary::default();
        for d in [1500u64, 1500, 1500, 3000, 900_000] {
            s.add(Some(0), d);
        }
        s.add(Some(-2), 1500);
        s.add(None, 0);
        let mut schema = Schema::default();
        schema.syscalls.insert(
            0,
            Syscall {
                nr: 0,
                name: "read".into(),
                args: vec![],
                noreturn: false,
                ret_hex: false,
                select: Vec::new(),
                variants: Vec::new(),
            },
        );
        let t = summary(&schema, &BTreeMap::from([(0, s.clone())]));
        let row = t.lines().find(|l| l.ends_with(" read")).unwrap();
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert_eq!((cols[3], cols[4]), ("7", "1"), "{t}");
        let h = histogram("read", &s);
        assert!(h.contains("[1K, 2K)"), "{h}");
        assert!(h.lines().nth(1).unwrap().contains("|@@@@"), "{h}");
    }
}
