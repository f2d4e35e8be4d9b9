//! features: what the running kernel's BPF offers etrace, found in its BTF before the
//! program loads (the `bpf_func_id` enumerators name every helper the kernel has; a kfunc is a
//! FUNC of its own), and the path the program takes for each: native, or the fallback that
//! the oldest supported kernel (5.15) gets. `ETRACE_FORCE_FALLBACKS=1` takes every fallback,
//! so that the code older kernels run is tested on a new one too.

use std::path::Path;

use btf_rs::{Backend, Btf, Type};

/// The oldest kernel etrace runs on: task storage in tracing programs (5.13) and BPF callbacks
/// (5.13) are needed, and 5.15 is the oldest long-term kernel with both (Ubuntu 22.04).
pub const MIN_KERNEL: &str = "5.15";

/// Set (to anything but 0) to take every fallback path.
pub const FORCE_ENV: &str = "ETRACE_FORCE_FALLBACKS";

/// A BPF feature newer than MIN_KERNEL, with the fallback etrace has for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Feature {
    pub name: &'static str,
    /// The upstream kernel that brought it.
    pub since: &'static str,
    /// What etrace does without it.
    pub fallback: &'static str,
}

pub const RDONLY_CAST: Feature = Feature {
    name: "bpf_rdonly_cast kfunc",
    since: "6.2",
    fallback: "trusted task loads (loading takes ~10% longer)",
};
pub const BPF_LOOP: Feature = Feature {
    name: "bpf_loop helper",
    since: "5.17",
    fallback: "bounded loops over a global per-element function",
};
pub const TASK_PT_REGS: Feature = Feature {
    name: "bpf_task_pt_regs helper",
    since: "5.15",
    fallback: "clone flags from the parent's traced clone entry",
};

/// Something etrace cannot run without, found missing: the message says what and since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Missing {
    pub name: &'static str,
    pub since: &'static str,
}

/// The helpers and map types etrace cannot do without (each an enumerator of the kernel's
/// `bpf_map_type` or `bpf_func_id`), and the kernel that brought it.
const REQUIRED: &[(&str, &str)] = &[
    ("BPF_MAP_TYPE_RINGBUF", "5.8"),
    ("BPF_MAP_TYPE_TASK_STORAGE", "5.11"),
    ("BPF_FUNC_get_current_task_btf", "5.11"),
    ("BPF_FUNC_for_each_map_elem", "5.13"),
];

/// Which paths this kernel gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Features {
    pub rdonly_cast: bool,
    pub bpf_loop: bool,
    pub task_pt_regs: bool,
    /// Every fallback was forced (FORCE_ENV).
    pub forced: bool,
    /// What the kernel lacks that etrace needs (loading will fail; the first is reported).
    pub missing: Vec<Missing>,
}

impl Features {
    /// Every native path (a kernel whose BTF could not be read: loading says what is wrong).
    pub fn all() -> Features {
        Features {
            rdonly_cast: true,
            bpf_loop: true,
            task_pt_regs: true,
            forced: false,
            missing: vec![],
        }
    }

    /// Read the kernel's BTF at `btf_path`; FORCE_ENV forces the fallbacks.
    pub fn probe(btf_path: &Path) -> Features {
        let forced = std::env::var_os(FORCE_ENV).is_some_and(|v| v != "0" && !v.is_empty());
        let btf = match Btf::from_file_with_backend(btf_path, Backend::Mmap)
            .or_else(|_| Btf::from_file(btf_path))
        {
            Ok(b) => b,
            Err(e) => {
                log::debug!("kernel features: cannot read {}: {e}", btf_path.display());
                return Features {
                    forced,
                    ..Features::all()
                };
            }
        };
        // one scan of the kernel's BTF for the three names (each lookup by name is a scan)
        let found = regex::Regex::new("^(bpf_rdonly_cast|bpf_func_id|bpf_map_type)$")
            .ok()
            .and_then(|re| btf.resolve_types_by_regex(&re).ok())
            .unwrap_or_default();
        let mut enumerators = std::collections::HashSet::new();
        let mut rdonly_cast = false;
        for t in &found {
            match t {
                Type::Func(_) => rdonly_cast = true,
                Type::Enum(e) => {
                    enumerators.extend(e.members.iter().filter_map(|m| btf.resolve_name(m).ok()))
                }
                Type::Enum64(e) => {
                    enumerators.extend(e.members.iter().filter_map(|m| btf.resolve_name(m).ok()))
                }
                _ => {}
            }
        }
        let has = Features {
            rdonly_cast,
            bpf_loop: enumerators.contains("BPF_FUNC_loop"),
            task_pt_regs: enumerators.contains("BPF_FUNC_task_pt_regs"),
            forced,
            missing: REQUIRED
                .iter()
                .filter(|(name, _)| !enumerators.contains(*name))
                .map(|&(name, since)| Missing { name, since })
                .collect(),
        };
        match forced {
            true => Features {
                rdonly_cast: false,
                bpf_loop: false,
                task_pt_regs: false,
                ..has
            },
            false => has,
        }
    }

    /// One line for `-l debug` and `--version`-style reports: which path each feature takes.
    pub fn describe(&self) -> String {
        let path = |have: bool, f: &Feature| match have {
            true => format!("{} (native)", f.name),
            false => format!("{} missing: {}", f.name, f.fallback),
        };
        let mut s = [
            path(self.rdonly_cast, &RDONLY_CAST),
            path(self.bpf_loop, &BPF_LOOP),
            path(self.task_pt_regs, &TASK_PT_REGS),
        ]
        .join("; ");
        if self.forced {
            s += &format!(" [fallbacks forced by {FORCE_ENV}]");
        }
        s
    }
}

pub use crate::kernel::host::kernel_release;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_kernel_has_every_feature_and_forcing_takes_every_fallback() {
        // CI and development machines run a kernel newer than 6.2
        let f = Features::probe(Path::new(crate::kernel::btf::VMLINUX));
        assert!(f.missing.is_empty(), "{f:?}");
        assert!(f.bpf_loop && f.task_pt_regs && f.rdonly_cast, "{f:?}");
        assert!(f.describe().contains("bpf_loop helper (native)"));
        let forced = Features {
            forced: true,
            rdonly_cast: false,
            bpf_loop: false,
            task_pt_regs: false,
            ..f
        };
        assert!(forced
            .describe()
            .contains("bpf_loop helper missing: bounded loops"));
    }

    #[test]
    fn a_btf_without_the_helpers_names_what_is_missing() {
        // the BTF snapshot of the unit tests has none of the kernel's enums
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/btf/types.btf");
        let f = Features::probe(&p);
        assert!(!f.bpf_loop && !f.task_pt_regs && !f.rdonly_cast);
        assert_eq!(f.missing.len(), REQUIRED.len());
        assert_eq!(f.missing[0].name, "BPF_MAP_TYPE_RINGBUF");
    }
}
