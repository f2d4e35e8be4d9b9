//! summary: one syscall's `--summary` counters (calls, errors, time, max, a log2 latency
//! histogram), as the kernel counts them or as a dump's records add up.

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
        if crate::model::record::is_errno(ret) {
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
        let timed = crate::model::counters::total(self.hist.iter().copied()).0;
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

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
