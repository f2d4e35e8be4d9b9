//! report: the tables that end a run, live or from a dump, in one place: the per-syscall
//! Sent/Lost table, `--summary`'s and `--histogram`'s, on standard error.

use std::collections::BTreeMap;

use anyhow::Result;

use crate::model::counters::KernelStats;
use crate::model::summary::Summary;
use crate::render::totals;
use crate::schema::Schema;

/// The syscalls --histogram names, by number.
pub fn histogram_syscalls(schema: &Schema, names: &[String]) -> Result<Vec<(u32, String)>> {
    names
        .iter()
        .map(|n| {
            schema
                .by_name(n)
                .map(|s| (s.nr, s.name.clone()))
                .ok_or_else(|| anyhow::anyhow!("unknown syscall `{n}` (--histogram)"))
        })
        .collect()
}

/// Which tables a run prints.
pub struct Tables<'a> {
    /// The Sent/Lost table (`--stats`, unless only the summary was asked for).
    pub stats: bool,
    /// `--summary`.
    pub summary: bool,
    /// `--histogram` syscalls, by number.
    pub histograms: &'a [(u32, String)],
}

impl Tables<'_> {
    /// Print them; `lost_known` is false for a dump without a trailer.
    pub fn print(
        &self,
        schema: &Schema,
        counts: &BTreeMap<u32, (u64, u64)>,
        reads: &KernelStats,
        lost_known: bool,
        sums: &BTreeMap<u32, Summary>,
    ) {
        if self.stats {
            eprint!("{}", totals::sent_lost(schema, counts, reads, lost_known));
        }
        if self.summary {
            eprint!("{}", totals::summary(schema, sums));
        }
        for (nr, name) in self.histograms {
            let s = sums.get(nr).cloned().unwrap_or_default();
            eprint!("{}", totals::histogram(name, &s));
        }
    }
}
