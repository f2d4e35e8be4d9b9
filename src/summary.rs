//! summary: the per-syscall table of `--summary` (strace -c: calls, errors, time, with max and
//! log2 p50/p99 latency) and the log2 latency histogram of `--histogram`, from the kernel's
//! counters or, for a dump, from its records.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::schema::Schema;
use crate::skel::types::etrace_limits as L;

pub const BUCKETS: usize = L::ETRACE_HIST_BUCKETS.0 as usize;

/// One syscall's counters (bpf/etrace.h struct etrace_summary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub calls: u64,
    pub errors: u64,
    pub total_ns: u64,
    pub max_ns: u64,
    /// hist[i]: calls that took [2^i, 2^(i+1)) ns
    pub hist: [u64; BUCKETS],
}

impl Default for Summary {
    fn default() -> Self {
        Summary {
            calls: 0,
            errors: 0,
            total_ns: 0,
            max_ns: 0,
            hist: [0; BUCKETS],
        }
    }
}

impl Summary {
    /// Count one call, as the kernel does (a call that did not return has no duration).
    pub fn add(&mut self, ret: Option<i64>, dur_ns: u64) {
        self.calls += 1;
        let Some(ret) = ret else { return };
        if (-4095..0).contains(&ret) {
            self.errors += 1;
        }
        self.total_ns = self.total_ns.saturating_add(dur_ns);
        self.max_ns = self.max_ns.max(dur_ns);
        let b = (63 - dur_ns.max(1).leading_zeros()) as usize;
        self.hist[b.min(BUCKETS - 1)] += 1;
    }

    /// Add another's counts; counters from a dump's trailer may be forged, so every sum
    /// saturates.
    pub fn merge(&mut self, o: &Summary) {
        self.calls = self.calls.saturating_add(o.calls);
        self.errors = self.errors.saturating_add(o.errors);
        self.total_ns = self.total_ns.saturating_add(o.total_ns);
        self.max_ns = self.max_ns.max(o.max_ns);
        for (a, b) in self.hist.iter_mut().zip(o.hist) {
            *a = a.saturating_add(b);
        }
    }

    /// The upper bound (ns) of the log2 bucket holding the q-quantile of the timed calls.
    pub fn quantile_ns(&self, q: f64) -> Option<u64> {
        let timed = crate::stats::total(self.hist.iter().copied()).0;
        if timed == 0 {
            return None;
        }
        let want = ((timed as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, n) in self.hist.iter().enumerate() {
            seen = n.saturating_add(seen);
            if seen >= want {
                return Some(1u64 << (i + 1).min(63));
            }
        }
        None
    }
}

fn name(schema: &Schema, nr: u32) -> String {
    schema
        .get(nr)
        .map_or_else(|| format!("syscall_{nr}"), |s| s.name.clone())
}

fn us(ns: u64) -> String {
    format!("{:.1}", ns as f64 / 1000.0)
}

/// strace -c's table, sorted by total time, with max and log2 p50/p99 latencies.
pub fn table(schema: &Schema, sums: &BTreeMap<u32, Summary>) -> String {
    let mut rows: Vec<(String, &Summary)> = sums
        .iter()
        .filter(|(_, s)| s.calls > 0)
        .map(|(nr, s)| (name(schema, *nr), s))
        .collect();
    rows.sort_by(|a, b| b.1.total_ns.cmp(&a.1.total_ns).then(a.0.cmp(&b.0)));
    let total_ns = crate::stats::total(rows.iter().map(|r| r.1.total_ns)).0;
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
    let calls = crate::stats::total(rows.iter().map(|r| r.1.calls)).0;
    let errors = crate::stats::total(rows.iter().map(|r| r.1.errors)).0;
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
    fn counts_buckets_and_quantiles() {
        let mut s = Summary::default();
        for d in [1500u64, 1500, 1500, 3000, 900_000] {
            s.add(Some(0), d);
        }
        s.add(Some(-2), 1500);
        s.add(None, 0); // exit_group: counted, not timed
        assert_eq!((s.calls, s.errors), (7, 1));
        assert_eq!(s.hist[10], 4, "1500 ns is in [1024, 2048)");
        assert_eq!(s.hist[11], 1);
        assert_eq!(s.hist[19], 1, "900 us is in [512Ki, 1Mi)");
        assert_eq!(s.quantile_ns(0.5), Some(2048));
        assert_eq!(s.quantile_ns(0.99), Some(1 << 20));
        assert_eq!(s.max_ns, 900_000);
        let mut schema = Schema::default();
        schema.syscalls.insert(
            0,
            Syscall {
                nr: 0,
                name: "read".into(),
                args: vec![],
                noreturn: false,
                ret_hex: false,
            },
        );
        let t = table(&schema, &BTreeMap::from([(0, s.clone())]));
        let row = t.lines().find(|l| l.ends_with(" read")).unwrap();
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert_eq!((cols[3], cols[4]), ("7", "1"), "{t}");
        let h = histogram("read", &s);
        assert!(h.contains("[1K, 2K)"), "{h}");
        assert!(h.lines().nth(1).unwrap().contains("|@@@@"), "{h}");
    }
}
