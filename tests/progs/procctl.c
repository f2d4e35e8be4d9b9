/*
 * procctl.c - futex commands, prctl options, CPU affinity, socket protocols by family and
 * fadvise, for the strace comparison (tests/strace_compat.rs): calls whose arguments strace
 * shows by another argument's value. usage: procctl DIR (unused)
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
#include <time.h>
#include <unistd.h>

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
	return 0;
}
