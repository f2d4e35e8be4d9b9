/*
 * ids.c: values strace shows in a form of their own: umask's mask and result in octal, and -1
 * ("leave unchanged") for user and group ids; and arguments a call does not use, which strace
 * leaves out (open's mode without O_CREAT, fcntl's arg for F_GETFD). Creates and removes
 * argv[1].
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int fd;

	if (argc < 2)
		return 1;
	umask(027);
	umask(022);
	fd = open(argv[1], O_CREAT | O_WRONLY, 0640);
	if (fd < 0 || fchown(fd, -1, -1))
		return 1;
	if (setresuid(-1, -1, -1) || setresgid(-1, -1, -1))
		return 1;
	if (fcntl(fd, F_GETFD) != 0 || open("/etc/hostname", O_RDONLY) != 4)
		return 1;
	/* fcntl's arg and result by command */
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) || fcntl(fd, F_GETFD) != FD_CLOEXEC)
		return 1;
	if (fcntl(fd, F_GETFL) < 0 || fcntl(fd, F_SETFL, O_NONBLOCK))
		return 1;
	return unlink(argv[1]) ? 1 : 0;
}
