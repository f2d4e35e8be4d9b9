//! record: reads the binary records the BPF program writes (layouts from bpf/etrace.h, through
//! the skeleton's generated types): a syscall's header and argument chunks, a thread's context,
//! and the fork / exec / exit records, bounds-checked.

use thiserror::Error;

use crate::skel::types::{
    etrace_chunk, etrace_chunk_flags as CF, etrace_ctx, etrace_exec, etrace_exit, etrace_fd,
    etrace_fork, etrace_rec_type as T, etrace_record, etrace_record_flags as RF, etrace_signal,
};

/// Size of the fixed header (checked against the C definition at compile time).
pub const HEADER_LEN: usize = std::mem::size_of::<etrace_record>();
const CHUNK_LEN: usize = std::mem::size_of::<etrace_chunk>();
const _: () = assert!(
    HEADER_LEN == 112,
    "bpf/etrace.h struct etrace_record changed size"
);
const _: () = assert!(std::mem::size_of::<etrace_ctx>() == 104);
const _: () = assert!(std::mem::size_of::<etrace_fork>() == 56);
const _: () = assert!(std::mem::size_of::<etrace_exec>() == 56);
const _: () = assert!(std::mem::size_of::<etrace_exit>() == 40);
const _: () = assert!(std::mem::size_of::<etrace_signal>() == 88);
const _: () = assert!(std::mem::size_of::<etrace_fd>() == 64);
/// The smallest record of any type.
pub const MIN_LEN: usize = std::mem::size_of::<etrace_exit>();
const _: () = assert!(
    CHUNK_LEN == 4,
    "bpf/etrace.h struct etrace_chunk changed size"
);

#[derive(Debug, Error, PartialEq, Eq)]
pub enum RecordError {
    #[error("record of {0} bytes is shorter than its {HEADER_LEN}-byte header")]
    Short(usize),
    #[error("record says {declared} payload bytes but carries {actual}")]
    Payload { declared: usize, actual: usize },
    #[error("chunk at payload offset {0} runs past the record's end")]
    Chunk(usize),
    #[error("record of unknown type {0}")]
    Type(u16),
    #[error("{0} record of {1} bytes is too short")]
    ShortOther(&'static str, usize),
}

/// One argument chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk<'a> {
    pub arg: u8,
    pub flags: u8,
    pub data: &'a [u8],
}

impl Chunk<'_> {
    fn has(&self, f: CF) -> bool {
        u32::from(self.flags) & f.0 != 0
    }
    pub fn at_exit(&self) -> bool {
        self.has(CF::ETRACE_C_EXIT)
    }
    pub fn truncated(&self) -> bool {
        self.has(CF::ETRACE_C_TRUNC)
    }
    pub fn fault(&self) -> bool {
        self.has(CF::ETRACE_C_FAULT)
    }
    pub fn reread(&self) -> bool {
        self.has(CF::ETRACE_C_REREAD)
    }
    pub fn elem(&self) -> bool {
        self.has(CF::ETRACE_C_ELEM)
    }
    pub fn end(&self) -> bool {
        self.has(CF::ETRACE_C_END)
    }
    pub fn blob(&self) -> bool {
        self.has(CF::ETRACE_C_BLOB)
    }
}

/// A record's chunks: inline up to 4, the common case, so parsing allocates nothing.
pub type Chunks<'a> = smallvec::SmallVec<[Chunk<'a>; 4]>;

/// A parsed record, borrowing its chunks' bytes.
#[derive(Debug, Clone)]
pub struct Record<'a> {
    pub hdr: etrace_record,
    pub chunks: Chunks<'a>,
}

/// Whether a syscall's return value is an error (-errno), as the kernel's IS_ERR_VALUE decides:
/// more negative values are results (lseek, mmap).
pub fn is_errno(ret: i64) -> bool {
    let max = i64::from(crate::skel::types::etrace_limits::ETRACE_MAX_ERRNO.0);
    (-max..0).contains(&ret)
}

impl Record<'_> {
    pub fn exited(&self) -> bool {
        u32::from(self.hdr.flags) & RF::ETRACE_R_EXITED.0 != 0
    }
    pub fn data_truncated(&self) -> bool {
        u32::from(self.hdr.flags) & RF::ETRACE_R_DATA_TRUNC.0 != 0
    }
    pub fn comm(&self) -> Comm {
        comm_bytes(&self.hdr.comm)
    }
    pub fn ctx_changed(&self) -> bool {
        self.has(RF::ETRACE_R_CTX_CHANGED)
    }
    fn has(&self, f: RF) -> bool {
        u32::from(self.hdr.flags) & f.0 != 0
    }
    /// Not the call's event but a copy of it while it was in flight (see [`Phase`]).
    pub fn phase(&self) -> Phase {
        Phase::of_flags(self.hdr.flags)
    }
    /// The user stack captured at entry (-k): addresses, the innermost first.
    pub fn stack(&self) -> Vec<u64> {
        let arg = crate::skel::types::etrace_limits::ETRACE_STACK_ARG.0 as u8;
        self.chunks
            .iter()
            .filter(|c| c.arg == arg && !c.fault())
            .flat_map(|c| c.data.chunks_exact(8))
            .map(|w| u64::from_ne_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]))
            .take_while(|a| *a != 0)
            .collect()
    }

    /// The call began before tracing did: found in flight when tracing started.
    pub fn before_tracing(&self) -> bool {
        self.has(RF::ETRACE_R_BEFORE)
    }
}

/// What a syscall record says of its call (Default: Done).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Phase {
    /// The call's event: it returned (or never returns, as exit_group).
    #[default]
    Done,
    /// A copy of the call while in flight: it has run longer than the pending threshold, or
    /// was in flight when tracing started. Its event comes later, when it returns.
    Pending,
    /// A copy of the call still in flight when tracing stopped: it has no event.
    Unfinished,
}

impl Phase {
    /// The phase a syscall record's flags say.
    fn of_flags(flags: u16) -> Phase {
        let has = |f: RF| u32::from(flags) & f.0 != 0;
        if has(RF::ETRACE_R_UNFINISHED) {
            Phase::Unfinished
        } else if has(RF::ETRACE_R_PENDING) {
            Phase::Pending
        } else {
            Phase::Done
        }
    }
}

/// AnyRecord record the kernel sends.
#[derive(Debug, Clone)]
pub enum AnyRecord<'a> {
    Syscall(Record<'a>),
    Ctx(etrace_ctx),
    Fork(etrace_fork),
    Exec {
        hdr: etrace_exec,
        filename: &'a [u8],
    },
    Exit(etrace_exit),
    Signal(etrace_signal),
    /// What a process's fd refers to (-y), and its name (a path, an anon inode's name).
    Fd {
        hdr: etrace_fd,
        name: &'a [u8],
    },
}

/// A fixed-size record of type `T` from the start of `buf`.
fn pod<T: Copy>(buf: &[u8], what: &'static str) -> Result<T, RecordError> {
    if buf.len() < std::mem::size_of::<T>() {
        return Err(RecordError::ShortOther(what, buf.len()));
    }
    // SAFETY: the record types are repr(C) structs of plain integers (any bit pattern is valid)
    // and buf holds at least size_of::<T>() bytes; read_unaligned copes with any alignment.
    Ok(unsafe { std::ptr::read_unaligned(buf.as_ptr().cast()) })
}

/// The type of a record (its first field).
pub fn rec_type(buf: &[u8]) -> Option<u16> {
    Some(u16::from_ne_bytes([*buf.first()?, *buf.get(1)?]))
}

/// Whether `buf` is the record of a completed syscall (not a copy of one in flight), read from
/// its header alone: what a parallel decoder's worker needs to know of another worker's records.
pub fn is_completed_call(buf: &[u8]) -> bool {
    let at = std::mem::offset_of!(etrace_record, flags);
    let (Some(&lo), Some(&hi)) = (buf.get(at), buf.get(at + 1)) else {
        return false;
    };
    rec_type(buf) == Some(T::ETRACE_T_SYSCALL.0 as u16)
        && Phase::of_flags(u16::from_ne_bytes([lo, hi])) == Phase::Done
}

/// Parse one record of any type as it came off the ring buffer.
pub fn parse_any(buf: &[u8]) -> Result<AnyRecord<'_>, RecordError> {
    let ty = rec_type(buf).ok_or(RecordError::Short(buf.len()))?;
    Ok(match T(u32::from(ty)) {
        T::ETRACE_T_SYSCALL => AnyRecord::Syscall(parse(buf)?),
        T::ETRACE_T_CTX => AnyRecord::Ctx(pod(buf, "context")?),
        T::ETRACE_T_FORK => AnyRecord::Fork(pod(buf, "fork")?),
        T::ETRACE_T_EXIT => AnyRecord::Exit(pod(buf, "exit")?),
        T::ETRACE_T_SIGNAL => AnyRecord::Signal(pod(buf, "signal")?),
        T::ETRACE_T_FD => {
            let hdr: etrace_fd = pod(buf, "fd")?;
            let start = std::mem::size_of::<etrace_fd>();
            let name = buf
                .get(start..start + usize::from(hdr.name_len))
                .ok_or(RecordError::ShortOther("fd", buf.len()))?;
            AnyRecord::Fd { hdr, name }
        }
        T::ETRACE_T_EXEC => {
            let hdr: etrace_exec = pod(buf, "exec")?;
            let start = std::mem::size_of::<etrace_exec>();
            let filename = buf
                .get(start..start + usize::from(hdr.filename_len))
                .ok_or(RecordError::ShortOther("exec", buf.len()))?;
            AnyRecord::Exec { hdr, filename }
        }
        _ => return Err(RecordError::Type(ty)),
    })
}

/// A task's comm (at most 15 bytes), kept inline: one per event, never a heap allocation.
pub type Comm = smallvec::SmallVec<[u8; 16]>;

/// A kernel comm field as bytes, up to its NUL (the skeleton types `char` as i8 on every
/// architecture, where Rust's c_char is u8 on aarch64).
pub fn comm_bytes(c: &[i8]) -> Comm {
    c.iter()
        .take_while(|&&b| b != 0)
        .map(|&b| b as u8)
        .collect()
}

/// Parse one syscall record as it came off the ring buffer.
pub fn parse(buf: &[u8]) -> Result<Record<'_>, RecordError> {
    if buf.len() < HEADER_LEN {
        return Err(RecordError::Short(buf.len()));
    }
    if rec_type(buf) != Some(T::ETRACE_T_SYSCALL.0 as u16) {
        return Err(RecordError::Type(rec_type(buf).unwrap_or(0)));
    }
    // SAFETY: etrace_record is a repr(C) struct of plain integers (any bit pattern is valid) and
    // buf holds at least HEADER_LEN bytes; read_unaligned copes with any alignment.
    let hdr: etrace_record = unsafe { std::ptr::read_unaligned(buf.as_ptr().cast()) };
    let payload = &buf[HEADER_LEN..];
    let declared = hdr.data_len as usize;
    if declared > payload.len() {
        return Err(RecordError::Payload {
            declared,
            actual: payload.len(),
        });
    }
    let payload = &payload[..declared];
    let mut chunks = Chunks::new();
    let mut off = 0;
    while off < payload.len() {
        if payload.len() - off < CHUNK_LEN {
            return Err(RecordError::Chunk(off));
        }
        let arg = payload[off];
        let flags = payload[off + 1];
        let len = u16::from_ne_bytes([payload[off + 2], payload[off + 3]]) as usize;
        let start = off + CHUNK_LEN;
        let data = payload
            .get(start..start + len)
            .ok_or(RecordError::Chunk(off))?;
        chunks.push(Chunk { arg, flags, data });
        off = start + len;
    }
    Ok(Record { hdr, chunks })
}

#[cfg(any(test, feature = "fixtures"))]
/// Build a record's bytes the way the kernel lays them out (comm `test`, pid 42, tid 43): for
/// tests and fuzz seeds. `chunks`: (argument index, chunk flags, data).
pub fn build(nr: u32, args: [u64; 6], ret: Option<i64>, chunks: &[(u8, u8, &[u8])]) -> Vec<u8> {
    let mut payload = Vec::new();
    for (arg, flags, data) in chunks {
        payload.push(*arg);
        payload.push(*flags);
        payload.extend_from_slice(&(data.len() as u16).to_ne_bytes());
        payload.extend_from_slice(data);
    }
    let mut comm = [0i8; 16];
    for (i, b) in b"test".iter().enumerate() {
        comm[i] = *b as i8;
    }
    let hdr = etrace_record {
        r#type: T::ETRACE_T_SYSCALL.0 as u16,
        ts_enter: 1_000,
        ts_exit: if ret.is_some() { 1_500 } else { 0 },
        args,
        ret: ret.unwrap_or(0),
        pid: 42,
        tid: 43,
        nr,
        data_len: payload.len() as u16,
        flags: if ret.is_some() {
            RF::ETRACE_R_EXITED.0 as u16
        } else {
            0
        },
        nchunks: chunks.len() as u16,
        comm,
        ..Default::default()
    };
    let mut out = vec![0u8; HEADER_LEN];
    // SAFETY: out has HEADER_LEN bytes; etrace_record is plain old data.
    unsafe { std::ptr::write_unaligned(out.as_mut_ptr().cast(), hdr) };
    out.extend_from_slice(&payload);
    out
}

#[cfg(test)]
pub(crate) mod tests {
    pub use super::build;
    use super::*;

    #[test]
    fn a_completed_call_is_told_from_its_header_alone() {
        let done = build(0, [0; 6], Some(1), &[]);
        assert!(is_completed_call(&done));
        // the copies of a call in flight, a record of another type, a header cut short
        for flag in [RF::ETRACE_R_PENDING, RF::ETRACE_R_UNFINISHED] {
            let mut copy = done.clone();
            let at = std::mem::offset_of!(etrace_record, flags);
            let f = u16::from_ne_bytes([copy[at], copy[at + 1]]) | flag.0 as u16;
            copy[at..at + 2].copy_from_slice(&f.to_ne_bytes());
            assert!(parse(&copy).unwrap().phase() != Phase::Done);
            assert!(!is_completed_call(&copy));
        }
        let mut other = done.clone();
        other[..2].copy_from_slice(&(T::ETRACE_T_FORK.0 as u16).to_ne_bytes());
        assert!(!is_completed_call(&other));
        assert!(!is_completed_call(&done[..3]));
    }

    #[test]
    fn parses_header_and_chunks() {
        let b = build(
            257,
            [u64::MAX - 99, 0x1000, 0, 0, 0, 0],
            Some(3),
            &[(1, 0, b"/etc/hosts")],
        );
        let r = parse(&b).unwrap();
        assert_eq!(r.hdr.nr, 257);
        assert_eq!(r.hdr.ret, 3);
        assert!(r.exited());
        assert_eq!(&r.comm()[..], b"test");
        assert_eq!(
            r.chunks.as_slice(),
            [Chunk {
                arg: 1,
                flags: 0,
                data: b"/etc/hosts"
            }]
        );
    }

    #[test]
    fn rejects_short_and_overlong_records_without_panicking() {
        let b = build(0, [0; 6], Some(0), &[(1, 0, b"abcdef")]);
        assert_eq!(parse(&b[..10]).unwrap_err(), RecordError::Short(10));
        assert!(matches!(
            parse(&b[..b.len() - 1]),
            Err(RecordError::Payload { .. })
        ));
        // a chunk length that points past the payload
        let mut bad = b.clone();
        bad[HEADER_LEN + 2] = 0xff;
        assert_eq!(parse(&bad).unwrap_err(), RecordError::Chunk(0));
        // every prefix and every single-byte corruption is handled
        for n in 0..b.len() {
            let _ = parse(&b[..n]);
            let mut c = b.clone();
            c[n] ^= 0xa5;
            let _ = parse(&c);
        }
    }
}
