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
enum etrace_sel *etrace_sel_type __attribute__((unused));
struct etrace_variant_key *etrace_variant_key_type __attribute__((unused));
struct etrace_sockinfo *etrace_sockinfo_type __attribute__((unused));
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
struct etrace_signal *etrace_signal_type __attribute__((unused));
struct etrace_attach_call *etrace_attach_call_type __attribute__((unused));
struct etrace_fd *etrace_fd_type __attribute__((unused));
enum etrace_fd_kind *etrace_fd_kind_type __attribute__((unused));
enum etrace_fd_flags *etrace_fd_flags_type __attribute__((unused));
enum etrace_signal_flags *etrace_signal_flags_type __attribute__((unused));

#include "settings.h"
#include "capture.h"
#include "context.h"
#include "filters.h"
#include "fds.h"

/*
 * With a traced-pid set: whether the calling process is in it. A launched command's process
 * is armed by its execve (before the syscall-set check: even when execve is not traced).
 * *fl is the thread's in-flight state when it was looked up here.
 */
static __always_inline int in_pid_set(struct task_struct *task, __u32 tgid,
				      const struct etrace_plan *plan, struct inflight **fl)
{
	__u32 *state;

	*fl = bpf_task_storage_get(&inflight, task, NULL, 0);
	if (*fl && (*fl)->in_pid_set)
		return 1;
	state = bpf_map_lookup_elem(&pids, &tgid);
	if (!state)
		return 0;
	if (*state == ETRACE_PID_PENDING_EXEC) {
		if (!(plan->flags & ETRACE_P_EXEC))
			return 0;
		*state = ETRACE_PID_TRACED;
	}
	return 1;
}

/* Start the record of the call being entered: its registers, ids, time and comm. */
static __always_inline void start_record(struct inflight *fl, struct pt_regs *regs,
					 struct task_struct *task, __u64 pid_tgid, __u32 nr)
{
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
	fl->rec.pid = pid_tgid >> 32;
	fl->rec.tid = (__u32)pid_tgid;
	fl->rec.nr = nr;
	fl->rec.data_len = 0;
	fl->rec.flags = 0;
	fl->rec.nchunks = 0;
	task_comm(task, fl->rec.comm);
	fl->reread = 0;
	fl->netlink = 0;
	if (filter_pids)
		fl->in_pid_set = 1;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	/* the ids as loads from the task: cheaper than the helper's call */
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tgid = task->tgid;
	__u64 pid_tgid = ((__u64)tgid << 32) | (__u32)task->pid;
	__u32 nr = id;
	struct etrace_plan *plan;
	struct inflight *fl = NULL;

	if (tgid == self_tgid || id < 0 || id >= ETRACE_MAX_SYSCALLS)
		return 0;
	plan = bpf_map_lookup_elem(&plans, &nr);
	if (!plan)
		return 0;
	if (filter_pids && !in_pid_set(task, tgid, plan, &fl))
		return 0;
	if ((plan->flags & ETRACE_P_EXEC) && emit_events) {
		/* the exec record names the comm before the exec, traced call or not */
		struct exec_comm ec __attribute__((aligned(8)));
		__u32 tid = (__u32)pid_tgid;

		task_comm(task, ec.comm);
		bpf_map_update_elem(&exec_comms, &tid, &ec, BPF_ANY);
	}
	if (!(plan->flags & ETRACE_P_ENABLED) || !other_filters_pass(task, tgid))
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
	start_record(fl, regs, task, pid_tgid, nr);
	plan = plan_of(plan, fl);
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
	if (emit_events) {
		/* a socket read by its family: which family, while the fd still names it */
		if (plan->flags & ETRACE_P_SOCK)
			sock_info(fl, (__s32)fl->rec.args[0]);
		capture_entry(fl, plan);
		if (stack_depth)
			capture_stack(fl, ctx);
		/* -y: what the fd arguments refer to, before the call can close or replace them */
		if (show_fds && plan->fd_args) {
			for (__u32 i = 0; i < ETRACE_MAX_ARGS; i++)
				if (plan->fd_args & (1 << i))
					fd_send(fl, tgid, (__s32)fl->rec.args[i]);
		}
	}
	fl->active = 1;
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct etrace_plan *plan;
	struct inflight *fl;
	__u32 nr;

	/*
	 * A task that never had task storage has no call in flight: one load instead of the
	 * storage lookup, for every task the filters leave out (etrace keeps no other storage).
	 */
	if (!task->bpf_storage)
		return 0;
	fl = bpf_task_storage_get(&inflight, task, NULL, 0);
	if (!fl || !fl->active)
		return 0;
	fl->active = 0;
	nr = fl->rec.nr;
	plan = bpf_map_lookup_elem(&plans, &nr);
	if (!plan)
		return 0;
	plan = plan_of(plan, fl);
	if (failed_only && !(ret < 0 && ret >= -ETRACE_MAX_ERRNO))
		return 0;
	fl->rec.ret = ret;
	fl->rec.ts_exit = exit_time || summarize ? bpf_ktime_get_boot_ns() : 0;
	if (summarize)
		summary_add(nr, 1, ret, fl->rec.ts_exit - fl->rec.ts_enter);
	if (!emit_events)
		return 0;
	fl->rec.flags |= ETRACE_R_EXITED;
	if (fl->rec.flags & ETRACE_R_BEFORE) {
		/* found in flight at attach: its context and its inputs, as they are now */
		if (capture_ctx && ctx_check(task, fl, fl->rec.tid, 0) < 0)
			fl->rec.flags |= ETRACE_R_CTX_LOST;
		fl->reread = plan->entry_args;
	}
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
	if (show_fds && plan->fd_ret && ret >= 0 && ret <= 0x7fffffff)
		fd_send(fl, fl->rec.pid, (__s32)ret);
	emit(fl);
	return 0;
}

/* What an exec's re-read copies from: the kernel's filename, the new image's argv and envp. */
struct exec_areas {
	__u64 filename;
	__u64 arg_start, arg_end;
	__u64 env_start, env_end;
};

/*
 * Re-read argument i of the exec call: its filename (which == 0), its argv (1) or envp (2 or
 * more: the second string array). A global function: the verifier checks it once, and the
 * loop calling it keeps few enough states apart (inlined, the six iterations' branches
 * multiplied: ~25,000 instructions and ~27 ms to verify).
 */
__noinline int exec_reread_arg(struct inflight *fl, const struct exec_areas *a, __u32 i,
			       __u32 which, __u32 cap)
{
	if (!fl || !a || i >= ETRACE_MAX_ARGS)
		return 0;
	if (which == 0)
		return append_mem_at(fl, SPEC(i, ETRACE_C_EXIT | ETRACE_C_REREAD, RD_KERNEL_STR),
				     a->filename, cap, cap);
	if (which == 1)
		return append_mem_at(fl,
				     SPEC(i, ETRACE_C_EXIT | ETRACE_C_REREAD | ETRACE_C_BLOB, RD_USER),
				     a->arg_start, a->arg_end - a->arg_start, ETRACE_ARG_MAX);
	return append_mem_at(fl, SPEC(i, ETRACE_C_EXIT | ETRACE_C_REREAD | ETRACE_C_BLOB, RD_USER),
			     a->env_start, a->env_end - a->env_start, ETRACE_ARG_MAX);
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
	struct exec_areas a;
	__u32 nr, strarrays = 0, zero = 0;

	if (emit_events && tgid != self_tgid && current_traced(tgid)) {
		struct exec_scratch *x = bpf_map_lookup_elem(&exec_scratch, &zero);

		if (x) {
			long n;

			/* the exec'ing thread's tid before the exec: a thread's exec takes the leader's */
			__u32 old_tid = old_pid;
			struct exec_comm *ec = bpf_map_lookup_elem(&exec_comms, &old_tid);

			ctx_ensure(task, (__u32)pid_tgid);

			x->rec.type = ETRACE_T_EXEC;
			x->rec.tid = (__u32)pid_tgid;
			x->rec.ts = bpf_ktime_get_boot_ns();
			x->rec.pid = tgid;
			x->rec.old_tid = old_pid;
			__builtin_memset(x->rec.old_comm, 0, sizeof(x->rec.old_comm));
			if (ec) {
				__builtin_memcpy(x->rec.old_comm, ec->comm, sizeof(x->rec.old_comm));
				bpf_map_delete_elem(&exec_comms, &old_tid);
			}
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
	a.filename = (__u64)BPF_CORE_READ(bprm, filename);
	a.arg_start = BPF_CORE_READ(task, mm, arg_start);
	a.arg_end = BPF_CORE_READ(task, mm, arg_end);
	a.env_start = BPF_CORE_READ(task, mm, env_start);
	a.env_end = BPF_CORE_READ(task, mm, env_end);
	for (__u32 i = 0; i < ETRACE_MAX_ARGS; i++) {
		const struct etrace_arg_plan *ap = &plan->args[i];
		__u32 which = 0;

		/* the first array is argv, the second envp */
		if (ap->kind == ETRACE_K_STRARRAY)
			which = ++strarrays;
		else if (ap->kind != ETRACE_K_STR)
			continue;
		if (!(fl->reread & (1 << i)))
			continue;
		exec_reread_arg(fl, &a, i, which, ap->max_len);
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

/* A signal delivered to a traced thread, when --signal selects it. */
SEC("tp_btf/signal_deliver")
int BPF_PROG(signal_deliver, int sig, struct kernel_siginfo *info, struct k_sigaction *ka)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	struct etrace_signal s = {};

	if (tgid == self_tgid || sig < 1 || sig > ETRACE_MAX_SIGNAL)
		return 0;
	if (!(signal_mask & (1ULL << (sig - 1))) || !current_traced(tgid))
		return 0;
	ctx_ensure(bpf_get_current_task_btf(), (__u32)pid_tgid);
	s.type = ETRACE_T_SIGNAL;
	s.tid = (__u32)pid_tgid;
	s.ts = bpf_ktime_get_boot_ns();
	s.pid = tgid;
	s.sig = sig;
	if (!info || bpf_probe_read_kernel(s.info, sizeof(s.info), info)) {
		__builtin_memset(s.info, 0, sizeof(s.info));
		s.flags = ETRACE_SIG_NOINFO;
	}
	bpf_get_current_comm(s.comm, sizeof(s.comm));
	if (bpf_ringbuf_output(&events, &s, sizeof(s), rb_flags()))
		stat_inc(ETRACE_ST_SIGNAL_LOST);
	else
		stat_inc(ETRACE_ST_SIGNAL_SENT);
	return 0;
}

/*
 * The scans of the in-flight state: task iterators that user space runs (reading the iterator
 * runs the program once per task). They send copies of calls in flight, flagged as such, and
 * never touch the syscall path: detecting a blocked call costs the traced calls nothing.
 */

/* Send a copy of thread's in-flight call begun at ts, with flags added. */
static __always_inline void send_copy(struct inflight *fl, __u16 flags, __u64 ts)
{
	struct inflight_copy *c;
	__u32 zero = 0, len;

	c = bpf_map_lookup_elem(&copy_scratch, &zero);
	if (!c)
		return;
	c->rec = fl->rec;
	len = c->rec.data_len;
	if (len > ETRACE_DATA_MAX)
		len = ETRACE_DATA_MAX;
	if (bpf_probe_read_kernel(c->data, len, fl->data))
		return;
	/* the thread went on while this was copied: the copy may be torn, and is not needed */
	if (!fl->active || fl->rec.ts_enter != ts || c->rec.ts_enter != ts)
		return;
	c->rec.flags = (c->rec.flags & ~ETRACE_R_EXITED) | flags;
	c->rec.ret = 0;
	c->rec.ts_exit = 0;
	if (bpf_ringbuf_output(&events, c, sizeof(c->rec) + len, 0))
		stat_inc(ETRACE_ST_SCAN_LOST);
	else
		stat_inc(ETRACE_ST_SCAN_SENT);
}

/*
 * iter_attach: a thread user space found inside a syscall when tracing started (attach_tids)
 * gets in-flight state for that call, so that its exit is reported, and a pending copy now.
 * The call's registers are the thread's saved ones (bpf_task_pt_regs, 5.15), which also tell
 * whether it is still in that call; without the helper, what /proc showed.
 */
SEC("iter/task")
int iter_attach(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct etrace_attach_call *want;
	struct etrace_plan *plan;
	struct inflight *fl;
	struct pt_regs *regs;
	__u32 tid, nr;
	__u64 ts;

	if (!task)
		return 0;
	tid = task->pid;
	want = bpf_map_lookup_elem(&attach_tids, &tid);
	/* running, it may be back in user space: nothing in flight; a kernel thread has no calls */
	if (!want || task->__state == 0 || !task->mm)
		return 0;
	nr = want->nr;
	if (have_task_pt_regs) {
		/* it has left the call /proc showed, for another one */
		regs = (struct pt_regs *)bpf_task_pt_regs(task);
		if ((__s32)ETRACE_SAVED_NR(regs) != want->nr)
			return 0;
	}
	plan = bpf_map_lookup_elem(&plans, &nr);
	if (!plan || !(plan->flags & ETRACE_P_ENABLED) || (plan->flags & ETRACE_P_NORETURN))
		return 0;
	fl = bpf_task_storage_get(&inflight, task, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!fl || fl->active)
		return 0;
	ts = bpf_ktime_get_boot_ns();
	fl->rec.type = ETRACE_T_SYSCALL;
	fl->rec.ts_enter = ts;
	fl->rec.ts_exit = 0;
	if (have_task_pt_regs)
		ETRACE_SAVED_ARGS(regs, fl->rec.args);
	else
		__builtin_memcpy(fl->rec.args, want->args, sizeof(fl->rec.args));
	fl->rec.ret = 0;
	fl->rec.pid = task->tgid;
	fl->rec.tid = tid;
	fl->rec.nr = nr;
	fl->rec.data_len = 0;
	fl->rec.flags = ETRACE_R_BEFORE;
	fl->rec.nchunks = 0;
	task_comm(task, fl->rec.comm);
	fl->reread = 0;
	fl->netlink = 0;
	if (filter_pids)
		fl->in_pid_set = 1;
	fl->active = 2;
	if (capture_ctx)
		ctx_send(task, fl, tid, 0, 1);
	send_copy(fl, ETRACE_R_PENDING, ts);
	return 0;
}

/* iter_pending: a call in flight for longer than pending_ns, once per call. */
SEC("iter/task")
int iter_pending(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct inflight *fl;
	__u64 ts;

	if (!task)
		return 0;
	fl = bpf_task_storage_get(&inflight, task, NULL, 0);
	if (!fl || fl->active != 1)
		return 0;
	ts = fl->rec.ts_enter;
	if (bpf_ktime_get_boot_ns() - ts < pending_ns)
		return 0;
	if (__sync_val_compare_and_swap(&fl->active, 1, 2) != 1)
		return 0;
	send_copy(fl, ETRACE_R_PENDING, ts);
	return 0;
}

/* iter_stop: every call still in flight when tracing stops (the syscall programs detached). */
SEC("iter/task")
int iter_stop(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct inflight *fl;

	if (!task)
		return 0;
	fl = bpf_task_storage_get(&inflight, task, NULL, 0);
	if (!fl || !fl->active)
		return 0;
	send_copy(fl, ETRACE_R_UNFINISHED, fl->rec.ts_enter);
	return 0;
}
