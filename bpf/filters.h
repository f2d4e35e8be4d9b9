/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * filters.h - which tasks are traced: comm, uid, cgroup and the traced-pid set.
 * Part of the one compilation unit of etrace.bpf.c, which includes it.
 */
#ifndef ETRACE_FILTERS_H
#define ETRACE_FILTERS_H

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
static __always_inline int other_filters_pass(struct task_struct *task, __u32 tgid)
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

		task_comm(task, comm);
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
	return other_filters_pass(bpf_get_current_task_btf(), tgid);
}

#endif /* ETRACE_FILTERS_H */
