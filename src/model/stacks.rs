//! stacks: what a user stack's addresses (-k) are offsets into: each process's executable file
//! mappings, read from /proc while it runs and kept in dumps, so that a stack is symbolized the
//! same live and offline.

use rustc_hash::FxHashMap;

pub use crate::kernel::procmaps::Mapping;

/// Most processes remembered, and mappings per process: a dump is untrusted input.
const MAX_PROCESSES: usize = 1 << 16;
const MAX_MAPPINGS: usize = 4096;

/// The mappings of every process a stack came from.
#[derive(Debug, Default)]
pub struct ProcessMaps {
    maps: FxHashMap<u32, Vec<Mapping>>,
}

impl ProcessMaps {
    /// The mappings of process `pid` (replacing what was known).
    pub fn set(&mut self, pid: u32, mut maps: Vec<Mapping>) {
        if self.maps.len() >= MAX_PROCESSES && !self.maps.contains_key(&pid) {
            return;
        }
        maps.truncate(MAX_MAPPINGS);
        maps.sort_by_key(|m| m.start);
        self.maps.insert(pid, maps);
    }

    /// The mapping `addr` falls in, and its offset in that mapping's file.
    pub fn locate(&self, pid: u32, addr: u64) -> Option<(&Mapping, u64)> {
        let maps = self.maps.get(&pid)?;
        let i = maps.partition_point(|m| m.start <= addr).checked_sub(1)?;
        let m = &maps[i];
        (addr < m.end).then(|| (m, addr - m.start + m.offset))
    }

    /// Whether every address of a stack falls in a known mapping of `pid`.
    pub fn covers(&self, pid: u32, addrs: &[u64]) -> bool {
        addrs.iter().all(|a| self.locate(pid, *a).is_some())
    }

    /// A process has ended.
    pub fn forget(&mut self, pid: u32) {
        self.maps.remove(&pid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_located_in_their_mapping() {
        let mut p = ProcessMaps::default();
        let m = |start, end, offset, path: &str| Mapping {
            start,
            end,
            offset,
            path: path.into(),
            build_id: vec![],
        };
        p.set(
            7,
            vec![m(0x5000, 0x6000, 0x1000, "/b"), m(0x1000, 0x2000, 0, "/a")],
        );
        let (hit, off) = p.locate(7, 0x5010).unwrap();
        assert_eq!((hit.path.as_str(), off), ("/b", 0x1010));
        assert_eq!(p.locate(7, 0x1fff).unwrap().1, 0xfff);
        assert!(p.locate(7, 0x2000).is_none());
        assert!(p.locate(7, 0x10).is_none());
        assert!(p.locate(8, 0x1000).is_none());
        assert!(p.covers(7, &[0x1000, 0x5000]) && !p.covers(7, &[0x3000]));
    }
}
