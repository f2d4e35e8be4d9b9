// SPDX-License-Identifier: GPL-2.0-only
/*
 * etrace.bpf.c - one generic program for every syscall.
 *
 * sys_enter filters (own pid, syscall set, traced processes, comm), then records the
 * registers and reads input arguments into per-thread in-flight state (task storage: freed
 * with the thread, so nothing leaks when a thread dies mid-syscall). sys_exit reads output
 * arguments, retries input reads that faulted at entry, and sends the whole event to the
 * ring buffer in one exact-size copy. What to read for each argument is the capture plan
 * user space writes into `plans`, computed from tracefs, BTF and formats/.
 */
#include "core_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "etrace.h"
#include "arch.h"

char LICENSE[] SEC("license") = "GPL";

/* keep the shared record types in the object's BTF so the skeleton generates them */
struct etrace_chunk *etrace_chunk_type __attribute__((unused));
struct etrace_record *etrace_record_type __attribute__((unused));
enum etrace_limits *etrace_limits_type __attribute__((unused));
enum etrace_kind *etrace_kind_type __attribute__((unused));
enum etrace_when *etrace_when_type __attribute__((unused));
enum etrace_size_src *etrace_size_src_type __attribute__((unused));
enum etrace_plan_flags *etrace_plan_flags_type __attribute__((unused));
enum etrace_record_flags *etrace_record_flags_type __attribute__((unused));
enum etrace_chunk_flags *etrace_chunk_flags_type __attribute__((unused));
enum etrace_stat *etrace_stat_type __attribute__((unused));
enum etrace_pid_state *etrace_pid_state_type __attribute__((unused));
enum etrace_rec_type *etrace_rec_type_type __attribute__((unused));
enum etrace_ns *etrace_ns_type __attribute__((unused));
enum etrace_ctx_flags *etrace_ctx_flags_type __attribute__((unused));
enum etrace_exit_flags *etrace_exit_flags_type __attribute__((unused));
struct etrace_ctx *etrace_ctx_type __attribute__((unused));
struct etrace_fork *etrace_fork_type __attribute__((unused));
struct etrace_exec *etrace_exec_type __attribute__((unused));
struct etrace_exit *etrace_exit_type __attribute__((unused));

/* set by user space before load */
const volatile __u32 self_tgid = 0;
const volatile __u8 filter_pids = 0;
const volatile __u8 filter_comms = 0;
/*
 * Up to ETRACE_COMM_KEYS --comm names, as two words each (NUL-padded), compared in place: no
 * hash on the path every filtered-out syscall takes. More names go to the comms map only.
 */
#define ETRACE_COMM_KEYS 8
const volatile __u64 comm_keys[ETRACE_COMM_KEYS * 2] = {};
const volatile __u32 n_comm_keys = 0;
const volatile __u8 filter_uids = 0; /* --uid: only these real uids (the uids map) */
const volatile __u8 follow = 0; /* add the children of traced processes to the pid set */
/* --comm with --follow: a process is traced when its comm matches or it descends from one */
const volatile __u8 comm_follow = 0;
const volatile __u8 filter_cgroup = 0; /* --cgroup: only tasks in cgroups[0] or below it */
const volatile __u8 summarize = 0; /* --summary: count every kept call in the summary map */
const volatile __u8 emit_events = 1; /* 0: summary only, no per-event records */
const volatile __u64 wakeup_bytes = 1 << 20;
const volatile __u8 failed_only = 0; /* --failed: only calls that returned an error */
/* the numbers of clone and clone3, whose flags a fork record carries */
const volatile __s32 clone_nr = -1;
const volatile __s32 clone3_nr = -1;
const volatile __u8 capture_ctx = 1; /* send context records */

/*
 * What this kernel's BPF has, told by user space (src/kernel/features.rs) before loading. A
 * path the kernel lacks is never reached: the verifier prunes branches on these constants, so
 * an unknown helper or an unresolved kfunc in them is not an error.
 */
const volatile __u8 have_rdonly_cast = 1; /* the bpf_rdonly_cast kfunc (6.2) */
const volatile __u8 have_bpf_loop = 1;    /* the bpf_loop helper (5.17) */
const volatile __u8 have_task_pt_regs = 1; /* the bpf_task_pt_regs helper (5.15) */

extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

/* the largest errno a syscall returns; more negative returns are values (lseek, mmap) */
#define MAX_ERRNO 4095

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized by user space */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ETRACE_MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, struct etrace_plan);
} plans SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, char[ETRACE_COMM_LEN]);
	__type(value, __u8);
} comms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u32);
} pids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u8);
} uids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ETRACE_MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, struct etrace_counts);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ETRACE_ST_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ETRACE_MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, struct etrace_summary);
} summary SEC(".maps");

static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) {
		v >>= 32;
		r += 32;
	}
	if (v >> 16) {
		v >>= 16;
		r += 16;
	}
	if (v >> 8) {
		v >>= 8;
		r += 8;
	}
	if (v >> 4) {
		v >>= 4;
		r += 4;
	}
	if (v >> 2) {
		v >>= 2;
		r += 2;
	}
	if (v >> 1)
		r += 1;
	return r;
}

/* Count one call in the summary; exited says whether ret and the duration mean anything. */
static __always_inline void summary_add(__u32 nr, int exited, long ret, __u64 dur)
{
	struct etrace_summary *s = bpf_map_lookup_elem(&summary, &nr);
	__u32 b;

	if (!s)
		return;
	s->calls++;
	if (!exited)
		return;
	if (ret < 0 && ret >= -4095)
		s->errors++;
	s->total_ns += dur;
	if (dur > s->max_ns)
		s->max_ns = dur;
	b = log2_u64(dur);
	if (b >= ETRACE_HIST_BUCKETS)
		b = ETRACE_HIST_BUCKETS - 1;
	s->hist[b]++;
}

/*
 * In-flight state of one thread: the record being built, then its payload. The payload
 * array has ETRACE_ARG_MAX bytes of slack so that the verifier can check every write with
 * independent bounds on offset (< DATA_MAX) and length (<= ARG_MAX); the logical budget
 * stays ETRACE_DATA_MAX.
 */
struct inflight {
	struct etrace_record rec;
	__u8 data[ETRACE_DATA_MAX + ETRACE_ARG_MAX + 8];
	__u8 active;
	__u8 reread; /* bit i: input argument i faulted at entry */
	/*
	 * The thread's process passed the pid set (it is traced, not waiting for its exec): later
	 * calls skip the hash lookup. A process leaves the set only when it ends, and this
	 * storage ends with its threads.
	 */
	__u8 in_pid_set;
	__u8 pad;
	/*
	 * The context last sent for this thread, identified by the kernel objects it was read
	 * from: credentials and namespace sets are replaced, never changed in place, so equal
	 * pointers mean an equal context. 0 before the first one.
	 */
	__u32 ctx_tid;
	__u64 ctx_cred;
	__u64 ctx_nsproxy;
	__u64 ctx_cgroups;
	__u64 ctx_parent;
};

/*
 * The comm of a task at the entry of its exec, for the exec record: kept apart from the
 * in-flight state, which is large, because it is taken for every exec the pid filter lets
 * through, traced by the other filters or not.
 */
struct exec_comm {
	char comm[ETRACE_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct exec_comm);
} exec_comms SEC(".maps");

/* room to build an exec record and its filename */
struct exec_scratch {
	struct etrace_exec rec;
	char filename[ETRACE_ARG_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exec_scratch);
} exec_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct inflight);
} inflight SEC(".maps");

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += 1;
}

/* Start a chunk at the current end of the payload; NULL when the budget is spent. */
static __always_inline struct etrace_chunk *chunk_start(struct inflight *fl, __u32 *room)
{
	__u32 off = fl->rec.data_len;

	if (off > ETRACE_DATA_MAX - sizeof(struct etrace_chunk)) {
		fl->rec.flags |= ETRACE_R_DATA_TRUNC;
		return NULL;
	}
	*room = ETRACE_DATA_MAX - sizeof(struct etrace_chunk) - off;
	off &= ETRACE_DATA_MAX - 1;
	return (struct etrace_chunk *)&fl->data[off];
}

static __always_inline void chunk_finish(struct inflight *fl, struct etrace_chunk *c, __u32 arg,
					 __u32 flags, __u32 len)
{
	c->arg = arg;
	c->flags = flags;
	c->len = len;
	fl->rec.data_len += sizeof(*c) + len;
	fl->rec.nchunks++;
}

/*
 * Append one chunk read from user (or, with kernel set, kernel) memory. Returns 0, or -1
 * when the read faulted.
 */
/* how append_mem reads: packed with the argument index and chunk flags into one word */
#define RD_USER 0
#define RD_USER_STR 1
#define RD_KERNEL_STR 2
#define SPEC(arg, flags, mode) ((arg) | ((flags) << 8) | ((mode) << 16))
/* reads up to this many bytes go through the stack (see append_mem) */
#define SMALL_READ 64

/*
 * Read n <= SMALL_READ user bytes into chunk c's data through the stack: the hardened-usercopy
 * check of a stack destination is a bounds compare, that of the task-storage heap a slab
 * lookup. Returns what bpf_probe_read_user returned.
 */
static __always_inline long read_small(struct etrace_chunk *c, __u64 n, const void *src)
{
	__u64 w[SMALL_READ / 8] = {};
	long err = bpf_probe_read_user(w, n, src);

	if (err == 0)
		for (int k = 0; k < SMALL_READ / 8; k++)
			((__u64 *)(c + 1))[k] = w[k];
	return err;
}

/*
 * A global function: the verifier checks it once, instead of once for every call site and
 * every state it is called in (that made loading the exec program alone take ~90 ms). Global
 * functions take no untyped pointers, so the source comes as an address.
 */
__noinline int append_mem_at(struct inflight *fl, __u32 spec, __u64 addr, __u64 want, __u32 cap)
{
	const void *src = (const void *)addr;
	__u32 arg = spec & 0xff, flags = (spec >> 8) & 0xff, mode = spec >> 16;
	__u32 is_str = mode != RD_USER, room = 0;
	__u64 n;
	long got;
	struct etrace_chunk *c;

	if (!fl)
		return 0;
	c = chunk_start(fl, &room);
	if (!c)
		return 0;
	if (want > cap) {
		want = cap;
		flags |= ETRACE_C_TRUNC;
	}
	if (want > room) {
		want = room;
		flags |= ETRACE_C_TRUNC;
		fl->rec.flags |= ETRACE_R_DATA_TRUNC;
	}
	n = want;
	barrier_var(n);
	if (n > ETRACE_ARG_MAX)
		n = ETRACE_ARG_MAX;
	barrier_var(n);
	if (n == 0) {
		if (is_str)
			flags |= ETRACE_C_TRUNC;
		chunk_finish(fl, c, arg, flags, 0);
		return 0;
	}
	if (is_str) {
		if (mode == RD_KERNEL_STR)
			got = bpf_probe_read_kernel_str((void *)(c + 1), n, src);
		else
			got = bpf_probe_read_user_str((void *)(c + 1), n, src);
		if (got > 0) {
			if (got == n)
				flags |= ETRACE_C_TRUNC;
			got -= 1; /* drop the NUL */
		}
	} else if (n <= SMALL_READ) {
		got = read_small(c, n, src);
		if (got == 0)
			got = n;
	} else {
		got = bpf_probe_read_user((void *)(c + 1), n, src);
		if (got == 0)
			got = n;
	}
	if (got < 0) {
		chunk_finish(fl, c, arg, flags | ETRACE_C_FAULT, 0);
		return -1;
	}
	chunk_finish(fl, c, arg, flags, (__u32)got);
	return 0;
}

static __always_inline int append_mem(struct inflight *fl, __u32 spec, const void *src, __u64 want,
				      __u32 cap)
{
	return append_mem_at(fl, spec, (__u64)src, want, cap);
}

/* the state of append_strarray's loop */
struct strarray_loop {
	struct inflight *fl;
	const char *const *argv;
	__u32 arg;
	__u32 flags;
	__u32 cap;
	int ret;
};

/* One element of a string array; 1 ends the loop. */
static __always_inline long strarray_elem(struct inflight *fl, __u32 i, struct strarray_loop *l)
{
	const char *p = NULL;
	__u32 room = 0;
	struct etrace_chunk *c;

	if (!fl)
		return 1;
	if (bpf_probe_read_user(&p, sizeof(p), &l->argv[i])) {
		c = chunk_start(fl, &room);
		if (c)
			chunk_finish(fl, c, l->arg, l->flags | ETRACE_C_FAULT | ETRACE_C_END, 0);
		l->ret = i == 0 ? -1 : 0;
		return 1;
	}
	if (!p) {
		c = chunk_start(fl, &room);
		if (c)
			chunk_finish(fl, c, l->arg, l->flags | ETRACE_C_END, 0);
		return 1;
	}
	if (fl->rec.data_len > ETRACE_DATA_MAX - sizeof(struct etrace_chunk)) {
		fl->rec.flags |= ETRACE_R_DATA_TRUNC;
		return 1;
	}
	if (append_mem(fl, SPEC(l->arg, l->flags | ETRACE_C_ELEM, RD_USER_STR), p, l->cap, l->cap) &&
	    i == 0) {
		l->ret = -1;
		return 1;
	}
	return 0;
}

/* bpf_loop's callback */
static long strarray_step(__u32 i, void *data)
{
	struct strarray_loop *l = data;

	return strarray_elem(l->fl, i, l);
}

/* The current task's in-flight state, found again by a global function (which is given no
 * pointers it can follow). */
static __always_inline struct inflight *current_inflight(void)
{
	return bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), NULL, 0);
}

/*
 * Without bpf_loop: a bounded loop calling this global function, which the verifier checks
 * once, on its own (a loop of inlined bodies is more than it accepts). Its state pointer is
 * plain memory to it: l->fl is not followed, the task's storage is looked up again.
 */
__noinline int strarray_elem_global(__u32 i, struct strarray_loop *l)
{
	if (!l)
		return 1;
	return strarray_elem(current_inflight(), i, l);
}

/*
 * A NULL-terminated array of user string pointers: one ETRACE_C_ELEM chunk per element,
 * then an ETRACE_C_END chunk when the terminator was reached (none when the array was longer
 * than ETRACE_STRARRAY_MAX). Returns -1 when the first pointer could not be read. A bpf_loop:
 * the verifier checks its body once, not once per iteration.
 */
static __noinline int append_strarray(struct inflight *fl, __u32 arg, __u32 flags,
				      const char *const *argv, __u32 cap)
{
	struct strarray_loop l = {
		.fl = fl, .argv = argv, .arg = arg, .flags = flags, .cap = cap, .ret = 0,
	};

	if (have_bpf_loop) {
		bpf_loop(ETRACE_STRARRAY_MAX, strarray_step, &l, 0);
	} else {
		for (__u32 i = 0; i < ETRACE_STRARRAY_MAX; i++)
			if (strarray_elem_global(i, &l))
				break;
	}
	return l.ret;
}

/* the user ABI of struct iovec and struct user_msghdr (LP64: x86_64 and arm64 alike) */
struct u_iovec {
	const void *base;
	__u64 len;
};

struct u_msghdr {
	const void *name;
	__s32 namelen;
	__s32 pad;
	const struct u_iovec *iov;
	__u64 iovlen;
	const void *control;
	__u64 controllen;
	__u32 flags;
	__u32 pad2;
};

/* count and cap of append_iovec, packed into one word (BPF functions take 5 arguments) */
static __always_inline __u64 iov_cc(__u64 count, __u32 cap)
{
	if (count > ETRACE_IOV_MAX)
		count = ETRACE_IOV_MAX + 1;
	return ((__u64)cap << 32) | count;
}

/* the state of append_iovec's loop */
struct iovec_loop {
	struct inflight *fl;
	const struct u_iovec *iov;
	__u64 count;
	__u64 total;
	__u32 arg;
	__u32 flags;
	__u32 cap;
	__u32 pad;
};

/* One iovec's buffer; 1 ends the loop. */
static __always_inline long iovec_elem(struct inflight *fl, __u32 i, struct iovec_loop *l)
{
	struct u_iovec v = {};
	__u64 n;

	if (!fl || i >= l->count)
		return 1;
	if (bpf_probe_read_user(&v, sizeof(v), &l->iov[i]))
		return 1;
	if (fl->rec.data_len > ETRACE_DATA_MAX - sizeof(struct etrace_chunk)) {
		fl->rec.flags |= ETRACE_R_DATA_TRUNC;
		return 1;
	}
	n = v.len;
	if (n > l->total)
		n = l->total;
	l->total -= n;
	append_mem(fl, SPEC(l->arg, l->flags | ETRACE_C_ELEM, RD_USER), v.base, n, l->cap);
	l->cap = n < l->cap ? l->cap - n : 0;
	return 0;
}

/* bpf_loop's callback */
static long iovec_step(__u32 i, void *data)
{
	struct iovec_loop *l = data;

	return iovec_elem(l->fl, i, l);
}

/* Without bpf_loop: see strarray_elem_global. */
__noinline int iovec_elem_global(__u32 i, struct iovec_loop *l)
{
	if (!l)
		return 1;
	return iovec_elem(current_inflight(), i, l);
}

/*
 * An iovec array of count entries: a chunk with the array, then one ETRACE_C_ELEM chunk per
 * buffer (up to ETRACE_IOV_MAX). The buffers share cap bytes and hold at most total bytes in
 * all (what the syscall transferred, at exit). Returns -1 when the array could not be read.
 * spec: SPEC(arg, flags, 0); cc: iov_cc(count, cap).
 */
static __noinline int append_iovec(struct inflight *fl, __u32 spec, const struct u_iovec *iov,
				   __u64 cc, __u64 total)
{
	__u32 arg = spec & 0xff, flags = (spec >> 8) & 0xff, aflags = flags;
	__u64 count = cc & 0xffffffff;
	struct iovec_loop l = {};

	if (count > ETRACE_IOV_MAX) {
		count = ETRACE_IOV_MAX;
		aflags |= ETRACE_C_TRUNC;
	}
	if (append_mem(fl, SPEC(arg, aflags, RD_USER), iov, count * sizeof(struct u_iovec),
		       ETRACE_IOV_MAX * sizeof(struct u_iovec)))
		return -1;
	l.fl = fl;
	l.iov = iov;
	l.count = count;
	l.total = total;
	l.arg = arg;
	l.flags = flags;
	l.cap = cc >> 32;
	if (have_bpf_loop) {
		bpf_loop(ETRACE_IOV_MAX, iovec_step, &l, 0);
	} else {
		for (__u32 i = 0; i < ETRACE_IOV_MAX; i++)
			if (iovec_elem_global(i, &l))
				break;
	}
	return 0;
}

/* A struct user_msghdr and what it points to (see ETRACE_K_MSGHDR). spec: SPEC(arg, flags, 0) */
static __noinline int append_msghdr(struct inflight *fl, __u32 spec, const struct u_msghdr *um,
				    __u64 total, __u32 cap)
{
	__u32 arg = spec & 0xff, flags = (spec >> 8) & 0xff;
	struct u_msghdr m = {};
	__u64 namelen, ctl;

	if (append_mem(fl, SPEC(arg, flags, RD_USER), um, sizeof(m), sizeof(m)))
		return -1;
	if (bpf_probe_read_user(&m, sizeof(m), um))
		return -1;
	namelen = m.name && m.namelen > 0 ? (__u64)m.namelen : 0;
	append_mem(fl, SPEC(arg, flags, RD_USER), m.name, namelen, ETRACE_SOCKADDR_MAX);
	append_iovec(fl, SPEC(arg, flags, 0), m.iov, iov_cc(m.iov ? m.iovlen : 0, cap), total);
	ctl = m.control ? m.controllen : 0;
	append_mem(fl, SPEC(arg, flags | ETRACE_C_END, RD_USER), m.control, ctl, ETRACE_CMSG_MAX);
	return 0;
}

static __always_inline __u64 plan_size(const struct etrace_arg_plan *ap, struct inflight *fl)
{
	__u64 count;

	switch (ap->size_src) {
	case ETRACE_S_ARG: {
		__u32 j = ap->size_arg;

		if (j >= ETRACE_MAX_ARGS)
			return 0;
		count = fl->rec.args[j];
		break;
	}
	case ETRACE_S_RET:
		count = fl->rec.ret < 0 ? 0 : fl->rec.ret;
		break;
	default:
		count = 1;
	}
	if (count > ETRACE_DATA_MAX)
		count = ETRACE_DATA_MAX; /* keeps the product from overflowing */
	return count * ap->elem_size;
}

/*
 * Read argument i as the plan says. Returns -1 when a read faulted. A global function: the
 * verifier checks it once, not once per call site (its loops would not fit otherwise).
 */
__noinline int capture_arg(struct inflight *fl, const struct etrace_arg_plan *ap, __u32 i,
			   __u32 flags)
{
	const void *ptr;

	if (!fl || !ap || i >= ETRACE_MAX_ARGS)
		return 0;
	ptr = (const void *)fl->rec.args[i];
	if (!ptr) /* NULL: the register value says it all */
		return 0;
	switch (ap->kind) {
	case ETRACE_K_STR:
		return append_mem(fl, SPEC(i, flags, RD_USER_STR), ptr, ap->max_len, ap->max_len);
	case ETRACE_K_BUF:
		return append_mem(fl, SPEC(i, flags, RD_USER), ptr, plan_size(ap, fl), ap->max_len);
	case ETRACE_K_STRARRAY:
		return append_strarray(fl, i, flags, ptr, ap->max_len);
	case ETRACE_K_IOVEC:
	case ETRACE_K_MSGHDR: {
		/* at exit, the buffers hold what the syscall transferred */
		__u64 total = (flags & ETRACE_C_EXIT) ? (fl->rec.ret < 0 ? 0 : fl->rec.ret) : ~0ULL;

		if (ap->kind == ETRACE_K_IOVEC)
			return append_iovec(fl, SPEC(i, flags, 0), ptr,
					    iov_cc(plan_size(ap, fl), ap->max_len), total);
		return append_msghdr(fl, SPEC(i, flags, 0), ptr, total, ap->max_len);
	}
	}
	return 0;
}

/*
 * The common case, inline: an ETRACE_K_BUF argument of at most SMALL_READ bytes (a count, a
 * struct, a short read or write), read as append_mem_at reads it. Returns 0, -1
 * when the read faulted, 1 when this is no such argument and capture_arg must read it.
 */
static __always_inline int capture_small(struct inflight *fl, const struct etrace_arg_plan *ap,
					 __u32 i, __u32 flags)
{
	const void *ptr;
	struct etrace_chunk *c;
	__u32 room = 0;
	__u64 n;

	if (ap->kind != ETRACE_K_BUF || i >= ETRACE_MAX_ARGS)
		return 1;
	n = plan_size(ap, fl);
	if (n > SMALL_READ || n > ap->max_len || n == 0)
		return 1;
	ptr = (const void *)fl->rec.args[i];
	if (!ptr)
		return 0;
	c = chunk_start(fl, &room);
	if (!c || n > room)
		return 1;
	if (read_small(c, n, ptr)) {
		chunk_finish(fl, c, i, flags | ETRACE_C_FAULT, 0);
		return -1;
	}
	chunk_finish(fl, c, i, flags, n);
	return 0;
}

static __always_inline int capture_one(struct inflight *fl, const struct etrace_arg_plan *ap,
				       __u32 i, __u32 flags)
{
	int r = capture_small(fl, ap, i, flags);

	return r > 0 ? capture_arg(fl, ap, i, flags) : r;
}

static __always_inline void capture_entry(struct inflight *fl, const struct etrace_plan *plan)
{
	__u32 mask = plan->entry_args;

	if (!mask)
		return;
	for (__u32 i = 0; i < ETRACE_MAX_ARGS; i++) {
		if (!(mask & (1 << i)))
			continue;
		if (capture_one(fl, &plan->args[i], i, 0)) {
			fl->reread |= 1 << i;
			stat_inc(ETRACE_ST_ENTRY_FAULT);
		}
	}
}

static __always_inline void capture_exit(struct inflight *fl, const struct etrace_plan *plan)
{
	__u32 mask = fl->reread | (fl->rec.ret >= 0 ? plan->exit_args : 0);

	if (!mask)
		return;
	for (__u32 i = 0; i < ETRACE_MAX_ARGS; i++) {
		const struct etrace_arg_plan *ap = &plan->args[i];

		if (!(mask & (1 << i)))
			continue;
		if (fl->reread & (1 << i)) {
			/* the kernel has faulted the page in while it ran the syscall */
			if (capture_arg(fl, ap, i, ETRACE_C_EXIT | ETRACE_C_REREAD))
				stat_inc(ETRACE_ST_REREAD_FAIL);
			else
				stat_inc(ETRACE_ST_REREAD_OK);
			continue;
		}
		capture_one(fl, ap, i, ETRACE_C_EXIT);
	}
}

/*
 * Wake the consumer once wakeup_bytes are waiting. While it lags that far behind, every record
 * wakes it: the interrupts that costs slow the traced tasks down to the consumer's pace, which
 * is what keeps a storm from overrunning the buffer.
 */
static __always_inline long rb_flags(void)
{
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline void emit(struct inflight *fl)
{
	__u32 nr = fl->rec.nr;
	__u32 len = fl->rec.data_len;
	struct etrace_counts *cnt;
	long err;

	if (len > ETRACE_DATA_MAX)
		len = ETRACE_DATA_MAX;
	err = bpf_ringbuf_output(&events, &fl->rec, sizeof(fl->rec) + len, rb_flags());
	cnt = bpf_map_lookup_elem(&counts, &nr);
	if (cnt) {
		if (err)
			cnt->lost++;
		else
			cnt->sent++;
	}
}

/*
 * Send the context of task (thread tid), read at entry or at exit. Returns 1 when sent, -1
 * when the ring buffer had no room. Called by ctx_check only when the context changed.
 */
static __noinline int ctx_send(struct task_struct *task, struct inflight *fl, __u32 tid,
			       __u32 at_exit)
{
	const struct cred *cred;
	struct nsproxy *nsp;
	struct etrace_ctx c = {};
	struct pid *tp;
	__u32 level;
	struct upid up = {};
	long err;

	if (!task || !fl)
		return 0;
	/* untrusted, as in ctx_check (why: docs/architecture.md) */
	if (have_rdonly_cast)
		task = bpf_rdonly_cast(task, bpf_core_type_id_kernel(struct task_struct));
	cred = task->cred;
	nsp = task->nsproxy;
	c.type = ETRACE_T_CTX;
	c.flags = at_exit ? ETRACE_X_AT_EXIT : 0;
	c.tid = tid;
	c.ts = bpf_ktime_get_boot_ns();
	c.pid = task->tgid;
	c.ppid = BPF_CORE_READ(task, real_parent, tgid);
	c.uid = BPF_CORE_READ(cred, uid.val);
	c.gid = BPF_CORE_READ(cred, gid.val);
	c.euid = BPF_CORE_READ(cred, euid.val);
	c.egid = BPF_CORE_READ(cred, egid.val);
	c.suid = BPF_CORE_READ(cred, suid.val);
	c.sgid = BPF_CORE_READ(cred, sgid.val);
	c.fsuid = BPF_CORE_READ(cred, fsuid.val);
	c.fsgid = BPF_CORE_READ(cred, fsgid.val);
	bpf_core_read(&c.cap_effective, sizeof(c.cap_effective), &cred->cap_effective);
	c.cgroup_id = bpf_get_current_cgroup_id();
	tp = BPF_CORE_READ(task, thread_pid);
	level = BPF_CORE_READ(tp, level);
	if (level < 64)
		bpf_core_read(&up, sizeof(up), &tp->numbers[level]);
	c.ns[ETRACE_NS_PID] = BPF_CORE_READ(up.ns, ns.inum);
	c.ns[ETRACE_NS_MNT] = BPF_CORE_READ(nsp, mnt_ns, ns.inum);
	c.ns[ETRACE_NS_NET] = BPF_CORE_READ(nsp, net_ns, ns.inum);
	c.ns[ETRACE_NS_UTS] = BPF_CORE_READ(nsp, uts_ns, ns.inum);
	c.ns[ETRACE_NS_IPC] = BPF_CORE_READ(nsp, ipc_ns, ns.inum);
	c.ns[ETRACE_NS_USER] = BPF_CORE_READ(cred, user_ns, ns.inum);
	c.ns[ETRACE_NS_CGROUP] = BPF_CORE_READ(nsp, cgroup_ns, ns.inum);
	if (bpf_core_field_exists(nsp->time_ns))
		c.ns[ETRACE_NS_TIME] = BPF_CORE_READ(nsp, time_ns, ns.inum);
	err = bpf_ringbuf_output(&events, &c, sizeof(c), rb_flags());
	if (err) {
		stat_inc(ETRACE_ST_CTX_LOST);
		return -1; /* the cache is left as it was: the next event tries again */
	}
	stat_inc(ETRACE_ST_CTX_SENT);
	fl->ctx_tid = tid;
	fl->ctx_cred = (__u64)cred;
	fl->ctx_nsproxy = (__u64)nsp;
	fl->ctx_cgroups = (__u64)task->cgroups;
	fl->ctx_parent = (__u64)task->real_parent;
	return 1;
}

/*
 * Send the context of task (thread tid) when it differs from the last one sent for it.
 * Returns 0 when unchanged, 1 when sent, -1 when the ring buffer had no room. Inline: on
 * almost every call nothing changed, and that answer takes a few loads.
 */
static __always_inline int ctx_check(struct task_struct *task, struct inflight *fl, __u32 tid,
				     __u32 at_exit)
{
	struct task_struct *t;

	if (!task || !fl)
		return 0;
	/*
	 * An untrusted view of the task: its loads are plain probe-memory loads, and the verifier
	 * skips the trusted-pointer checks, each a name search through the kernel's BTF, that it
	 * makes for every pointer loaded from a trusted task.
	 */
	t = task;
	if (have_rdonly_cast)
		t = bpf_rdonly_cast(task, bpf_core_type_id_kernel(struct task_struct));
	/*
	 * At exit, only what the call itself can change (setuid, unshare, setns, execve): a move
	 * to another cgroup or a new parent happens to the thread from outside, and the next
	 * entry notices it. Each load is a cache line of task_struct.
	 */
	if (fl->ctx_tid == tid && fl->ctx_cred == (__u64)t->cred &&
	    fl->ctx_nsproxy == (__u64)t->nsproxy &&
	    (at_exit || (fl->ctx_cgroups == (__u64)t->cgroups &&
			 fl->ctx_parent == (__u64)t->real_parent)))
		return 0;
	return ctx_send(task, fl, tid, at_exit);
}

/* Before a thread's first fork, exec or exit record: its context, when none was sent yet. */
static __always_inline void ctx_ensure(struct task_struct *task, __u32 tid)
{
	struct inflight *fl;

	if (!capture_ctx)
		return;
	fl = bpf_task_storage_get(&inflight, task, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (fl && fl->ctx_tid != tid)
		ctx_check(task, fl, tid, 0);
}

/* Send a fork, exec or exit record. */
static __always_inline void life_output(void *rec, __u64 size)
{
	if (bpf_ringbuf_output(&events, rec, size, rb_flags()))
		stat_inc(ETRACE_ST_LIFE_LOST);
	else
		stat_inc(ETRACE_ST_LIFE_SENT);
}

/*
 * A task's comm, copied as two words straight from the task: what bpf_get_current_comm gives
 * (the kernel keeps comm NUL-padded), without a helper call and a string copy on every event.
 */
static __always_inline void task_comm(struct task_struct *task, char *dst)
{
	const __u64 *src = (const __u64 *)task->comm;

	((__u64 *)dst)[0] = src[0];
	((__u64 *)dst)[1] = src[1];
}

/* Whether comm is one of the --comm names. */
static __always_inline int comm_matches(const char *comm)
{
	__u64 w0 = *(const __u64 *)comm, w1 = *(const __u64 *)(comm + 8);

	if (n_comm_keys == 0)
		return bpf_map_lookup_elem(&comms, comm) != NULL;
	for (__u32 i = 0; i < ETRACE_COMM_KEYS; i++) {
		if (i >= n_comm_keys)
			break;
		if (comm_keys[2 * i] == w0 && comm_keys[2 * i + 1] == w1)
			return 1;
	}
	return 0;
}

/*
 * The filters after the pid set: cgroup, uid, comm. With --comm --follow, a process that
 * descends from a match (it is in the pid set) passes the comm filter.
 */
static __always_inline int other_filters_pass(__u32 tgid)
{
	if (filter_cgroup && bpf_current_task_under_cgroup(&cgroups, 0) != 1)
		return 0;
	if (filter_uids) {
		__u32 uid = (__u32)bpf_get_current_uid_gid();

		if (!bpf_map_lookup_elem(&uids, &uid))
			return 0;
	}
	if (filter_comms) {
		char comm[ETRACE_COMM_LEN] __attribute__((aligned(8)));

		task_comm(bpf_get_current_task_btf(), comm);
		if (!comm_matches(comm)) {
			__u32 *st = comm_follow ? bpf_map_lookup_elem(&pids, &tgid) : NULL;

			if (!st || *st != ETRACE_PID_TRACED)
				return 0; /* nor the descendant of a match */
		}
	}
	return 1;
}

/* Whether the current task is traced (for the lifecycle records). */
static __always_inline int current_traced(__u32 tgid)
{
	if (filter_pids) {
		__u32 *state = bpf_map_lookup_elem(&pids, &tgid);

		if (!state || *state != ETRACE_PID_TRACED)
			return 0;
	}
	return other_filters_pass(tgid);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	__u32 nr = id;
	struct etrace_plan *plan;
	struct task_struct *task;
	struct inflight *fl = NULL;

	if (tgid == self_tgid || id < 0 || id >= ETRACE_MAX_SYSCALLS)
		return 0;
	plan = bpf_map_lookup_elem(&plans, &nr);
	if (!plan)
		return 0;
	task = bpf_get_current_task_btf();
	/* before the syscall-set check: a launched command is armed by its execve even when
	 * execve itself is not traced */
	if (filter_pids) {
		fl = bpf_task_storage_get(&inflight, task, NULL, 0);
		if (!fl || !fl->in_pid_set) {
			__u32 *state = bpf_map_lookup_elem(&pids, &tgid);

			if (!state)
				return 0;
			if (*state == ETRACE_PID_PENDING_EXEC) {
				if (!(plan->flags & ETRACE_P_EXEC))
					return 0;
				*state = ETRACE_PID_TRACED;
			}
		}
	}
	if ((plan->flags & ETRACE_P_EXEC) && emit_events) {
		/* the exec record names the comm before the exec, traced call or not */
		struct exec_comm *ec = bpf_task_storage_get(&exec_comms, task, NULL,
							    BPF_LOCAL_STORAGE_GET_F_CREATE);

		if (ec)
			bpf_get_current_comm(ec->comm, sizeof(ec->comm));
	}
	if (!(plan->flags & ETRACE_P_ENABLED))
		return 0;
	if (!other_filters_pass(tgid))
		return 0;

	if (!fl)
		fl = bpf_task_storage_get(&inflight, task, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!fl) {
		struct etrace_counts *cnt = bpf_map_lookup_elem(&counts, &nr);

		stat_inc(ETRACE_ST_NO_STORAGE);
		if (cnt)
			cnt->lost++;
		return 0;
	}

	fl->rec.type = ETRACE_T_SYSCALL;
	fl->rec.ts_enter = bpf_ktime_get_boot_ns();
	fl->rec.ts_exit = 0;
	fl->rec.args[0] = ETRACE_ARG0(regs);
	fl->rec.args[1] = ETRACE_ARG1(regs);
	fl->rec.args[2] = ETRACE_ARG2(regs);
	fl->rec.args[3] = ETRACE_ARG3(regs);
	fl->rec.args[4] = ETRACE_ARG4(regs);
	fl->rec.args[5] = ETRACE_ARG5(regs);
	fl->rec.ret = 0;
	fl->rec.pid = tgid;
	fl->rec.tid = (__u32)pid_tgid;
	fl->rec.nr = nr;
	fl->rec.data_len = 0;
	fl->rec.flags = 0;
	fl->rec.nchunks = 0;
	task_comm(task, fl->rec.comm);
	fl->reread = 0;
	if (filter_pids)
		fl->in_pid_set = 1;
	if (emit_events && capture_ctx && ctx_check(task, fl, (__u32)pid_tgid, 0) < 0)
		fl->rec.flags |= ETRACE_R_CTX_LOST;

	if (plan->flags & ETRACE_P_NORETURN) {
		fl->active = 0;
		if (failed_only) /* a call that never returns never fails */
			return 0;
		if (summarize)
			summary_add(nr, 0, 0, 0);
		if (!emit_events)
			return 0;
		capture_entry(fl, plan);
		emit(fl);
		return 0;
	}
	if (emit_events)
		capture_entry(fl, plan);
	fl->active = 1;
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct inflight *fl = bpf_task_storage_get(&inflight, task, NULL, 0);
	struct etrace_plan *plan;
	__u32 nr;

	if (!fl || !fl->active)
		return 0;
	fl->active = 0;
	nr = fl->rec.nr;
	plan = bpf_map_lookup_elem(&plans, &nr);
	if (!plan)
		return 0;
	if (failed_only && !(ret < 0 && ret >= -MAX_ERRNO))
		return 0;
	fl->rec.ret = ret;
	fl->rec.ts_exit = bpf_ktime_get_boot_ns();
	if (summarize)
		summary_add(nr, 1, ret, fl->rec.ts_exit - fl->rec.ts_enter);
	if (!emit_events)
		return 0;
	fl->rec.flags |= ETRACE_R_EXITED;
	/* only a call that can change its caller's context (ETRACE_P_CTX) is checked at exit */
	switch (capture_ctx && (plan->flags & ETRACE_P_CTX) ? ctx_check(task, fl, fl->rec.tid, 1)
							     : 0) {
	case 1:
		fl->rec.flags |= ETRACE_R_CTX_CHANGED;
		break;
	case -1:
		fl->rec.flags |= ETRACE_R_CTX_LOST;
		break;
	}
	capture_exit(fl, plan);
	emit(fl);
	return 0;
}

/*
 * A successful exec: the exec record (for a traced process), then, when an input read of the
 * exec call faulted at entry, the re-read. The old address space is gone, so that read cannot
 * be retried at exit; here, before the syscall returns, the kernel's copy of the filename and
 * the new image's argv/envp area are still at hand.
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_process_exec, struct task_struct *p, int old_pid, struct linux_binprm *bprm)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct inflight *fl = bpf_task_storage_get(&inflight, task, NULL, 0);
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	struct etrace_plan *plan;
	__u32 nr, strarrays = 0, zero = 0;

	if (emit_events && tgid != self_tgid && current_traced(tgid)) {
		struct exec_scratch *x = bpf_map_lookup_elem(&exec_scratch, &zero);

		if (x) {
			long n;

			struct exec_comm *ec = bpf_task_storage_get(&exec_comms, task, NULL, 0);

			ctx_ensure(task, (__u32)pid_tgid);

			x->rec.type = ETRACE_T_EXEC;
			x->rec.tid = (__u32)pid_tgid;
			x->rec.ts = bpf_ktime_get_boot_ns();
			x->rec.pid = tgid;
			x->rec.old_tid = old_pid;
			__builtin_memset(x->rec.old_comm, 0, sizeof(x->rec.old_comm));
			if (ec)
				__builtin_memcpy(x->rec.old_comm, ec->comm, sizeof(x->rec.old_comm));
			bpf_get_current_comm(x->rec.comm, sizeof(x->rec.comm));
			n = bpf_probe_read_kernel_str(x->filename, sizeof(x->filename),
						      BPF_CORE_READ(bprm, filename));
			n = n > 0 ? n - 1 : 0;
			if (n > ETRACE_ARG_MAX - 1)
				n = ETRACE_ARG_MAX - 1;
			x->rec.filename_len = n;
			life_output(x, sizeof(x->rec) + n);
		}
	}
	if (!fl || !fl->active || !fl->reread)
		return 0;
	nr = fl->rec.nr;
	plan = bpf_map_lookup_elem(&plans, &nr);
	if (!plan || !(plan->flags & ETRACE_P_EXEC))
		return 0;
	for (__u32 i = 0; i < ETRACE_MAX_ARGS; i++) {
		const struct etrace_arg_plan *ap = &plan->args[i];
		unsigned long start, end;

		if (ap->kind == ETRACE_K_STRARRAY)
			strarrays++;
		if (!(fl->reread & (1 << i)))
			continue;
		if (ap->kind == ETRACE_K_STR) {
			const char *name = BPF_CORE_READ(bprm, filename);

			append_mem(fl, SPEC(i, ETRACE_C_EXIT | ETRACE_C_REREAD, RD_KERNEL_STR), name,
				   ap->max_len, ap->max_len);
		} else if (ap->kind == ETRACE_K_STRARRAY) {
			/* the first array is argv, the second envp */
			if (strarrays == 1) {
				start = BPF_CORE_READ(task, mm, arg_start);
				end = BPF_CORE_READ(task, mm, arg_end);
			} else {
				start = BPF_CORE_READ(task, mm, env_start);
				end = BPF_CORE_READ(task, mm, env_end);
			}
			append_mem(fl, SPEC(i, ETRACE_C_EXIT | ETRACE_C_REREAD | ETRACE_C_BLOB, RD_USER),
				   (const void *)start, end - start, ETRACE_ARG_MAX);
		} else {
			continue;
		}
		fl->reread &= ~(1 << i);
		stat_inc(ETRACE_ST_EXEC_REREAD);
	}
	return 0;
}

/*
 * A new task. The pid set follows the forks of traced processes (--follow); a traced parent
 * sends a fork record. Runs in the parent, inside its clone / fork / vfork call.
 */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid, traced = ETRACE_PID_TRACED;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 *state;

	if (ptgid == self_tgid)
		return 0;
	if ((filter_pids || comm_follow) && follow && ptgid != ctgid) {
		/* a new thread's process is already in the set */
		state = bpf_map_lookup_elem(&pids, &ptgid);
		if (state && *state == ETRACE_PID_TRACED) {
			bpf_map_update_elem(&pids, &ctgid, &traced, BPF_ANY);
		} else if (comm_follow) {
			char comm[ETRACE_COMM_LEN] = {};

			bpf_get_current_comm(comm, sizeof(comm)); /* the parent's: it is forking */
			if (bpf_map_lookup_elem(&comms, comm))
				bpf_map_update_elem(&pids, &ctgid, &traced, BPF_ANY);
		}
	}
	if (emit_events && current_traced(ptgid)) {
		struct pt_regs *regs = NULL;
		struct etrace_fork f = {};
		__u64 arg0 = 0;

		if (have_task_pt_regs)
			regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

		ctx_ensure(bpf_get_current_task_btf(), (__u32)pid_tgid);
		f.type = ETRACE_T_FORK;
		f.tid = (__u32)pid_tgid;
		f.ts = bpf_ktime_get_boot_ns();
		f.pid = ptgid;
		f.child_pid = ctgid;
		f.child_tid = child->pid;
		f.nr = -1;
		if (regs) {
			f.nr = ETRACE_SAVED_NR(regs);
			arg0 = ETRACE_SAVED_ARG0(regs);
		} else {
			/* the parent's call as its entry recorded it (when the call is traced) */
			struct inflight *pf = current_inflight();

			if (pf && pf->active) {
				f.nr = pf->rec.nr;
				arg0 = pf->rec.args[0];
			}
		}
		if (f.nr == clone_nr)
			f.clone_flags = arg0;
		else if (f.nr == clone3_nr) /* struct clone_args: flags first */
			bpf_probe_read_user(&f.clone_flags, sizeof(f.clone_flags), (void *)arg0);
		bpf_get_current_comm(f.comm, sizeof(f.comm));
		life_output(&f, sizeof(f));
	}
	return 0;
}

/* A thread's end: the exit record of a traced one; a process leaves the pid set. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process_exit, struct task_struct *p)
{
	__u32 tgid = p->tgid;
	int group_dead = BPF_CORE_READ(p, signal, live.counter) == 0;

	if (tgid == self_tgid)
		return 0;
	if (emit_events && current_traced(tgid)) {
		struct etrace_exit e = {};

		ctx_ensure(bpf_get_current_task_btf(), p->pid);

		e.type = ETRACE_T_EXIT;
		e.flags = group_dead ? ETRACE_E_GROUP_DEAD : 0;
		e.tid = p->pid;
		e.ts = bpf_ktime_get_boot_ns();
		e.pid = tgid;
		e.code = p->exit_code;
		bpf_get_current_comm(e.comm, sizeof(e.comm));
		life_output(&e, sizeof(e));
	}
	if ((filter_pids || comm_follow) && group_dead)
		bpf_map_delete_elem(&pids, &tgid);
	return 0;
}
