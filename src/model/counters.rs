//! counters: what the kernel side counts besides events (how input reads went, context and
//! lifecycle records sent and lost), and sums of counters that saturate, since a dump's may be
//! forged.

/// How the input-argument reads went (see bpf/etrace.h, enum etrace_stat).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KernelStats {
    pub entry_fault: u64,
    pub reread_ok: u64,
    pub reread_fail: u64,
    pub exec_reread: u64,
    pub no_storage: u64,
    /// Context records sent, and lost for want of room.
    pub ctx_sent: u64,
    pub ctx_lost: u64,
    /// Fork, exec and exit records sent, and lost.
    pub life_sent: u64,
    pub life_lost: u64,
}

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
