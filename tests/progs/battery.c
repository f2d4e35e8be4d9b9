/*
 * battery.c - syscalls across the families etrace decodes, for the strace comparison
 * (tests/strace_compat.rs). usage: battery DIR   (DIR: an empty scratch directory)
 * Every call's arguments are fixed by the program, so that two runs (one under strace, one
 * under etrace) make the same calls with the same values, addresses aside.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[512];

static void path(char *out, const char *name)
{
	snprintf(out, 1024, "%s/%s", dir, name);
}

static void files(void)
{
	char p[1024], q[1024], buf[64], in1[3], in2[5];
	struct stat st;
	struct iovec iov[2] = { { "abc", 3 }, { "defgh", 5 } };
	struct iovec riov[2] = { { in1, 3 }, { in2, 5 } };
	int fd, d;

	path(p, "f.txt");
	fd = openat(AT_FDCWD, p, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	write(fd, "hello, battery\n", 15);
	pwrite(fd, "XY", 2, 3);
	lseek(fd, 0, SEEK_SET);
	read(fd, buf, sizeof(buf));
	pread(fd, buf, 4, 2);
	writev(fd, iov, 2);
	lseek(fd, 0, SEEK_SET);
	readv(fd, riov, 2);
	fstat(fd, &st);
	ftruncate(fd, 10);
	fsync(fd);
	fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	d = dup(fd);
	dup3(fd, d, O_CLOEXEC);
	close(d);
	close(fd);
	stat(p, &st);
	lstat(p, &st);
	fstatat(AT_FDCWD, p, &st, AT_SYMLINK_NOFOLLOW);
	access(p, R_OK | W_OK);
	faccessat(AT_FDCWD, "/nonexistent-battery", F_OK, 0);
	chmod(p, 0640);
	path(q, "g.txt");
	rename(p, q);
	symlinkat(q, AT_FDCWD, p);
	readlinkat(AT_FDCWD, p, buf, sizeof(buf));
	unlinkat(AT_FDCWD, p, 0);
	path(p, "sub");
	mkdirat(AT_FDCWD, p, 0755);
	fd = openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY);
	syscall(SYS_getdents64, fd, buf, sizeof(buf));
	close(fd);
	unlinkat(AT_FDCWD, p, AT_REMOVEDIR);
	unlink(q);
	getcwd(buf, sizeof(buf));
	umask(022);
}

static void memory(void)
{
	char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	mprotect(m, 4096, PROT_READ);
	madvise(m, 8192, MADV_DONTNEED);
	m = mremap(m, 8192, 16384, MREMAP_MAYMOVE);
	mlock(m, 4096);
	munlock(m, 4096);
	msync(m, 4096, MS_SYNC);
	munmap(m, 16384);
}

static void on_usr1(int sig)
{
	(void)sig;
}

static void *thread_main(void *arg)
{
	(void)arg;
	getpid();
	return NULL;
}

static void processes(void)
{
	struct sigaction sa = { 0 };
	sigset_t set, old;
	struct rlimit rl;
	struct utsname u;
	struct sysinfo si;
	struct rusage ru;
	struct timespec ts = { 0, 1000000 };
	pthread_t th;
	pid_t child;
	int status;

	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, &old);
	sigprocmask(SIG_SETMASK, &old, NULL);
	kill(getpid(), SIGUSR1);
	getrlimit(RLIMIT_NOFILE, &rl);
	setrlimit(RLIMIT_NOFILE, &rl);
	uname(&u);
	sysinfo(&si);
	getrusage(RUSAGE_SELF, &ru);
	getuid();
	geteuid();
	getgid();
	getppid();
	prctl(PR_GET_DUMPABLE);
	sched_yield();
	nanosleep(&ts, NULL);
	clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
	child = fork();
	if (child == 0)
		_exit(3);
	wait4(child, &status, 0, NULL);
	pthread_create(&th, NULL, thread_main, NULL);
	pthread_join(th, NULL);
}

static void sockets(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(0) };
	struct sockaddr_in b;
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	socklen_t len = sizeof(b);
	int s, c, conn, one = 1, sv[2], fds[1];
	char buf[64], ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { "msg", 3 };
	struct msghdr mh = { 0 };
	struct cmsghdr *cm;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	bind(s, (struct sockaddr *)&a, sizeof(a));
	listen(s, 4);
	getsockname(s, (struct sockaddr *)&b, &len);
	c = socket(AF_INET, SOCK_STREAM, 0);
	connect(c, (struct sockaddr *)&b, sizeof(b));
	len = sizeof(a);
	conn = accept4(s, (struct sockaddr *)&a, &len, SOCK_CLOEXEC);
	sendto(c, "ping", 4, MSG_NOSIGNAL, NULL, 0);
	recvfrom(conn, buf, sizeof(buf), 0, NULL, NULL);
	len = sizeof(b);
	getpeername(conn, (struct sockaddr *)&b, &len);
	shutdown(c, SHUT_WR);
	close(conn);
	close(c);
	close(s);

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	fds[0] = sv[0];
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl;
	mh.msg_controllen = sizeof(ctl);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), fds, sizeof(int));
	sendmsg(sv[0], &mh, 0);
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	mh.msg_controllen = sizeof(ctl);
	recvmsg(sv[1], &mh, 0);
	close(sv[0]);
	close(sv[1]);

	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	snprintf(un.sun_path, sizeof(un.sun_path), "%s/sock", dir);
	bind(s, (struct sockaddr *)&un, sizeof(un));
	close(s);
}

static void polling(void)
{
	struct pollfd pfd[2];
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET }, out[2];
	struct itimerspec its = { { 0, 0 }, { 0, 1000000 } };
	struct timespec now;
	int p[2], ep, efd, tfd;
	unsigned long long n;

	pipe2(p, O_NONBLOCK | O_CLOEXEC);
	write(p[1], "x", 1);
	pfd[0].fd = p[0];
	pfd[0].events = POLLIN;
	pfd[1].fd = p[1];
	pfd[1].events = POLLOUT;
	poll(pfd, 2, 0);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.data.fd = p[0];
	epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
	epoll_wait(ep, out, 2, 0);
	efd = eventfd(0, EFD_NONBLOCK);
	write(efd, &(unsigned long long){ 1 }, 8);
	read(efd, &n, 8);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	timerfd_settime(tfd, 0, &its, NULL);
	clock_gettime(CLOCK_REALTIME, &now);
	close(tfd);
	close(efd);
	close(ep);
	close(p[0]);
	close(p[1]);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	snprintf(dir, sizeof(dir), "%s", argv[1]);
	files();
	memory();
	processes();
	sockets();
	polling();
	return 0;
}
