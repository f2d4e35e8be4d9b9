/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * context.h - the process context records (credentials, capabilities, namespaces, cgroup,
 * parent), sent when a thread's context changes, and the lifecycle records' output.
 * Part of the one compilation unit of etrace.bpf.c, which includes it.
 */
#ifndef ETRACE_CONTEXT_H
#define ETRACE_CONTEXT_H

/*
 * Send the context of task (thread tid), read at entry or at exit. Returns 1 when sent, -1
 * when the ring buffer had no room. Called by ctx_check only when the context changed, and by
 * the attach scan (not_current: task is another thread than the one running).
 */
static __noinline int ctx_send(struct task_struct *task, struct inflight *fl, __u32 tid,
			       __u32 at_exit, __u32 not_current)
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
	/* the cgroup v2 id is the directory's kernfs node id, which is what the helper reads */
	c.cgroup_id = not_current ? BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id)
				  : bpf_get_current_cgroup_id();
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
	return ctx_send(task, fl, tid, at_exit, 0);
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

#endif /* ETRACE_CONTEXT_H */
