//! ring: the consumer side of the BPF ring buffer: maps it and hands each committed record to
//! a callback, telling the kernel what was consumed once per batch instead of once per record.
//!
//! libbpf's consumer (behind libbpf-rs's `RingBuffer`) stores the consumer position after
//! every record. The BPF side reads that position on every reservation and query, so while
//! the consumer works through a backlog the cache line holding it crosses between the cores
//! once per record (its price: docs/architecture.md). Here the position moves once per
//! BATCH_BYTES.
//! The layout is the kernel's ring-buffer ABI (`BPF_MAP_TYPE_RINGBUF`, see
//! `include/uapi/linux/bpf.h` and libbpf's `ringbuf.c`): a writable page with the consumer
//! position, then a read-only page with the producer position, then the data area mapped twice
//! in a row, so that a record that wraps around the end reads as one slice.

use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

/// The record header's length word: the record is still being written.
const BUSY_BIT: u32 = 1 << 31;
/// ... the producer dropped the record.
const DISCARD_BIT: u32 = 1 << 30;
const HDR_LEN: u64 = 8;
/// Most bytes consumed before the kernel is told, so that a long backlog frees space as it goes.
const BATCH_BYTES: u64 = 256 << 10;

/// What the callback tells [`Ring::consume`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Continue,
    /// Stop after this record (it counts as consumed).
    Stop,
}

pub struct Ring {
    /// an epoll instance watching the map
    epoll: OwnedFd,
    page: usize,
    size: u64,
    /// the consumer page (read-write)
    consumer: NonNull<AtomicU64>,
    /// the producer page, then the data area twice (read-only)
    producer: NonNull<u8>,
}

/// A shared mapping of `len` bytes of the ring buffer `fd` at `offset`.
fn map_shared(
    fd: std::os::fd::BorrowedFd<'_>,
    len: usize,
    offset: usize,
    prot: libc::c_int,
) -> io::Result<NonNull<libc::c_void>> {
    // SAFETY: a fresh shared mapping of the map's pages; the kernel checks the length, offset
    // and protection against the ring-buffer layout. Nothing else refers to the address.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            prot,
            libc::MAP_SHARED,
            fd.as_raw_fd(),
            offset as libc::off_t,
        )
    };
    match p {
        libc::MAP_FAILED => Err(io::Error::last_os_error()),
        p => NonNull::new(p).ok_or_else(|| io::Error::other("mmap returned NULL")),
    }
}

impl Ring {
    /// Map the ring buffer `map` (a `BPF_MAP_TYPE_RINGBUF` of `size` bytes).
    pub fn new(map: &impl AsFd, size: u32) -> io::Result<Self> {
        let fd = map.as_fd();
        let page = rustix::param::page_size();
        let size = u64::from(size);
        if !size.is_power_of_two() || size < page as u64 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("ring buffer size {size} is not a power-of-two number of pages"),
            ));
        }
        let consumer = map_shared(fd, page, 0, libc::PROT_READ | libc::PROT_WRITE)?;
        let plen = page + 2 * size as usize;
        let producer = match map_shared(fd, plen, page, libc::PROT_READ) {
            Ok(p) => p,
            Err(e) => {
                // SAFETY: the mapping made above, not used after this.
                unsafe { libc::munmap(consumer.as_ptr(), page) };
                return Err(e);
            }
        };
        let ring = Ring {
            epoll: rustix::event::epoll::create(rustix::event::epoll::CreateFlags::CLOEXEC)?,
            page,
            size,
            consumer: consumer.cast(),
            producer: producer.cast(),
        };
        // level-triggered, as libbpf's: see wait (on an error, drop unmaps the pages)
        rustix::event::epoll::add(
            &ring.epoll,
            fd,
            rustix::event::epoll::EventData::new_u64(0),
            rustix::event::epoll::EventFlags::IN,
        )?;
        Ok(ring)
    }

    fn consumer_pos(&self) -> &AtomicU64 {
        // SAFETY: the consumer page is mapped for the life of self, page-aligned, and the
        // kernel only reads it; an AtomicU64 has the layout of the u64 there.
        unsafe { self.consumer.as_ref() }
    }

    fn producer_pos(&self) -> &AtomicU64 {
        // SAFETY: the producer page is mapped for the life of self and page-aligned; the
        // kernel writes the u64 there atomically.
        unsafe { &*self.producer.as_ptr().cast::<AtomicU64>() }
    }

    /// Wait up to `timeout` for the kernel's wake-up. Like libbpf, through a level-triggered
    /// epoll: data that came without a wake-up (the kernel side sends one only once a backlog
    /// builds up) does not end the wait, so that a busy consumer still takes its records in
    /// batches. EINTR is no error.
    pub fn wait(&self, timeout: Duration) -> io::Result<()> {
        let mut events = [std::mem::MaybeUninit::<rustix::event::epoll::Event>::uninit(); 1];
        let t = rustix::event::Timespec::try_from(timeout).unwrap_or(rustix::event::Timespec {
            tv_sec: i64::MAX,
            tv_nsec: 0,
        });
        match rustix::event::epoll::wait(&self.epoll, &mut events, Some(&t)) {
            Ok(_) | Err(rustix::io::Errno::INTR) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Hand the committed records to `f`, in order; returns how many it got. A record the
    /// producer is still writing ends the call, and so does a ring's worth of records, so that
    /// a producer faster than `f` cannot keep the caller here: the rest come next time.
    pub fn consume(&mut self, mut f: impl FnMut(&[u8]) -> Next) -> usize {
        let mask = self.size - 1;
        let cons_at = self.consumer_pos();
        let mut cons = cons_at.load(Ordering::Relaxed);
        let mut told = cons;
        let end = cons + self.size;
        let mut n = 0;
        // SAFETY: the data area follows the producer page and is 2 * size bytes long.
        let data = unsafe { self.producer.as_ptr().add(self.page) };
        'outer: loop {
            let prod = self.producer_pos().load(Ordering::Acquire).min(end);
            if cons >= prod {
                break;
            }
            while cons < prod {
                let off = (cons & mask) as usize;
                // SAFETY: off < size, and a header is 8-byte aligned inside the data area;
                // the kernel writes the length word atomically (release on commit).
                let len = unsafe { &*data.add(off).cast::<AtomicU32>() }.load(Ordering::Acquire);
                if len & BUSY_BIT != 0 {
                    break 'outer;
                }
                let rlen = len & !DISCARD_BIT;
                if u64::from(rlen) + HDR_LEN > self.size {
                    break 'outer; // never from a working kernel: not read past the mapping
                }
                let next = cons + (u64::from(rlen) + HDR_LEN).next_multiple_of(8);
                let mut stop = false;
                if len & DISCARD_BIT == 0 {
                    // SAFETY: the record lies within the doubled data area (off < size and a
                    // record is smaller than size), and the kernel leaves it alone until
                    // the consumer position passes it.
                    let rec = unsafe {
                        std::slice::from_raw_parts(data.add(off + HDR_LEN as usize), rlen as usize)
                    };
                    n += 1;
                    stop = f(rec) == Next::Stop;
                }
                cons = next;
                if stop {
                    break 'outer;
                }
                if cons - told >= BATCH_BYTES {
                    cons_at.store(cons, Ordering::Release);
                    told = cons;
                }
            }
        }
        if cons != told {
            cons_at.store(cons, Ordering::Release);
        }
        n
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: the two mappings made in new, with their lengths; nothing borrows them now.
        unsafe {
            libc::munmap(self.consumer.as_ptr().cast(), self.page);
            libc::munmap(
                self.producer.as_ptr().cast(),
                self.page + 2 * self.size as usize,
            );
        }
    }
}
