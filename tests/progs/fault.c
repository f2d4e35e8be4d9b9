/*
 * fault.c - writes whose buffers etrace cannot read when the call starts.
 * usage: fault FILE
 * The first write's 16 bytes lie in a fresh anonymous page that nothing has touched yet: the
 * kernel-side read at entry faults (no page-faulting there), the kernel faults the page in
 * while it runs the write, and the re-read at exit gets 16 zero bytes. The second write's
 * buffer is at address 8: the call fails with EFAULT and neither read gets anything.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	/* volatile, so that the compiler does not see (and warn of) a bad pointer */
	volatile uintptr_t bad = 8;
	char *page;
	int fd;

	if (argc != 2)
		return 2;
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fd = openat(AT_FDCWD, argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (page == MAP_FAILED || fd < 0)
		return 3;
	if (write(fd, page + 8, 16) != 16)
		return 4;
	if (write(fd, (const void *)bad, 8) != -1)
		return 5;
	return 0;
}
