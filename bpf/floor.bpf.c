// SPDX-License-Identifier: GPL-2.0-only
/*
 * floor.bpf.c - the benchmark floor: two empty programs on the syscall tracepoints, what any
 * tracer attached there costs before it does anything (examples/floor.rs loads them).
 */
#include "core_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sys_enter")
int BPF_PROG(floor_enter, struct pt_regs *regs, long id)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(floor_exit, struct pt_regs *regs, long ret)
{
	return 0;
}
