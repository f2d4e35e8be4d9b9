//! record: reads the binary record the BPF program writes (layout from bpf/etrace.h, through the
//! skeleton's generated types) into a header and its argument chunks, bounds-checked.

use thiserror::Error;

use crate::skel::types::{
    etrace_chunk, etrace_chunk_flags as CF, etrace_record, etrace_record_flags as RF,
};

/// Size of the fixed header (checked against the C definition at compile time).
pub const HEADER_LEN: usize = std::mem::size_of::<etrace_record>();
const CHUNK_LEN: usize = std::mem::size_of::<etrace_chunk>();
const _: () = assert!(
    HEADER_LEN == 112,
    "bpf/etrace.h struct etrace_record changed size"
);
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

/// A parsed record, borrowing its chunks' bytes.
#[derive(Debug, Clone)]
pub struct Record<'a> {
    pub hdr: etrace_record,
    pub chunks: Vec<Chunk<'a>>,
}

impl Record<'_> {
    pub fn exited(&self) -> bool {
        u32::from(self.hdr.flags) & RF::ETRACE_R_EXITED.0 != 0
    }
    pub fn data_truncated(&self) -> bool {
        u32::from(self.hdr.flags) & RF::ETRACE_R_DATA_TRUNC.0 != 0
    }
    pub fn comm(&self) -> Vec<u8> {
        let c: Vec<u8> = self.hdr.comm.iter().map(|&b| b as u8).collect();
        let end = c.iter().position(|&b| b == 0).unwrap_or(c.len());
        c[..end].to_vec()
    }
}

/// Parse one record as it came off the ring buffer.
pub fn parse(buf: &[u8]) -> Result<Record<'_>, RecordError> {
    if buf.len() < HEADER_LEN {
        return Err(RecordError::Short(buf.len()));
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
    let mut chunks = Vec::with_capacity(usize::from(hdr.nchunks).min(64));
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
        ts_enter: 1_000,
        ts_exit: if ret.is_some() { 1_500 } else { 0 },
        args,
        ret: ret.unwrap_or(0),
        pid: 42,
        tid: 43,
        ppid: 1,
        nr,
        data_len: payload.len() as u32,
        flags: if ret.is_some() {
            RF::ETRACE_R_EXITED.0 as u16
        } else {
            0
        },
        nchunks: chunks.len() as u16,
        comm,
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
        assert_eq!(r.comm(), b"test");
        assert_eq!(
            r.chunks,
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
