/*
 * execfault.c - an execve whose filename and argv strings etrace cannot read when it starts.
 * usage: execfault DIR
 * Writes DIR/strings ("/bin/true", then "execfault-marker") and maps that file without
 * touching the mapping, so its page is not mapped when the call starts: the kernel-side reads
 * at entry fault (no page-faulting there). The kernel faults the page in while it runs the
 * execve; the old address space is gone by its exit, so etrace reads the filename (the
 * kernel's copy) and argv (the new image's) again at the exec.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const char strings[] = "/bin/true\0execfault-marker";

int main(int argc, char **argv)
{
	char path[4096];
	char *page;
	char *args[2];
	char *env[1] = { NULL };
	int fd;

	if (argc != 2)
		return 2;
	snprintf(path, sizeof(path), "%s/strings", argv[1]);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, strings, sizeof(strings)) != (ssize_t)sizeof(strings))
		return 3;
	page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	if (page == MAP_FAILED)
		return 4;
	args[0] = page + strlen(strings) + 1;
	args[1] = NULL;
	execve(page, args, env);
	return 5;
}
