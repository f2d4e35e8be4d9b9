/*
 * netlink.c - a NETLINK_ROUTE exchange, for the strace comparison and the live tests: a request
 * for a link that does not exist (answered by NLMSG_ERROR, -ENODEV, with the request), then a
 * dump of the IPv4 addresses (RTM_NEWADDR messages, then NLMSG_DONE). usage: netlink [DIR]
 */
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

int main(void)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
	} link = {
		.h = { .nlmsg_len = sizeof(link), .nlmsg_type = RTM_GETLINK,
		       .nlmsg_flags = NLM_F_REQUEST, .nlmsg_seq = 1 },
		.i = { .ifi_family = AF_UNSPEC, .ifi_index = 0x7fffffff },
	};
	struct {
		struct nlmsghdr h;
		struct ifaddrmsg a;
	} addr = {
		.h = { .nlmsg_len = sizeof(addr), .nlmsg_type = RTM_GETADDR,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 2 },
		.a = { .ifa_family = AF_INET },
	};
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	static char buf[32768];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_name = &nl, .msg_namelen = sizeof(nl), .msg_iov = &iov,
			     .msg_iovlen = 1 };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	bind(fd, (struct sockaddr *)&nl, sizeof(nl));
	sendto(fd, &link, sizeof(link), 0, (struct sockaddr *)&nl, sizeof(nl));
	recvmsg(fd, &mh, 0);
	sendto(fd, &addr, sizeof(addr), 0, (struct sockaddr *)&nl, sizeof(nl));
	for (int i = 0; i < 8; i++) {
		ssize_t n = recvmsg(fd, &mh, 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (n <= 0 || !NLMSG_OK(h, n) || h->nlmsg_type == NLMSG_DONE ||
		    h->nlmsg_type == NLMSG_ERROR)
			break;
	}
	close(fd);
	return 0;
}
