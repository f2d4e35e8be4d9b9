/*
 * argdep.c - calls whose arguments mean what another argument says, for the live test
 * tests/live/decoding.rs: fcntl locks, terminal ioctls on a pty, socket options (a refused
 * connection's SO_ERROR), select/pselect6/ppoll timeouts, utimensat's two times, and a sleep a
 * signal interrupts. usage: argdep DIR   (DIR: a scratch directory)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static void on_alarm(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	char path[512];
	int fd, m, s, sk, one = 1, n = -1, err = -1;
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };
	struct termios t;
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	struct linger lg = { 1, 5 };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(1) };
	struct pollfd pf;
	socklen_t len = sizeof(err);
	struct timespec ts = { 0, 20000000 };
	struct timeval tv = { 5, 0 };
	struct timespec times[2] = { { 1, 0 }, { 2, 0 } };
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { .it_value = { 0, 50000 } };
	int p[2];
	fd_set r;

	if (argc != 2)
		return 2;
	snprintf(path, sizeof(path), "%s/lock", argv[1]);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	fcntl(fd, F_SETLK, &fl);
	fl.l_type = F_RDLCK;
	fcntl(fd, F_GETLK, &fl);
	fcntl(fd, F_OFD_SETLKW, &(struct flock){ .l_type = F_UNLCK, .l_whence = SEEK_CUR, .l_start = 4 });

	m = posix_openpt(O_RDWR | O_NOCTTY);
	grantpt(m);
	unlockpt(m);
	s = open(ptsname(m), O_RDWR | O_NOCTTY);
	tcgetattr(s, &t);
	tcsetattr(s, TCSADRAIN, &t);
	ioctl(s, TIOCSWINSZ, &ws);
	ioctl(s, TIOCGWINSZ, &ws);
	ioctl(m, FIONREAD, &n);
	ioctl(s, FIONBIO, &one);
	ioctl(s, _IOR('U', 1, long), &n); /* no such request on a pty */

	sk = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(sk, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(sk, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(sk, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	fcntl(sk, F_SETFL, O_RDWR | O_NONBLOCK);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	connect(sk, (struct sockaddr *)&a, sizeof(a)); /* port 1: refused */
	pf.fd = sk;
	pf.events = POLLOUT;
	poll(&pf, 1, 2000);
	getsockopt(sk, SOL_SOCKET, SO_ERROR, &err, &len);

	pipe(p);
	pselect(0, NULL, NULL, NULL, &ts, NULL);
	write(p[1], "x", 1);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	select(p[0] + 1, &r, NULL, NULL, &tv);
	pf.fd = p[0];
	pf.events = POLLIN;
	ts.tv_sec = 1;
	ts.tv_nsec = 0;
	ppoll(&pf, 1, &ts, NULL);

	utimensat(AT_FDCWD, path, times, 0);

	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	ts.tv_sec = 5;
	ts.tv_nsec = 0;
	clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts);
	return 0;
}
