/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * capture.h - reading a syscall's arguments into its record: chunks, user-memory reads,
 * string arrays and iovecs (bpf_loop or its fallback), msghdrs, the capture plans, and the
 * ring-buffer output of a finished record.
 * Part of the one compilation unit of etrace.bpf.c, which includes it.
 */
#ifndef ETRACE_CAPTURE_H
#define ETRACE_CAPTURE_H

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
/* reads up to this many bytes go through the stack (see read_small) */
#define SMALL_READ 48

/*
 * Read n <= SMALL_READ user bytes into chunk c's data through the stack: the hardened-usercopy
 * check of a destination on the task's stack is a bounds compare, that of the task-storage heap
 * a slab lookup. A function of its own, with a frame under 64 bytes: from 6.13 a tracing
 * program's frame of 64 bytes or more is a per-CPU private stack, which that check treats as
 * heap (is_vmalloc_addr, virt_addr_valid: 8% of a traced dd's time). Returns what
 * bpf_probe_read_user returned.
 */
static __noinline long read_small(struct etrace_chunk *c, __u64 n, const void *src)
{
	__u64 w[SMALL_READ / 8] = {};
	long err;

	if (!c || n > SMALL_READ)
		return -1;
	err = bpf_probe_read_user(w, n, src);
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

_Static_assert(sizeof(struct u_iovec) == ETRACE_UIOVEC_SIZE, "the records' iovec layout");

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

/* The bytes argument plan ap reads now (flags: the chunk flags, ETRACE_C_EXIT at exit). */
static __always_inline __u64 plan_size(const struct etrace_arg_plan *ap, struct inflight *fl,
				       __u32 flags)
{
	__u32 j = ap->size_arg;
	__u64 count;

	switch (ap->size_src) {
	case ETRACE_S_ARG:
		if (j >= ETRACE_MAX_ARGS)
			return 0;
		count = fl->rec.args[j];
		break;
	case ETRACE_S_ARGPTR: {
		/* a value-result length: what it holds now (the kernel's length at exit) */
		__u32 v = 0;

		if (j >= ETRACE_MAX_ARGS ||
		    bpf_probe_read_user(&v, sizeof(v), (const void *)fl->rec.args[j]))
			return 0;
		count = v;
		break;
	}
	case ETRACE_S_IOC: {
		__u32 req, dir;

		if (j >= ETRACE_MAX_ARGS)
			return 0;
		req = fl->rec.args[j];
		dir = req >> 30; /* _IOC_WRITE 1: user to kernel; _IOC_READ 2: kernel to user */
		if (!(dir & ((flags & ETRACE_C_EXIT) ? 2 : 1)))
			return 0;
		count = (req >> 16) & 0x3fff;
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
	__u32 cap;

	if (!fl || !ap || i >= ETRACE_MAX_ARGS)
		return 0;
	cap = ap->max_len;
	ptr = (const void *)fl->rec.args[i];
	if (!ptr) /* NULL: the register value says it all */
		return 0;
	/* a netlink socket's messages are read whole (up to the chunk cap), to be decoded */
	if (fl->netlink && cap < ETRACE_ARG_MAX)
		cap = ETRACE_ARG_MAX;
	switch (ap->kind) {
	case ETRACE_K_STR:
		return append_mem(fl, SPEC(i, flags, RD_USER_STR), ptr, ap->max_len, ap->max_len);
	case ETRACE_K_BUF: {
		__u64 n = plan_size(ap, fl, flags);

		/* a request that moves nothing this way, or an unreadable length: no chunk */
		if (!n && (ap->size_src == ETRACE_S_IOC || ap->size_src == ETRACE_S_ARGPTR))
			return 0;
		return append_mem(fl, SPEC(i, flags, RD_USER), ptr, n, cap);
	}
	case ETRACE_K_STRARRAY:
		return append_strarray(fl, i, flags, ptr, ap->max_len);
	case ETRACE_K_IOVEC:
	case ETRACE_K_MSGHDR: {
		/* at exit, the buffers hold what the syscall transferred */
		__u64 total = (flags & ETRACE_C_EXIT) ? (fl->rec.ret < 0 ? 0 : fl->rec.ret) : ~0ULL;

		if (ap->kind == ETRACE_K_IOVEC)
			return append_iovec(fl, SPEC(i, flags, 0), ptr,
					    iov_cc(plan_size(ap, fl, flags), cap), total);
		return append_msghdr(fl, SPEC(i, flags, 0), ptr, total, cap);
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
	n = plan_size(ap, fl, flags);
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

/*
 * Read argument i at entry or exit: capture_small's inline read, or capture_arg. An input
 * whose read faulted at entry is marked (fl->reread), and read again at exit. Returns -1 when
 * a read faulted. A global function: the verifier checks it once, not in each of the six
 * iterations of capture_entry's and capture_exit's loops, whose states it multiplied
 * (sys_enter took ~25,000 instructions and ~27 ms to verify, sys_exit ~14,000 and ~16 ms).
 */
__noinline int capture_one(struct inflight *fl, const struct etrace_arg_plan *ap, __u64 i,
			   __u32 flags)
{
	int r;

	if (!fl || !ap || i >= ETRACE_MAX_ARGS)
		return 0;
	if ((flags & ETRACE_C_EXIT) && (fl->reread & (1 << i))) {
		/*
		 * the kernel has faulted the page in while it ran the syscall; or the call began
		 * before tracing (ETRACE_R_BEFORE), and its inputs are read now
		 */
		r = capture_arg(fl, ap, i, ETRACE_C_EXIT | ETRACE_C_REREAD);
		if (!(fl->rec.flags & ETRACE_R_BEFORE))
			stat_inc(r ? ETRACE_ST_REREAD_FAIL : ETRACE_ST_REREAD_OK);
		return r;
	}
	r = capture_small(fl, ap, i, flags);
	if (r > 0)
		r = capture_arg(fl, ap, i, flags);
	/* an input that faulted at entry is read again at exit */
	if (r && !(flags & ETRACE_C_EXIT)) {
		fl->reread |= 1 << i;
		stat_inc(ETRACE_ST_ENTRY_FAULT);
	}
	return r;
}

/*
 * The plan of this call: its syscall's, or the variant its selecting arguments choose
 * (ETRACE_P_VARIANTS). At entry and again at exit, from the arguments saved at entry.
 */
static __always_inline struct etrace_plan *plan_of(struct etrace_plan *plan, struct inflight *fl)
{
	struct etrace_variant_key k = {};
	struct etrace_plan *v;
	__u32 s0, s1;

	if (!(plan->flags & ETRACE_P_VARIANTS))
		return plan;
	s0 = plan->sel[0];
	s1 = plan->sel[1];
	k.nr = fl->rec.nr;
	if (s0 < ETRACE_MAX_ARGS)
		k.v[0] = fl->rec.args[s0] & plan->sel_mask[0];
	if (s1 < ETRACE_MAX_ARGS)
		k.v[1] = fl->rec.args[s1] & plan->sel_mask[1];
	v = bpf_map_lookup_elem(&variants, &k);
	return v ? v : plan;
}

static __always_inline void capture_entry(struct inflight *fl, const struct etrace_plan *plan)
{
	__u32 mask = plan->entry_args;

	if (!mask)
		return;
	for (__u32 i = 0; i < ETRACE_MAX_ARGS; i++) {
		if (!(mask & (1 << i)))
			continue;
		capture_one(fl, &plan->args[i], i, 0);
	}
}

/*
 * -k: the user stack of the call being entered, an ETRACE_STACK_ARG chunk of addresses (the
 * innermost first), walked by the kernel with frame pointers (perf's user callchain).
 */
static __always_inline void capture_stack(struct inflight *fl, void *ctx)
{
	__u32 room = 0, want = stack_depth * 8;
	struct etrace_chunk *c;
	long got;

	if (want > ETRACE_STACK_MAX * 8)
		want = ETRACE_STACK_MAX * 8;
	c = chunk_start(fl, &room);
	if (!c || room < want || want == 0)
		return;
	got = bpf_get_stack(ctx, (void *)(c + 1), want, BPF_F_USER_STACK);
	chunk_finish(fl, c, ETRACE_STACK_ARG, got < 0 ? ETRACE_C_FAULT : 0, got < 0 ? 0 : got);
}

static __always_inline void capture_exit(struct inflight *fl, const struct etrace_plan *plan)
{
	__u32 mask = fl->reread | (fl->rec.ret >= 0 ? plan->exit_args : plan->err_args);

	if (!mask)
		return;
	for (__u32 i = 0; i < ETRACE_MAX_ARGS; i++) {
		if (mask & (1 << i))
			capture_one(fl, &plan->args[i], i, ETRACE_C_EXIT);
	}
}

/*
 * Wake the consumer once wakeup_bytes are waiting: for the records that come few at a time
 * (contexts, lifecycle, fds, signals). The syscall records' are rb_flags_metered's and
 * rb_throttle's.
 */
static __always_inline long rb_flags(void)
{
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/*
 * rb_flags for the syscall records, the hot path: the query reads the consumer's position, a
 * cache line the consumer keeps writing (2% of a traced dd's time). Each CPU asks once per
 * RB_METER_SHIFT-th of wakeup_bytes it has written, and wakes the consumer when wakeup_bytes
 * wait: a consumer asleep is woken, one that is running already is not interrupted on every
 * record. Once pace_bytes wait, every record asks and wakes it (*m is then the CPU's meter, for
 * rb_throttle). A burst that fits below pace_bytes runs at its own speed, drained after it.
 */
#define RB_METER_SHIFT 5

static __always_inline long rb_flags_metered(__u32 size, struct rb_meter **lagging)
{
	__u32 zero = 0;
	struct rb_meter *m = bpf_map_lookup_elem(&rb_meter, &zero);
	__u64 avail;

	if (m && !m->lagging) {
		m->bytes += size;
		if (m->bytes < (wakeup_bytes >> RB_METER_SHIFT))
			return BPF_RB_NO_WAKEUP;
		m->bytes = 0;
	}
	avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	if (m) {
		m->lagging = avail >= pace_bytes;
		if (m->lagging)
			*lagging = m;
	}
	return avail >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/*
 * Queries of the ring rb_wait makes at most: ~2 us while the ring's cache lines stay put (a
 * stopped consumer), more while the consumer moves its position.
 */
#define RB_WAIT_QUERIES 1024
#define RB_WAIT_UNROLLED 256
/* a consumer whose position has not moved for this long is stopped, not slow: not waited for */
#define RB_STALL_NS (100ULL * 1000 * 1000)

/* bpf_loop's callback: 1 (the end of the wait) once fewer than pace_bytes wait */
static long rb_wait_step(__u32 i, void *data)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) < pace_bytes;
}

/*
 * Without bpf_loop (5.15, 5.16): RB_WAIT_UNROLLED queries; 1 once fewer than pace_bytes wait.
 * A global function: the verifier walks its loop once, query by query, not at each call.
 */
__noinline int rb_wait_unrolled(void)
{
	for (int i = 0; i < RB_WAIT_UNROLLED; i++)
		if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) < pace_bytes)
			return 1;
	return 0;
}

/* Wait, bounded (RB_WAIT_QUERIES queries), until fewer than pace_bytes wait in the ring. */
static __always_inline void rb_wait(void)
{
	if (have_bpf_loop) {
		bpf_loop(RB_WAIT_QUERIES, rb_wait_step, NULL, 0);
		return;
	}
	for (int i = 0; i < RB_WAIT_QUERIES / RB_WAIT_UNROLLED; i++)
		if (rb_wait_unrolled())
			return;
}

/*
 * The throttle, after a syscall record was written with pace_bytes or more waiting (m: this
 * CPU's meter): the thread waits, bounded, for the consumer it has just woken to bring the ring
 * below that mark, so that a storm runs at the consumer's pace instead of overrunning the ring
 * (where a wake-up is cheap, the wake-ups alone did not slow a two-thread storm enough: up to
 * 700k of 3M events lost). A consumer that is stopped (^Z, a debugger) is not waited for: once its
 * position has stayed put for RB_STALL_NS, records are lost, and counted, as without the wait.
 */
static __always_inline void rb_throttle(struct rb_meter *m)
{
	__u64 cons = bpf_ringbuf_query(&events, BPF_RB_CONS_POS);
	__u64 now = bpf_ktime_get_boot_ns();

	if (cons != m->cons_pos || !m->cons_moved) {
		m->cons_pos = cons;
		m->cons_moved = now;
	}
	if (now - m->cons_moved >= RB_STALL_NS)
		return;
	rb_wait();
	stat_inc(ETRACE_ST_WAITED);
}

static __always_inline void emit(struct inflight *fl)
{
	__u32 nr = fl->rec.nr;
	__u32 len = fl->rec.data_len;
	struct etrace_counts *cnt;
	struct rb_meter *lagging = NULL;
	long err;

	if (len > ETRACE_DATA_MAX)
		len = ETRACE_DATA_MAX;
	err = bpf_ringbuf_output(&events, &fl->rec, sizeof(fl->rec) + len,
				 rb_flags_metered(sizeof(fl->rec) + len, &lagging));
	cnt = bpf_map_lookup_elem(&counts, &nr);
	if (cnt) {
		if (err)
			cnt->lost++;
		else
			cnt->sent++;
	}
	if (lagging)
		rb_throttle(lagging);
}

#endif /* ETRACE_CAPTURE_H */
