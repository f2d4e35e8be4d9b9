//! dump: etrace's raw dump file. A preamble and a postcard header carrying everything decoding
//! needs (the schema, the kernel, the capture options), then the kernel's records exactly as it
//! wrote them, each in a checksummed frame, then a trailer with the capture's counters. The
//! writer, and a reader that survives truncation and corruption.
//!
//! Layout (integers little-endian):
//! ```text
//! preamble  magic "\x89ETRACE\n" | u32 format version | u32 header length | u32 header CRC-32
//! header    postcard(Header)                      first field: the writer, in every version
//! frames    0xe7 0x7e | u8 kind | u8 0 | u32 length | u32 CRC-32 of kind..length + payload
//!           | payload      kind 1: a record as the kernel wrote it; kind 2: postcard(Trailer);
//!                          kind 3: postcard((u64, String)), a cgroup id's path, written before
//!                          the first record that refers to the id
//! ```

use std::io::{self, Read, Write};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::model::counters::KernelStats;
use crate::model::record;
pub use crate::model::stacks::Mapping;
use crate::model::summary::Summary;
use crate::schema::wire::WireSchema;
use crate::schema::Schema;
use crate::skel::types::etrace_limits as L;

pub const MAGIC: [u8; 8] = *b"\x89ETRACE\n";
/// The version written. 3 added record types (signals; copies of calls in flight) to 2's
/// layout, which this etrace still reads: a version 2 dump simply has none of them. 4 added
/// the capture variants after the header value (a version 2 or 3 header has none). 5 writes
/// the frames in compressed batches (KIND_BATCH; a version 2 to 4 dump has none).
pub const FORMAT_VERSION: u32 = 5;
/// The versions read.
const READ_VERSIONS: std::ops::RangeInclusive<u32> = 2..=FORMAT_VERSION;
/// The first etrace release that reads each format version.
const READERS: &[(u32, &str)] = &[
    (1, "0.1.0"),
    (2, "0.2.0"),
    (3, "0.3.0"),
    (4, "0.4.0"),
    (5, "0.5.0"),
];
const PREAMBLE_LEN: usize = 20;
/// Largest header accepted. The running kernel's full schema takes about 36 KiB; the limit
/// bounds what a hostile header can expand to while it is parsed (each byte of it can become
/// at most ~64 bytes of parsed header), before MAX_SCHEMA_BYTES bounds the schema built from it.
pub const MAX_HEADER: u32 = 1 << 20;
pub const FRAME_LEN: usize = 12;
const FRAME_MAGIC: [u8; 2] = [0xe7, 0x7e];
/// Largest record the kernel writes: the fixed part and the payload budget.
pub const MAX_RECORD: usize = record::HEADER_LEN + L::ETRACE_DATA_MAX.0 as usize;
const MAX_TRAILER: usize = 1 << 20;
/// The longest frame: what the read buffer must hold at once.
const MAX_FRAME: usize = FRAME_LEN + MAX_BATCH_FRAME;
/// How far the reader reads ahead of what it needs.
const READ_AHEAD: usize = 256 << 10;
/*
 * Checking a frame's CRC costs its claimed length, and while resynchronising, every `e7 7e` is a
 * candidate: a file of fake frame headers claiming a megabyte each would cost a megabyte per
 * byte skipped. So the bytes checked are bounded by what has been read: CRC_CREDIT_START plus
 * CRC_CREDIT_PER_BYTE for every byte passed (read or skipped). An honest dump, whose frames are
 * checked once each, never comes near it; past it, a candidate is skipped unchecked.
 */
const CRC_CREDIT_START: u64 = 2 * MAX_FRAME as u64;
const CRC_CREDIT_PER_BYTE: u64 = 16;
const KIND_RECORD: u8 = 1;
const KIND_TRAILER: u8 = 2;
const KIND_CGROUP: u8 = 3;
/// A process's file mappings (-k): what a stack's addresses are offsets into.
const KIND_MAPS: u8 = 4;
/// Frames compressed together (zstd): the frame's body is the batch's length uncompressed
/// (u32), then the compressed bytes; inside, frames as at the top level, flagged
/// FLAG_IN_BATCH and without a CRC of their own (the batch frame's covers them).
const KIND_BATCH: u8 = 5;
const FLAG_IN_BATCH: u8 = 1;
/// A batch is written once it holds this many bytes, or BATCH_AGE after the previous one.
const BATCH_BYTES: usize = 1 << 20;
pub const BATCH_AGE: std::time::Duration = std::time::Duration::from_millis(50);
/// The most a batch holds uncompressed (what a reader accepts), and its compressed bound.
const MAX_BATCH: usize = 4 << 20;
const MAX_BATCH_FRAME: usize = 4 + MAX_BATCH + MAX_BATCH / 128 + (128 << 10);
/// zstd's fastest level with real compression: a dd storm's records shrink about 15-fold.
const ZSTD_LEVEL: i32 = 1;
/*
 * A batch of a few hundred bytes can claim megabytes of repeated bytes: the bytes decompressed
 * are bounded by what has been read, INFLATE_START plus INFLATE_PER_BYTE for every byte
 * passed. Real batches, even of identical records, stay far below it; past it, a batch is
 * skipped and reported.
 */
const INFLATE_START: u64 = 4 * MAX_BATCH as u64;
const INFLATE_PER_BYTE: u64 = 256;
/// The lengths a frame of `kind` may have (None: no such kind); a batch never nests.
fn frame_lengths(kind: u8, in_batch: bool) -> Option<std::ops::RangeInclusive<usize>> {
    Some(match kind {
        KIND_RECORD => record::MIN_LEN..=MAX_RECORD,
        KIND_TRAILER => 0..=MAX_TRAILER,
        KIND_CGROUP => 0..=MAX_CGROUP,
        KIND_MAPS => 0..=MAX_MAPS,
        KIND_BATCH if !in_batch => 4..=MAX_BATCH_FRAME,
        _ => return None,
    })
}
/// Longest cgroup path frame accepted.
const MAX_CGROUP: usize = 8192;
const MAX_MAPS: usize = 1 << 20;
/// Problems kept for the report; later ones are only counted.
const MAX_PROBLEMS_KEPT: usize = 64;

/// What the capture was asked to record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureOptions {
    /// `--bytes`: cap of each buffer.
    pub bytes: u32,
    /// `-s` names; empty: every syscall.
    pub syscalls: Vec<String>,
    /// `--comm` names; empty: every process.
    pub comms: Vec<String>,
    /// The launched command; empty: system-wide.
    pub command: Vec<String>,
    /// `--failed`: only calls that returned an error were recorded.
    pub failed: bool,
}

/// Everything a dump's records need to be decoded anywhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// `etrace <version>`. The first field in every format version, so that a reader of another
    /// version can still say which etrace wrote the dump.
    pub writer: String,
    /// `uname -r` of the capturing machine.
    pub kernel_release: String,
    /// `uname -m`.
    pub arch: String,
    /// Byte order of the records.
    pub little_endian: bool,
    /// Size of the fixed part of a record (struct etrace_record).
    pub record_size: u32,
    /// CLOCK_REALTIME minus CLOCK_BOOTTIME at the start: a record's `ts` plus this is wall time.
    pub realtime_offset_ns: i64,
    /// The namespace inode numbers of the recording etrace (context::NS_NAMES order).
    pub host_ns: [u32; 8],
    /// Version (CRC-32) of etrace's symbolic tables (formats/) the capture was made with.
    pub tables_version: String,
    pub options: CaptureOptions,
    /// Every syscall that can appear, with its arguments, types, layouts and capture rules.
    pub schema: WireSchema,
}

impl Header {
    /// Whether this etrace can read the records the header describes, and its names are
    /// plain (see check_names).
    fn check(&self) -> Result<(), DumpError> {
        self.check_names()?;
        if self.record_size as usize != record::HEADER_LEN {
            return Err(DumpError::Incompatible(format!(
                "its records have a {}-byte fixed part, this etrace's have {}: decode it with {}",
                self.record_size,
                record::HEADER_LEN,
                self.writer
            )));
        }
        if self.little_endian != cfg!(target_endian = "little") {
            let order = match self.little_endian {
                true => "little-endian",
                false => "big-endian",
            };
            return Err(DumpError::Incompatible(format!(
                "it was recorded on a {order} machine ({}); decode it on one of the same byte \
                 order",
                self.arch
            )));
        }
        Ok(())
    }

    /// The header's own strings reach log lines: each must be printable ASCII, as every etrace
    /// writes them (the schema's names are checked as it is built).
    fn check_names(&self) -> Result<(), DumpError> {
        let fields = [
            ("writer", &self.writer),
            ("kernel release", &self.kernel_release),
            ("arch", &self.arch),
            ("tables version", &self.tables_version),
        ];
        for (what, v) in fields {
            if !crate::kernel::btf::is_plain_name(v) {
                let shown: String = v.chars().take(64).collect();
                return Err(DumpError::Header(format!(
                    "its {what} {:?} is not printable text",
                    shown
                )));
            }
        }
        Ok(())
    }
}

/// Written when a capture ends normally: the kernel's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trailer {
    /// (syscall number, sent, lost)
    pub counts: Vec<(u32, u64, u64)>,
    pub reads: KernelStats,
    /// The kernel's --summary counters, when the capture counted (`--raw --summary`): exact
    /// even for the events the capture lost.
    pub summary: Vec<TrailerSummary>,
}

/// One syscall's kernel counters (summary::Summary, with the histogram as a list).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrailerSummary {
    pub nr: u32,
    pub calls: u64,
    pub errors: u64,
    pub total_ns: u64,
    pub max_ns: u64,
    pub hist: Vec<u64>,
}

impl TrailerSummary {
    pub fn new(nr: u32, s: &Summary) -> TrailerSummary {
        TrailerSummary {
            nr,
            calls: s.calls,
            errors: s.errors,
            total_ns: s.total_ns,
            max_ns: s.max_ns,
            hist: s.hist.to_vec(),
        }
    }

    pub fn summary(&self) -> Summary {
        let mut hist = [0; crate::model::summary::BUCKETS];
        for (h, v) in hist.iter_mut().zip(&self.hist) {
            *h = *v;
        }
        Summary {
            calls: self.calls,
            errors: self.errors,
            total_ns: self.total_ns,
            max_ns: self.max_ns,
            hist,
        }
    }
}

#[derive(Debug, Error)]
pub enum DumpError {
    #[error("empty file, not an etrace dump")]
    Empty,
    #[error("not an etrace dump (it does not start with etrace's magic bytes)")]
    NotADump,
    #[error("{}", version_message(*found, writer.as_deref()))]
    Version { found: u32, writer: Option<String> },
    #[error("damaged dump header: {0}")]
    Header(String),
    #[error("{0}")]
    Incompatible(String),
    #[error("{0}")]
    Io(#[from] io::Error),
}

fn version_message(found: u32, writer: Option<&str>) -> String {
    let by = writer.map_or(String::new(), |w| format!(" (written by {w})"));
    let me = env!("CARGO_PKG_VERSION");
    let who = match READERS.iter().find(|(v, _)| *v == found) {
        Some((_, release)) => format!("decode it with etrace {release}"),
        None => match writer {
            Some(w) => format!("decode it with {w} or newer"),
            None => "decode it with the etrace release that wrote it".into(),
        },
    };
    format!(
        "etrace dump format version {found}{by}; this etrace ({me}) reads format versions \
         {} to {}: {who}",
        READ_VERSIONS.start(),
        READ_VERSIONS.end()
    )
}

fn crc(parts: &[&[u8]]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    for p in parts {
        h.update(p);
    }
    h.finalize()
}

/// A frame's header: marker, kind, flags and length; the CRC left 0.
fn frame_header(kind: u8, flags: u8, len: usize) -> [u8; FRAME_LEN] {
    let mut h = [0u8; FRAME_LEN];
    h[..2].copy_from_slice(&FRAME_MAGIC);
    h[2] = kind;
    h[3] = flags;
    h[4..8].copy_from_slice(&(len as u32).to_le_bytes());
    h
}

/// Write a top-level frame: marker, kind, length and the CRC of kind, length and `parts`.
fn write_frame(w: &mut impl Write, kind: u8, parts: &[&[u8]]) -> io::Result<()> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let mut h = frame_header(kind, 0, len);
    let sum = crc(&[&[&h[2..8]], parts].concat());
    h[8..].copy_from_slice(&sum.to_le_bytes());
    w.write_all(&h)?;
    for p in parts {
        w.write_all(p)?;
    }
    Ok(())
}

/// Writes a dump: the header at creation, then records (in compressed batches), then the
/// trailer.
pub struct Writer<W: Write> {
    w: W,
    pub records: u64,
    /// Frames not written yet, and when the last batch was.
    batch: Vec<u8>,
    written_at: std::time::Instant,
    /// The batch compressed, reused from batch to batch.
    packed: Vec<u8>,
    zstd: zstd::bulk::Compressor<'static>,
}

impl<W: Write> Writer<W> {
    pub fn new(mut w: W, header: &Header) -> io::Result<Self> {
        let mut body = postcard::to_stdvec(header).map_err(io::Error::other)?;
        // format 4: the capture variants and named structs follow the header value (see
        // WireSchema::variants)
        let ext = (&header.schema.variants, &header.schema.structs);
        body.extend(postcard::to_stdvec(&ext).map_err(io::Error::other)?);
        let mut pre = Vec::with_capacity(PREAMBLE_LEN);
        pre.extend_from_slice(&MAGIC);
        pre.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        pre.extend_from_slice(&(body.len() as u32).to_le_bytes());
        pre.extend_from_slice(&crc(&[&body]).to_le_bytes());
        w.write_all(&pre)?;
        w.write_all(&body)?;
        Ok(Writer {
            w,
            records: 0,
            batch: Vec::with_capacity(BATCH_BYTES + MAX_FRAME),
            written_at: std::time::Instant::now(),
            packed: Vec::new(),
            zstd: zstd::bulk::Compressor::new(ZSTD_LEVEL)?,
        })
    }

    /// A frame written as it is, with its CRC.
    fn frame(&mut self, kind: u8, parts: &[&[u8]]) -> io::Result<()> {
        write_frame(&mut self.w, kind, parts)
    }

    /// A frame added to the batch (written when the batch is full, or at `flush`).
    fn batched(&mut self, kind: u8, payload: &[u8]) -> io::Result<()> {
        if self.batch.len() + FRAME_LEN + payload.len() > BATCH_BYTES {
            self.write_batch()?;
        }
        let h = frame_header(kind, FLAG_IN_BATCH, payload.len());
        self.batch.extend_from_slice(&h);
        self.batch.extend_from_slice(payload);
        Ok(())
    }

    /// The batch, compressed, as one frame.
    fn write_batch(&mut self) -> io::Result<()> {
        self.written_at = std::time::Instant::now();
        if self.batch.is_empty() {
            return Ok(());
        }
        self.packed.clear();
        self.packed
            .reserve(zstd::zstd_safe::compress_bound(self.batch.len()));
        self.zstd
            .compress_to_buffer(&self.batch, &mut self.packed)?;
        let raw = (self.batch.len() as u32).to_le_bytes();
        self.batch.clear();
        write_frame(&mut self.w, KIND_BATCH, &[&raw, &self.packed])
    }

    /// One record, exactly as it came off the ring buffer.
    pub fn record(&mut self, rec: &[u8]) -> io::Result<()> {
        self.batched(KIND_RECORD, rec)?;
        self.records += 1;
        Ok(())
    }

    /// The path of a cgroup id (before the first record that refers to it). A path longer
    /// than a reader accepts is left out: the id stays unnamed.
    pub fn cgroup(&mut self, id: u64, path: &str) -> io::Result<()> {
        let body = postcard::to_stdvec(&(id, path)).map_err(io::Error::other)?;
        match body.len() <= MAX_CGROUP {
            true => self.batched(KIND_CGROUP, &body),
            false => Ok(()),
        }
    }

    /// A process's file mappings (before the first record whose stack needs them). More than
    /// a reader accepts are left out: those addresses stay unnamed.
    pub fn maps(&mut self, pid: u32, maps: &[Mapping]) -> io::Result<()> {
        let body = postcard::to_stdvec(&(pid, maps)).map_err(io::Error::other)?;
        match body.len() <= MAX_MAPS {
            true => self.batched(KIND_MAPS, &body),
            false => Ok(()),
        }
    }

    /// The trailer, after the last batch.
    pub fn trailer(&mut self, t: &Trailer) -> io::Result<()> {
        let body = postcard::to_stdvec(t).map_err(io::Error::other)?;
        self.write_batch()?;
        self.frame(KIND_TRAILER, &[&body])
    }

    /// Write the batch and flush the destination.
    pub fn flush(&mut self) -> io::Result<()> {
        self.write_batch()?;
        self.w.flush()
    }

    /// Live, after each read of the ring buffer: flush when BATCH_AGE has passed since the
    /// last batch (a killed etrace loses no more than that).
    pub fn flush_due(&mut self) -> io::Result<()> {
        match self.written_at.elapsed() >= BATCH_AGE {
            true => self.flush(),
            false => Ok(()),
        }
    }

    pub fn get_mut(&mut self) -> &mut W {
        &mut self.w
    }

    pub fn get_ref(&self) -> &W {
        &self.w
    }
}

/// A writer dropped without `flush` (tracing stopped by an error elsewhere) still writes what
/// it holds.
impl<W: Write> Drop for Writer<W> {
    fn drop(&mut self) {
        let _ = self.write_batch();
    }
}

/// Something wrong found past the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The dump ends inside the frame starting at `offset` (`have` of `want` bytes).
    Truncated { offset: u64, have: u64, want: u64 },
    /// `skipped` bytes from `offset` were not a valid frame; reading resumed after them.
    Corrupt {
        offset: u64,
        skipped: u64,
        reason: &'static str,
    },
    /// The trailer frame at `offset` is intact but does not parse.
    BadTrailer { offset: u64 },
    /// Another frame at `offset` is intact but does not parse.
    BadFrame { offset: u64, what: &'static str },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Truncated { offset, have, want } => write!(
                f,
                "cut short at byte {offset}: the last record has {have} of its {want} bytes"
            ),
            Problem::Corrupt {
                offset,
                skipped,
                reason,
            } => write!(
                f,
                "corrupt bytes at {offset} ({reason}): skipped {skipped} bytes, resumed at byte {}",
                offset + skipped
            ),
            Problem::BadTrailer { offset } => {
                write!(f, "the trailer at byte {offset} does not parse; ignored")
            }
            Problem::BadFrame { offset, what } => {
                write!(
                    f,
                    "the {what} frame at byte {offset} does not parse; ignored"
                )
            }
        }
    }
}

/// A record frame read from a dump.
pub struct Frame<'a> {
    /// Byte offset of the frame in the file.
    pub offset: u64,
    pub record: &'a [u8],
    /// Cgroup paths (id, path) the dump gave since the previous record.
    pub cgroups: Vec<(u64, String)>,
    /// Processes' file mappings the dump gave since the previous record.
    pub maps: Vec<(u32, Vec<Mapping>)>,
}

enum Check {
    Valid { kind: u8, len: usize },
    End,
    Truncated { have: usize, want: usize },
    Bad(&'static str),
}

/// Reads a dump: the header when opened, then frame after frame.
pub struct Reader<R: Read> {
    src: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// File offset of buf[0].
    base: u64,
    eof: bool,
    pub header: Header,
    pub schema: Schema,
    pub trailer: Option<Trailer>,
    /// Record frames returned.
    pub records: u64,
    /// The first problems found (see `problem_count` for all).
    pub problems: Vec<Problem>,
    pub problem_count: u64,
    pub truncated: bool,
    /// Cgroup paths read since the last record returned.
    cgroups: Vec<(u64, String)>,
    /// Mappings read since the last record returned.
    maps: Vec<(u32, Vec<Mapping>)>,
    /// Bytes whose CRC was computed (see CRC_CREDIT_START).
    crc_spent: u64,
    /// The batch being read (format 5): its frames, uncompressed, the next one's position, and
    /// the batch frame's offset in the file.
    batch: Vec<u8>,
    batch_pos: usize,
    batch_offset: u64,
    /// Bytes decompressed so far (see INFLATE_START).
    inflated: u64,
    zstd: zstd::bulk::Decompressor<'static>,
}

/// What a frame other than a record said.
enum Meta {
    Maps(Option<(u32, Vec<Mapping>)>),
    Cgroup(Option<(u64, String)>),
    Trailer(Option<Trailer>),
}

impl Meta {
    fn parse(kind: u8, body: &[u8]) -> Meta {
        match kind {
            KIND_MAPS => Meta::Maps(postcard::from_bytes(body).ok()),
            KIND_CGROUP => Meta::Cgroup(postcard::from_bytes(body).ok()),
            _ => Meta::Trailer(postcard::from_bytes(body).ok()),
        }
    }
}

fn read_full(src: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match src.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Read and check the preamble, then the header's bytes (their length, and the bytes); a dump
/// of another format version is one clear error naming the etrace that wrote it.
fn read_header(src: &mut impl Read) -> Result<(usize, Vec<u8>), DumpError> {
    let mut pre = [0u8; PREAMBLE_LEN];
    let n = read_full(src, &mut pre)?;
    if n == 0 {
        return Err(DumpError::Empty);
    }
    let m = n.min(MAGIC.len());
    if pre[..m] != MAGIC[..m] {
        return Err(DumpError::NotADump);
    }
    if n < PREAMBLE_LEN {
        return Err(DumpError::Header(format!(
            "the file ends {n} bytes in, inside the {PREAMBLE_LEN}-byte preamble"
        )));
    }
    let word = |i: usize| u32::from_le_bytes([pre[i], pre[i + 1], pre[i + 2], pre[i + 3]]);
    let (version, len, sum) = (word(8), word(12), word(16));
    if len > MAX_HEADER {
        if !READ_VERSIONS.contains(&version) {
            return Err(DumpError::Version {
                found: version,
                writer: None,
            });
        }
        return Err(DumpError::Header(format!(
            "it claims {len} bytes, beyond the {MAX_HEADER}-byte limit"
        )));
    }
    let mut body = Vec::new();
    src.take(u64::from(len)).read_to_end(&mut body)?;
    if !READ_VERSIONS.contains(&version) {
        // unchecked bytes of another format: shown escaped, and short
        let writer = postcard::take_from_bytes::<String>(&body)
            .ok()
            .map(|(w, _)| {
                w.chars()
                    .take(64)
                    .collect::<String>()
                    .escape_debug()
                    .to_string()
            });
        return Err(DumpError::Version {
            found: version,
            writer,
        });
    }
    if body.len() < len as usize {
        return Err(DumpError::Header(format!(
            "the file ends inside it ({} of {len} bytes)",
            body.len()
        )));
    }
    if crc(&[&body]) != sum {
        return Err(DumpError::Header("its checksum does not match".into()));
    }
    Ok((len as usize, body))
}

impl<R: Read> Reader<R> {
    /// Read and check the preamble and header.
    pub fn open(mut src: R) -> Result<Reader<R>, DumpError> {
        let (len, body) = read_header(&mut src)?;
        let (mut header, rest): (Header, _) =
            postcard::take_from_bytes(&body).map_err(|e| DumpError::Header(e.to_string()))?;
        if !rest.is_empty() {
            (header.schema.variants, header.schema.structs) =
                postcard::from_bytes(rest).map_err(|e| DumpError::Header(e.to_string()))?;
        }
        header.check()?;
        let schema = header
            .schema
            .to_schema()
            .map_err(|e| DumpError::Header(e.to_string()))?;
        Ok(Reader {
            src,
            buf: vec![0; 2 * MAX_FRAME],
            start: 0,
            end: 0,
            base: (PREAMBLE_LEN + len) as u64,
            eof: false,
            header,
            schema,
            trailer: None,
            records: 0,
            problems: Vec::new(),
            problem_count: 0,
            truncated: false,
            cgroups: Vec::new(),
            maps: Vec::new(),
            crc_spent: 0,
            batch: Vec::new(),
            batch_pos: 0,
            batch_offset: 0,
            inflated: 0,
            zstd: zstd::bulk::Decompressor::new().map_err(DumpError::Io)?,
        })
    }

    /// File offset of the next unread byte.
    pub fn offset(&self) -> u64 {
        self.base + self.start as u64
    }

    fn problem(&mut self, p: Problem) {
        self.problem_count += 1;
        if self.problems.len() < MAX_PROBLEMS_KEPT {
            self.problems.push(p);
        }
    }

    /// Make `n` bytes available from `start`; false if the input ends first.
    fn fill(&mut self, n: usize) -> io::Result<bool> {
        if self.end - self.start >= n {
            return Ok(true);
        }
        // back to the front once READ_AHEAD is consumed, not only when the room runs out: the
        // same pages are read into again (reading through the whole buffer faulted in a new
        // page every 4 KiB: 3% of a decode)
        if self.buf.len() - self.start < n || self.start >= READ_AHEAD {
            self.buf.copy_within(self.start..self.end, 0);
            self.base += self.start as u64;
            self.end -= self.start;
            self.start = 0;
            // twice the need: the next move comes only after `n` more bytes are consumed
            if self.buf.len() < 2 * n {
                self.buf.resize(2 * n, 0);
            }
        }
        while self.end - self.start < n && !self.eof {
            let stop = self
                .buf
                .len()
                .min((self.start + n).max(self.end + READ_AHEAD));
            match self.src.read(&mut self.buf[self.end..stop]) {
                Ok(0) => self.eof = true,
                Ok(k) => self.end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.end - self.start >= n)
    }

    /// Is there a whole, intact frame at `start`?
    fn check(&mut self) -> io::Result<Check> {
        if !self.fill(FRAME_LEN)? {
            return Ok(match self.end - self.start {
                0 => Check::End,
                have => Check::Truncated {
                    have,
                    want: FRAME_LEN,
                },
            });
        }
        let h = &self.buf[self.start..self.start + FRAME_LEN];
        if h[..2] != FRAME_MAGIC {
            return Ok(Check::Bad("no frame marker"));
        }
        let kind = h[2];
        if h[3] != 0 {
            return Ok(Check::Bad("unknown frame flags"));
        }
        let len = u32::from_le_bytes([h[4], h[5], h[6], h[7]]) as usize;
        let sum = u32::from_le_bytes([h[8], h[9], h[10], h[11]]);
        let Some(lengths) = frame_lengths(kind, false) else {
            return Ok(Check::Bad("unknown frame kind"));
        };
        if !lengths.contains(&len) {
            return Ok(Check::Bad("impossible frame length"));
        }
        if !self.fill(FRAME_LEN + len)? {
            return Ok(Check::Truncated {
                have: self.end - self.start,
                want: FRAME_LEN + len,
            });
        }
        let credit = CRC_CREDIT_START + CRC_CREDIT_PER_BYTE * self.offset();
        if self.crc_spent + len as u64 > credit {
            return Ok(Check::Bad("too many frame candidates to check"));
        }
        self.crc_spent += len as u64;
        let s = self.start;
        let body = &self.buf[s + FRAME_LEN..s + FRAME_LEN + len];
        if crc(&[&self.buf[s + 2..s + 8], body]) != sum {
            return Ok(Check::Bad("checksum mismatch"));
        }
        Ok(Check::Valid { kind, len })
    }

    /// Scan forward from the byte after `start` for the next intact frame; true when found
    /// (`start` is on it), false at the end of the input.
    fn resync(&mut self) -> io::Result<bool> {
        self.start += 1;
        loop {
            let found = self.buf[self.start..self.end]
                .windows(2)
                .position(|w| w == FRAME_MAGIC);
            match found {
                Some(p) => {
                    self.start += p;
                    if let Check::Valid { .. } = self.check()? {
                        return Ok(true);
                    }
                    self.start += 1;
                }
                None => {
                    // keep a last byte that may be the first half of a marker
                    let keep = usize::from(self.end > self.start);
                    self.start = self.end - keep;
                    if self.eof || !self.fill(keep + 1)? {
                        self.start = self.end;
                        return Ok(false);
                    }
                }
            }
        }
    }

    /// Take in what a frame other than a record said.
    fn meta(&mut self, m: Meta, offset: u64) {
        match m {
            Meta::Maps(Some(m)) if self.maps.len() < 64 => self.maps.push(m),
            Meta::Cgroup(Some(c)) if self.cgroups.len() < 4096 => self.cgroups.push(c),
            Meta::Maps(Some(_)) | Meta::Cgroup(Some(_)) => {}
            Meta::Trailer(Some(t)) => self.trailer = Some(t),
            Meta::Maps(None) => self.problem(Problem::BadFrame {
                offset,
                what: "process mappings",
            }),
            Meta::Cgroup(None) => self.problem(Problem::BadFrame {
                offset,
                what: "cgroup path",
            }),
            Meta::Trailer(None) => self.problem(Problem::BadTrailer { offset }),
        }
    }

    /// The next frame of the batch being read: (kind, body range); None at its end. A frame
    /// that does not fit ends the batch, reported (its CRC was good: an etrace bug, or a
    /// crafted dump).
    fn next_in_batch(&mut self) -> Option<(u8, usize, usize)> {
        let rest = self.batch.get(self.batch_pos..).unwrap_or_default();
        if rest.is_empty() {
            return None;
        }
        let valid = rest.len() >= FRAME_LEN && rest[..2] == FRAME_MAGIC && rest[3] == FLAG_IN_BATCH;
        let kind = rest.get(2).copied().unwrap_or(0);
        let len = match rest.get(4..8) {
            Some(l) => u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize,
            None => 0,
        };
        let fits = frame_lengths(kind, true).is_some_and(|l| l.contains(&len))
            && FRAME_LEN + len <= rest.len();
        if !valid || !fits {
            self.batch_pos = self.batch.len();
            self.problem(Problem::BadFrame {
                offset: self.batch_offset,
                what: "batch's",
            });
            return None;
        }
        let s = self.batch_pos + FRAME_LEN;
        self.batch_pos = s + len;
        Some((kind, s, len))
    }

    /// Decompress the batch frame whose body is buf[s..s + len], at file offset `offset`.
    fn inflate(&mut self, s: usize, len: usize, offset: u64) {
        let body = &self.buf[s..s + len];
        let raw = u32::from_le_bytes([body[0], body[1], body[2], body[3]]) as usize;
        let credit = INFLATE_START + INFLATE_PER_BYTE * self.offset();
        self.batch.clear();
        self.batch_pos = 0;
        self.batch_offset = offset;
        if raw > MAX_BATCH || self.inflated + raw as u64 > credit {
            let what = "batch (implausibly large)";
            return self.problem(Problem::BadFrame { offset, what });
        }
        self.inflated += raw as u64;
        self.batch.reserve(raw);
        let done = self.zstd.decompress_to_buffer(&body[4..], &mut self.batch);
        if !matches!(done, Ok(n) if n == raw) {
            self.batch.clear();
            self.problem(Problem::BadFrame {
                offset,
                what: "batch (not zstd)",
            });
        }
    }

    /// The next record; None at the end of the dump (see `problems` for how it ended).
    pub fn next_record(&mut self) -> io::Result<Option<Frame<'_>>> {
        loop {
            if let Some((kind, s, len)) = self.next_in_batch() {
                if kind == KIND_RECORD {
                    self.records += 1;
                    return Ok(Some(Frame {
                        offset: self.batch_offset,
                        record: &self.batch[s..s + len],
                        cgroups: std::mem::take(&mut self.cgroups),
                        maps: std::mem::take(&mut self.maps),
                    }));
                }
                let m = Meta::parse(kind, &self.batch[s..s + len]);
                self.meta(m, self.batch_offset);
                continue;
            }
            let off = self.offset();
            match self.check()? {
                Check::End => return Ok(None),
                Check::Valid { kind, len } => {
                    let s = self.start + FRAME_LEN;
                    self.start = s + len;
                    match kind {
                        KIND_RECORD => {
                            self.records += 1;
                            return Ok(Some(Frame {
                                offset: off,
                                record: &self.buf[s..s + len],
                                cgroups: std::mem::take(&mut self.cgroups),
                                maps: std::mem::take(&mut self.maps),
                            }));
                        }
                        KIND_BATCH => self.inflate(s, len, off),
                        _ => {
                            let m = Meta::parse(kind, &self.buf[s..s + len]);
                            self.meta(m, off);
                        }
                    }
                }
                Check::Truncated { have, want } => {
                    // a damaged length can look like truncation: only call it that when no
                    // intact frame follows
                    if self.resync()? {
                        let skipped = self.offset() - off;
                        self.problem(Problem::Corrupt {
                            offset: off,
                            skipped,
                            reason: "frame length runs past the end",
                        });
                    } else {
                        self.truncated = true;
                        self.problem(Problem::Truncated {
                            offset: off,
                            have: have as u64,
                            want: want as u64,
                        });
                        return Ok(None);
                    }
                }
                Check::Bad(reason) => {
                    let found = self.resync()?;
                    let skipped = self.offset() - off;
                    self.problem(Problem::Corrupt {
                        offset: off,
                        skipped,
                        reason,
                    });
                    if !found {
                        return Ok(None);
                    }
                }
            }
        }
    }
}

/// The header for a capture on this machine.
pub fn header_for_this_machine(
    schema: WireSchema,
    options: CaptureOptions,
    tables_version: String,
) -> Header {
    let (release, machine) = crate::kernel::host::uname();
    Header {
        writer: format!("etrace {}", env!("CARGO_PKG_VERSION")),
        kernel_release: release,
        arch: machine,
        little_endian: cfg!(target_endian = "little"),
        record_size: record::HEADER_LEN as u32,
        realtime_offset_ns: crate::kernel::host::realtime_offset_ns(),
        host_ns: crate::kernel::host::own_namespaces(),
        tables_version,
        options,
        schema,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::record::tests::build;

    fn header() -> Header {
        Header {
            realtime_offset_ns: 42, // fixed, so that two calls give the same header
            ..header_for_this_machine(
                WireSchema::default(),
                CaptureOptions {
                    bytes: 32,
                    ..Default::default()
                },
                "0".into(),
            )
        }
    }

    /// A dump of `records`, each in a batch of its own (flushed after it, as a quiet live
    /// capture writes them); the offsets of the batches, and of their end.
    fn dump(records: &[Vec<u8>], trailer: bool) -> (Vec<u8>, Vec<u64>) {
        let mut w = Writer::new(Vec::new(), &header()).unwrap();
        let mut offsets = Vec::new();
        for r in records {
            offsets.push(w.get_mut().len() as u64);
            w.record(r).unwrap();
            w.flush().unwrap();
        }
        offsets.push(w.get_mut().len() as u64);
        if trailer {
            w.trailer(&Trailer {
                counts: vec![(0, 5, 1)],
                reads: KernelStats::default(),
                summary: vec![TrailerSummary {
                    nr: 0,
                    calls: 6,
                    hist: vec![1; 40],
                    ..Default::default()
                }],
            })
            .unwrap();
        }
        (std::mem::take(&mut w.w), offsets)
    }

    fn records(n: usize) -> Vec<Vec<u8>> {
        (0..n)
            .map(|i| {
                build(
                    i as u32,
                    [i as u64; 6],
                    Some(i as i64),
                    &[(1, 0, format!("/file/{i}").as_bytes())],
                )
            })
            .collect()
    }

    /// (offset, record bytes) of every record read
    type Frames = Vec<(u64, Vec<u8>)>;

    fn read_all(bytes: &[u8]) -> (Frames, Reader<&[u8]>) {
        let mut r = Reader::open(bytes).unwrap();
        let mut out = Vec::new();
        while let Some(f) = r.next_record().unwrap() {
            out.push((f.offset, f.record.to_vec()));
        }
        (out, r)
    }

    #[test]
    fn round_trip_with_trailer() {
        let recs = records(3);
        let (bytes, offsets) = dump(&recs, true);
        let (got, r) = read_all(&bytes);
        assert_eq!(got.iter().map(|g| g.1.clone()).collect::<Vec<_>>(), recs);
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), offsets[..3]);
        assert_eq!(r.header, header());
        assert_eq!(r.trailer.as_ref().unwrap().counts, [(0, 5, 1)]);
        assert!(r.problems.is_empty() && !r.truncated);
    }

    #[test]
    fn every_truncation_keeps_the_complete_records() {
        let recs = records(3);
        let (bytes, offsets) = dump(&recs, false);
        let header_end = offsets[0] as usize;
        for cut in header_end..bytes.len() {
            let (got, r) = read_all(&bytes[..cut]);
            let complete = offsets[1..]
                .iter()
                .filter(|end| **end as usize <= cut)
                .count();
            assert_eq!(got.len(), complete, "cut at {cut}");
            let on_boundary = offsets.contains(&(cut as u64));
            assert_eq!(r.truncated, !on_boundary, "cut at {cut}");
            if !on_boundary {
                let last = *offsets
                    .iter()
                    .filter(|o| **o as usize <= cut)
                    .max()
                    .unwrap();
                assert!(
                    matches!(r.problems[..], [Problem::Truncated { offset, .. }] if offset == last)
                );
            }
        }
        // cut inside the header: one clear error, never a panic
        for cut in 0..header_end {
            assert!(Reader::open(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn corruption_is_skipped_with_its_offset_and_reading_resumes() {
        let recs = records(4);
        let (bytes, offsets) = dump(&recs, true);
        // flip a byte inside the second record's payload
        let mut bad = bytes.clone();
        bad[offsets[1] as usize + FRAME_LEN + 8] ^= 0x40;
        let (got, r) = read_all(&bad);
        assert_eq!(got.len(), 3);
        assert_eq!(got[1].1, recs[2]);
        assert_eq!(
            r.problems,
            [Problem::Corrupt {
                offset: offsets[1],
                skipped: offsets[2] - offsets[1],
                reason: "checksum mismatch"
            }]
        );
        assert!(r.trailer.is_some());
        // a damaged length field that points past the end is corruption, not truncation
        let mut bad = bytes.clone();
        bad[offsets[0] as usize + 5] = 0x10;
        let (got, r) = read_all(&bad);
        assert_eq!(got.len(), 3);
        assert!(!r.truncated);
        // every single-byte corruption past the header: no panic, the other records survive
        for i in offsets[0] as usize..bytes.len() {
            let mut c = bytes.clone();
            c[i] = c[i].wrapping_add(0x5b);
            let (got, _) = read_all(&c);
            assert!(got.len() >= 3, "byte {i}: {} records", got.len());
        }
    }

    #[test]
    fn a_batch_of_many_records_shrinks_and_reads_back_in_order() {
        let recs = records(2000);
        let mut w = Writer::new(Vec::new(), &header()).unwrap();
        let start = w.get_mut().len();
        for r in &recs {
            w.record(r).unwrap();
        }
        w.flush().unwrap();
        let bytes = std::mem::take(&mut w.w);
        let raw: usize = recs.iter().map(|r| r.len() + FRAME_LEN).sum();
        assert!(
            bytes.len() - start < raw / 4,
            "{} of {raw}",
            bytes.len() - start
        );
        let (got, r) = read_all(&bytes);
        assert_eq!(got.iter().map(|g| g.1.clone()).collect::<Vec<_>>(), recs);
        assert!(r.problems.is_empty() && !r.truncated);
    }

    /// A batch frame (intact CRC) around `inner`, claiming `raw` bytes uncompressed.
    fn batch_frame(raw: u32, packed: &[u8]) -> Vec<u8> {
        let mut w = Writer::new(Vec::new(), &header()).unwrap();
        let start = w.get_mut().len();
        w.frame(KIND_BATCH, &[&raw.to_le_bytes(), packed]).unwrap();
        let mut bytes = std::mem::take(&mut w.w);
        bytes.drain(..start);
        bytes
    }

    #[test]
    fn hostile_batches_are_reported_and_skipped() {
        let (good, offsets) = dump(&records(1), false);
        let head = &good[..offsets[0] as usize];
        let with = |frames: &[Vec<u8>]| {
            let mut b = head.to_vec();
            for f in frames {
                b.extend_from_slice(f);
            }
            b.extend_from_slice(&good[offsets[0] as usize..]);
            let (got, r) = read_all(&b);
            (got, r.problems, r.problem_count, r.inflated)
        };
        // zeros that decompress to megabytes: past the credit after a few, each skipped
        let zeros = zstd::bulk::compress(&vec![0u8; MAX_BATCH], 1).unwrap();
        let bomb = batch_frame(MAX_BATCH as u32, &zeros);
        let (got, _, count, inflated) = with(&vec![bomb; 64]);
        assert_eq!(got.len(), 1, "the real record still reads");
        assert!(
            inflated <= INFLATE_START + INFLATE_PER_BYTE * 64 * 1024,
            "{inflated}"
        );
        assert!(count > 0);
        // a claimed length beyond the limit, bytes that are not zstd, frames that do not fit
        let inner = zstd::bulk::compress(&[0xe7, 0x7e, 1, 1, 0xff, 0xff, 0, 0, 0, 0, 0, 0], 1);
        for (raw, packed) in [
            (MAX_BATCH as u32 + 1, zeros.clone()),
            (100, b"not zstd".to_vec()),
            (12, inner.unwrap()),
        ] {
            let (got, problems, ..) = with(&[batch_frame(raw, &packed)]);
            assert_eq!(got.len(), 1);
            assert!(
                matches!(problems[..], [Problem::BadFrame { .. }]),
                "{problems:?}"
            );
        }
    }

    #[test]
    fn damaged_or_foreign_headers_are_one_clear_error() {
        let (bytes, _) = dump(&records(1), true);
        let msg = |b: &[u8]| Reader::open(b).err().map(|e| e.to_string()).unwrap();
        assert_eq!(msg(b""), "empty file, not an etrace dump");
        assert!(msg(b"\x7fELF\x02\x01\x01").starts_with("not an etrace dump"));
        let mut v = bytes.clone();
        v[PREAMBLE_LEN + 3] ^= 1;
        assert_eq!(msg(&v), "damaged dump header: its checksum does not match");
        let mut v = bytes.clone();
        v[8] = 7;
        let m = msg(&v);
        assert!(
            m.starts_with("etrace dump format version 7 (written by etrace ")
                && m.contains("reads format versions 2 to 5"),
            "{m}"
        );
        v[8] = 1;
        assert!(
            msg(&v).ends_with("decode it with etrace 0.1.0"),
            "{}",
            msg(&v)
        );
        // version 2 has the same layout: read as it is
        let mut v = bytes.clone();
        v[8] = 2;
        assert!(Reader::open(&v[..]).is_ok());
        let mut v = bytes.clone();
        v[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(msg(&v).contains("beyond the"));
    }
}
