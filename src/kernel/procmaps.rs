//! procmaps: a process's executable file mappings, from /proc/PID/maps, with each file's ELF
//! build id (for -k).

use std::collections::HashMap;

/// One executable file mapping of a process, as /proc/PID/maps shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Mapping {
    pub start: u64,
    pub end: u64,
    /// The file offset mapped at `start`.
    pub offset: u64,
    pub path: String,
    /// The ELF build id, when the file has one (to find it, or to check it, elsewhere).
    pub build_id: Vec<u8>,
}

/// Reads mappings, remembering each file's build id.
#[derive(Default)]
pub struct MapsReader {
    build_ids: HashMap<String, Vec<u8>>,
}

impl MapsReader {
    /// The executable file mappings of process `pid`; None when it is gone.
    pub fn read(&mut self, pid: u32) -> Option<Vec<Mapping>> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/maps")).ok()?;
        let mut out = Vec::new();
        for l in text.lines() {
            // start-end perms offset dev inode path
            let mut f = l.split_whitespace();
            let (Some(range), Some(perms), Some(offset)) = (f.next(), f.next(), f.next()) else {
                continue;
            };
            let path = f.nth(2).unwrap_or("");
            if !perms.contains('x') || !path.starts_with('/') {
                continue;
            }
            let Some((start, end)) = range.split_once('-') else {
                continue;
            };
            let hex = |s: &str| u64::from_str_radix(s, 16).ok();
            let (Some(start), Some(end), Some(offset)) = (hex(start), hex(end), hex(offset)) else {
                continue;
            };
            let build_id = self
                .build_ids
                .entry(path.to_string())
                .or_insert_with(|| {
                    blazesym::helper::read_elf_build_id(&path)
                        .ok()
                        .flatten()
                        .map(|b| b.to_vec())
                        .unwrap_or_default()
                })
                .clone();
            out.push(Mapping {
                start,
                end,
                offset,
                path: path.to_string(),
                build_id,
            });
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_executable_mappings_include_this_test_binary() {
        let me = std::env::current_exe().unwrap();
        let maps = MapsReader::default().read(std::process::id()).unwrap();
        let ours: Vec<_> = maps
            .iter()
            .filter(|m| std::path::Path::new(&m.path) == me)
            .collect();
        assert!(!ours.is_empty(), "{maps:?}");
        assert!(ours.iter().all(|m| m.start < m.end));
        // the function running now is in one of them
        let here = our_own_executable_mappings_include_this_test_binary as fn() as usize as u64;
        assert!(ours.iter().any(|m| (m.start..m.end).contains(&here)));
    }
}
