/*
 * procctl.c - futex commands, prctl options, CPU affinity, socket protocols by family, fadvise,
 * a signal stack, sched_setattr, NUMA memory policies, and siginfo_t filled by
 * rt_sigtimedwait and waitid, for the strace comparison (tests/strace_compat.rs) and the live
 * test tests/live/decoding.rs. usage: procctl [DIR] (unused)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* include/uapi/linux/sched/types.h, which clashes with glibc's sched.h */
struct sched_attr {
	uint32_t size, sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
	uint32_t sched_util_min, sched_util_max;
};

int main(void)
{
	static uint32_t w = 1;
	struct timespec ts = { 0, 1000000 };
	char name[16];
	unsigned int sig = 0;
	cpu_set_t set;
	int fd;

	syscall(SYS_futex, &w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	syscall(SYS_futex, &w, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
	syscall(SYS_futex, &w, FUTEX_WAIT_PRIVATE, 1, &ts, NULL, 0);
	syscall(SYS_futex, &w, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, &ts, NULL,
		FUTEX_BITSET_MATCH_ANY);
	syscall(SYS_futex, &w, FUTEX_WAKE_OP_PRIVATE, 1, 1, &w,
		FUTEX_OP(FUTEX_OP_SET, 0, FUTEX_OP_CMP_GT, 1));
	syscall(SYS_futex, &w, FUTEX_CMP_REQUEUE_PRIVATE, 1, 2, &w, 0);

	prctl(PR_SET_NAME, "procctl-x");
	prctl(PR_GET_NAME, name);
	prctl(PR_CAPBSET_READ, 21);
	prctl(PR_GET_DUMPABLE);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	prctl(PR_GET_PDEATHSIG, &sig);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	sched_getaffinity(0, sizeof(set), &set);

	close(socket(AF_UNIX, SOCK_STREAM, 0));
	close(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
	close(socket(AF_INET6, SOCK_DGRAM, 0));
	close(socket(AF_INET, SOCK_STREAM, IPPROTO_TCP));

	fd = open("/etc/hostname", O_RDONLY);
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	close(fd);

	{
		static char altstack[16384];
		stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) }, old;
		struct sched_attr attr = { .size = sizeof(attr), .sched_policy = SCHED_OTHER };
		unsigned long nodes = 1, got = 0;
		int policy = -1;
		sigset_t usr1;
		siginfo_t si;
		pid_t child;

		sigaltstack(&ss, NULL);
		sigaltstack(NULL, &old);
		syscall(SYS_sched_setattr, 0, &attr, 0);
		syscall(SYS_set_mempolicy, 2 /* MPOL_BIND */, &nodes, 2);
		syscall(SYS_get_mempolicy, &policy, &got, 64, 0, 0);
		syscall(SYS_set_mempolicy, 0 /* MPOL_DEFAULT */, NULL, 0);
		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		sigprocmask(SIG_BLOCK, &usr1, NULL);
		kill(getpid(), SIGUSR1);
		sigtimedwait(&usr1, &si, &ts);
		child = fork();
		if (child == 0)
			_exit(3);
		waitid(P_PID, child, &si, WEXITED);
	}
	return 0;
}
