/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * arch.h - everything etrace's BPF program knows of the CPU architecture, in one place: the
 * kernel's struct pt_regs (the fields used, for CO-RE) and where a syscall's number and
 * arguments sit in it. The build defines __TARGET_ARCH_x86 or __TARGET_ARCH_arm64 (build.rs
 * compiles the program for both, the one for this machine embedded). The user ABI etrace reads
 * (struct iovec, struct user_msghdr) is the same LP64 layout on both.
 */
#ifndef ETRACE_ARCH_H
#define ETRACE_ARCH_H

#if defined(__TARGET_ARCH_x86)

struct pt_regs {
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8;
	unsigned long ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss;
} __attribute__((preserve_access_index));

/* argument i (0-5) of the syscall being entered, from the tracepoint's (trusted) regs */
#define ETRACE_ARG0(r) ((r)->di)
#define ETRACE_ARG1(r) ((r)->si)
#define ETRACE_ARG2(r) ((r)->dx)
#define ETRACE_ARG3(r) ((r)->r10)
#define ETRACE_ARG4(r) ((r)->r8)
#define ETRACE_ARG5(r) ((r)->r9)
/* the syscall number and first argument from a task's saved regs (untrusted: probe reads) */
#define ETRACE_SAVED_NR(r) BPF_CORE_READ(r, orig_ax)
#define ETRACE_SAVED_ARG0(r) BPF_CORE_READ(r, di)
#define ETRACE_SAVED_ARGS(r, a)                                                                    \
	do {                                                                                       \
		(a)[0] = BPF_CORE_READ(r, di);                                                     \
		(a)[1] = BPF_CORE_READ(r, si);                                                     \
		(a)[2] = BPF_CORE_READ(r, dx);                                                     \
		(a)[3] = BPF_CORE_READ(r, r10);                                                    \
		(a)[4] = BPF_CORE_READ(r, r8);                                                     \
		(a)[5] = BPF_CORE_READ(r, r9);                                                     \
	} while (0)

#elif defined(__TARGET_ARCH_arm64)

struct pt_regs {
	unsigned long regs[31];
	unsigned long sp, pc, pstate;
	unsigned long orig_x0;
	int syscallno;
} __attribute__((preserve_access_index));

/* x0 is the first argument and, once the call returns, its result: orig_x0 keeps the argument */
#define ETRACE_ARG0(r) ((r)->orig_x0)
#define ETRACE_ARG1(r) ((r)->regs[1])
#define ETRACE_ARG2(r) ((r)->regs[2])
#define ETRACE_ARG3(r) ((r)->regs[3])
#define ETRACE_ARG4(r) ((r)->regs[4])
#define ETRACE_ARG5(r) ((r)->regs[5])
#define ETRACE_SAVED_NR(r) BPF_CORE_READ(r, syscallno)
#define ETRACE_SAVED_ARG0(r) BPF_CORE_READ(r, orig_x0)
#define ETRACE_SAVED_ARGS(r, a)                                                                    \
	do {                                                                                       \
		(a)[0] = BPF_CORE_READ(r, orig_x0);                                                \
		(a)[1] = BPF_CORE_READ(r, regs[1]);                                                \
		(a)[2] = BPF_CORE_READ(r, regs[2]);                                                \
		(a)[3] = BPF_CORE_READ(r, regs[3]);                                                \
		(a)[4] = BPF_CORE_READ(r, regs[4]);                                                \
		(a)[5] = BPF_CORE_READ(r, regs[5]);                                                \
	} while (0)

#else
#error "etrace's BPF program supports x86_64 and arm64"
#endif

#endif /* ETRACE_ARCH_H */
