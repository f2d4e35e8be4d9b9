/*
 * unix.c: AF_UNIX sockets whose endpoints are known, for -yy: a connected pair (one byte
 * written on each end's first socket), and a connection accepted on a socket bound to the path
 * argv[1] (one byte written on the accepted socket).
 */
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int sv[2], l, c, s;

	if (argc < 2 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 1;
	if (write(sv[0], "p", 1) != 1)
		return 1;
	strncpy(a.sun_path, argv[1], sizeof(a.sun_path) - 1);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1))
		return 1;
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(c, (struct sockaddr *)&a, sizeof(a)))
		return 1;
	s = accept(l, NULL, NULL);
	return write(s, "s", 1) == 1 ? 0 : 1;
}
