/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * settings.h - what user space sets before loading (.rodata), the maps, the per-thread
 * in-flight state, and the kernel-side counters (per-syscall, summary, statistics).
 * Part of the one compilation unit of etrace.bpf.c, which includes it.
 */
#ifndef ETRACE_SETTINGS_H
#define ETRACE_SETTINGS_H

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
/* from this much waiting on, a syscall record wakes the consumer and waits for it (rb_throttle) */
const volatile __u64 pace_bytes = 1 << 21;
const volatile __u8 failed_only = 0; /* --failed: only calls that returned an error */
/* 0 (--no-durations): no clock read at exit, ts_exit stays 0, unless the summary times calls */
const volatile __u8 exit_time = 1;
/* the numbers of clone and clone3, whose flags a fork record carries */
const volatile __s32 clone_nr = -1;
const volatile __s32 clone3_nr = -1;
const volatile __u8 capture_ctx = 1; /* send context records */
/* --signal: bit (n - 1) set: signal n is reported when delivered to a traced thread */
const volatile __u64 signal_mask = 0;
/* -k: frames of the user stack captured at entry (at most ETRACE_STACK_MAX); 0: none */
const volatile __u32 stack_depth = 0;
/* -y: 1, -yy: 2 (with sockets' endpoints); 0: no fd records */
const volatile __u8 show_fds = 0;
/* a call in flight this long is sent as pending by the periodic scan (iter_pending) */
const volatile __u64 pending_ns = 200000000;

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

/* the plans of calls whose capture depends on their arguments (ETRACE_P_VARIANTS) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ETRACE_MAX_VARIANTS);
	__type(key, struct etrace_variant_key);
	__type(value, struct etrace_plan);
} variants SEC(".maps");

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
	if (ret < 0 && ret >= -ETRACE_MAX_ERRNO)
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
	/*
	 * 0: no call in flight; 1: a call is in flight; 2: ... and a scan has sent its copy
	 * (ETRACE_R_PENDING). Changed by the scans with compare-and-swap: 64 bits (BPF before cpu v3 has no 32-bit atomics).
	 */
	__u64 active;
	__u8 reread; /* bit i: input argument i faulted at entry */
	/*
	 * The thread's process passed the pid set (it is traced, not waiting for its exec): later
	 * calls skip the hash lookup. A process leaves the set only when it ends, and this
	 * storage ends with its threads.
	 */
	__u8 in_pid_set;
	/*
	 * this call's socket is a netlink socket (ETRACE_P_SOCK): its buffers are read up to
	 * ETRACE_ARG_MAX whatever --bytes says, so that whole messages can be decoded
	 */
	__u8 netlink;
	__u8 pad;
	/*
	 * The context last sent for this thread, identified by the kernel objects it was read
	 * from: credentials and namespace sets are replaced, never changed in place, so equal
	 * pointers mean an equal context. 0 before the first one.
	 */
	__u32 ctx_tid;
	/*
	 * -y: the fds this thread's calls last named (direct-mapped by fd & 3), and the file each
	 * referred to then: a call naming the same fd for the same file sends nothing and looks
	 * nothing else up. fd_plus1 is fd + 1, so that zeroed storage holds no fd.
	 */
	struct {
		__s32 fd_plus1;
		__u32 pad;
		__u64 file;
		__u64 dentry;
		__u64 sock;
	} fd_memo[4];
	__u64 ctx_cred;
	__u64 ctx_nsproxy;
	__u64 ctx_cgroups;
	__u64 ctx_parent;
};

/*
 * The comm of a thread at the entry of its exec, for the exec record, by tid: taken for every
 * exec the pid filter lets through, traced by the other filters or not, and deleted by the exec
 * that reads it. A hash, not task storage: a task that never had task storage lets sys_exit skip
 * the storage lookup (see sys_exit); LRU, so that the entries of failed execs age out.
 */
struct exec_comm {
	char comm[ETRACE_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
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

/*
 * The threads the attach scan looks at (tid -> the call /proc showed them in): user space picks
 * them by the filters before it runs iter_attach.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct etrace_attach_call);
} attach_tids SEC(".maps");

/* the fd descriptions last sent, per (process, fd): what makes a description stale */
struct fd_key {
	__u32 pid;
	__s32 fd;
};

struct fd_seen {
	__u64 dentry;
	__u64 mnt;
	__u64 start_time; /* the process's: a new process with the same pid differs */
	__u64 sock; /* -yy: a digest of the socket's endpoints */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct fd_key);
	__type(value, struct fd_seen);
} fd_cache SEC(".maps");

/* room to build an fd record: the record, its name, and the path's components */
struct fd_scratch {
	struct etrace_fd rec;
	char name[ETRACE_PATH_MAX + 256];
	const unsigned char *parts[ETRACE_PATH_DEPTH];
	__u32 lens[ETRACE_PATH_DEPTH];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fd_scratch);
} fd_scratch SEC(".maps");

/* room to copy an in-flight call for a scan's record */
struct inflight_copy {
	struct etrace_record rec;
	__u8 data[ETRACE_DATA_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct inflight_copy);
} copy_scratch SEC(".maps");

/* per CPU: syscall-record bytes written since the ring was last queried (rb_flags_metered) */
struct rb_meter {
	__u64 bytes;
	__u64 lagging; /* the last query found the consumer pace_bytes behind */
	__u64 cons_pos; /* the consumer's position when this CPU last saw it move */
	__u64 cons_moved; /* ... and when that was (boot clock, ns) */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rb_meter);
} rb_meter SEC(".maps");

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += 1;
}

#endif /* ETRACE_SETTINGS_H */
