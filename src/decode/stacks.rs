//! stacks: a user stack's addresses (-k) as frames: each located in its process's file
//! mappings (model::stacks), then symbolized by blazesym from the file (ELF symbols, DWARF
//! lines), when the file here is the one that was mapped (same build id).

use std::collections::HashMap;

use blazesym::symbolize::source::{Elf, Source};
use blazesym::symbolize::{Input, Symbolized, Symbolizer};

use crate::model::event::Frame;
use crate::model::stacks::{Mapping, ProcessMaps};

/// Most (file, offset) answers remembered.
const MAX_CACHED: usize = 1 << 16;

type Answer = (Option<(String, u64)>, Option<(String, u32)>);

pub struct StackSymbolizer {
    sym: Symbolizer,
    /// (path, file offset) -> function and source
    cache: HashMap<(String, u64), Answer>,
    /// path -> whether the file here has the build id that was mapped
    same_file: HashMap<(String, Vec<u8>), bool>,
}

impl Default for StackSymbolizer {
    fn default() -> Self {
        StackSymbolizer {
            sym: Symbolizer::new(),
            cache: HashMap::new(),
            same_file: HashMap::new(),
        }
    }
}

impl StackSymbolizer {
    /// Whether the file at the mapping's path here is the one that was mapped. A dump names
    /// any path it likes: only a regular file is opened (a FIFO would block).
    fn is_same_file(&mut self, m: &Mapping) -> bool {
        if !std::path::Path::new(&m.path).is_file() {
            return false;
        }
        if m.build_id.is_empty() {
            return true;
        }
        *self
            .same_file
            .entry((m.path.clone(), m.build_id.clone()))
            .or_insert_with(|| {
                blazesym::helper::read_elf_build_id(&m.path)
                    .ok()
                    .flatten()
                    .is_some_and(|b| b[..] == m.build_id[..])
            })
    }

    fn lookup(&mut self, m: &Mapping, offset: u64) -> Answer {
        let key = (m.path.clone(), offset);
        if let Some(a) = self.cache.get(&key) {
            return a.clone();
        }
        let answer = match self.is_same_file(m) {
            false => (None, None),
            true => {
                let src = Source::Elf(Elf::new(&m.path));
                match self.sym.symbolize_single(&src, Input::FileOffset(offset)) {
                    Ok(Symbolized::Sym(s)) => {
                        let source = s
                            .code_info
                            .as_ref()
                            .and_then(|c| Some((c.file.to_string_lossy().into_owned(), c.line?)));
                        (Some((s.name.into_owned(), s.offset as u64)), source)
                    }
                    _ => (None, None),
                }
            }
        };
        if self.cache.len() < MAX_CACHED {
            self.cache.insert(key, answer.clone());
        }
        answer
    }

    /// The frames of a stack of process `pid`. A caller's address is a return address: the
    /// one before it is looked up, so that a call at a function's end names that function.
    pub fn frames(&mut self, maps: &ProcessMaps, pid: u32, addrs: &[u64]) -> Vec<Frame> {
        addrs
            .iter()
            .enumerate()
            .map(|(i, &addr)| {
                let Some((m, offset)) = maps.locate(pid, addr) else {
                    return Frame {
                        addr,
                        ..Default::default()
                    };
                };
                let m = m.clone();
                let back = u64::from(i > 0);
                let (function, source) = self.lookup(&m, offset.saturating_sub(back));
                Frame {
                    addr,
                    module: Some((m.path, offset)),
                    function: function.map(|(f, o)| (f, o + back)),
                    source,
                }
            })
            .collect()
    }
}
