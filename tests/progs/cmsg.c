/* cmsg: one sendmsg whose first control message claims the cmsg_len given on the command line
 * (decimal or 0x hex), over a socketpair. The kernel refuses an impossible length with EINVAL;
 * a tracer captured the message at entry all the same. Prints sendmsg's result. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	uint64_t ctl[8] = {0};
	int sv[2];
	char byte = 'x';
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl, .msg_controllen = sizeof(ctl)};
	if (argc < 2 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 2;
	ctl[0] = strtoull(argv[1], NULL, 0); /* cmsg_len */
	ctl[1] = 1 | (1ull << 32);            /* SOL_SOCKET, SCM_RIGHTS */
	ctl[2] = 0;                           /* fd 0 */
	ssize_t n = sendmsg(sv[0], &msg, 0);
	printf("sendmsg %zd %s\n", n, n < 0 ? strerror(errno) : "ok");
	return 0;
}
