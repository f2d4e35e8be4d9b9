//! program: loads etrace's eBPF program (embedded skeleton), turns the schema into the capture plan
//! and filters it reads from its maps, and reads its sent/lost counters back.

use std::collections::BTreeMap;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, AsRawFd, RawFd};

use anyhow::{Context, Result};
use libbpf_rs::skel::{OpenSkel, Skel, SkelBuilder};
use libbpf_rs::{MapCore, MapFlags, OpenObject};

use crate::model::counters::KernelStats;
use crate::schema::{Capture, Schema, SizeRef, Syscall};
use crate::skel::types::{
    etrace_arg_plan, etrace_counts, etrace_kind as Kind, etrace_limits as Limit, etrace_pid_state,
    etrace_plan, etrace_plan_flags as PlanFlag, etrace_sel as Sel, etrace_size_src as Src,
    etrace_stat, etrace_variant_key, etrace_when as When,
};
use crate::skel::{EtraceSkel, EtraceSkelBuilder};

/// Longest string read behind a `const char *` (PATH_MAX).
pub const STRING_CAP: u32 = 4096;

/// What the kernel side is told before it is loaded.
#[derive(Debug, Clone)]
pub struct Config {
    pub self_tgid: u32,
    /// Only processes in the traced-pid set (a launched command and its descendants).
    pub filter_pids: bool,
    /// Only these comms (empty: all).
    pub comms: Vec<String>,
    pub ringbuf_bytes: u32,
    /// Wake the consumer once this much data waits; below it the consumer polls.
    pub wakeup_bytes: u64,
    /// From this much waiting on (at least wakeup_bytes), every record wakes the consumer and
    /// its thread waits for it (the throttle); between wakeup_bytes and this, one record in many
    /// wakes it.
    pub pace_bytes: u64,
    /// Only syscalls that returned an error.
    pub failed_only: bool,
    /// Read the clock at exit too, for durations (false: --no-durations).
    pub exit_time: bool,
    /// Only these real uids (empty: all).
    pub uids: Vec<u32>,
    /// Processes already running to trace (their thread-group ids).
    pub attach: Vec<u32>,
    /// Add the children of traced processes to the traced set.
    pub follow: bool,
    /// Only tasks in this cgroup v2 directory or below it.
    pub cgroup: Option<std::path::PathBuf>,
    /// Count every kept call in the kernel's summary map.
    pub summarize: bool,
    /// Send per-event records (false: summary only).
    pub emit_events: bool,
    /// Send context records.
    pub capture_ctx: bool,
    /// The numbers of clone and clone3 (their flags go into fork records).
    pub clone_nrs: (Option<u32>, Option<u32>),
    /// Which path the program takes where kernels differ.
    pub features: crate::kernel::features::Features,
    /// The signals reported when delivered (bit n - 1: signal n); 0: none, and the
    /// signal_deliver program is not even loaded.
    pub signal_mask: u64,
    /// A call in flight this long is reported pending by the periodic scan.
    pub pending_ns: u64,
    /// Describe file descriptors: 1 (-y), 2 (-yy, with sockets' endpoints), 0 (no).
    pub show_fds: u8,
    /// Frames of the user stack captured at each entry (-k); 0: none.
    pub stack_depth: u32,
}

/// Capture caps, in bytes.
#[derive(Debug, Clone, Copy)]
pub struct ReadLimits {
    /// Buffers (read/write data) and argv elements.
    pub bytes: u32,
}

/// A comm as the kernel holds it: at most 15 bytes, NUL-padded to 16.
fn comm_key(c: &str) -> [u8; Limit::ETRACE_COMM_LEN.0 as usize] {
    let mut key = [0u8; Limit::ETRACE_COMM_LEN.0 as usize];
    let b = c.as_bytes();
    let n = b.len().min(key.len() - 1);
    key[..n].copy_from_slice(&b[..n]);
    key
}

/// The last lines libbpf printed (the verifier's log among them), for the error that follows.
static LIBBPF_TAIL: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// libbpf's messages go to `-l debug`, never raw to the terminal; the last few are kept.
fn libbpf_print(_level: libbpf_rs::PrintLevel, msg: String) {
    let msg = msg.trim_end();
    log::debug!("libbpf: {msg}");
    if let Ok(mut tail) = LIBBPF_TAIL.lock() {
        if tail.len() >= 16 {
            tail.remove(0);
        }
        tail.extend(msg.lines().map(String::from));
    }
}

/// The verifier's last word (`R1 invalid mem access`, `unknown func`), when it said one.
fn verifier_last_word() -> Option<String> {
    let tail = LIBBPF_TAIL.lock().ok()?;
    tail.iter()
        .rev()
        .map(|l| l.trim())
        .find(|l| {
            !l.is_empty()
                && !l.starts_with("libbpf:")
                && !l.starts_with("--")
                && !l.starts_with("processed ")
                && !l.starts_with("verification time")
                && !l.starts_with("stack depth")
        })
        .map(|l| l.chars().take(160).collect())
}

/// Why loading failed, in one line a user can act on (the whole log is at `-l debug`).
fn explain_load_error(e: &libbpf_rs::Error, cfg: &Config) -> String {
    use crate::kernel::features::{kernel_release, MIN_KERNEL};
    let release = kernel_release();
    if e.kind() == libbpf_rs::ErrorKind::PermissionDenied {
        let lockdown = std::fs::read_to_string("/sys/kernel/security/lockdown").unwrap_or_default();
        if lockdown.contains("[confidentiality]") {
            return "loading the eBPF program was refused: the kernel is locked down \
                    (confidentiality), which forbids the kernel-memory reads etrace needs"
                .into();
        }
        // EACCES is also the verifier's answer to a program it rejects: as root, that is it
        let eacces = e
            .to_string()
            .contains(&format!("(os error {})", libc::EACCES));
        if !eacces || !crate::kernel::host::is_root() {
            return "loading the eBPF program was refused: etrace needs root (CAP_BPF and \
                    CAP_PERFMON); run it with sudo (in a container: it needs those capabilities)"
                .into();
        }
    }
    if let Some(m) = cfg.features.missing.first() {
        return format!(
            "this kernel (Linux {release}) has no {} (Linux {}): etrace needs Linux {MIN_KERNEL} \
             or newer",
            m.name, m.since
        );
    }
    let said = verifier_last_word().map_or(String::new(), |w| format!(": {w}"));
    format!(
        "the kernel (Linux {release}) refused etrace's eBPF program ({e}){said}; etrace needs \
         Linux {MIN_KERNEL} or newer, and -l debug shows the verifier's whole log"
    )
}

/// Set (to anything): the verifier's statistics for each program in the -l debug log.
pub const VERIFIER_STATS_ENV: &str = "ETRACE_VERIFIER_STATS";

/// Open, configure and load the skeleton; attach nothing yet.
pub fn load<'o>(obj: &'o mut MaybeUninit<OpenObject>, cfg: &Config) -> Result<EtraceSkel<'o>> {
    libbpf_rs::set_print(Some((libbpf_rs::PrintLevel::Debug, libbpf_print)));
    log::debug!(
        "kernel {}: {}",
        crate::kernel::features::kernel_release(),
        cfg.features.describe()
    );
    let open = EtraceSkelBuilder::default()
        .open(obj)
        .context("opening the eBPF object")?;
    let mut open = open;
    {
        let ro = open
            .maps
            .rodata_data
            .as_deref_mut()
            .context("the eBPF object has no .rodata")?;
        ro.self_tgid = cfg.self_tgid;
        ro.filter_pids = u8::from(cfg.filter_pids);
        ro.filter_comms = u8::from(!cfg.comms.is_empty());
        ro.wakeup_bytes = cfg.wakeup_bytes;
        ro.pace_bytes = cfg.pace_bytes;
        ro.failed_only = u8::from(cfg.failed_only);
        ro.exit_time = u8::from(cfg.exit_time);
        ro.filter_uids = u8::from(!cfg.uids.is_empty());
        ro.follow = u8::from(cfg.follow);
        // --comm --follow without a pid set: a match's descendants pass the comm filter. With a
        // pid set (a command, -p), the set already follows the tree and --comm narrows it
        ro.comm_follow = u8::from(cfg.follow && !cfg.comms.is_empty() && !cfg.filter_pids);
        // up to 8 names are compared in place in the kernel, more through the comms map
        if cfg.comms.len() <= ro.comm_keys.len() / 2 {
            for (i, c) in cfg.comms.iter().enumerate() {
                let key = comm_key(c);
                ro.comm_keys[2 * i] = u64::from_ne_bytes(key[..8].try_into().unwrap_or_default());
                ro.comm_keys[2 * i + 1] =
                    u64::from_ne_bytes(key[8..].try_into().unwrap_or_default());
            }
            ro.n_comm_keys = cfg.comms.len() as u32;
        }
        ro.filter_cgroup = u8::from(cfg.cgroup.is_some());
        ro.summarize = u8::from(cfg.summarize);
        ro.emit_events = u8::from(cfg.emit_events);
        ro.capture_ctx = u8::from(cfg.capture_ctx);
        ro.clone_nr = cfg.clone_nrs.0.map_or(-1, |n| n as i32);
        ro.clone3_nr = cfg.clone_nrs.1.map_or(-1, |n| n as i32);
        ro.have_rdonly_cast = u8::from(cfg.features.rdonly_cast);
        ro.have_bpf_loop = u8::from(cfg.features.bpf_loop);
        ro.have_task_pt_regs = u8::from(cfg.features.task_pt_regs);
        ro.signal_mask = cfg.signal_mask;
        ro.pending_ns = cfg.pending_ns;
        ro.show_fds = cfg.show_fds;
        ro.stack_depth = cfg.stack_depth;
    }
    open.progs
        .signal_deliver
        .set_autoload(cfg.emit_events && cfg.signal_mask != 0);
    // the scans are run on demand (Scans), never attached with the rest
    for p in [
        &mut open.progs.iter_attach,
        &mut open.progs.iter_pending,
        &mut open.progs.iter_stop,
    ] {
        p.set_autoattach(false);
        p.set_autoload(cfg.emit_events);
    }
    // the verifier's statistics (instructions processed, time) in the -l debug log: what a
    // change to the programs does to the start-up
    if std::env::var_os(VERIFIER_STATS_ENV).is_some() {
        for mut p in open.open_object_mut().progs_mut() {
            p.set_log_level(4); // BPF_LOG_STATS
        }
    }
    open.maps
        .events
        .set_max_entries(cfg.ringbuf_bytes)
        .context("sizing the ring buffer")?;
    let skel = match open.load() {
        Ok(s) => s,
        Err(e) => anyhow::bail!(explain_load_error(&e, cfg)),
    };
    fill_filters(&skel, cfg)?;
    Ok(skel)
}

/// The filters that live in maps: comms (past the 8 compared in place), uids, the cgroup and
/// the processes -p names.
fn fill_filters(skel: &EtraceSkel<'_>, cfg: &Config) -> Result<()> {
    for c in &cfg.comms {
        let key = comm_key(c);
        skel.maps
            .comms
            .update(&key, &[1], MapFlags::ANY)
            .context("writing the comm filter")?;
    }
    for uid in &cfg.uids {
        skel.maps
            .uids
            .update(&uid.to_ne_bytes(), &[1], MapFlags::ANY)
            .context("writing the uid filter")?;
    }
    if let Some(dir) = &cfg.cgroup {
        let f = std::fs::File::open(dir)
            .with_context(|| format!("cannot open the cgroup {}", dir.display()))?;
        let fd = f.as_raw_fd() as u32;
        skel.maps
            .cgroups
            .update(&0u32.to_ne_bytes(), &fd.to_ne_bytes(), MapFlags::ANY)
            .with_context(|| {
                format!(
                    "{} is not a cgroup v2 directory (--cgroup needs one)",
                    dir.display()
                )
            })?;
    }
    let traced = etrace_pid_state::ETRACE_PID_TRACED.0;
    for pid in &cfg.attach {
        skel.maps
            .pids
            .update(&pid.to_ne_bytes(), &traced.to_ne_bytes(), MapFlags::ANY)
            .context("writing the traced processes")?;
    }
    Ok(())
}

/// Attach the programs: tracing starts.
pub fn attach(skel: &mut EtraceSkel<'_>) -> Result<()> {
    skel.attach().map_err(|e| match e.kind() {
        libbpf_rs::ErrorKind::PermissionDenied => anyhow::anyhow!(
            "attaching to the syscall tracepoints was refused: etrace needs root; run it with sudo"
        ),
        _ => anyhow::Error::new(e).context("attaching to the syscall tracepoints"),
    })
}

/// A scan of the in-flight state (bpf/etrace.bpf.c, iter_*).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scan {
    /// The threads in attach_tids that are still inside the call /proc showed: each gets
    /// in-flight state (its exit will be reported) and a pending copy now.
    Attach,
    /// Calls in flight longer than the pending threshold, once each.
    Pending,
    /// Every call still in flight (after the syscall programs are detached).
    Stop,
}

/// The scans, each a task iterator: reading it runs its program once per task on the system.
#[derive(Default)]
pub struct Scans {
    links: [Option<libbpf_rs::Link>; 3],
    /// Scans run, and the time they took (what pending detection costs etrace).
    pub runs: u64,
    pub spent: std::time::Duration,
}

impl Scans {
    /// Run one scan to its end; its copies are in the ring buffer when this returns.
    pub fn run(&mut self, skel: &EtraceSkel<'_>, which: Scan) -> Result<()> {
        let (slot, prog) = match which {
            Scan::Attach => (0, &skel.progs.iter_attach),
            Scan::Pending => (1, &skel.progs.iter_pending),
            Scan::Stop => (2, &skel.progs.iter_stop),
        };
        if self.links[slot].is_none() {
            let link = prog
                .attach_iter_with_opts(libbpf_rs::IterOpts::None)
                .context("attaching a task iterator")?;
            self.links[slot] = Some(link);
        }
        let Some(link) = &self.links[slot] else {
            return Ok(());
        };
        let t = std::time::Instant::now();
        let mut it = libbpf_rs::Iter::new(link).context("creating a task iterator")?;
        std::io::copy(&mut it, &mut std::io::sink()).context("running a task iterator")?;
        self.runs += 1;
        self.spent += t.elapsed();
        Ok(())
    }
}

/// A thread inside a syscall when tracing starts, as /proc shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallAtAttach {
    pub tid: u32,
    pub nr: i64,
    pub args: [u64; 6],
}

/// The threads the attach scan looks at, each as bpf/etrace.h's etrace_attach_call, field by
/// field.
pub fn set_attach_candidates(skel: &EtraceSkel<'_>, threads: &[CallAtAttach]) -> Result<()> {
    const _: () = assert!(std::mem::size_of::<crate::skel::types::etrace_attach_call>() == 56);
    for t in threads {
        let mut v = Vec::with_capacity(56);
        v.extend_from_slice(&t.nr.to_ne_bytes());
        for a in t.args {
            v.extend_from_slice(&a.to_ne_bytes());
        }
        skel.maps
            .attach_tids
            .update(&t.tid.to_ne_bytes(), &v, MapFlags::ANY)
            .context("writing the threads in flight at attach")?;
    }
    Ok(())
}

/// Detach every program: no new events after this returns.
pub fn detach(skel: &mut EtraceSkel<'_>) {
    skel.links = Default::default();
}

fn size_src(s: &SizeRef) -> (u8, u8, u32) {
    match s {
        SizeRef::Ret => (Src::ETRACE_S_RET.0 as u8, 0, 1),
        SizeRef::Arg(i) => (Src::ETRACE_S_ARG.0 as u8, *i, 1),
        SizeRef::Fixed(n) => (Src::ETRACE_S_FIXED.0 as u8, 0, *n),
        SizeRef::ArgPtr(i) => (Src::ETRACE_S_ARGPTR.0 as u8, *i, 1),
        SizeRef::Ioc(i) => (Src::ETRACE_S_IOC.0 as u8, *i, 1),
    }
}

fn when(dir: crate::tables::Dir) -> u8 {
    let mut w = 0;
    if dir.at_entry() {
        w |= When::ETRACE_W_ENTRY.0;
    }
    if dir.at_exit() {
        w |= When::ETRACE_W_EXIT.0;
    }
    if dir == crate::tables::Dir::OnError {
        w |= When::ETRACE_W_ERROR.0;
    }
    w as u8
}

/// A plan whose length (or count) comes from `size`: a constant, an argument or the return value.
fn sized(kind: Kind, dir: crate::tables::Dir, size: &SizeRef, max_len: u32) -> etrace_arg_plan {
    let (src, arg, elem) = size_src(size);
    etrace_arg_plan {
        kind: kind.0 as u8,
        when: when(dir),
        size_src: src,
        size_arg: arg,
        elem_size: elem,
        max_len,
    }
}

/// The kernel-side plan for one syscall.
pub fn plan_for(sc: &Syscall, caps: ReadLimits, enabled: bool, ctx: bool) -> etrace_plan {
    let mut plan = etrace_plan {
        flags: if enabled {
            PlanFlag::ETRACE_P_ENABLED.0
        } else {
            0
        },
        ..Default::default()
    };
    if sc.noreturn {
        plan.flags |= PlanFlag::ETRACE_P_NORETURN.0;
    }
    if sc.is_exec() {
        plan.flags |= PlanFlag::ETRACE_P_EXEC.0;
    }
    if ctx {
        plan.flags |= PlanFlag::ETRACE_P_CTX.0;
    }
    for (ap, a) in plan.args.iter_mut().zip(&sc.args) {
        *ap = arg_plan(&a.capture, caps);
    }
    plan.sel = [Sel::ETRACE_SEL_NONE.0 as u8; 2];
    if !sc.variants.is_empty() {
        plan.flags |= PlanFlag::ETRACE_P_VARIANTS.0;
        for (k, &(i, mask)) in sc.select.iter().enumerate().take(2) {
            plan.sel[k] = i;
            plan.sel_mask[k] = mask;
        }
    }
    set_masks(&mut plan);
    plan
}

/// The plans of a syscall's variants (Syscall::variants), each `base` with the variant's
/// arguments read its way, keyed as the kernel looks them up.
pub fn variant_plans(
    sc: &Syscall,
    base: &etrace_plan,
    caps: ReadLimits,
) -> Vec<(etrace_variant_key, etrace_plan)> {
    let mut out: Vec<(etrace_variant_key, etrace_plan)> = Vec::new();
    for v in &sc.variants {
        let k = match out.iter().position(|(k, _)| k.v == v.key) {
            Some(k) => k,
            None => {
                let key = etrace_variant_key {
                    nr: sc.nr,
                    v: v.key,
                };
                out.push((key, *base));
                out.len() - 1
            }
        };
        let plan = &mut out[k].1;
        if let Some(ap) = plan.args.get_mut(usize::from(v.arg)) {
            *ap = arg_plan(&v.capture, caps);
        }
        plan.flags &= !PlanFlag::ETRACE_P_VARIANTS.0;
        set_masks(plan);
    }
    out
}

/// Which arguments a plan reads at entry and at exit.
fn set_masks(plan: &mut etrace_plan) {
    plan.entry_args = 0;
    plan.exit_args = 0;
    plan.err_args = 0;
    for (i, ap) in plan.args.iter().enumerate() {
        if ap.kind != Kind::ETRACE_K_NONE.0 as u8 {
            if ap.when & When::ETRACE_W_ENTRY.0 as u8 != 0 {
                plan.entry_args |= 1 << i;
            }
            if ap.when & When::ETRACE_W_EXIT.0 as u8 != 0 {
                plan.exit_args |= 1 << i;
            }
            if ap.when & When::ETRACE_W_ERROR.0 as u8 != 0 {
                plan.err_args |= 1 << i;
            }
        }
    }
}

/// What the kernel reads behind one argument, from its capture rule.
fn arg_plan(capture: &Capture, caps: ReadLimits) -> etrace_arg_plan {
    let arg_max = Limit::ETRACE_ARG_MAX.0;
    match capture {
        Capture::None => etrace_arg_plan::default(),
        Capture::Str { dir } => etrace_arg_plan {
            kind: Kind::ETRACE_K_STR.0 as u8,
            when: when(*dir),
            max_len: STRING_CAP,
            ..Default::default()
        },
        Capture::StrArray { dir } => etrace_arg_plan {
            kind: Kind::ETRACE_K_STRARRAY.0 as u8,
            when: when(*dir),
            max_len: caps.bytes.clamp(256, STRING_CAP),
            ..Default::default()
        },
        Capture::Bytes { dir, size } => {
            sized(Kind::ETRACE_K_BUF, *dir, size, caps.bytes.min(arg_max))
        }
        Capture::Shaped {
            dir, size, shape, ..
        } => sized(Kind::ETRACE_K_BUF, *dir, size, shape.max_len().min(arg_max)),
        Capture::Iovec { dir, count, .. } => {
            sized(Kind::ETRACE_K_IOVEC, *dir, count, caps.bytes.min(arg_max))
        }
        Capture::Msghdr { dir, .. } => etrace_arg_plan {
            kind: Kind::ETRACE_K_MSGHDR.0 as u8,
            when: when(*dir),
            max_len: caps.bytes.min(arg_max),
            ..Default::default()
        },
        Capture::Fixed { dir, layout } => {
            let size = layout.size().unwrap_or(0).min(arg_max);
            etrace_arg_plan {
                kind: Kind::ETRACE_K_BUF.0 as u8,
                when: when(*dir),
                size_src: Src::ETRACE_S_FIXED.0 as u8,
                elem_size: size,
                max_len: size,
                ..Default::default()
            }
        }
        Capture::Array { dir, count, elem } => {
            let esize = elem.size().unwrap_or(0);
            let (src, arg, n) = size_src(count);
            etrace_arg_plan {
                kind: Kind::ETRACE_K_BUF.0 as u8,
                when: when(*dir),
                size_src: src,
                size_arg: arg,
                elem_size: esize * n,
                max_len: STRING_CAP.min(arg_max),
            }
        }
    }
}

/// A plan's bytes as the kernel reads them (bpf/etrace.h), field by field: no padding or
/// other uninitialised byte can reach the map.
fn plan_bytes(plan: &etrace_plan) -> Vec<u8> {
    let mut out = Vec::with_capacity(std::mem::size_of::<etrace_plan>());
    for a in &plan.args {
        out.extend_from_slice(&[a.kind, a.when, a.size_src, a.size_arg]);
        out.extend_from_slice(&a.elem_size.to_ne_bytes());
        out.extend_from_slice(&a.max_len.to_ne_bytes());
    }
    out.extend_from_slice(&plan.flags.to_ne_bytes());
    out.extend_from_slice(&[plan.entry_args, plan.exit_args, plan.fd_args, plan.fd_ret]);
    out.extend_from_slice(&[plan.sel[0], plan.sel[1], plan.err_args, 0]);
    for m in plan.sel_mask {
        out.extend_from_slice(&m.to_ne_bytes());
    }
    out
}
const _: () = assert!(std::mem::size_of::<etrace_arg_plan>() == 12);
const _: () = assert!(std::mem::size_of::<etrace_plan>() == 92);

/// A variant key's bytes as the kernel reads them (bpf/etrace.h).
fn key_bytes(k: &etrace_variant_key) -> Vec<u8> {
    [k.nr, k.v[0], k.v[1]]
        .iter()
        .flat_map(|w| w.to_ne_bytes())
        .collect()
}

/// Write every syscall's plan into the kernel's plan array, enabled for the selected ones
/// (the others still carry their flags: a disabled execve arms a launched command).
pub fn write_plans(
    skel: &EtraceSkel<'_>,
    schema: &Schema,
    formats: &crate::tables::Formats,
    selected: &dyn Fn(&Syscall) -> bool,
    caps: ReadLimits,
) -> Result<usize> {
    let mut n = 0;
    for (nr, sc) in &schema.syscalls {
        if *nr >= Limit::ETRACE_MAX_SYSCALLS.0 {
            continue;
        }
        let enabled = selected(sc);
        let attrs = formats.rules.attrs(&sc.name);
        let mut plan = plan_for(sc, caps, enabled, attrs.ctx);
        if attrs.sock {
            plan.flags |= PlanFlag::ETRACE_P_SOCK.0;
        }
        // which values are file descriptors (the kernel describes them with -y)
        for (i, a) in sc.args.iter().take(6).enumerate() {
            if formats.fds.is_fd_arg(&sc.name, &a.name) {
                plan.fd_args |= 1 << i;
            }
        }
        plan.fd_ret = u8::from(formats.fds.returns_fd(&sc.name));
        skel.maps
            .plans
            .update(&nr.to_ne_bytes(), &plan_bytes(&plan), MapFlags::ANY)
            .with_context(|| format!("writing the plan of {}", sc.name))?;
        for (key, vp) in variant_plans(sc, &plan, caps) {
            skel.maps
                .variants
                .update(&key_bytes(&key), &plan_bytes(&vp), MapFlags::ANY)
                .with_context(|| format!("writing a capture variant of {}", sc.name))?;
        }
        n += usize::from(enabled);
    }
    Ok(n)
}

/// The raw fd of the traced-process map, for a launched child to register itself.
pub fn pids_fd(skel: &EtraceSkel<'_>) -> RawFd {
    skel.maps.pids.as_fd().as_raw_fd()
}

/// How many processes are in the traced set.
pub fn traced_processes(skel: &EtraceSkel<'_>) -> usize {
    skel.maps.pids.keys().count()
}

/// The thread-group ids in the traced set.
pub fn traced_tgids(skel: &EtraceSkel<'_>) -> Vec<u32> {
    skel.maps
        .pids
        .keys()
        .filter_map(|k| Some(u32::from_ne_bytes(k.get(..4)?.try_into().ok()?)))
        .collect()
}

/// Take a process out of the traced set (one that exited without the kernel seeing its end:
/// a zombie at attach).
pub fn untrace(skel: &EtraceSkel<'_>, tgid: u32) {
    let _ = skel.maps.pids.delete(&tgid.to_ne_bytes());
}

pub const PID_PENDING_EXEC: u32 = etrace_pid_state::ETRACE_PID_PENDING_EXEC.0;

/// Per-syscall (sent, lost), summed over CPUs; only syscalls with any.
pub fn counts(skel: &EtraceSkel<'_>) -> Result<BTreeMap<u32, (u64, u64)>> {
    let mut out = BTreeMap::new();
    for nr in 0..Limit::ETRACE_MAX_SYSCALLS.0 {
        let Some(per_cpu) = skel
            .maps
            .counts
            .lookup_percpu(&nr.to_ne_bytes(), MapFlags::ANY)
            .context("reading counters")?
        else {
            continue;
        };
        let (mut sent, mut lost) = (0, 0);
        for v in per_cpu {
            if v.len() >= std::mem::size_of::<etrace_counts>() {
                // SAFETY: the value is an etrace_counts (two u64) written by the kernel.
                let c: etrace_counts = unsafe { std::ptr::read_unaligned(v.as_ptr().cast()) };
                sent += c.sent;
                lost += c.lost;
            }
        }
        if sent + lost > 0 {
            out.insert(nr, (sent, lost));
        }
    }
    Ok(out)
}

/// The kernel's per-syscall summary counters, summed over CPUs; only syscalls with calls.
pub fn summaries(skel: &EtraceSkel<'_>) -> Result<BTreeMap<u32, crate::model::summary::Summary>> {
    use crate::skel::types::etrace_summary;
    let mut out = BTreeMap::new();
    for nr in 0..Limit::ETRACE_MAX_SYSCALLS.0 {
        let Some(per_cpu) = skel
            .maps
            .summary
            .lookup_percpu(&nr.to_ne_bytes(), MapFlags::ANY)
            .context("reading the summary")?
        else {
            continue;
        };
        let mut sum = crate::model::summary::Summary::default();
        for v in per_cpu {
            if v.len() < std::mem::size_of::<etrace_summary>() {
                continue;
            }
            // SAFETY: the value is an etrace_summary (plain u64s) written by the kernel.
            let c: etrace_summary = unsafe { std::ptr::read_unaligned(v.as_ptr().cast()) };
            sum.merge(&crate::model::summary::Summary {
                calls: c.calls,
                errors: c.errors,
                total_ns: c.total_ns,
                max_ns: c.max_ns,
                hist: c.hist,
            });
        }
        if sum.calls > 0 {
            out.insert(nr, sum);
        }
    }
    Ok(out)
}

/// One of the kernel's counters (enum etrace_stat), summed over CPUs.
fn stat(skel: &EtraceSkel<'_>, idx: etrace_stat) -> Result<u64> {
    let vals = skel
        .maps
        .stats
        .lookup_percpu(&idx.0.to_ne_bytes(), MapFlags::ANY)
        .context("reading stats")?;
    Ok(vals
        .unwrap_or_default()
        .iter()
        .map(|v| {
            v.get(..8)
                .map_or(0, |b| u64::from_ne_bytes(b.try_into().unwrap_or([0; 8])))
        })
        .fold(0u64, u64::saturating_add))
}

/// The copies of calls in flight the scans sent, and lost for want of room.
pub fn scan_counts(skel: &EtraceSkel<'_>) -> Result<(u64, u64)> {
    Ok((
        stat(skel, etrace_stat::ETRACE_ST_SCAN_SENT)?,
        stat(skel, etrace_stat::ETRACE_ST_SCAN_LOST)?,
    ))
}

/// After how many syscall records the throttle made the calling thread wait (rb_throttle).
pub fn throttle_waits(skel: &EtraceSkel<'_>) -> Result<u64> {
    stat(skel, etrace_stat::ETRACE_ST_WAITED)
}

pub fn read_stats(skel: &EtraceSkel<'_>) -> Result<KernelStats> {
    let get = |idx: etrace_stat| stat(skel, idx);
    Ok(KernelStats {
        entry_fault: get(etrace_stat::ETRACE_ST_ENTRY_FAULT)?,
        reread_ok: get(etrace_stat::ETRACE_ST_REREAD_OK)?,
        reread_fail: get(etrace_stat::ETRACE_ST_REREAD_FAIL)?,
        exec_reread: get(etrace_stat::ETRACE_ST_EXEC_REREAD)?,
        no_storage: get(etrace_stat::ETRACE_ST_NO_STORAGE)?,
        ctx_sent: get(etrace_stat::ETRACE_ST_CTX_SENT)?,
        ctx_lost: get(etrace_stat::ETRACE_ST_CTX_LOST)?,
        // signal records count with the lifecycle ones (a dump's trailer keeps four counters)
        life_sent: get(etrace_stat::ETRACE_ST_LIFE_SENT)?
            .saturating_add(get(etrace_stat::ETRACE_ST_SIGNAL_SENT)?),
        life_lost: get(etrace_stat::ETRACE_ST_LIFE_LOST)?
            .saturating_add(get(etrace_stat::ETRACE_ST_SIGNAL_LOST)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::tests::snapshot_schema;

    #[test]
    fn a_plan_is_written_field_by_field_at_the_kernels_offsets() {
        let mut plan = etrace_plan::default();
        plan.args[1].kind = 2;
        plan.args[1].elem_size = 0x0102_0304;
        plan.args[5].max_len = 7;
        plan.flags = 0x11;
        plan.exit_args = 0b10;
        let b = plan_bytes(&plan);
        assert_eq!(b.len(), std::mem::size_of::<etrace_plan>());
        assert_eq!(b[12], 2, "args[1].kind");
        assert_eq!(b[16..20], 0x0102_0304u32.to_ne_bytes(), "args[1].elem_size");
        assert_eq!(b[68..72], 7u32.to_ne_bytes(), "args[5].max_len");
        assert_eq!(b[72..76], 0x11u32.to_ne_bytes(), "flags");
        assert_eq!((b[76], b[77]), (0, 0b10), "entry_args, exit_args");
    }

    fn config(features: crate::kernel::features::Features) -> Config {
        Config {
            self_tgid: 1,
            filter_pids: false,
            comms: vec![],
            ringbuf_bytes: 4096,
            wakeup_bytes: 1024,
            pace_bytes: 2048,
            failed_only: false,
            exit_time: true,
            uids: vec![],
            attach: vec![],
            follow: false,
            cgroup: None,
            summarize: false,
            emit_events: true,
            capture_ctx: true,
            clone_nrs: (None, None),
            features,
            signal_mask: u64::MAX,
            pending_ns: 200_000_000,
            show_fds: 0,
            stack_depth: 0,
        }
    }

    #[test]
    fn a_load_failure_is_one_line_naming_what_is_missing() {
        use crate::kernel::features::{Features, Missing};
        let einval = libbpf_rs::Error::from_raw_os_error(libc::EINVAL);
        let old = Features {
            missing: vec![Missing {
                name: "BPF_MAP_TYPE_TASK_STORAGE",
                since: "5.11",
            }],
            ..Features::all()
        };
        let m = explain_load_error(&einval, &config(old));
        assert!(
            m.contains("has no BPF_MAP_TYPE_TASK_STORAGE (Linux 5.11)"),
            "{m}"
        );
        assert!(m.ends_with("etrace needs Linux 5.15 or newer"), "{m}");
        // nothing known missing: the verifier's last word, in the same one line
        libbpf_print(
            libbpf_rs::PrintLevel::Warn,
            "0: R1=ctx()\ninvalid func unknown#181\nprocessed 12 insns\n".into(),
        );
        let m = explain_load_error(&einval, &config(Features::all()));
        assert!(m.contains("invalid func unknown#181"), "{m}");
        assert!(m.contains("-l debug shows the verifier's whole log"), "{m}");
        assert_eq!(m.lines().count(), 1);
        let eperm = libbpf_rs::Error::from_raw_os_error(libc::EPERM);
        let m = explain_load_error(&eperm, &config(Features::all()));
        assert!(m.contains("needs root"), "{m}");
        // EACCES as root is the verifier's refusal, not a missing privilege
        let eacces = libbpf_rs::Error::from_raw_os_error(libc::EACCES);
        let m = explain_load_error(&eacces, &config(Features::all()));
        assert_eq!(
            m.contains("needs root"),
            !crate::kernel::host::is_root(),
            "{m}"
        );
    }

    /// The argument masks say which arguments are read at entry and which at exit: the
    /// kernel side reads nothing else.
    #[test]
    fn plan_masks_name_the_arguments_read_at_entry_and_at_exit() {
        let s = snapshot_schema();
        let caps = ReadLimits { bytes: 32 };
        let masks = |name: &str| {
            let p = plan_for(s.by_name(name).unwrap(), caps, true, false);
            (p.entry_args, p.exit_args)
        };
        // read(fd, buf, count): buf after the call; write(fd, buf, count): buf before it
        assert_eq!(masks("read"), (0, 0b10));
        assert_eq!(masks("write"), (0b10, 0));
        // openat(dfd, filename, flags, mode): the path before the call
        assert_eq!(masks("openat"), (0b10, 0));
        // newfstatat(dfd, filename, statbuf, flag): the path before, the struct after
        assert_eq!(masks("newfstatat"), (0b10, 0b100));
        // poll(ufds, nfds, timeout): the array both ways (events in, revents out)
        assert_eq!(masks("poll"), (0b1, 0b1));
        // close(fd): nothing behind a pointer
        assert_eq!(masks("close"), (0, 0));
    }
}
