//! stats: the per-syscall Sent/Lost table printed when tracing ends.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::bpf::ReadStats;
use crate::schema::Schema;

/// A sum of counters that may come from a damaged or forged dump: saturated, and whether it
/// had to be.
pub fn total(values: impl IntoIterator<Item = u64>) -> (u64, bool) {
    values
        .into_iter()
        .fold((0, false), |(sum, over), v| match sum.checked_add(v) {
            Some(n) => (n, over),
            None => (u64::MAX, true),
        })
}

/// Render the table: one row per syscall that sent or lost anything, then the totals.
/// `lost_known` is false for a dump without a trailer: its losses were never recorded.
pub fn table(
    schema: &Schema,
    counts: &BTreeMap<u32, (u64, u64)>,
    reads: &ReadStats,
    lost_known: bool,
) -> String {
    let mut rows: Vec<(String, u64, u64)> = counts
        .iter()
        .map(|(nr, (s, l))| {
            (
                schema
                    .get(*nr)
                    .map_or_else(|| format!("syscall_{nr}"), |sc| sc.name.clone()),
                *s,
                *l,
            )
        })
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
            "Context records: {} sent, {} lost; fork/exec/exit events: {} sent, {} lost",
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
                },
            );
        }
        let counts = BTreeMap::from([(0, (3, 1)), (1, (10, 0)), (999, (1, 0))]);
        let t = table(
            &s,
            &counts,
            &ReadStats {
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
        let none = table(&s, &counts, &ReadStats::default(), false);
        assert!(none.contains("Total lost: unknown"), "{none}");
    }

    #[test]
    fn counters_that_overflow_saturate_and_are_called_implausible() {
        let s = Schema::default();
        let counts = BTreeMap::from([(0, (u64::MAX, u64::MAX)), (1, (5, 1))]);
        let t = table(&s, &counts, &ReadStats::default(), true);
        assert!(t.contains(&format!("Total events: {}\n", u64::MAX)), "{t}");
        assert!(t.contains(&format!("Total lost: {}\n", u64::MAX)), "{t}");
        assert!(t.contains("implausible"), "{t}");
        assert_eq!(total([u64::MAX, 1]), (u64::MAX, true));
        assert_eq!(total([2, 3]), (5, false));
    }
}
